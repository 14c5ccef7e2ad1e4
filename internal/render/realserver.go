package render

import (
	"fmt"
	"net/netip"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Sysctls each real server mode needs. DR and TUN real servers hold the
// VIP themselves, so they must neither answer ARP for it on the wire nor
// announce it (arp_ignore=1, arp_announce=2); TUN real servers receive
// packets on tunl0 whose source would fail reverse-path filtering.
func drSysctls() []resource.Sysctl {
	return []resource.Sysctl{
		{Key: "net.ipv4.conf.all.arp_ignore", Value: "1"},
		{Key: "net.ipv4.conf.all.arp_announce", Value: "2"},
		{Key: "net.ipv4.conf.lo.arp_ignore", Value: "1"},
		{Key: "net.ipv4.conf.lo.arp_announce", Value: "2"},
	}
}

func tunSysctls() []resource.Sysctl {
	return []resource.Sysctl{
		{Key: "net.ipv4.conf.tunl0.rp_filter", Value: "0"},
		{Key: "net.ipv4.conf.all.rp_filter", Value: "0"},
		{Key: "net.ipv4.conf.all.arp_ignore", Value: "1"},
		{Key: "net.ipv4.conf.all.arp_announce", Value: "2"},
		{Key: "net.ipv4.conf.tunl0.arp_ignore", Value: "1"},
		{Key: "net.ipv4.conf.tunl0.arp_announce", Value: "2"},
	}
}

// tunnelDev is the IP-in-IP device of the ipip module.
const tunnelDev = "tunl0"

// addRealServer adds the per-mode prerequisites of each virtual server the
// host is a real server of.
func (b *hostBuilder) addRealServer() error {
	for _, vs := range b.cfg.RealServerOf(b.host.Name) {
		if err := b.addRealServerOf(vs); err != nil {
			return fmt.Errorf("real server of %s: %w", vs.Name, err)
		}
	}
	return nil
}

func (b *hostBuilder) addRealServerOf(vs *config.VirtualServer) error {
	reason := "real server of " + vs.Name + " (" + string(vs.Mode) + ")"
	switch vs.Mode {
	case config.ModeDR:
		if err := b.setSysctls(drSysctls(), reason); err != nil {
			return err
		}
		b.addVIP(vs, "lo")
	case config.ModeTUN:
		b.addModule("ipip")
		if err := b.setSysctls(tunSysctls(), reason); err != nil {
			return err
		}
		b.addVIP(vs, tunnelDev)
	case config.ModeNAT:
		if b.host.Gateway.IsValid() {
			return nil // addGateway routes via it
		}
		return b.routeViaDirector(vs, reason)
	case config.ModeFullNAT:
		// The director rewrites the source: no route needed.
	default:
		return fmt.Errorf("unknown mode %q", vs.Mode)
	}
	return nil
}

func (b *hostBuilder) setSysctls(list []resource.Sysctl, reason string) error {
	for _, s := range list {
		if err := b.setSysctl(s.Key, s.Value, reason); err != nil {
			return err
		}
	}
	return nil
}

// addVIP puts the virtual addresses of vs (its address, or every address
// of its virtual_server_group) on dev as host prefixes; fwmark services
// have no address and get none.
func (b *hostBuilder) addVIP(vs *config.VirtualServer, dev string) {
	for _, a := range vs.VirtualAddrs() {
		b.addAddress(resource.Address{Dev: dev, Prefix: netip.PrefixFrom(a, a.BitLen())})
	}
}

// routeViaDirector sends a NAT real server's default route through its
// director's address on the real server's subnet.
func (b *hostBuilder) routeViaDirector(vs *config.VirtualServer, reason string) error {
	if len(vs.Directors) != 1 {
		return fmt.Errorf("NAT real server with %d directors needs a gateway (the directors' internal VIP)", len(vs.Directors))
	}
	var rsAddr netip.Addr
	for _, rs := range vs.RealServers {
		if rs.Host == b.host.Name {
			rsAddr = rs.Address
			break
		}
	}
	dir := b.cfg.Hosts[vs.Directors[0]]
	via, _, ok := hostAddrOn(dir, rsAddr)
	if !ok {
		return fmt.Errorf("director %s has no address on the subnet of %s", dir.Name, rsAddr)
	}
	_, dev, _ := hostAddrOn(b.host, via)
	return b.addRoute(resource.Route{Dst: defaultRoute(via), Via: via, Dev: dev}, reason)
}

// addGateway routes the host's default route via its declared gateway.
func (b *hostBuilder) addGateway() error {
	gw := b.host.Gateway
	if !gw.IsValid() {
		return nil
	}
	_, dev, _ := hostAddrOn(b.host, gw)
	return b.addRoute(resource.Route{Dst: defaultRoute(gw), Via: gw, Dev: dev}, "gateway")
}

// defaultRoute is the default destination of the family of a.
func defaultRoute(a netip.Addr) netip.Prefix {
	if a.Is4() {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	return netip.PrefixFrom(netip.IPv6Unspecified(), 0)
}
