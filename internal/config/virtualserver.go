package config

import (
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/hashicorp/hcl/v2"
)

// Schedulers lists the IPVS schedulers of Linux (ipvsadm -s).
var Schedulers = map[string]string{
	"rr":    "round robin",
	"wrr":   "weighted round robin",
	"lc":    "least connection",
	"wlc":   "weighted least connection",
	"lblc":  "locality-based least connection",
	"lblcr": "locality-based least connection with replication",
	"dh":    "destination hashing",
	"sh":    "source hashing",
	"sed":   "shortest expected delay",
	"nq":    "never queue",
	"mh":    "maglev hashing",
	"fo":    "weighted failover",
	"ovf":   "weighted overflow",
	"twos":  "weighted random twos choice",
}

var virtualServerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "address"}, {Name: "fwmark"}, {Name: "protocol"}, {Name: "mode"},
		{Name: "scheduler"}, {Name: "persistence"}, {Name: "persistence_netmask"},
		{Name: "directors", Required: true}, {Name: "managed_by"}, {Name: "snat_address"},
		{Name: "sorry_server"}, {Name: "delay_loop"},
		{Name: "scheduler_flags"}, {Name: "one_packet"}, {Name: "persistence_engine"},
		{Name: "tun_type"}, {Name: "tun_port"}, {Name: "tun_checksum"},
		{Name: "raw"}, {Name: "group"}, {Name: "alpha"}, {Name: "omega"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "real_server", LabelNames: []string{"name"}}},
}

var realServerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "address"}, {Name: "port"}, {Name: "weight"},
		{Name: "upper_threshold"}, {Name: "lower_threshold"}, {Name: "inhibit_on_failure"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "check"}},
}

var realServerCheckSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type", Required: true}, {Name: "connect_timeout"}, {Name: "retry"},
		{Name: "delay_before_retry"}, {Name: "path"}, {Name: "status_code"}, {Name: "misc_path"},
		{Name: "warmup"}, {Name: "digest"}, {Name: "connect_ip"}, {Name: "connect_port"},
		{Name: "bindto"}, {Name: "bind_port"}, {Name: "dns_type"}, {Name: "dns_name"},
		{Name: "helo_name"}, {Name: "payload"}, {Name: "require_reply"}, {Name: "reply"},
		{Name: "track_file"}, {Name: "weight"}, {Name: "reverse"}, {Name: "bfd_instance"},
	},
}

func (d *decoder) decodeVirtualServer(blk *hcl.Block, hosts map[string]*Host, groups map[string]*ServerGroup) *VirtualServer {
	vs := &VirtualServer{Name: blk.Labels[0], DeclRange: blk.DefRange}
	if !reName.MatchString(vs.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid virtual server name", "virtual_server names must match %s; got %q.", reName, vs.Name)
	}
	r := d.reader(blk.Body, virtualServerSchema)
	vs.Ranges = r.ranges
	if a := r.str("address", ""); a != "" {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			r.errorf(r.ranges["address"], "Invalid virtual address", "address must be IP:PORT such as 192.168.47.128:80; got %q.", a)
		} else if ap.Port() == 0 {
			r.errorf(r.ranges["address"], "Invalid port", "The port of a virtual server must be 1-65535.")
		} else {
			vs.Address = ap
		}
	}
	if r.has("fwmark") {
		vs.FWMark = uint32(r.integer("fwmark", 0, 1, 1<<31-1))
	}
	if gr, ok := r.ref("group", "virtual_server_group"); ok {
		vs.Group = groups[gr.Name]
		if vs.Group == nil {
			r.errorf(gr.Range, "Reference to undeclared virtual_server_group", "There is no virtual_server_group %q.%s", gr.Name, suggest(gr.Name, sortedKeys(groups)))
		}
	}
	switch n := btoi(r.has("address")) + btoi(r.has("fwmark")) + btoi(r.has("group")); {
	case n > 1:
		at := "fwmark"
		if r.has("group") {
			at = "group"
		}
		r.errorf(r.ranges[at], "Conflicting virtual server identity", "Set one of address, fwmark and group, not several.")
	case n == 0:
		r.errorf(blk.DefRange, "Missing virtual server identity", "virtual_server %q needs address = \"IP:PORT\", fwmark = N or group = virtual_server_group.NAME.", vs.Name)
	}
	vs.Protocol = Protocol(r.str("protocol", "tcp"))
	if vs.Protocol != "tcp" && vs.Protocol != "udp" {
		r.errorf(r.ranges["protocol"], "Invalid protocol", "protocol must be \"tcp\" or \"udp\"; got %q.", vs.Protocol)
	}
	if r.has("protocol") && (r.has("fwmark") || vs.Group != nil && vs.Group.FWMarks) {
		// keepalived 2.2.7: "Virtual server FWM 1: protocol specified for
		// fwmark - protocol will be ignored"; ipvsadm -f takes none.
		r.errorf(r.ranges["protocol"], "protocol with fwmark",
			"A firewall-mark service matches packets by their mark, whatever their protocol; protocol has no effect on it (keepalived 2.2.7 ignores it and `keepalived -t` rejects the file). Remove protocol, and match the protocol in the rule that sets the mark.")
	}
	vs.Mode = Mode(r.str("mode", string(ModeNAT)))
	switch vs.Mode {
	case ModeNAT, ModeDR, ModeTUN, ModeFullNAT:
	default:
		r.errorf(r.ranges["mode"], "Invalid LVS mode", "mode must be one of nat, dr, tun, fullnat; got %q.", vs.Mode)
	}
	vs.Scheduler = r.str("scheduler", "wlc")
	if _, ok := Schedulers[vs.Scheduler]; !ok {
		r.errorf(r.ranges["scheduler"], "Unknown scheduler", "%q is not an IPVS scheduler. Known: rr wrr lc wlc lblc lblcr dh sh sed nq mh fo ovf twos.%s", vs.Scheduler, suggest(vs.Scheduler, slices.Sorted(maps.Keys(Schedulers))))
	}
	vs.decodeIPVSOptions(r)
	vs.Persistence = r.integer("persistence", 0, 0, 31536000)
	vs.PersistenceNetmask = r.addr("persistence_netmask")
	if vs.PersistenceNetmask.IsValid() && vs.Persistence == 0 {
		r.errorf(r.ranges["persistence_netmask"], "Netmask without persistence", "persistence_netmask needs persistence (a timeout in seconds).")
	}
	if m := vs.PersistenceNetmask; m.IsValid() && (m.Is6() || vs.Family6()) {
		// keepalived 2.2.7 on an IPv6 service: "invalid number
		// '255.255.255.255'", "Invalid IPv6 persistence_granularity".
		r.errorf(r.ranges["persistence_netmask"], "persistence_netmask needs an IPv4 service",
			"persistence_netmask is an IPv4 netmask such as 255.255.255.0, for an IPv4 service (or a fwmark service); an IPv6 service takes no netmask here (keepalived 2.2.7 rejects one, and clusterctl does not render prefix lengths). Remove persistence_netmask.")
	}
	vs.ManagedBy = r.str("managed_by", ManagedByClusterctl)
	if vs.ManagedBy != ManagedByClusterctl && vs.ManagedBy != ManagedByKeepalived {
		r.errorf(r.ranges["managed_by"], "Invalid managed_by", "managed_by must be \"clusterctl\" (clusterctl runs ipvsadm) or \"keepalived\" (keepalived.conf virtual_server); got %q.", vs.ManagedBy)
	}
	if vs.Group != nil && vs.ManagedBy != ManagedByKeepalived {
		r.errorf(r.ranges["group"], "virtual_server_group needs keepalived",
			"A virtual_server_group is keepalived's: it creates one IPVS service per entry of the group. Set managed_by = \"keepalived\".")
	}
	vs.Alpha = r.boolean("alpha", false)
	vs.Omega = r.boolean("omega", false)
	for _, a := range []string{"alpha", "omega"} {
		if r.has(a) && vs.ManagedBy != ManagedByKeepalived {
			r.errorf(r.ranges[a], a+" needs keepalived", "%s is a keepalived virtual_server keyword; set managed_by = \"keepalived\".", a)
		}
	}
	if vs.ManagedBy == ManagedByKeepalived && vs.FWMark != 0 {
		// The renderer writes "protocol TCP" into every keepalived
		// virtual_server block, and keepalived 2.2.7 rejects it for a
		// fwmark service ("protocol specified for fwmark - protocol will
		// be ignored", exit 5); the template lives outside this package.
		r.errorf(r.ranges["managed_by"], "fwmark service managed by keepalived",
			"clusterctl writes a protocol line into keepalived's virtual_server block, which keepalived 2.2.7 rejects for a firewall-mark service (`keepalived -t` exits 5). Use managed_by = \"clusterctl\" for this fwmark service, or a virtual_server_group of marks (fwmarks = [N]) with group = virtual_server_group.NAME, which keepalived serves without a protocol line.")
	}
	if vs.ManagedBy == ManagedByKeepalived && vs.Persistence > keepalivedMaxPersistence {
		r.errorf(r.ranges["persistence"], "persistence too long for keepalived",
			"keepalived 2.2.7 accepts a persistence_timeout of at most %d seconds (31 days) and `keepalived -t` rejects %d.", keepalivedMaxPersistence, vs.Persistence)
	}
	if vs.Mode == ModeFullNAT && vs.Group != nil {
		r.errorf(r.ranges["mode"], "fullnat with a virtual_server_group",
			"mode = \"fullnat\" adds one SNAT rule matching the service's address or mark; clusterctl does not write one per group entry. Use mode = \"nat\", or a virtual_server per address.")
	}
	if vs.Mode == ModeFullNAT && vs.Address.Addr().Is6() {
		r.errorf(r.ranges["address"], "fullnat needs IPv4",
			"mode = \"fullnat\" adds an IPv4 SNAT rule for the service; use an IPv4 address or a fwmark.")
	}
	vs.SNATAddress = r.addr("snat_address")
	if vs.SNATAddress.IsValid() && vs.Mode != ModeFullNAT {
		r.errorf(r.ranges["snat_address"], "snat_address needs fullnat", "snat_address only applies to mode = \"fullnat\".")
	}
	if s := r.str("sorry_server", ""); s != "" {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || ap.Port() == 0 {
			r.errorf(r.ranges["sorry_server"], "Invalid sorry_server", "sorry_server must be IP:PORT; got %q.", s)
		} else {
			vs.SorryServer = ap
			if samePortOnly(vs) && vs.FWMark == 0 && vs.Address.IsValid() && ap.Port() != vs.Address.Port() {
				r.errorf(r.ranges["sorry_server"], "sorry_server port differs in "+string(vs.Mode)+" mode",
					"In %s mode IPVS forwards packets to the sorry server unchanged, so it is reached on the virtual port %d; keepalived 2.2.7 resets port %d to it and `keepalived -t` rejects the file. Use port %d.", vs.Mode, vs.Address.Port(), ap.Port(), vs.Address.Port())
			}
		}
		if vs.ManagedBy != ManagedByKeepalived {
			r.errorf(r.ranges["sorry_server"], "sorry_server needs keepalived", "sorry_server is a keepalived feature; set managed_by = \"keepalived\".")
		}
		if vs.Group != nil {
			// keepalived 2.2.7: "virtual server [g]:0, sorry server has
			// port specified - port will be ignored", exit 5.
			r.errorf(r.ranges["sorry_server"], "sorry_server with a virtual_server_group",
				"keepalived 2.2.7 serves a virtual_server_group without a port of its own, so it ignores a sorry server's port (\"sorry server has port specified - port will be ignored\", `keepalived -t` fails), and clusterctl's sorry_server is IP:PORT. Remove sorry_server, or serve the addresses with a virtual_server each.")
		}
	}
	vs.DelayLoop = r.integer("delay_loop", 0, 1, 3600)
	if vs.PersistenceEngine != "" && vs.Persistence == 0 {
		r.errorf(r.ranges["persistence_engine"], "persistence_engine without persistence",
			"A persistence engine decides which connections persist together, so it needs persistence (a timeout in seconds); IPVS ignores it otherwise.")
	}
	d.pendingDirectors[vs.Name] = r.refs("directors", "host")
	vs.Raw = d.decodeRaw(r, "raw", rawVirtualServer)
	if vs.Raw != "" && vs.ManagedBy != ManagedByKeepalived {
		r.errorf(r.ranges["raw"], "raw needs keepalived",
			"raw lines go into keepalived's virtual_server block, which exists only with managed_by = \"keepalived\"; clusterctl runs ipvsadm for this one.")
	}

	seen := map[string]hcl.Range{}
	for _, rb := range r.content.Blocks.OfType("real_server") {
		rs := d.decodeRealServer(rb, vs, hosts)
		if rs == nil {
			continue
		}
		key := rb.Labels[0]
		if first, dup := seen[key]; dup {
			d.errorf(rb.LabelRanges[0].Ptr(), "Duplicate real_server block", "Real server %q of %q was already defined at %s.", key, vs.Name, first.String())
			continue
		}
		seen[key] = rb.DefRange
		vs.RealServers = append(vs.RealServers, rs)
	}
	if len(vs.RealServers) == 0 {
		r.errorf(blk.DefRange, "No real servers", "virtual_server %q needs at least one real_server block.", vs.Name)
	}
	d.done(r)
	return vs
}

func (d *decoder) decodeRealServer(blk *hcl.Block, vs *VirtualServer, hosts map[string]*Host) *RealServer {
	label := blk.Labels[0]
	rs := &RealServer{DeclRange: blk.DefRange}
	r := d.reader(blk.Body, realServerSchema)
	rs.Ranges = r.ranges
	rs.Ranges["name"] = blk.LabelRanges[0]
	if _, ok := hosts[label]; ok {
		rs.Host = label
	} else if a, err := netip.ParseAddr(label); err == nil {
		rs.Address = a
	} else if !r.has("address") {
		d.errorf(blk.LabelRanges[0].Ptr(), "Reference to undeclared host",
			"real_server %q is neither a declared host nor an IP address; declare host %q or set address.%s", label, label, suggest(label, slices.Sorted(maps.Keys(hosts))))
	}
	if a := r.addr("address"); a.IsValid() {
		rs.Address = a
	}
	defPort := int(vs.Address.Port())
	if vs.FWMark != 0 || defPort == 0 {
		defPort = 0
	}
	markGroup := vs.Group != nil && vs.Group.FWMarks
	if r.has("port") {
		rs.Port = uint16(r.integer("port", defPort, 1, 65535))
		switch {
		case markGroup:
			r.errorf(r.ranges["port"], "Real server port in a fwmark group",
				"virtual_server_group %q holds firewall marks, whose packets keep their ports; keepalived 2.2.7 ignores a real server's port there (\"port will be ignored\") and `keepalived -t` fails. Remove port.", vs.Group.Name)
			rs.Port = 0
		case vs.ManagedBy != ManagedByKeepalived:
		case samePortOnly(vs) && vs.Group != nil:
			for _, e := range vs.Group.Entries {
				if e.Port != rs.Port {
					// keepalived 2.2.7: "virtual server [g]:0:[IP,PORT] and real
					// server ... ports don't match", exit 5.
					r.errorf(r.ranges["port"], "Real server port differs in "+string(vs.Mode)+" mode",
						"In %s mode IPVS forwards packets to the real server unchanged, so it is reached on the port of each address of virtual_server_group %q; %s has port %d, and keepalived 2.2.7 rejects real server port %d (`keepalived -t` fails). Give every address of the group and the real servers one port.", vs.Mode, vs.Group.Name, e, e.Port, rs.Port)
					break
				}
			}
		case samePortOnly(vs) && vs.FWMark == 0 && vs.Address.IsValid() && rs.Port != vs.Address.Port():
			// "virtual server ... and real server ... ports don't match -
			// resetting".
			r.errorf(r.ranges["port"], "Real server port differs in "+string(vs.Mode)+" mode",
				"In %s mode IPVS forwards packets to the real server unchanged, so it is reached on the virtual port %d; keepalived 2.2.7 resets port %d to it and `keepalived -t` rejects the file. Remove port or use %d.", vs.Mode, vs.Address.Port(), rs.Port, vs.Address.Port())
		}
	} else {
		rs.Port = uint16(defPort)
	}
	rs.InhibitOnFailure = r.boolean("inhibit_on_failure", false)
	if rs.InhibitOnFailure && vs.ManagedBy != ManagedByKeepalived {
		r.errorf(r.ranges["inhibit_on_failure"], "inhibit_on_failure needs keepalived",
			"inhibit_on_failure tells keepalived's checker to set a failed real server's weight to 0 instead of removing it; set managed_by = \"keepalived\".")
	}
	rs.Weight = r.integer("weight", 1, 0, 65535)
	rs.UpperThreshold = r.integer("upper_threshold", 0, 0, 1<<31-1)
	rs.LowerThreshold = r.integer("lower_threshold", 0, 0, 1<<31-1)
	if rs.UpperThreshold > 0 && rs.LowerThreshold > rs.UpperThreshold {
		r.errorf(r.ranges["lower_threshold"], "Invalid thresholds", "lower_threshold (%d) must not exceed upper_threshold (%d).", rs.LowerThreshold, rs.UpperThreshold)
	}
	checks := r.content.Blocks.OfType("check")
	for i, cb := range checks {
		if i > 0 {
			d.errorf(cb.TypeRange.Ptr(), "Duplicate check block", "A real_server has at most one check; the first is at %s.", checks[0].DefRange.String())
			continue
		}
		rs.Check = d.decodeRealServerCheck(cb)
		if vs.ManagedBy != ManagedByKeepalived {
			d.errorf(cb.TypeRange.Ptr(), "check needs keepalived", "Real server health checks are run by keepalived; set managed_by = \"keepalived\" on virtual_server %q.", vs.Name)
		}
	}
	d.done(r)
	return rs
}

// decodeIPVSOptions reads the scheduler flags, one-packet scheduling, the
// persistence engine and the tunnel encapsulation. It runs after the
// scheduler, protocol and mode are known.
func (vs *VirtualServer) decodeIPVSOptions(r *blockReader) {
	flags := r.strings("scheduler_flags")
	flagsAt := r.elementRanges("scheduler_flags", len(flags))
	var bits ipvs.SchedFlags
	for i, f := range flags {
		bit, err := ipvs.ParseSchedFlags(vs.Scheduler, f)
		if err != nil {
			r.errorf(flagsAt[i], "Invalid scheduler flag",
				"%q is not a flag of scheduler %q: it takes %s (ipvsadm -b; keepalived rejects the others).", f, vs.Scheduler, strings.Join(ipvs.SchedFlagNames(vs.Scheduler), ", "))
			continue
		}
		if bits&bit != 0 {
			r.errorf(flagsAt[i], "Duplicate scheduler flag", "%q is listed twice (or is another name of a flag already listed).", f)
			continue
		}
		bits |= bit
	}
	vs.SchedulerFlags = bits.Names(vs.Scheduler)
	vs.OnePacket = r.boolean("one_packet", false)
	if vs.OnePacket && vs.Protocol != ProtocolUDP {
		// keepalived 2.2.7: "one packet scheduling requires UDP - resetting".
		r.errorf(r.ranges["one_packet"], "one_packet needs UDP",
			"One-packet scheduling schedules every datagram on its own; it is for UDP services (keepalived 2.2.7 resets it on other protocols and `keepalived -t` rejects the file). Set protocol = \"udp\" or remove one_packet.")
	}
	vs.PersistenceEngine = r.str("persistence_engine", "")
	if e := vs.PersistenceEngine; e != "" && e != "sip" {
		r.errorf(r.ranges["persistence_engine"], "Unknown persistence engine", "The only IPVS persistence engine is \"sip\" (Call-ID persistence); got %q.", e)
	}
	if vs.PersistenceEngine == "sip" && vs.Protocol != ProtocolUDP && vs.FWMark == 0 {
		r.errorf(r.ranges["persistence_engine"], "sip engine needs UDP",
			"The sip persistence engine reads the Call-ID of SIP over UDP; on a %s service it never matches. Set protocol = \"udp\" (or use a fwmark service).", vs.Protocol)
	}
	vs.TunType = r.str("tun_type", "")
	vs.TunPort = uint16(r.integer("tun_port", 0, 1, 65535))
	vs.TunChecksum = r.str("tun_checksum", "")
	if !r.has("tun_type") && !r.has("tun_port") && !r.has("tun_checksum") {
		return
	}
	if vs.Mode != ModeTUN {
		for _, a := range []string{"tun_type", "tun_port", "tun_checksum"} {
			if r.has(a) {
				r.errorf(r.ranges[a], a+" needs mode tun", "%s sets how packets are tunnelled to the real servers; it applies to mode = \"tun\" only.", a)
				return
			}
		}
	}
	switch vs.TunType {
	case "", ipvs.TunIPIP:
		vs.TunType = ipvs.TunIPIP
		for _, a := range []string{"tun_port", "tun_checksum"} {
			if r.has(a) {
				r.errorf(r.ranges[a], a+" needs gue or gre", "IP-in-IP has no %s; set tun_type = \"gue\" (or \"gre\" for tun_checksum).", a)
			}
		}
	case ipvs.TunGUE:
		if vs.TunPort == 0 {
			r.errorf(r.ranges["tun_type"], "GUE without tun_port", "GUE encapsulates in UDP: set tun_port to the port the real servers decapsulate on (ip fou add port N gue).")
		}
	case ipvs.TunGRE:
		if r.has("tun_port") {
			r.errorf(r.ranges["tun_port"], "tun_port with gre", "GRE has no port; tun_port is for tun_type = \"gue\".")
		}
		if vs.TunChecksum == ipvs.TunRemCsum {
			// keepalived 2.2.7: "gre tunnels do not support remote checksum option".
			r.errorf(r.ranges["tun_checksum"], "remcsum with gre", "GRE has no remote checksum offload (keepalived 2.2.7 rejects it); use \"csum\" or \"nocsum\".")
		}
	default:
		r.errorf(r.ranges["tun_type"], "Invalid tun_type", "tun_type must be \"ipip\", \"gue\" or \"gre\"; got %q.", vs.TunType)
	}
	switch vs.TunChecksum {
	case "", "nocsum":
		vs.TunChecksum = ""
	case ipvs.TunCsum, ipvs.TunRemCsum:
	default:
		r.errorf(r.ranges["tun_checksum"], "Invalid tun_checksum", "tun_checksum must be \"nocsum\", \"csum\" or \"remcsum\"; got %q.", vs.TunChecksum)
	}
}

// resolveVirtualServers resolves directors and fills in real server
// addresses from their hosts.
func (d *decoder) resolveVirtualServers(cfg *Config) {
	for _, name := range cfg.VirtualServerNames() {
		vs := cfg.VirtualServers[name]
		seen := map[string]bool{}
		for _, ref := range d.pendingDirectors[name] {
			if _, ok := cfg.Hosts[ref.Name]; !ok {
				d.errorf(ref.Range.Ptr(), "Reference to undeclared host", "There is no host %q.%s", ref.Name, suggest(ref.Name, cfg.HostNames()))
				continue
			}
			if seen[ref.Name] {
				d.errorf(ref.Range.Ptr(), "Duplicate director", "Host %q is listed twice in directors.", ref.Name)
				continue
			}
			seen[ref.Name] = true
			vs.Directors = append(vs.Directors, ref.Name)
		}
		sort.Strings(vs.Directors)
		if len(d.pendingDirectors[name]) == 0 {
			d.errorf(vs.Ranges.At("directors", vs.DeclRange).Ptr(), "No directors", "virtual_server %q needs at least one director, e.g. directors = [host.dir].", name)
		}
		for _, rs := range vs.RealServers {
			if rs.Address.IsValid() || rs.Host == "" {
				continue
			}
			rs.Address = realServerAddress(cfg, vs, cfg.Hosts[rs.Host])
			if !rs.Address.IsValid() {
				d.errorf(rs.Ranges.At("name", rs.DeclRange).Ptr(), "Real server without address",
					"Host %q has no IP address to use as a real server; give it an interface or set address in this block.", rs.Host)
			}
		}
		sort.SliceStable(vs.RealServers, func(i, j int) bool {
			return vs.RealServers[i].AddrPort().Compare(vs.RealServers[j].AddrPort()) < 0
		})
	}
}

// realServerAddress picks the address of h that the directors reach it by:
// an interface address on a director's subnet, else its first interface
// address, else its connection address when that is an IP. Addresses of
// the virtual server's family come first (IPv4 for a fwmark service).
func realServerAddress(cfg *Config, vs *VirtualServer, h *Host) netip.Addr {
	sameFamily := func(a netip.Addr) bool { return a.Is6() == vs.Family6() }
	for _, want := range []bool{true, false} {
		for _, dn := range vs.Directors {
			dir := cfg.Hosts[dn]
			for _, p := range h.Addrs() {
				if _, _, ok := dir.InterfaceFor(p.Addr()); ok && sameFamily(p.Addr()) == want {
					return p.Addr()
				}
			}
		}
	}
	addrs := h.Addrs()
	for _, p := range addrs {
		if sameFamily(p.Addr()) {
			return p.Addr()
		}
	}
	if len(addrs) > 0 {
		return addrs[0].Addr()
	}
	a, _ := netip.ParseAddr(h.Connection.Address)
	return a
}

// keepalivedMaxPersistence is keepalived 2.2.7's largest
// persistence_timeout (31 days).
const keepalivedMaxPersistence = 2678400

// samePortOnly reports whether vs forwards packets unchanged (DR, TUN), so
// that real and sorry servers are reached on the virtual port.
func samePortOnly(vs *VirtualServer) bool { return vs.Mode == ModeDR || vs.Mode == ModeTUN }

// FormatMode renders an octal file mode as "0644".
func FormatMode(m uint32) string { return "0" + strconv.FormatUint(uint64(m), 8) }
