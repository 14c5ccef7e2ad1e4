package ipvs

import "net/netip"

// DefaultScheduler is the scheduler ipvsadm uses when -s is absent.
const DefaultScheduler = "wlc"

// IsIPv6 reports whether the service is an IPv6 service: by its address for
// tcp/udp services, by the -6 flag for fwmark services.
func (k ServiceKey) IsIPv6() bool {
	if k.Protocol == FWMark {
		return k.IPv6
	}
	return k.Addr.Addr().Is6() && !k.Addr.Addr().Is4In6()
}

// fullMask is the all-ones netmask of the service's family: persistence
// per client address.
func fullMask(ipv6 bool) netip.Addr {
	if ipv6 {
		return maskFromBits(128, true)
	}
	return maskFromBits(32, false)
}

// maskFromBits returns the netmask with the first bits bits set, e.g.
// 255.255.255.0 for 24 or ffff:ffff:ffff:ffff:: for 64.
func maskFromBits(bits int, ipv6 bool) netip.Addr {
	var b [16]byte
	for i := 0; i < bits && i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	if ipv6 {
		return netip.AddrFrom16(b)
	}
	return netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]})
}

// maskBits returns the number of leading one bits of a contiguous netmask,
// or -1 when m is not contiguous.
func maskBits(m netip.Addr) int {
	b := m.AsSlice()
	n := 0
	for n < len(b)*8 && b[n/8]&(0x80>>(n%8)) != 0 {
		n++
	}
	for i := n; i < len(b)*8; i++ {
		if b[i/8]&(0x80>>(i%8)) != 0 {
			return -1
		}
	}
	return n
}

// Normalize fills in the defaults ipvsadm applies, so that a service built
// by hand compares equal to the same service read back from the kernel:
// scheduler wlc when empty; when persistent, timeout DefaultPersistence when
// zero and the family's all-ones netmask when unset; when not persistent,
// timeout 0, no netmask and no persistence engine (IPVS uses one only
// with persistence). It normalises every destination too.
func (s *Service) Normalize() {
	if s.Scheduler == "" {
		s.Scheduler = DefaultScheduler
	}
	if s.Persistent {
		if s.Timeout <= 0 {
			s.Timeout = DefaultPersistence
		}
		if !s.Netmask.IsValid() {
			s.Netmask = fullMask(s.Key.IsIPv6())
		}
	} else {
		s.Timeout = 0
		s.Netmask = netip.Addr{}
		s.PE = ""
	}
	s.Flags &= SchedFlag1 | SchedFlag2 | SchedFlag3
	for i := range s.Destinations {
		s.Destinations[i].Normalize()
	}
}

// Normalize sets the forwarding method to Route (ipvsadm's default) when
// empty, clamps negative thresholds to 0 (unlimited), and normalises the
// tunnel settings: a Tunnel destination without a type is TunIPIP, which
// has no port or checksum; any other method has no tunnel settings; the
// checksum "nocsum" is "" (the default).
func (d *Destination) Normalize() {
	if d.Forward == "" {
		d.Forward = Route
	}
	switch {
	case d.Forward != Tunnel:
		d.TunType, d.TunPort, d.TunCsum = "", 0, ""
	case d.TunType == "" || d.TunType == TunIPIP:
		d.TunType, d.TunPort, d.TunCsum = TunIPIP, 0, ""
	case d.TunType == TunGRE:
		d.TunPort = 0
	}
	if d.TunCsum == "nocsum" {
		d.TunCsum = ""
	}
	if d.Upper < 0 {
		d.Upper = 0
	}
	if d.Lower < 0 {
		d.Lower = 0
	}
}

// Normalize normalises every service (see Service.Normalize) and sorts the
// table (see Sort).
func (t *Table) Normalize() {
	for i := range t.Services {
		t.Services[i].Normalize()
	}
	t.Sort()
}
