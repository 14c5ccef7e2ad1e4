package config

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// Validate runs the checks that span blocks: references between blocks,
// VRRP consistency, address clashes and each LVS mode's network
// prerequisites. Single-attribute checks (ranges, patterns) happen while
// decoding. Load calls Validate; it is exported for configurations built
// in code.
func Validate(cfg *Config) hcl.Diagnostics {
	v := &validator{cfg: cfg, owners: map[netip.Addr]string{}, natRoutes: map[natRouteKey]natRoute{}}
	v.hosts()
	v.vrrp()
	v.syncGroups()
	v.lvsSync()
	v.virtualRoutes()
	v.strict()
	v.virtualServers()
	v.ipvsSettings()
	v.unusedHealthChecks()
	v.unusedTracks()
	v.unusedServerGroups()
	v.bfdInstances()
	v.scriptSecurity()
	return v.diags
}

type validator struct {
	cfg   *Config
	diags hcl.Diagnostics
	// owners maps every host address to its host name.
	owners map[netip.Addr]string
	// natRoutes records, per NAT real server host without a gateway and
	// address family, the director address its default route goes via
	// and the virtual server that needs it.
	natRoutes map[natRouteKey]natRoute
}

type natRouteKey struct {
	host string
	six  bool
}

type natRoute struct {
	via netip.Addr
	vs  string
}

func (v *validator) errorf(rng hcl.Range, summary, format string, args ...any) {
	v.diags = append(v.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()})
}

func (v *validator) warnf(rng hcl.Range, summary, format string, args ...any) {
	v.diags = append(v.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()})
}

func (v *validator) hosts() {
	firstConn := map[string]string{}
	for _, name := range v.cfg.HostNames() {
		h := v.cfg.Hosts[name]
		key := fmt.Sprintf("%s:%d", h.Connection.Address, h.Connection.Port)
		if other, dup := firstConn[key]; dup {
			v.errorf(h.Ranges.At("address", h.DeclRange), "Duplicate host address",
				"Hosts %q and %q both connect to %s; each host must be a different machine.", other, name, h.Connection.Address)
		} else {
			firstConn[key] = name
		}
		for _, iface := range h.Interfaces {
			for _, p := range iface.Addresses {
				if other, dup := v.owners[p.Addr()]; dup {
					v.errorf(iface.Ranges.At("addresses", iface.DeclRange), "Duplicate address",
						"%s is already an address of host %q.", p.Addr(), other)
					continue
				}
				v.owners[p.Addr()] = name
			}
		}
		if fw := h.Firewall; fw != nil && len(fw.Ports) > 0 {
			if manage, _ := v.cfg.FirewallFor(name); !manage {
				v.warnf(fw.Ranges.At("ports", fw.DeclRange), "Firewall ports without a managed firewall",
					"Host %q lists ports to open, but clusterctl does not manage its firewall: they are not opened. Set manage = true in the firewall block (the cluster's or this host's).", name)
			}
		}
		if h.Gateway.IsValid() {
			if _, _, ok := h.InterfaceFor(h.Gateway); !ok {
				v.errorf(h.Ranges.At("gateway", h.DeclRange), "Unreachable gateway",
					"The gateway %s of host %q is on none of its interfaces' subnets.", h.Gateway, name)
			}
		}
	}
}

func (v *validator) vrrp() {
	type segKey struct {
		subnet netip.Prefix
		vrid   int
	}
	segments := map[segKey]*VRRPInstance{}
	vips := map[netip.Addr]*VRRPInstance{}
	for _, name := range v.cfg.VRRPInstanceNames() {
		inst := v.cfg.VRRPInstances[name]
		explicitMaster := 0
		priorities := map[int]*Member{}
		for _, m := range inst.Members {
			h, ok := v.cfg.Hosts[m.Host]
			if !ok {
				v.errorf(m.Ranges.At("host", m.DeclRange), "Reference to undeclared host",
					"member %q of vrrp_instance %q is not a declared host.%s", m.Host, name, suggest(m.Host, v.cfg.HostNames()))
				continue
			}
			if _, explicit := m.Ranges["state"]; explicit && m.State == StateMaster {
				explicitMaster++
				if explicitMaster > 1 {
					v.errorf(m.Ranges.At("state", m.DeclRange), "Two MASTER members", "Only one member of %q can start as MASTER.", name)
				}
				if inst.Nopreempt {
					v.errorf(m.Ranges.At("state", m.DeclRange), "nopreempt needs BACKUP",
						"keepalived honours nopreempt only when the initial state is BACKUP; remove state = \"MASTER\" (with nopreempt every member starts as BACKUP).")
				}
				if inst.PreemptDelay > 0 {
					v.errorf(m.Ranges.At("state", m.DeclRange), "preempt_delay needs BACKUP",
						"keepalived honours preempt_delay only when the initial state is BACKUP; remove state = \"MASTER\" (with preempt_delay every member starts as BACKUP and the highest priority takes over after the delay).")
				}
			}
			if prev, dup := priorities[m.Priority]; dup && m.Priority != 0 {
				v.errorf(m.Ranges.At("priority", m.DeclRange), "Equal priorities",
					"Members %q and %q of %q both have priority %d; priorities must differ so that the MASTER is predictable (highest wins).", prev.Host, m.Host, name, m.Priority)
			} else {
				priorities[m.Priority] = m
			}
			if m.Priority == 255 {
				v.errorf(m.Ranges.At("priority", m.DeclRange), "Priority 255 is for the address owner",
					"VRRP reserves priority 255 for the router that owns the virtual IPs as a real interface address; clusterctl manages VIPs that no host owns, so use 1-254.")
			}
			iface := interfaceNamed(h, inst.Interface)
			if iface == nil {
				v.errorf(m.Ranges.At("host", m.DeclRange), "Member without the instance's interface",
					"vrrp_instance %q runs on interface %q, but host %q declares no such interface; add interface %q { addresses = [...] } to the host.", name, inst.Interface, m.Host, inst.Interface)
				continue
			}
			for _, p := range iface.Addresses {
				k := segKey{p.Masked(), inst.VirtualRouterID}
				if other, dup := segments[k]; dup && other != inst {
					v.errorf(inst.Ranges.At("virtual_router_id", inst.DeclRange), "Duplicate virtual_router_id",
						"vrrp_instance %q uses virtual_router_id %d on segment %s, as does %q (%s); VRIDs must be unique per network segment.", name, inst.VirtualRouterID, p.Masked(), other.Name, other.DeclRange.String())
				} else {
					segments[k] = inst
				}
			}
			for _, ti := range inst.TrackInterfaces {
				if interfaceNamed(h, ti) == nil {
					v.warnf(inst.Ranges.At("track_interface", inst.DeclRange), "Unknown tracked interface",
						"Host %q declares no interface %q; keepalived will fail to track it if it does not exist.", m.Host, ti)
				}
			}
		}
		for _, m := range inst.Members {
			h, ok := v.cfg.Hosts[m.Host]
			if !ok {
				continue
			}
			for _, a := range slices.SortedFunc(maps.Keys(inst.VIPOptions), netip.Addr.Compare) {
				if dev := inst.VIPOptions[a].Dev; dev != "" && interfaceNamed(h, dev) == nil {
					v.warnf(inst.DeclRange, "Unknown VIP interface",
						"Host %q declares no interface %q for virtual IP %s; keepalived refuses a configuration naming an interface that does not exist.", m.Host, dev, a)
				}
			}
		}
		for _, vip := range append(append([]netip.Prefix(nil), inst.VirtualIPs...), inst.ExcludedIPs...) {
			if owner, ok := v.owners[vip.Addr()]; ok {
				v.errorf(inst.Ranges.At("virtual_ips", inst.DeclRange), "VIP is a host address",
					"Virtual IP %s is already an interface address of host %q; a VIP must be an address no host owns.", vip.Addr(), owner)
			}
			if other, dup := vips[vip.Addr()]; dup && other == inst {
				v.errorf(inst.Ranges.At("virtual_ips", inst.DeclRange), "Duplicate VIP",
					"Virtual IP %s is listed twice in vrrp_instance %q.", vip.Addr(), name)
				continue
			} else if dup {
				v.errorf(inst.Ranges.At("virtual_ips", inst.DeclRange), "Duplicate VIP",
					"Virtual IP %s is also managed by vrrp_instance %q (%s).", vip.Addr(), other.Name, other.DeclRange.String())
				continue
			}
			vips[vip.Addr()] = inst
			onSubnet := false
			for _, m := range inst.Members {
				if h, ok := v.cfg.Hosts[m.Host]; ok {
					if i := interfaceNamed(h, inst.Interface); i != nil {
						for _, p := range i.Addresses {
							if p.Masked().Contains(vip.Addr()) {
								onSubnet = true
							}
						}
					}
				}
			}
			if !onSubnet {
				v.warnf(inst.Ranges.At("virtual_ips", inst.DeclRange), "VIP outside the interface's subnet",
					"Virtual IP %s is on no subnet of interface %q of the members; clients reach it only if something routes it there.", vip, inst.Interface)
			}
		}
		if inst.Nopreempt && inst.PreemptDelay > 0 {
			v.errorf(inst.Ranges.At("preempt_delay", inst.DeclRange), "preempt_delay with nopreempt",
				"preempt_delay delays preemption, which nopreempt disables; keep one of them.")
		}
		if inst.Unicast && len(inst.Members) < 2 {
			// keepalived 2.2.7: "A unicast keyword has been specified
			// without any unicast peers. Defaulting to multicast."
			v.errorf(inst.Ranges.At("unicast", inst.DeclRange), "Unicast without peers",
				"unicast sends adverts to the other members, and %q has none; keepalived 2.2.7 falls back to multicast and `keepalived -t` rejects the file. Add members or remove unicast.", name)
		}
	}
}

// strict checks the instances against vrrp_strict, as keepalived 2.2.7's
// -t does: no authentication ("Strict mode does not support
// authentication"), no preempt_delay ("preempt_delay is incompatible with
// strict mode"). Unicast is accepted in strict mode (measured). A VIP
// that a virtual server listens on needs accept, or strict mode's
// firewall rules drop the clients' packets on the master.
func (v *validator) strict() {
	if !v.cfg.Keepalived.VRRPStrict {
		return
	}
	for _, name := range v.cfg.VRRPInstanceNames() {
		inst := v.cfg.VRRPInstances[name]
		if inst.AuthPass != "" {
			v.errorf(inst.Ranges.At("auth_pass", inst.DeclRange), "auth_pass with vrrp_strict",
				"keepalived's vrrp_strict follows RFC 5798, which has no authentication: keepalived 2.2.7 ignores auth_pass (\"Strict mode does not support authentication\") and `keepalived -t` rejects the file. Remove auth_pass or vrrp_strict.")
		}
		if inst.PreemptDelay > 0 {
			v.errorf(inst.Ranges.At("preempt_delay", inst.DeclRange), "preempt_delay with vrrp_strict",
				"keepalived 2.2.7 resets preempt_delay in strict mode (\"preempt_delay is incompatible with strict mode\") and `keepalived -t` rejects the file. Remove preempt_delay or vrrp_strict.")
		}
		for _, m := range inst.Members {
			if _, explicit := m.Ranges["state"]; explicit && m.State == StateMaster {
				v.errorf(m.Ranges.At("state", m.DeclRange), "MASTER state with vrrp_strict",
					"In strict mode keepalived 2.2.7 lets only the address owner (priority 255) start as MASTER (\"State MASTER must match being address owner\") and `keepalived -t` rejects the file. Remove state; under vrrp_strict every member starts BACKUP and the highest priority takes over.")
			}
		}
		if len(inst.VirtualIPs) > 0 && inst.VirtualIPs[0].Addr().Is6() && !inst.VirtualIPs[0].Addr().IsLinkLocalUnicast() {
			v.errorf(inst.Ranges.At("virtual_ips", inst.DeclRange), "First IPv6 VIP not link-local with vrrp_strict",
				"RFC 5798 wants the first IPv6 address of an instance to be link-local, and in strict mode keepalived 2.2.7 enforces it (\"the first IPv6 VIP address must be link local\"). Put a link-local address such as fe80::%d/64 first in virtual_ips.", inst.VirtualRouterID)
		}
		if inst.Accept {
			continue
		}
		for _, vsName := range v.cfg.VirtualServerNames() {
			vs := v.cfg.VirtualServers[vsName]
			var hit netip.Addr
			for _, a := range vs.VirtualAddrs() {
				if v.vipInstance(a) == inst {
					hit = a
					break
				}
			}
			if !hit.IsValid() {
				continue
			}
			v.warnf(inst.DeclRange, "Strict mode drops traffic to the VIP",
				"vrrp_strict makes keepalived drop packets addressed to the VIPs of vrrp_instance %q on the master, and virtual_server %q listens on %s; set accept = true on the instance.", name, vsName, hit)
			break
		}
	}
}

// ipvsSettings checks the ipvs block against the virtual servers: it
// applies to directors only, and FULLNAT needs connection tracking.
func (v *validator) ipvsSettings() {
	s := v.cfg.IPVS
	if s.DeclRange == (hcl.Range{}) {
		return
	}
	if len(v.cfg.VirtualServers) == 0 {
		v.warnf(s.DeclRange, "ipvs block without directors", "The ipvs block sets IPVS timeouts and sysctls on directors, and no host directs a virtual_server; it has no effect.")
	}
	if c, ok := s.Sysctls["conntrack"]; ok && c == 0 {
		for _, name := range v.cfg.VirtualServerNames() {
			if vs := v.cfg.VirtualServers[name]; vs.Mode == ModeFullNAT {
				v.errorf(s.SysctlRanges.At("conntrack", s.DeclRange), "conntrack = 0 with fullnat",
					"virtual_server %q is fullnat, whose SNAT rule matches IPVS connections through connection tracking: net.ipv4.vs.conntrack must be 1 on its directors (clusterctl sets it). Remove conntrack = 0.", name)
				break
			}
		}
	}
}

// lvsSync checks the instances that run the IPVS connection sync daemon:
// keepalived has one lvs_sync_daemon per host, its interface must exist on
// every member, and it syncs only what a director's table holds.
func (v *validator) lvsSync() {
	directors := map[string]bool{}
	for _, vs := range v.cfg.VirtualServers {
		for _, d := range vs.Directors {
			directors[d] = true
		}
	}
	syncedBy := map[string]*VRRPInstance{}
	for _, name := range v.cfg.VRRPInstanceNames() {
		inst := v.cfg.VRRPInstances[name]
		s := inst.LVSSync
		if s == nil {
			continue
		}
		iface := s.Interface
		if iface == "" {
			iface = inst.Interface
		}
		directs := false
		for _, m := range inst.Members {
			h, ok := v.cfg.Hosts[m.Host]
			if !ok {
				continue
			}
			directs = directs || directors[m.Host]
			if other, dup := syncedBy[m.Host]; dup {
				v.errorf(s.DeclRange, "Two sync daemons on one host",
					"Host %q is a member of %q and %q, and both run lvs_sync_daemon; keepalived runs one IPVS sync daemon per host (a global lvs_sync_daemon line), so it would follow only one of them. Keep lvs_sync_daemon in one instance per director.", m.Host, other.Name, name)
			} else {
				syncedBy[m.Host] = inst
			}
			if s.Interface != "" && interfaceNamed(h, iface) == nil {
				v.warnf(s.Ranges.At("interface", s.DeclRange), "Unknown sync interface",
					"Host %q declares no interface %q; keepalived cannot start the sync daemon on an interface that does not exist.", m.Host, iface)
			}
		}
		if !directs {
			v.warnf(s.DeclRange, "Sync daemon without a virtual server",
				"No member of vrrp_instance %q directs a virtual_server, so the sync daemon has no IPVS connection to send. Put lvs_sync_daemon in the instance of the directors' VIP.", name)
		}
	}
}

// virtualRoutes checks what the instances' virtual routes need on their
// members: the interface, and a source address the master holds.
func (v *validator) virtualRoutes() {
	for _, name := range v.cfg.VRRPInstanceNames() {
		inst := v.cfg.VRRPInstances[name]
		held := map[netip.Addr]bool{}
		for _, p := range append(append([]netip.Prefix(nil), inst.VirtualIPs...), inst.ExcludedIPs...) {
			held[p.Addr()] = true
		}
		for _, rt := range inst.Routes {
			if rt.Src.IsValid() && !held[rt.Src] {
				v.warnf(rt.Ranges.At("src", rt.DeclRange), "Route source not a VIP",
					"src %s is not a virtual IP of %q. The kernel adds a route with a source address only where that address is local, and the master holds its VIPs; another address must be on every member, or keepalived fails to add the route when it becomes MASTER.", rt.Src, name)
			}
			if rt.Dev == "" {
				continue
			}
			for _, m := range inst.Members {
				if h, ok := v.cfg.Hosts[m.Host]; ok && interfaceNamed(h, rt.Dev) == nil {
					v.warnf(rt.Ranges.At("dev", rt.DeclRange), "Unknown route interface",
						"Host %q declares no interface %q; keepalived refuses a route on an interface that does not exist.", m.Host, rt.Dev)
				}
			}
		}
	}
}

func interfaceNamed(h *Host, name string) *Interface {
	for i := range h.Interfaces {
		if h.Interfaces[i].Name == name {
			return &h.Interfaces[i]
		}
	}
	return nil
}

// vipHolders returns the members of the VRRP instance that carries addr as
// a virtual IP, or nil.
func (v *validator) vipInstance(addr netip.Addr) *VRRPInstance {
	for _, name := range v.cfg.VRRPInstanceNames() {
		inst := v.cfg.VRRPInstances[name]
		for _, p := range append(append([]netip.Prefix(nil), inst.VirtualIPs...), inst.ExcludedIPs...) {
			if p.Addr() == addr {
				return inst
			}
		}
	}
	return nil
}

func (v *validator) virtualServers() {
	type vsKey struct {
		proto Protocol
		addr  netip.AddrPort
		mark  uint32
		group string
	}
	seen := map[vsKey]*VirtualServer{}
	for _, name := range v.cfg.VirtualServerNames() {
		vs := v.cfg.VirtualServers[name]
		k := vsKey{vs.Protocol, vs.Address, vs.FWMark, ""}
		if vs.Group != nil {
			k = vsKey{proto: vs.Protocol, group: vs.Group.Name}
			if vs.Group.FWMarks {
				k.proto = ""
			}
		}
		if other, dup := seen[k]; dup {
			v.errorf(vs.Ranges.At("address", vs.DeclRange), "Duplicate virtual service",
				"virtual_server %q has the same protocol and address as %q (%s).", name, other.Name, other.DeclRange.String())
		} else {
			seen[k] = vs
		}
		v.virtualAddressReachable(vs)
		rsSeen := map[netip.AddrPort]*RealServer{}
		for _, rs := range vs.RealServers {
			rng := rs.Ranges.At("name", rs.DeclRange)
			if prev, dup := rsSeen[rs.AddrPort()]; dup {
				v.errorf(rng, "Duplicate real server", "%s is already a real server of %q at %s.", rs.AddrPort(), name, prev.DeclRange.String())
				continue
			}
			rsSeen[rs.AddrPort()] = rs
			if vs.FWMark == 0 && (vs.Group == nil || !vs.Group.FWMarks) && rs.Port == 0 {
				v.errorf(rng, "Missing port", "real server %s needs a port.", rs.Address)
			}
			for _, d := range vs.Directors {
				if rs.Host == d {
					v.errorf(rng, "Director as its own real server", "Host %q is a director of %q and cannot also be one of its real servers.", d, name)
				}
			}
			v.modePrerequisites(vs, rs, rng)
			if rs.Host != "" && (vs.TunType == "gue" || vs.TunType == "gre") {
				v.errorf(vs.Ranges.At("tun_type", vs.DeclRange), "Real server host cannot decapsulate "+vs.TunType,
					"Host %q is a real server of %q, and clusterctl prepares only IP-in-IP decapsulation on real server hosts (the ipip module and the VIP on tunl0), not %s. Use tun_type = \"ipip\", or list the real server by its address (real_server \"%s\" { ... }) and set up %s decapsulation on it yourself.",
					rs.Host, name, vs.TunType, rs.Address, vs.TunType)
			}
		}
		if vs.ManagedBy == ManagedByKeepalived {
			v.keepalivedServer(vs)
		}
		if vs.ManagedBy == ManagedByKeepalived && len(vs.Directors) > 1 {
			for _, a := range groupOrAddress(vs) {
				inst := v.vipInstance(a)
				if inst == nil {
					v.warnf(vs.Ranges.At("address", vs.Ranges.At("group", vs.DeclRange)), "Director pair without a shared VIP",
						"virtual_server %q has %d directors but %s is no vrrp_instance's virtual IP; clients will reach one director only.", name, len(vs.Directors), a)
					break
				}
				for _, d := range vs.Directors {
					if inst.MemberFor(d) == nil {
						v.errorf(vs.Ranges.At("directors", vs.DeclRange), "Director not in the VIP's VRRP instance",
							"Director %q does not take part in vrrp_instance %q, which carries %s.", d, inst.Name, a)
					}
				}
			}
		}
	}
}

// virtualAddressReachable warns when a virtual address is neither an
// address of a director nor a VIP its directors share.
func (v *validator) virtualAddressReachable(vs *VirtualServer) {
	at := vs.Ranges.At("address", vs.Ranges.At("group", vs.DeclRange))
	unheld := map[netip.Addr]bool{}
	for _, a := range vs.VirtualAddrs() {
		for _, d := range vs.Directors {
			if !v.directorCanHold(d, a) {
				// render: "virtual address ... is on no interface subnet
				// of the director and no VRRP instance of it holds it".
				v.errorf(at, "Virtual address off the director's subnets",
					"Director %q of %q cannot hold %s: it is not one of its addresses, not a VIP of a vrrp_instance it is a member of, and on none of its interfaces' subnets (where clusterctl would add it). Use an address on a director's subnet, or make it a VIP.", d, vs.Name, a)
				unheld[a] = true
				break
			}
		}
	}
next:
	for _, a := range groupOrAddress(vs) {
		if unheld[a] {
			continue
		}
		if inst := v.vipInstance(a); inst != nil {
			continue
		}
		for _, d := range vs.Directors {
			if v.owners[a] == d {
				continue next
			}
		}
		v.warnf(vs.Ranges.At("address", vs.Ranges.At("group", vs.DeclRange)), "Virtual address not held by a director",
			"%s is neither an interface address of a director of %q nor a vrrp_instance virtual IP; packets for it may never reach the director.", a, vs.Name)
	}
}

// directorCanHold reports whether director d has address a, or is
// given it: as a VIP of an instance d is a member of, or by clusterctl on
// the interface whose subnet holds it.
func (v *validator) directorCanHold(d string, a netip.Addr) bool {
	h := v.cfg.Hosts[d]
	if h == nil {
		return true // reported elsewhere
	}
	for _, p := range h.Addrs() {
		if p.Addr() == a {
			return true
		}
	}
	for _, inst := range v.cfg.VRRPInstances {
		if inst.MemberFor(d) == nil {
			continue
		}
		for _, p := range append(append([]netip.Prefix(nil), inst.VirtualIPs...), inst.ExcludedIPs...) {
			if p.Addr() == a {
				return true
			}
		}
	}
	_, _, ok := h.InterfaceFor(a)
	return ok
}

// groupOrAddress returns the virtual address of vs, or the first address
// of each entry of its group (a range is taken as a block: its first
// address stands for it); none for a firewall-mark service.
func groupOrAddress(vs *VirtualServer) []netip.Addr {
	if vs.Group == nil {
		return vs.VirtualAddrs()
	}
	var out []netip.Addr
	for _, e := range vs.Group.Entries {
		if e.Addr.IsValid() {
			out = append(out, e.Addr)
		}
	}
	return out
}

// modePrerequisites checks that each LVS mode's network facts can hold.
func (v *validator) modePrerequisites(vs *VirtualServer, rs *RealServer, rng hcl.Range) {
	onDirectorSubnet := func() (netip.Addr, bool) {
		for _, d := range vs.Directors {
			dir := v.cfg.Hosts[d]
			if dir == nil {
				continue
			}
			if _, p, ok := dir.InterfaceFor(rs.Address); ok {
				return p.Addr(), true
			}
		}
		return netip.Addr{}, false
	}
	switch vs.Mode {
	case ModeNAT:
		dirAddr, ok := onDirectorSubnet()
		if !ok {
			v.errorf(rng, "NAT real server off the director's subnets",
				"In NAT mode replies return through the director, which must be the real server's gateway; %s is on no subnet of a director of %q.", rs.Address, vs.Name)
			return
		}
		if rs.Host == "" {
			return
		}
		h := v.cfg.Hosts[rs.Host]
		if !h.Gateway.IsValid() {
			if len(vs.Directors) > 1 {
				v.errorf(rng, "NAT real server needs a shared gateway",
					"virtual_server %q has %d directors; set gateway on host %q to an internal VIP the directors share (a vrrp_instance virtual IP on %s's subnet).", vs.Name, len(vs.Directors), rs.Host, rs.Address)
				return
			}
			// The default route goes via the director: one per family.
			k := natRouteKey{rs.Host, dirAddr.Is6()}
			if prev, ok := v.natRoutes[k]; ok && prev.via != dirAddr {
				v.errorf(rng, "NAT real server of two directors",
					"Host %q is a NAT real server of %q, so its default route must go via that director's %s, and of %q, whose director is at %s; a host has one default route. Set gateway on host %q to a VIP the directors share, or direct both virtual servers from the same host.", rs.Host, vs.Name, dirAddr, prev.vs, prev.via, rs.Host)
			} else if !ok {
				v.natRoutes[k] = natRoute{via: dirAddr, vs: vs.Name}
			}
			return
		}
		if h.Gateway == dirAddr {
			return
		}
		if inst := v.vipInstance(h.Gateway); inst != nil {
			for _, d := range vs.Directors {
				if inst.MemberFor(d) != nil {
					return
				}
			}
		}
		v.errorf(h.Ranges.At("gateway", h.DeclRange), "NAT real server gateway is not the director",
			"Host %q is a NAT real server of %q, so its gateway must be the director's address %s (or a VIP the directors share); got %s.", rs.Host, vs.Name, dirAddr, h.Gateway)
	case ModeDR:
		if _, ok := onDirectorSubnet(); !ok {
			v.errorf(rng, "DR real server off the director's segment",
				"Direct routing rewrites only the MAC address, so real servers must share a layer-2 segment with the director; %s is on no subnet of a director of %q.", rs.Address, vs.Name)
		}
	}
}

func (v *validator) unusedHealthChecks() {
	used := map[string]bool{}
	for _, inst := range v.cfg.VRRPInstances {
		for _, t := range inst.TrackScripts {
			used[t] = true
		}
	}
	for _, name := range v.cfg.HealthCheckNames() {
		if !used[name] {
			hc := v.cfg.HealthChecks[name]
			v.warnf(hc.DeclRange, "Unused health check", "health_check %q is tracked by no vrrp_instance and will not be rendered.", name)
		}
	}
}

// keepalivedServer checks what keepalived 2.2.7 requires of a virtual
// server it manages beyond IPVS's own rules.
func (v *validator) keepalivedServer(vs *VirtualServer) {
	for _, rs := range vs.RealServers {
		if rs.Address.IsValid() && rs.Address.Is6() != vs.Family6() {
			// keepalived 2.2.7: "Address family of virtual server and
			// real server ... don't match - skipping real server."
			v.errorf(rs.Ranges.At("address", rs.Ranges.At("name", rs.DeclRange)), "Real server of another address family",
				"%s is an %s address, and virtual_server %q is an %s service (a fwmark service is IPv4); keepalived 2.2.7 skips such a real server and `keepalived -t` rejects the file.",
				rs.Address, family(rs.Address.Is6()), vs.Name, family(vs.Family6()))
		}
	}
	if vs.SorryServer.IsValid() && vs.SorryServer.Addr().Is6() != vs.Family6() {
		// "Address family of virtual server and sorry server ... don't
		// match - skipping sorry server."
		v.errorf(vs.Ranges.At("sorry_server", vs.DeclRange), "Sorry server of another address family",
			"%s is an %s address, and virtual_server %q is an %s service (a fwmark service is IPv4); keepalived 2.2.7 skips such a sorry server and `keepalived -t` rejects the file.",
			vs.SorryServer.Addr(), family(vs.SorryServer.Addr().Is6()), vs.Name, family(vs.Family6()))
	}
	total := 0
	for _, rs := range vs.RealServers {
		total += rs.Weight
	}
	if len(vs.RealServers) > 0 && total == 0 {
		// keepalived 2.2.7: "quorum 1 for ... exceeds total weight of
		// real servers 0, reducing quorum to 0".
		v.errorf(vs.DeclRange, "Every real server has weight 0",
			"keepalived needs the real servers of virtual_server %q to weigh at least its quorum, 1; with every weight 0 keepalived 2.2.7 lowers the quorum and `keepalived -t` rejects the file. Keep one real server with a weight above 0 (to drain them all, set managed_by = \"clusterctl\" or remove the virtual server).", vs.Name)
	}
}

// scriptSecurity checks the keepalived block against the scripts
// keepalived will run: notify scripts, tracked health checks and misc
// checks. keepalived 2.2.7's `keepalived -t` exits 6 ("SECURITY
// VIOLATION - scripts are being executed but script_security not
// enabled") when scripts run as root without script security, and kills
// itself (SIGTERM, exit 143) when it checks a script as any user other
// than root.
func (v *validator) scriptSecurity() {
	script := ""
	for _, name := range v.cfg.VRRPInstanceNames() {
		inst := v.cfg.VRRPInstances[name]
		switch {
		case inst.NotifyMaster != "" || inst.NotifyBackup != "" || inst.NotifyFault != "" || inst.Notify != "" || inst.NotifyStop != "":
			script = fmt.Sprintf("vrrp_instance %q runs notify scripts", name)
		case len(inst.TrackScripts) > 0:
			script = fmt.Sprintf("vrrp_instance %q tracks health_check %q", name, inst.TrackScripts[0])
		}
		if script != "" {
			break
		}
	}
	for _, name := range v.cfg.SyncGroupNames() {
		g := v.cfg.SyncGroups[name]
		if script == "" && g.NotifyMaster+g.NotifyBackup+g.NotifyFault+g.Notify+g.NotifyStop != "" {
			script = fmt.Sprintf("vrrp_sync_group %q runs notify scripts", name)
		}
	}
	for _, name := range v.cfg.VirtualServerNames() {
		vs := v.cfg.VirtualServers[name]
		for _, rs := range vs.RealServers {
			if script == "" && vs.ManagedBy == ManagedByKeepalived && rs.Check != nil && rs.Check.Type == CheckMisc {
				script = fmt.Sprintf("virtual_server %q has a misc check", name)
			}
		}
	}
	if script == "" {
		return
	}
	k := v.cfg.Keepalived
	if !k.EnableScriptSecurity {
		v.errorf(k.Ranges.At("enable_script_security", k.DeclRange), "Scripts without script security",
			"%s, and keepalived 2.2.7 refuses to run scripts as root without enable_script_security: `keepalived -t` exits 6 (\"SECURITY VIOLATION\"). Remove enable_script_security = false.", script)
	}
	if k.ScriptUser != "" && k.ScriptUser != "root" {
		v.errorf(k.Ranges.At("script_user", k.DeclRange), "Scripts as a user other than root",
			"%s, and keepalived 2.2.7's configuration check (`keepalived -t`, which clusterctl runs before it installs keepalived.conf) kills itself when it checks a script as user %q (exit 143). Remove script_user (scripts run as root, with enable_script_security).", script, k.ScriptUser)
	}
}
