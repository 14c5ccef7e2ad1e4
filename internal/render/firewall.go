package render

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// vrrpGroup is the IPv4 multicast group of VRRP adverts.
var vrrpGroup = netip.MustParseAddr("224.0.0.18")

// fwRule is one accept rule of the host firewall, independent of the
// backend: traffic to this host (input) or through it (forward).
type fwRule struct {
	forward bool
	src     netip.Addr // invalid: any source
	dst     netip.Addr // invalid: any destination
	proto   string     // tcp, udp, vrrp, ipencap
	dport   uint16     // 0: any (tcp and udp only)
	sport   uint16
	why     string // for the iptables comment
}

// firewallRules derives what the host's firewall must accept for the
// cluster: VRRP from the other members of each instance, the virtual
// services on their directors (and, for NAT, the real servers' replies
// through the director), the real servers' ports (for clients, directors
// and health checks; IP-in-IP from TUN directors) and the ports the host's
// firewall block lists. IPv6 addresses and fwmark services get no rule
// (docs/configuration.md says so).
func (b *hostBuilder) firewallRules() []fwRule {
	var out []fwRule
	add := func(r fwRule) {
		if r.src.Is6() || r.dst.Is6() || slices.Contains(out, r) {
			return
		}
		out = append(out, r)
	}
	name := b.host.Name
	for _, in := range b.cfg.VRRPInstanceNames() {
		v := b.cfg.VRRPInstances[in]
		if v.MemberFor(name) == nil {
			continue
		}
		if len(v.VirtualIPs) > 0 && v.VirtualIPs[0].Addr().Is6() {
			continue
		}
		self := netip.Addr{}
		for _, i := range b.host.Interfaces {
			if i.Name == v.Interface && len(i.Addresses) > 0 {
				self = i.Addresses[0].Addr()
				for _, p := range i.Addresses {
					if len(v.VirtualIPs) > 0 && p.Masked().Contains(v.VirtualIPs[0].Addr()) {
						self = p.Addr()
						break
					}
				}
			}
		}
		dst := vrrpGroup
		if v.Unicast {
			dst = self
		}
		peers := 0
		for _, m := range v.Members {
			if m.Host == name || b.cfg.Hosts[m.Host] == nil {
				continue
			}
			if !self.IsValid() {
				break
			}
			if peer, _, ok := hostAddrOn(b.cfg.Hosts[m.Host], self); ok {
				add(fwRule{src: peer, dst: dst, proto: "vrrp", why: "vrrp " + v.Name + " from " + m.Host})
				peers++
			}
		}
		if peers == 0 && !v.Unicast {
			// No peer address known on the instance's subnet: accept the
			// adverts from anyone on the group.
			add(fwRule{dst: vrrpGroup, proto: "vrrp", why: "vrrp " + v.Name})
		}
	}
	for _, vs := range b.directed() {
		if vs.FWMark != 0 || !vs.Address.IsValid() {
			continue
		}
		proto := string(vs.Protocol)
		add(fwRule{dst: vs.Address.Addr(), proto: proto, dport: vs.Address.Port(), why: "virtual_server " + vs.Name})
		if vs.Mode != config.ModeNAT && vs.Mode != config.ModeFullNAT {
			continue
		}
		for _, rs := range vs.RealServers {
			port := rs.Port
			if port == 0 {
				port = vs.Address.Port()
			}
			// Requests leave through OUTPUT; the replies are routed back
			// through this director (NAT) or addressed to it (FULLNAT).
			add(fwRule{forward: true, src: rs.Address, proto: proto, sport: port, why: "virtual_server " + vs.Name + " replies"})
			if vs.Mode == config.ModeFullNAT {
				add(fwRule{src: rs.Address, proto: proto, sport: port, why: "virtual_server " + vs.Name + " replies"})
			}
		}
	}
	for _, vs := range b.cfg.RealServerOf(name) {
		proto := string(vs.Protocol)
		for _, rs := range vs.RealServers {
			if rs.Host != name {
				continue
			}
			port := rs.Port
			if port == 0 && vs.Address.IsValid() {
				port = vs.Address.Port()
			}
			why := "real server of " + vs.Name
			switch vs.Mode {
			case config.ModeNAT, config.ModeFullNAT:
				// Clients (NAT) or the director (FULLNAT), and the
				// directors' health checks.
				add(fwRule{dst: rs.Address, proto: proto, dport: port, why: why})
			default:
				// DR and TUN: clients reach the VIP held on lo or tunl0;
				// the directors' health checks reach the real address.
				if vs.Address.IsValid() && vs.FWMark == 0 {
					add(fwRule{dst: vs.Address.Addr(), proto: proto, dport: port, why: why})
				}
				for _, d := range vs.Directors {
					if dir := b.cfg.Hosts[d]; dir != nil {
						if a, _, ok := hostAddrOn(dir, rs.Address); ok {
							add(fwRule{src: a, dst: rs.Address, proto: proto, dport: port, why: why + " checks from " + d})
							if vs.Mode == config.ModeTUN {
								add(fwRule{src: a, dst: rs.Address, proto: "ipencap", why: why + " tunnel from " + d})
							}
						}
					}
				}
			}
		}
	}
	if fw := b.host.Firewall; fw != nil {
		for _, p := range fw.Ports {
			add(fwRule{proto: p.Proto, dport: uint16(p.Number), why: "port " + p.String()})
		}
	}
	return out
}

// iptablesRule is r as iptables-save prints it after "-A CHAIN ".
func (r fwRule) iptablesRule() string {
	s := ""
	if r.src.IsValid() {
		s += " -s " + r.src.String() + "/32"
	}
	if r.dst.IsValid() {
		s += " -d " + r.dst.String() + "/32"
	}
	s += " -p " + r.proto
	if r.dport != 0 {
		s += " -m " + r.proto + " --dport " + strconv.Itoa(int(r.dport))
	}
	if r.sport != 0 {
		s += " -m " + r.proto + " --sport " + strconv.Itoa(int(r.sport))
	}
	return s[1:] + ` -m comment --comment "clusterctl: ` + r.why + `" -j ACCEPT`
}

// richRule is r as firewall-cmd --list-rich-rules prints it.
func (r fwRule) richRule() string {
	s := `rule family="ipv4"`
	if r.src.IsValid() {
		s += ` source address="` + r.src.String() + `"`
	}
	if r.dst.IsValid() {
		s += ` destination address="` + r.dst.String() + `"`
	}
	switch {
	case r.sport != 0:
		s += ` source-port port="` + strconv.Itoa(int(r.sport)) + `" protocol="` + r.proto + `"`
	case r.dport != 0:
		s += ` port port="` + strconv.Itoa(int(r.dport)) + `" protocol="` + r.proto + `"`
	default:
		s += ` protocol value="` + r.proto + `"`
	}
	return s + " accept"
}

// nftRule is r as `nft list chain` prints it.
func (r fwRule) nftRule() string {
	var f []string
	if r.src.IsValid() {
		f = append(f, "ip saddr "+r.src.String())
	}
	if r.dst.IsValid() {
		f = append(f, "ip daddr "+r.dst.String())
	}
	switch {
	case r.dport != 0:
		f = append(f, r.proto+" dport "+strconv.Itoa(int(r.dport)))
	case r.sport != 0:
		f = append(f, r.proto+" sport "+strconv.Itoa(int(r.sport)))
	default:
		f = append(f, "ip protocol "+r.proto)
	}
	return strings.Join(f, " ") + ` accept comment "clusterctl: ` + r.why + `"`
}

// nftEstablished is iptablesEstablished for nftables.
const nftEstablished = `ct state established,related accept comment "clusterctl: replies"`

// iptablesEstablished lets in the replies to what the host itself opened
// (the directors' health checks).
const iptablesEstablished = "-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment \"clusterctl: replies\" -j ACCEPT"

// addFirewall renders the host's firewall when clusterctl manages it,
// with backend resolved on the host (b.firewallBackend; FirewallAuto or
// "" when unknown is taken as iptables): iptables gets its two chains and
// a rules file the restore unit loads at boot, firewalld its rich rules
// (firewalld keeps the permanent ones itself).
func (b *hostBuilder) addFirewall() error {
	manage, backend := b.cfg.FirewallFor(b.host.Name)
	if !manage {
		return nil
	}
	if b.firewallBackend != "" && backend == config.FirewallAuto {
		backend = b.firewallBackend
	}
	rules := b.firewallRules()
	fw := &resource.Firewall{}
	switch backend {
	case config.FirewallFirewalld:
		fw.Backend = resource.FirewallFirewalld
		fw.Zone = b.cfg.Firewall.FirewalldZone
		for _, r := range rules {
			if r.forward {
				continue // firewalld forwards within a zone itself
			}
			fw.RichRules = append(fw.RichRules, r.richRule())
		}
		slices.Sort(fw.RichRules)
		fw.RichRules = slices.Compact(fw.RichRules)
	case config.FirewallNFTables:
		fw.Backend = resource.FirewallNFTables
		fw.NFTTable, fw.NFTInput, fw.NFTForward = b.cfg.Firewall.NFTTable, b.cfg.Firewall.NFTInput, b.cfg.Firewall.NFTForward
		if fw.NFTTable == "" {
			fw.NFTTable, fw.NFTInput, fw.NFTForward = "inet filter", "input", "forward"
		}
		for _, r := range rules {
			if r.forward {
				fw.Forward = append(fw.Forward, r.nftRule())
			} else {
				fw.Input = append(fw.Input, r.nftRule())
			}
		}
		if len(fw.Input) > 0 {
			fw.Input = append([]string{nftEstablished}, fw.Input...)
		}
		if len(fw.Input)+len(fw.Forward) > 0 {
			b.addPackage("nftables")
		}
	case config.FirewallIPTables, config.FirewallAuto:
		fw.Backend = resource.FirewallIPTables
		for _, r := range rules {
			if r.forward {
				fw.Forward = append(fw.Forward, r.iptablesRule())
			} else {
				fw.Input = append(fw.Input, r.iptablesRule())
			}
		}
		if len(fw.Input) > 0 {
			fw.Input = append([]string{iptablesEstablished}, fw.Input...)
		}
		if len(fw.Input)+len(fw.Forward) > 0 {
			b.addPackage("iptables")
		}
	default:
		return fmt.Errorf("unknown firewall backend %q", backend)
	}
	b.firewall = fw
	return nil
}
