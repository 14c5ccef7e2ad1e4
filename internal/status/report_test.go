package status

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// testConfig is lab A (two nginx nodes sharing a VIP) plus a director of
// lab B with two real servers.
func testConfig() *config.Config {
	vip := netip.MustParsePrefix("192.168.19.100/32")
	return &config.Config{
		Hosts: map[string]*config.Host{
			"web1": {Name: "web1"}, "web2": {Name: "web2"}, "dir": {Name: "dir"},
		},
		VRRPInstances: map[string]*config.VRRPInstance{
			"VI_1": {
				Name: "VI_1", Interface: "ens33", AdvertInt: 1, VirtualIPs: []netip.Prefix{vip},
				Members: []*config.Member{{Host: "web1", Priority: 100}, {Host: "web2", Priority: 90}},
			},
		},
		VirtualServers: map[string]*config.VirtualServer{
			"web": {
				Name: "web", Address: netip.MustParseAddrPort("192.168.47.128:80"), Protocol: "tcp",
				Mode: config.ModeNAT, Scheduler: "wlc", Persistence: 3, ManagedBy: config.ManagedByClusterctl,
				Directors: []string{"dir"},
				RealServers: []*config.RealServer{
					{Host: "rs1", Address: netip.MustParseAddr("192.168.19.102"), Port: 80, Weight: 1},
					{Host: "rs2", Address: netip.MustParseAddr("192.168.19.103"), Port: 80, Weight: 1},
				},
			},
		},
	}
}

func addrs(list ...string) []resource.Address {
	var out []resource.Address
	for _, s := range list {
		dev, p, _ := strings.Cut(s, " ")
		out = append(out, resource.Address{Dev: dev, Prefix: netip.MustParsePrefix(p)})
	}
	return out
}

// node returns the facts of a VRRP member: keepalived running or not,
// with the given addresses.
func node(keepalived bool, a ...string) *facts.Host {
	n := 0
	if keepalived {
		n = 1
	}
	word := map[bool]string{true: "active", false: "inactive"}[keepalived]
	return &facts.Host{
		Addresses: addrs(a...),
		Processes: map[string]int{"keepalived": n, "nginx": 2},
		Services: map[string]facts.ServiceState{
			"keepalived": {Known: true, Active: keepalived, ActiveState: word, Enabled: true, EnabledState: "enabled"},
			"nginx":      {Known: true, Active: true, ActiveState: "active", Enabled: true, EnabledState: "enabled"},
		},
	}
}

var (
	rs1 = netip.MustParseAddrPort("192.168.19.102:80")
	rs3 = netip.MustParseAddrPort("192.168.19.104:80")
	vsk = ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: netip.MustParseAddrPort("192.168.47.128:80")}
)

// director returns the facts of a director whose table holds the lab's
// service with rs1 and an unconfigured rs3 (rs2 missing).
func director() *facts.Host {
	return &facts.Host{
		Addresses:  addrs("ens37 192.168.47.128/24"),
		Processes:  map[string]int{},
		Services:   map[string]facts.ServiceState{},
		IPVSStatus: facts.Status{State: facts.StatusOK},
		IPVS: ipvs.Table{Services: []ipvs.Service{{
			Key: vsk, Scheduler: "wlc", Persistent: true, Timeout: 3,
			Destinations: []ipvs.Destination{{Addr: rs1, Forward: ipvs.Masq, Weight: 1}, {Addr: rs3, Forward: ipvs.Masq, Weight: 0}},
		}}},
		IPVSStats: ipvs.Stats{Services: []ipvs.ServiceStats{{
			Key: vsk, Scheduler: "wlc",
			Destinations: []ipvs.DestStats{{Addr: rs1, Forward: ipvs.Masq, Weight: 1, ActiveConn: 3, InActConn: 7}, {Addr: rs3, Forward: ipvs.Masq}},
		}}},
	}
}

func TestBuildReport(t *testing.T) {
	const vip = "192.168.19.100/32"
	cases := []struct {
		name     string
		facts    map[string]*facts.Host
		errs     map[string]error
		healthy  bool
		problems []string
		roles    []Role
		vip      VIP
		warnings int
	}{
		{
			name: "normal",
			facts: map[string]*facts.Host{
				"web1": node(true, "ens33 192.168.19.101/24", "ens33 "+vip), "web2": node(true, "ens33 192.168.19.102/24"), "dir": director(),
			},
			healthy:  true,
			problems: []string{},
			roles:    []Role{RoleMaster, RoleBackup},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
		{
			name: "split brain",
			facts: map[string]*facts.Host{
				"web1": node(true, "ens33 "+vip), "web2": node(true, "ens33 "+vip), "dir": director(),
			},
			problems: []string{"VI_1: split brain: 192.168.19.100 is held by web1 and web2"},
			roles:    []Role{RoleMaster, RoleMaster},
			vip:      VIP{Address: vip, State: VIPSplitBrain, Holders: []string{"web1", "web2"}},
		},
		{
			name: "down",
			facts: map[string]*facts.Host{
				"web1": node(false, "ens33 192.168.19.101/24"), "web2": node(false), "dir": director(),
			},
			problems: []string{"VI_1: 192.168.19.100 is down: no member holds it"},
			roles:    []Role{RoleDown, RoleDown},
			vip:      VIP{Address: vip, State: VIPDown, Holders: []string{}},
			warnings: 2,
		},
		{
			name: "backup holds it after failover",
			facts: map[string]*facts.Host{
				"web1": node(false), "web2": node(true, "ens33 "+vip), "dir": director(),
			},
			healthy:  true,
			problems: []string{},
			roles:    []Role{RoleDown, RoleMaster},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web2"}},
			warnings: 2, // web1 down, VIP away from the expected master
		},
		{
			name: "stale VIP after a crash",
			facts: map[string]*facts.Host{
				"web1": node(false, "ens33 "+vip), "web2": node(true, "ens33 "+vip), "dir": director(),
			},
			problems: []string{"VI_1: split brain: 192.168.19.100 is held by web1 and web2"},
			roles:    []Role{RoleMaster, RoleMaster},
			vip:      VIP{Address: vip, State: VIPSplitBrain, Holders: []string{"web1", "web2"}},
			warnings: 1,
		},
		{
			name: "VIP on lo is not held (DR real server copy)",
			facts: map[string]*facts.Host{
				"web1": node(true, "ens33 "+vip), "web2": node(true, "lo "+vip), "dir": director(),
			},
			healthy:  true,
			problems: []string{},
			roles:    []Role{RoleMaster, RoleBackup},
			vip:      VIP{Address: vip, State: VIPOK, Holders: []string{"web1"}},
		},
		{
			name:  "unreachable host",
			facts: map[string]*facts.Host{"web2": node(true, "ens33 192.168.19.102/24"), "dir": director()},
			errs:  map[string]error{"web1": errors.New("dial tcp 192.168.19.101:22: connect: no route to host")},
			problems: []string{
				"web1: unreachable: dial tcp 192.168.19.101:22: connect: no route to host",
			},
			roles: []Role{RoleUnknown, RoleBackup},
			vip:   VIP{Address: vip, State: VIPUnknown, Holders: []string{}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := BuildReport(testConfig(), tc.facts, tc.errs)
			if r.Healthy != tc.healthy {
				t.Errorf("Healthy = %v, want %v", r.Healthy, tc.healthy)
			}
			if diff := cmp.Diff(tc.problems, r.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			var roles []Role
			for _, m := range r.Instances[0].Members {
				roles = append(roles, m.Role)
			}
			if diff := cmp.Diff(tc.roles, roles); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.vip, r.Instances[0].VIPs[0]); diff != "" {
				t.Errorf("VIP (-want +got):\n%s", diff)
			}
			// Only the VRRP warnings; the director's table is tested in
			// TestBuildReportDirectors.
			n := 0
			for _, w := range r.Warnings {
				if strings.HasPrefix(w, "VI_1:") {
					n++
				}
			}
			if n != tc.warnings {
				t.Errorf("VRRP warnings = %d (%q), want %d", n, r.Warnings, tc.warnings)
			}
		})
	}
}

func TestBuildReportDirectors(t *testing.T) {
	cfg := testConfig()
	cases := []struct {
		name string
		dir  *facts.Host
		err  error
		want Director
	}{
		{
			name: "table with counts",
			dir:  director(),
			want: Director{
				Host: "dir", Available: true, Present: true, Scheduler: "wlc", Persistent: true, Timeout: 3,
				RealServers: []RealServer{
					{Address: "192.168.19.102:80", InTable: true, Configured: true, Forward: "masq", Weight: 1, ActiveConn: 3, InActConn: 7},
					{Address: "192.168.19.104:80", InTable: true, Forward: "masq"},
					{Address: "192.168.19.103:80", Configured: true, Weight: 1},
				},
			},
		},
		{
			name: "no kernel support",
			dir:  &facts.Host{IPVSStatus: facts.Status{State: facts.StatusNoKernelSupport, Message: "no /proc/net/ip_vs and no ip_vs module"}},
			want: Director{Host: "dir", Reason: "no-kernel-support: no /proc/net/ip_vs and no ip_vs module"},
		},
		{
			name: "service missing",
			dir:  &facts.Host{IPVSStatus: facts.Status{State: facts.StatusOK}},
			want: Director{Host: "dir", Available: true},
		},
		{
			name: "unreachable",
			err:  errors.New("timeout"),
			want: Director{Host: "dir", Reason: "unreachable"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := map[string]*facts.Host{"web1": node(true, "ens33 192.168.19.100/32"), "web2": node(true)}
			errs := map[string]error{}
			if tc.err != nil {
				errs["dir"] = tc.err
			} else {
				f["dir"] = tc.dir
			}
			r := BuildReport(cfg, f, errs)
			if diff := cmp.Diff(tc.want, r.VirtualServers[0].Directors[0]); diff != "" {
				t.Errorf("director (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReportGolden keeps testdata/*.report.json, the reports the views
// tests (package views) render, equal to what BuildReport builds.
func TestReportGolden(t *testing.T) {
	cases := map[string]Report{
		"healthy": BuildReport(testConfig(), map[string]*facts.Host{
			"web1": node(true, "ens33 192.168.19.101/24", "ens33 192.168.19.100/32"), "web2": node(true), "dir": director(),
		}, nil),
		"degraded": BuildReport(testConfig(), map[string]*facts.Host{
			"web1": node(true, "ens33 192.168.19.100/32"), "web2": node(true, "ens33 192.168.19.100/32"),
		}, map[string]error{"dir": errors.New("ssh: handshake failed: password s3cret rejected")}),
	}
	for name, r := range cases {
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, name+".report.json", append(data, '\n'))
	}
}
