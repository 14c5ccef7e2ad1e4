package render

import (
	"net/netip"

	"github.com/clusterctl/clusterctl/internal/config"
)

// Configurations built in Go, as the config layer would produce them
// (validated, members sorted by priority, real servers by address).

func pfx(s string) netip.Prefix        { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr         { return netip.MustParseAddr(s) }
func addrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func iface(name string, addrs ...string) config.Interface {
	i := config.Interface{Name: name}
	for _, a := range addrs {
		i.Addresses = append(i.Addresses, pfx(a))
	}
	return i
}

func newHost(name string, ifaces ...config.Interface) *config.Host {
	return &config.Host{Name: name, Connection: config.Connection{Address: name}, Interfaces: ifaces}
}

func newConfig(hosts ...*config.Host) *config.Config {
	c := &config.Config{
		Hosts:          map[string]*config.Host{},
		VRRPInstances:  map[string]*config.VRRPInstance{},
		HealthChecks:   map[string]*config.HealthCheck{},
		VirtualServers: map[string]*config.VirtualServer{},
	}
	for _, h := range hosts {
		c.Hosts[h.Name] = h
	}
	return c
}

// nginxHost is a web server as in the labs: nginx installed and running,
// with a page telling which server answered.
func nginxHost(h *config.Host, page string) *config.Host {
	h.Packages = []string{"nginx"}
	h.Services = []string{"nginx"}
	if page != "" {
		const p = "/usr/share/nginx/html/index.html"
		h.Files = map[string]*config.File{p: {Path: p, Content: page}}
	}
	return h
}

// seedGlobalDefs is the lab's global_defs.
func seedGlobalDefs() config.Keepalived {
	return config.Keepalived{
		RouterID:              "LVS_DEVEL",
		NotificationEmail:     []string{"aming@aminglinux.com"},
		NotificationEmailFrom: "root@aminglinux.com",
		SMTPServer:            "127.0.0.1",
		SMTPConnectTimeout:    30,
	}
}

// labA is the seed's keepalived HA pair for nginx (18.3–18.5).
func labA() *config.Config {
	c := newConfig(
		nginxHost(newHost("web1", iface("ens33", "192.168.19.101/24")), ""),
		nginxHost(newHost("web2", iface("ens33", "192.168.19.102/24")), ""),
	)
	c.Keepalived = seedGlobalDefs()
	c.HealthChecks["nginx"] = &config.HealthCheck{
		Name:           "nginx",
		Process:        "nginx",
		Service:        "nginx",
		Restart:        true,
		StopKeepalived: true,
		LogFile:        "/var/log/check_ng.log",
		ScriptPath:     "/usr/local/sbin/check_ng.sh",
		Interval:       3,
	}
	c.VRRPInstances["VI_1"] = &config.VRRPInstance{
		Name:            "VI_1",
		Interface:       "ens33",
		VirtualRouterID: 51,
		AdvertInt:       1,
		AuthPass:        "aminglin",
		VirtualIPs:      []netip.Prefix{pfx("192.168.19.100/32")},
		Members: []*config.Member{
			{Host: "web1", Priority: 100, State: config.StateMaster},
			{Host: "web2", Priority: 90, State: config.StateBackup},
		},
		TrackScripts: []string{"nginx"},
	}
	return c
}

// labB is the seed's LVS NAT lab (18.9/18.10).
func labB() *config.Config {
	rs1 := nginxHost(newHost("rs1", iface("ens33", "192.168.19.102/24")), "RS1------RS1\n")
	rs2 := nginxHost(newHost("rs2", iface("ens33", "192.168.19.103/24")), "RS2------RS2\n")
	c := newConfig(
		newHost("dir", iface("ens33", "192.168.19.101/24"), iface("ens37", "192.168.47.128/24")),
		rs1, rs2,
	)
	c.VirtualServers["web"] = &config.VirtualServer{
		Name:        "web",
		Address:     addrPort("192.168.47.128:80"),
		Protocol:    "tcp",
		Mode:        config.ModeNAT,
		Scheduler:   "wlc",
		Persistence: 3,
		Directors:   []string{"dir"},
		ManagedBy:   config.ManagedByClusterctl,
		RealServers: []*config.RealServer{
			{Host: "rs1", Address: addr("192.168.19.102"), Port: 80, Weight: 1},
			{Host: "rs2", Address: addr("192.168.19.103"), Port: 80, Weight: 1},
		},
	}
	return c
}

// labDR is direct routing: one director, two real servers on its LAN,
// a TCP service with persistence granularity and a UDP service.
func labDR() *config.Config {
	rs1 := nginxHost(newHost("rs1", iface("eth0", "10.0.0.11/24")), "RS1\n")
	rs2 := nginxHost(newHost("rs2", iface("eth0", "10.0.0.12/24")), "RS2\n")
	rs1.Gateway, rs2.Gateway = addr("10.0.0.1"), addr("10.0.0.1")
	c := newConfig(newHost("dir", iface("eth0", "10.0.0.10/24")), rs1, rs2)
	rss := func(port uint16) []*config.RealServer {
		return []*config.RealServer{
			{Host: "rs1", Address: addr("10.0.0.11"), Port: port, Weight: 1},
			{Host: "rs2", Address: addr("10.0.0.12"), Port: port, Weight: 1},
		}
	}
	c.VirtualServers["web"] = &config.VirtualServer{
		Name: "web", Address: addrPort("10.0.0.100:80"), Protocol: "tcp", Mode: config.ModeDR,
		Scheduler: "rr", Persistence: 300, PersistenceNetmask: addr("255.255.255.0"),
		Directors: []string{"dir"}, ManagedBy: config.ManagedByClusterctl, RealServers: rss(80),
	}
	c.VirtualServers["dns"] = &config.VirtualServer{
		Name: "dns", Address: addrPort("10.0.0.101:53"), Protocol: "udp", Mode: config.ModeDR,
		Scheduler: "sh", Directors: []string{"dir"}, ManagedBy: config.ManagedByClusterctl, RealServers: rss(53),
	}
	return c
}

// labTUN is IP-in-IP: real servers on another, routed subnet.
func labTUN() *config.Config {
	rs1 := newHost("rs1", iface("eth0", "10.2.0.11/24"))
	rs1.Gateway = addr("10.2.0.1")
	c := newConfig(newHost("dir", iface("eth0", "10.1.0.10/24")), rs1)
	c.VirtualServers["web"] = &config.VirtualServer{
		Name: "web", Address: addrPort("10.1.0.100:80"), Protocol: "tcp", Mode: config.ModeTUN,
		Scheduler: "wrr", Directors: []string{"dir"}, ManagedBy: config.ManagedByClusterctl,
		RealServers: []*config.RealServer{
			{Host: "rs1", Address: addr("10.2.0.11"), Port: 80, Weight: 2, UpperThreshold: 100, LowerThreshold: 10},
			{Address: addr("10.2.0.12"), Port: 80, Weight: 1},
		},
	}
	return c
}

// labFullNAT is IPVS NAT plus SNAT: real servers keep their own gateway.
func labFullNAT() *config.Config {
	c := newConfig(
		newHost("dir", iface("ens33", "172.16.0.10/24"), iface("ens37", "10.0.1.10/24")),
		nginxHost(newHost("rs1", iface("eth0", "10.0.1.21/24")), ""),
	)
	c.VirtualServers["web"] = &config.VirtualServer{
		Name: "web", Address: addrPort("172.16.0.100:80"), Protocol: "tcp", Mode: config.ModeFullNAT,
		Scheduler: "sh", SNATAddress: addr("10.0.1.10"), Directors: []string{"dir"}, ManagedBy: config.ManagedByClusterctl,
		RealServers: []*config.RealServer{{Host: "rs1", Address: addr("10.0.1.21"), Port: 8080, Weight: 1}},
	}
	c.VirtualServers["dns"] = &config.VirtualServer{
		Name: "dns", Address: addrPort("172.16.0.101:53"), Protocol: "udp", Mode: config.ModeFullNAT,
		Scheduler: "rr", Directors: []string{"dir"}, ManagedBy: config.ManagedByClusterctl,
		RealServers: []*config.RealServer{{Host: "rs1", Address: addr("10.0.1.21"), Port: 53, Weight: 1}},
	}
	return c
}

// labHA is a keepalived director pair running LVS itself: an external VIP
// (unicast adverts) and an internal VIP that is the NAT real servers'
// gateway, a NAT service checked with TCP_CHECK and HTTP_GET, and a DR
// service checked with MISC_CHECK.
func labHA() *config.Config {
	app1 := nginxHost(newHost("app1", iface("eth0", "10.10.0.21/24")), "APP1\n")
	app2 := nginxHost(newHost("app2", iface("eth0", "10.10.0.22/24")), "APP2\n")
	app1.Gateway, app2.Gateway = addr("10.10.0.1"), addr("10.10.0.1")
	app2.Files["/etc/nginx/conf.d/status.conf"] = &config.File{
		Path: "/etc/nginx/conf.d/status.conf", Content: "server { listen 8081; location /status { stub_status; } }\n",
	}
	c := newConfig(
		newHost("lb1", iface("eth0", "192.168.50.11/24"), iface("eth1", "10.10.0.11/24")),
		newHost("lb2", iface("eth0", "192.168.50.12/24"), iface("eth1", "10.10.0.12/24")),
		app1, app2,
	)
	c.Keepalived = config.Keepalived{
		NotificationEmail:    []string{"ops@example.com", "oncall@example.com"},
		EnableScriptSecurity: true,
		ScriptUser:           "root",
	}
	c.HealthChecks["lb"] = &config.HealthCheck{
		Name: "lb", Script: "/usr/local/bin/check_lb.sh", Interval: 2, Weight: -20, Fall: 2, Rise: 1, Timeout: 2,
	}
	members := func(state1, state2 string) []*config.Member {
		return []*config.Member{
			{Host: "lb1", Priority: 150, State: state1},
			{Host: "lb2", Priority: 100, State: state2},
		}
	}
	c.VRRPInstances["VI_EXT"] = &config.VRRPInstance{
		Name: "VI_EXT", Interface: "eth0", VirtualRouterID: 60, AdvertInt: 1, AuthPass: "s3cret",
		VirtualIPs: []netip.Prefix{pfx("192.168.50.100/32"), pfx("192.168.50.101/32")},
		Members:    members(config.StateMaster, config.StateBackup), Unicast: true,
		TrackScripts: []string{"lb"}, TrackInterfaces: []string{"eth1"}, GarpMasterDelay: 1,
	}
	c.VRRPInstances["VI_INT"] = &config.VRRPInstance{
		Name: "VI_INT", Interface: "eth1", VirtualRouterID: 61, AdvertInt: 1,
		VirtualIPs: []netip.Prefix{pfx("10.10.0.1/24")},
		Members:    members(config.StateBackup, config.StateBackup), Nopreempt: true,
		NotifyMaster: "/usr/local/bin/notify.sh master", NotifyBackup: "/usr/local/bin/notify.sh backup",
		NotifyFault: "/usr/local/bin/notify.sh fault", TrackScripts: []string{"lb"},
	}
	c.VRRPInstances["VI_MGMT"] = &config.VRRPInstance{
		Name: "VI_MGMT", Interface: "eth1", VirtualRouterID: 62, AdvertInt: 2,
		VirtualIPs: []netip.Prefix{pfx("10.10.0.2/32")},
		Members:    members(config.StateBackup, config.StateBackup), PreemptDelay: 30,
	}
	c.VirtualServers["web"] = &config.VirtualServer{
		Name: "web", Address: addrPort("192.168.50.100:80"), Protocol: "tcp", Mode: config.ModeNAT,
		Scheduler: "wlc", Persistence: 60, PersistenceNetmask: addr("255.255.255.0"),
		Directors: []string{"lb1", "lb2"}, ManagedBy: config.ManagedByKeepalived, DelayLoop: 6,
		SorryServer: addrPort("10.10.0.50:80"),
		RealServers: []*config.RealServer{
			{Host: "app1", Address: addr("10.10.0.21"), Port: 80, Weight: 3, UpperThreshold: 1000,
				Check: &config.RealServerCheck{Type: config.CheckTCP, ConnectTimeout: 3, Retry: 3, DelayBeforeRetry: 3}},
			{Host: "app2", Address: addr("10.10.0.22"), Port: 80, Weight: 1, LowerThreshold: 5,
				Check: &config.RealServerCheck{Type: config.CheckHTTP, Path: "/health", StatusCode: 200, ConnectTimeout: 3}},
		},
	}
	c.VirtualServers["api"] = &config.VirtualServer{
		Name: "api", Address: addrPort("192.168.50.101:443"), Protocol: "tcp", Mode: config.ModeDR,
		Scheduler: "rr", Directors: []string{"lb1", "lb2"}, ManagedBy: config.ManagedByKeepalived,
		RealServers: []*config.RealServer{
			{Host: "app1", Address: addr("192.168.50.21"), Port: 443, Weight: 1,
				Check: &config.RealServerCheck{Type: config.CheckMisc, MiscPath: "/usr/local/bin/check_api.sh 192.168.50.21"}},
		},
	}
	app1.Interfaces = append(app1.Interfaces, iface("eth1", "192.168.50.21/24"))
	return c
}

// testCases are the golden cases, by directory name under testdata/golden.
func testCases() map[string]func() *config.Config {
	return map[string]func() *config.Config{
		"lab-a-keepalived":  labA,
		"lab-b-nat":         labB,
		"dr":                labDR,
		"tun":               labTUN,
		"fullnat":           labFullNAT,
		"ha-keepalived-lvs": labHA,
		"ipvs-options":      labIPVSOptions,
		"sync-group":        labSyncGroup,
		"vrrp3-strict":      labVRRP3Strict,
		"raw-lines":         labRaw,
		"lvs-sync":          labLVSSync,
		"routes-rules":      labRoutesRules,
		"checkers-groups":   labCheckersGroups,
	}
}

// labRoutesRules is labHA whose external instance adds routes (one of
// every attribute, one typed) and a policy-routing rule with the VIPs,
// and whose keepalived writes state changes to a FIFO read by a script.
func labRoutesRules() *config.Config {
	c := labHA()
	v := c.VRRPInstances["VI_EXT"]
	v.Routes = []*config.VirtualRoute{
		{To: pfx("10.9.0.0/16"), Via: netip.MustParseAddr("192.168.50.254"), Dev: "eth1", Src: netip.MustParseAddr("192.168.50.100"), Table: 100, Metric: 5, Scope: "global"},
		{To: pfx("10.8.0.0/16"), Type: "blackhole"},
	}
	v.Rules = []*config.VirtualRule{{From: pfx("10.9.0.0/16"), FWMark: 7, Priority: 100, Table: 100}}
	c.Keepalived.NotifyFIFO = "/run/keepalived.fifo"
	c.Keepalived.NotifyFIFOScript = "/usr/local/sbin/keepalived-fifo"
	return c
}

// labLVSSync is labHA whose external instance runs the IPVS connection
// sync daemon on the internal network, with every option set: each
// director's global_defs gets one lvs_sync_daemon line.
func labLVSSync() *config.Config {
	c := labHA()
	c.VRRPInstances["VI_EXT"].LVSSync = &config.LVSSyncDaemon{Interface: "eth1", SyncID: 7, MaxLen: 1400, Port: 8849, TTL: 2, Group: netip.MustParseAddr("224.0.0.82")}
	return c
}

// labCheckersGroups is a DR director pair serving a group of addresses
// (a range among them) and a group of marks, with every checker type,
// inhibit_on_failure, alpha and omega. The real servers app1 and app2 are
// hosts, so they get every address of the address group on lo.
func labCheckersGroups() *config.Config {
	c := newConfig(
		newHost("lb1", iface("eth0", "192.168.60.11/24")),
		newHost("lb2", iface("eth0", "192.168.60.12/24")),
		newHost("app1", iface("eth0", "192.168.60.21/24")),
		newHost("app2", iface("eth0", "192.168.60.22/24")),
	)
	c.Keepalived = config.Keepalived{EnableScriptSecurity: true, ScriptUser: "root"}
	c.VRRPInstances["VI_1"] = &config.VRRPInstance{
		Name: "VI_1", Interface: "eth0", VirtualRouterID: 60, AdvertInt: 1,
		VirtualIPs: []netip.Prefix{pfx("192.168.60.100/32"), pfx("192.168.60.110/32"), pfx("192.168.60.111/32")},
		Members:    []*config.Member{{Host: "lb1", Priority: 100, State: config.StateMaster}, {Host: "lb2", Priority: 90, State: config.StateBackup}},
	}
	c.TrackFiles = map[string]*config.TrackFile{"drain": {Name: "drain", File: "/var/run/drain", Weight: 1}}
	c.BFDInstances = map[string]*config.BFDInstance{"rs28": {Name: "rs28", NeighborIP: addr("192.168.60.28"),
		SourceIP: addr("192.168.60.11"), MinRx: 50, MinTx: 60, IdleTx: 2000, Multiplier: 4, Passive: true}}
	web := &config.ServerGroup{Name: "web", Entries: []config.GroupEntry{
		{Addr: addr("192.168.60.100"), Port: 80},
		{Addr: addr("192.168.60.110"), Last: addr("192.168.60.111"), Port: 80},
	}}
	marks := &config.ServerGroup{Name: "marks", FWMarks: true, Entries: []config.GroupEntry{{FWMark: 1}, {FWMark: 2}}}
	c.ServerGroups = map[string]*config.ServerGroup{"web": web, "marks": marks}
	dirs := []string{"lb1", "lb2"}
	c.VirtualServers["web"] = &config.VirtualServer{
		Name: "web", Group: web, Protocol: "tcp", Mode: config.ModeDR, Scheduler: "rr",
		Directors: dirs, ManagedBy: config.ManagedByKeepalived, Alpha: true, Omega: true,
		RealServers: []*config.RealServer{
			{Host: "app1", Address: addr("192.168.60.21"), Port: 80, Weight: 1, InhibitOnFailure: true,
				Check: &config.RealServerCheck{Type: config.CheckSSL, Path: "/", Digest: "9b3a0c85a887a256d6939da88aabd8cd",
					ConnectIP: addr("192.168.60.21"), ConnectPort: 443, BindTo: addr("192.168.60.100"), BindPort: 5000,
					ConnectTimeout: 3, Retry: 2, DelayBeforeRetry: 1, Warmup: 5}},
			{Host: "app2", Address: addr("192.168.60.22"), Port: 80, Weight: 1,
				Check: &config.RealServerCheck{Type: config.CheckDNS, DNSType: "AAAA", DNSName: "example.org", ConnectPort: 53}},
			{Address: addr("192.168.60.23"), Port: 80, Weight: 1,
				Check: &config.RealServerCheck{Type: config.CheckSMTP, HeloName: "lb.example.org", ConnectPort: 25}},
			{Address: addr("192.168.60.24"), Port: 80, Weight: 1,
				Check: &config.RealServerCheck{Type: config.CheckPing, ConnectTimeout: 2}},
		},
	}
	c.VirtualServers["marked"] = &config.VirtualServer{
		Name: "marked", Group: marks, Protocol: "tcp", Mode: config.ModeDR, Scheduler: "wlc",
		Directors: dirs, ManagedBy: config.ManagedByKeepalived,
		RealServers: []*config.RealServer{
			{Address: addr("192.168.60.25"), Weight: 1,
				Check: &config.RealServerCheck{Type: config.CheckUDP, ConnectPort: 53, Payload: "0001 0203", RequireReply: true, Reply: "0a0b"}},
			{Address: addr("192.168.60.26"), Weight: 1,
				Check: &config.RealServerCheck{Type: config.CheckFile, TrackFile: "drain", FileWeight: -2, HasFileWeight: true, FileReverse: true}},
			{Address: addr("192.168.60.27"), Weight: 1,
				Check: &config.RealServerCheck{Type: config.CheckUDP, ConnectPort: 53, RequireReply: true}},
			{Address: addr("192.168.60.28"), Weight: 1,
				Check: &config.RealServerCheck{Type: config.CheckBFD, BFD: "rs28"}},
		},
	}
	return c
}

// labRaw is labHA with raw keepalived lines in every place they go,
// written with uneven indentation, blank lines around them and CRLF line
// ends: the golden file shows them laid out at their block's depth.
func labRaw() *config.Config {
	c := labHA()
	c.Keepalived.Raw = "\n  vrrp_garp_master_refresh 60\nvrrp_garp_master_refresh_repeat 2\n"
	c.Keepalived.RawBlocks = "static_routes {\r\n10.9.0.0/16 via 10.10.0.254 dev eth1\r\n}\r\n\r\ngarp_group {\r\n    garp_interval 10\r\n  interfaces {\r\n eth0\r\n  }\r\n}\r\n"
	c.VRRPInstances["VI_EXT"].Raw = "garp_master_refresh 10\n        garp_master_refresh_repeat 2\n"
	c.VirtualServers["web"].Raw = "  quorum 2\n  hysteresis 1\n"
	return c
}

// labVRRP3Strict is a director pair under vrrp_strict: an IPv4 instance
// on VRRP version 3 with accept (its VIP carries a virtual server) and
// unicast adverts, and an IPv6 instance (version 3 by family). An
// instance is single-family, so the IPv6 VIP has an instance of its own.
func labVRRP3Strict() *config.Config {
	c := newConfig(
		newHost("lb1", iface("eth0", "192.168.60.11/24", "fd00:60::11/64")),
		newHost("lb2", iface("eth0", "192.168.60.12/24", "fd00:60::12/64")),
		newHost("rs1", iface("eth0", "192.168.60.21/24")),
	)
	c.Keepalived = config.Keepalived{EnableScriptSecurity: true, ScriptUser: "root", VRRPStrict: true}
	// Under vrrp_strict every member starts BACKUP.
	members := func() []*config.Member {
		return []*config.Member{{Host: "lb1", Priority: 150, State: config.StateBackup}, {Host: "lb2", Priority: 100, State: config.StateBackup}}
	}
	c.VRRPInstances["VI_4"] = &config.VRRPInstance{
		Name: "VI_4", Interface: "eth0", VirtualRouterID: 71, AdvertInt: 1, Version: 3, Accept: true, Unicast: true,
		VirtualIPs: []netip.Prefix{pfx("192.168.60.100/24")}, Members: members(),
	}
	c.VRRPInstances["VI_6"] = &config.VRRPInstance{
		Name: "VI_6", Interface: "eth0", VirtualRouterID: 72, AdvertInt: 1,
		// Strict mode wants a link-local address first (RFC 5798).
		VirtualIPs: []netip.Prefix{pfx("fe80::72/64"), pfx("fd00:60::100/64")}, Members: members(),
	}
	c.VirtualServers["web"] = &config.VirtualServer{
		Name: "web", Address: addrPort("192.168.60.100:80"), Protocol: "tcp", Mode: config.ModeDR,
		Scheduler: "rr", Directors: []string{"lb1", "lb2"}, ManagedBy: config.ManagedByKeepalived,
		RealServers: []*config.RealServer{{Host: "rs1", Address: addr("192.168.60.21"), Port: 80, Weight: 1}},
	}
	return c
}

// labSyncGroup is a director pair whose external and internal instances
// move together (vrrp_sync_group), with group and instance notify
// scripts, VIP options (dev, scope, label), an excluded IPv6 address and
// a VMAC interface.
func labSyncGroup() *config.Config {
	c := newConfig(
		newHost("lb1", iface("eth0", "192.168.50.11/24"), iface("eth1", "10.0.50.11/24")),
		newHost("lb2", iface("eth0", "192.168.50.12/24"), iface("eth1", "10.0.50.12/24")),
	)
	c.Keepalived = config.Keepalived{EnableScriptSecurity: true, ScriptUser: "root"}
	members := func() []*config.Member {
		return []*config.Member{{Host: "lb1", Priority: 150, State: config.StateMaster}, {Host: "lb2", Priority: 100, State: config.StateBackup}}
	}
	c.VRRPInstances["VI_EXT"] = &config.VRRPInstance{
		Name: "VI_EXT", Interface: "eth0", VirtualRouterID: 61, AdvertInt: 1,
		VirtualIPs:  []netip.Prefix{pfx("192.168.50.100/24")},
		ExcludedIPs: []netip.Prefix{pfx("fd00:50::100/64")},
		VIPOptions: map[netip.Addr]config.VIPOption{
			addr("192.168.50.100"): {Dev: "eth0", Scope: "global", Label: "eth0:vip"},
			addr("fd00:50::100"):   {Dev: "eth0"},
		},
		Notify: "/usr/local/sbin/vrrp-notify", NotifyStop: "/usr/local/sbin/vrrp-notify stop",
		TrackProcesses: []string{"haproxy"}, TrackFiles: []string{"maint"},
		Members: members(),
	}
	init0 := 0
	c.TrackProcesses = map[string]*config.TrackProcess{"haproxy": {Name: "haproxy", Process: "haproxy", Weight: -60, Quorum: 1, Delay: 2}}
	c.TrackFiles = map[string]*config.TrackFile{"maint": {Name: "maint", File: "/var/run/clusterctl-maint", Weight: -100, InitValue: &init0}}
	c.VRRPInstances["VI_INT"] = &config.VRRPInstance{
		Name: "VI_INT", Interface: "eth1", VirtualRouterID: 62, AdvertInt: 1, UseVMAC: true, VMACInterface: "vrrp.62",
		VirtualIPs: []netip.Prefix{pfx("10.0.50.1/24")},
		Members:    members(),
	}
	c.SyncGroups = map[string]*config.SyncGroup{"VG_LB": {
		Name: "VG_LB", Instances: []string{"VI_EXT", "VI_INT"}, TrackingWeight: true,
		NotifyMaster: "/usr/local/sbin/vrrp-notify group master", NotifyBackup: "/usr/local/sbin/vrrp-notify group backup",
		NotifyFault: "/usr/local/sbin/vrrp-notify group fault", Notify: "/usr/local/sbin/vrrp-notify group", NotifyStop: "/usr/local/sbin/vrrp-notify group stop",
	}}
	return c
}

// labIPVSOptions exercises every IPVS setting beyond the basics: the ipvs
// block (timeouts, sysctls), scheduler flags, one-packet scheduling, the
// sip persistence engine and GUE/GRE encapsulation, both as ipvsadm rules
// (clusterctl) and as keepalived.conf (keepalived).
func labIPVSOptions() *config.Config {
	c := newConfig(newHost("dir", iface("eth0", "10.1.0.10/24")))
	c.IPVS = config.IPVS{TimeoutTCP: 7200, TimeoutUDP: 60, Sysctls: map[string]int{
		"expire_nodest_conn": 1, "expire_quiescent_template": 1, "sloppy_tcp": 1, "conn_reuse_mode": 0,
	}}
	c.VirtualServers["sip"] = &config.VirtualServer{
		Name: "sip", Address: addrPort("10.1.0.100:5060"), Protocol: "udp", Mode: config.ModeTUN,
		Scheduler: "sh", SchedulerFlags: []string{"sh-fallback", "sh-port"}, OnePacket: true,
		Persistence: 120, PersistenceEngine: "sip", TunType: "gue", TunPort: 6080, TunChecksum: "remcsum",
		Directors: []string{"dir"}, ManagedBy: config.ManagedByClusterctl,
		RealServers: []*config.RealServer{{Address: addr("10.2.0.11"), Port: 5060, Weight: 1}},
	}
	c.VirtualServers["web"] = &config.VirtualServer{
		Name: "web", Address: addrPort("10.1.0.101:80"), Protocol: "tcp", Mode: config.ModeTUN,
		Scheduler: "mh", SchedulerFlags: []string{"mh-port"}, TunType: "gre", TunChecksum: "csum",
		Directors: []string{"dir"}, ManagedBy: config.ManagedByKeepalived,
		RealServers: []*config.RealServer{{Address: addr("10.2.0.11"), Port: 80, Weight: 1}},
	}
	c.VirtualServers["dns"] = &config.VirtualServer{
		Name: "dns", Address: addrPort("10.1.0.101:53"), Protocol: "udp", Mode: config.ModeTUN,
		Scheduler: "rr", SchedulerFlags: []string{"flag-3"}, OnePacket: true, Persistence: 60, PersistenceEngine: "sip",
		Directors: []string{"dir"}, ManagedBy: config.ManagedByKeepalived,
		RealServers: []*config.RealServer{{Address: addr("10.2.0.11"), Port: 53, Weight: 1}},
	}
	return c
}
