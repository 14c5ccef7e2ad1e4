package render

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// hostMask is the persistence granularity IPVS uses when none is given.
func hostMask() netip.Addr { return netip.AddrFrom4([4]byte{255, 255, 255, 255}) }

// addDirector adds what directing each virtual server needs: the IPVS
// modules, forwarding sysctls and NAT rules per mode, and for
// clusterctl-managed servers the IPVS services themselves.
func (b *hostBuilder) addDirector() error {
	directed := b.directed()
	for _, vs := range directed {
		if err := b.addDirectorOf(vs); err != nil {
			return fmt.Errorf("virtual_server %s: %w", vs.Name, err)
		}
	}
	if len(directed) > 0 {
		return b.addIPVSSettings()
	}
	return nil
}

// addIPVSSettings applies the ipvs block on a director: its timeouts go
// into the IPVS table (ipvsadm --set), its settings become sysctls.
func (b *hostBuilder) addIPVSSettings() error {
	s := b.cfg.IPVS
	b.ipvsTimeouts = ipvs.Timeouts{TCP: s.TimeoutTCP, TCPFin: s.TimeoutTCPFin, UDP: s.TimeoutUDP}
	for _, k := range slices.Sorted(maps.Keys(s.Sysctls)) {
		if err := b.setSysctl(config.IPVSSysctlPrefix+k, strconv.Itoa(s.Sysctls[k]), "ipvs block"); err != nil {
			return err
		}
	}
	return nil
}

func (b *hostBuilder) addDirectorOf(vs *config.VirtualServer) error {
	if vs.Scheduler == "" {
		return fmt.Errorf("no scheduler")
	}
	// ipvsadm is wanted on every director, also under keepalived: the
	// facts script and `clusterctl status` read the table with it.
	b.addPackage("ipvsadm")
	b.addModule("ip_vs", "ip_vs_"+vs.Scheduler)
	if vs.PersistenceEngine != "" {
		b.addModule("ip_vs_pe_" + vs.PersistenceEngine)
	}
	reason := "director of " + vs.Name + " (" + string(vs.Mode) + ")"
	if err := b.addDirectorVIP(vs); err != nil {
		return err
	}
	switch vs.Mode {
	case config.ModeNAT:
		if err := b.natForwarding(reason); err != nil {
			return err
		}
		for _, subnet := range b.realServerSubnets(vs) {
			b.addNATRule("-s " + subnet.String() + " -j MASQUERADE")
		}
	case config.ModeFullNAT:
		if err := b.natForwarding(reason); err != nil {
			return err
		}
		if err := b.setSysctl("net.ipv4.vs.conntrack", "1", reason); err != nil {
			return err
		}
		b.addModule("xt_ipvs", "nf_conntrack")
		rule, err := fullNATRule(vs)
		if err != nil {
			return err
		}
		b.addNATRule(rule)
	case config.ModeDR, config.ModeTUN:
	default:
		return fmt.Errorf("unknown mode %q", vs.Mode)
	}
	if vs.ManagedBy == config.ManagedByClusterctl {
		svc, err := ipvsService(vs, b.weight)
		if err != nil {
			return err
		}
		b.ipvs = append(b.ipvs, svc)
	}
	return nil
}

// addDirectorVIP makes sure the director holds the virtual address: when
// it is neither one of the host's interface addresses (topology, as in lab
// B) nor a VIP of a VRRP instance the host is a member of (keepalived moves
// it), it is added as a /32 on the interface whose subnet holds it, as the
// classic DR and TUN labs do by hand.
func (b *hostBuilder) addDirectorVIP(vs *config.VirtualServer) error {
next:
	for _, vip := range vs.VirtualAddrs() {
		for _, p := range b.host.Addrs() {
			if p.Addr() == vip {
				continue next
			}
		}
		for _, v := range b.memberInstances() {
			for _, p := range append(append([]netip.Prefix(nil), v.VirtualIPs...), v.ExcludedIPs...) {
				if p.Addr() == vip {
					continue next
				}
			}
		}
		iface, _, ok := b.host.InterfaceFor(vip)
		if !ok {
			return fmt.Errorf("virtual address %s is on no interface subnet of the director and no VRRP instance of it holds it", vip)
		}
		b.addAddress(resource.Address{Dev: iface.Name, Prefix: netip.PrefixFrom(vip, vip.BitLen())})
	}
	return nil
}

// natForwarding sets what a NAT director needs: forwarding on, and no ICMP
// redirects (the real servers' replies must come back through it), on all,
// default and every interface of the host (the lab's lvs_nat.sh).
func (b *hostBuilder) natForwarding(reason string) error {
	if err := b.setSysctl("net.ipv4.ip_forward", "1", reason); err != nil {
		return err
	}
	ifaces := []string{"all", "default"}
	for _, i := range b.host.Interfaces {
		ifaces = append(ifaces, i.Name)
	}
	for _, i := range ifaces {
		if err := b.setSysctl(confKey(i, "send_redirects"), "0", reason); err != nil {
			return err
		}
	}
	return nil
}

// confKey is the sysctl key of a per-interface IPv4 setting. Dots in
// interface names (VLANs: ens33.100) become slashes in the dotted form.
func confKey(iface, setting string) string {
	return "net.ipv4.conf." + strings.ReplaceAll(iface, ".", "/") + "." + setting
}

// realServerSubnets returns the distinct subnets of vs's real servers as
// the director sees them (the director's prefix that holds the real
// server's address), else as the real server host declares them, else the
// real server's /32; sorted.
func (b *hostBuilder) realServerSubnets(vs *config.VirtualServer) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	for _, rs := range vs.RealServers {
		p := netip.PrefixFrom(rs.Address, rs.Address.BitLen())
		if _, dp, ok := b.host.InterfaceFor(rs.Address); ok {
			p = dp.Masked()
		} else if h := b.cfg.Hosts[rs.Host]; h != nil {
			if _, rp, ok := h.InterfaceFor(rs.Address); ok {
				p = rp.Masked()
			}
		}
		seen[p] = true
	}
	out := make([]netip.Prefix, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Addr().Compare(out[j].Addr()); c != 0 {
			return c < 0
		}
		return out[i].Bits() < out[j].Bits()
	})
	return out
}

// fullNATRule is the nat rule that makes IPVS NAT "full": connections IPVS
// forwards for the virtual service leave with the director's address, so
// real servers need no route back through it. The text is what
// `iptables-save -t nat` prints for the rule after "-A CHAIN ".
func fullNATRule(vs *config.VirtualServer) (string, error) {
	var match string
	switch {
	case vs.FWMark != 0:
		match = fmt.Sprintf("-m mark --mark 0x%x -m ipvs --ipvs", vs.FWMark)
	case vs.Address.Addr().Is4():
		// No "/32": iptables-save prints a host address without a mask
		// (xtables_ipmask_to_numeric), and the rule must read back equal.
		match = fmt.Sprintf("-m ipvs --vaddr %s --vport %d", vs.Address.Addr(), vs.Address.Port())
	default:
		return "", fmt.Errorf("fullnat needs an IPv4 address or a fwmark, have %s", vs.Address)
	}
	if vs.SNATAddress.IsValid() {
		return match + " -j SNAT --to-source " + vs.SNATAddress.String(), nil
	}
	return match + " -j MASQUERADE", nil
}

// ipvsService is the IPVS service clusterctl keeps on a director of vs.
func ipvsService(vs *config.VirtualServer, weight func(*config.RealServer) int) (ipvs.Service, error) {
	svc := ipvs.Service{Scheduler: vs.Scheduler, OnePacket: vs.OnePacket}
	key, err := vs.IPVSKey()
	if err != nil {
		return svc, err
	}
	svc.Key = key
	flags, err := schedFlags(vs)
	if err != nil {
		return svc, err
	}
	svc.Flags = flags
	if vs.Persistence > 0 {
		svc.Persistent = true
		svc.Timeout = vs.Persistence
		svc.Netmask = hostMask()
		if vs.PersistenceNetmask.IsValid() {
			svc.Netmask = vs.PersistenceNetmask
		}
		svc.PE = vs.PersistenceEngine
	}
	var forward string
	switch vs.Mode {
	case config.ModeNAT, config.ModeFullNAT:
		forward = ipvs.Masq
	case config.ModeDR:
		forward = ipvs.Route
	case config.ModeTUN:
		forward = ipvs.Tunnel
	default:
		return svc, fmt.Errorf("unknown mode %q", vs.Mode)
	}
	for _, rs := range sortedRealServers(vs.RealServers) {
		svc.Destinations = append(svc.Destinations, ipvs.Destination{
			Addr:    rs.AddrPort(),
			Forward: forward,
			Weight:  weight(rs),
			Upper:   rs.UpperThreshold,
			Lower:   rs.LowerThreshold,
			TunType: vs.TunType,
			TunPort: vs.TunPort,
			TunCsum: vs.TunChecksum,
		})
	}
	return svc, nil
}

// schedFlags returns vs's scheduler flags as IPVS bits.
func schedFlags(vs *config.VirtualServer) (ipvs.SchedFlags, error) {
	if len(vs.SchedulerFlags) == 0 {
		return 0, nil
	}
	return ipvs.ParseSchedFlags(vs.Scheduler, strings.Join(vs.SchedulerFlags, ","))
}
