package ipvs

import (
	"net/netip"
	"sort"
)

// Protocol of a virtual service.
type Protocol string

// Protocols as ipvsadm selects them (-t, -u, --sctp-service, -f).
const (
	TCP    Protocol = "tcp"
	UDP    Protocol = "udp"
	SCTP   Protocol = "sctp"
	FWMark Protocol = "fwm"
)

// Forwarding methods of a destination, in ipvsadm's long names.
const (
	Masq   = "masq"   // -m, NAT (also used for FULLNAT)
	Route  = "route"  // -g, direct routing (ipvsadm's default)
	Tunnel = "tunnel" // -i, IP-in-IP
)

// DefaultPersistence is the timeout ipvsadm uses for a bare -p.
const DefaultPersistence = 300

// ServiceKey identifies a virtual service. It is comparable and usable as a
// map key.
type ServiceKey struct {
	Protocol Protocol
	Addr     netip.AddrPort // zero for fwmark services
	Mark     uint32         // zero unless Protocol is FWMark
	// IPv6 marks an IPv6 fwmark service (ipvsadm -f MARK -6). It is false
	// for tcp/udp services, whose family is that of Addr.
	IPv6 bool
}

// Service is a virtual service and its destinations. Identity lives in Key;
// the other fields are settings that an edit (-E) can change.
type Service struct {
	Key       ServiceKey
	Scheduler string
	// Persistent is true when -p was given; Timeout is then in seconds
	// (normalised to DefaultPersistence when -p had no value).
	Persistent bool
	Timeout    int
	// Netmask is the persistence granularity; normalised to
	// 255.255.255.255 when persistent and unset, invalid otherwise.
	Netmask netip.Addr
	// Flags are the scheduler flags (-b): sh-fallback, sh-port, ...
	Flags SchedFlags
	// OnePacket is one-packet scheduling (-o): every UDP datagram is
	// scheduled on its own, no connection entry outlives it.
	OnePacket bool
	// PE is the persistence engine (--pe), e.g. "sip"; "" for none.
	PE           string
	Destinations []Destination // sorted by address
}

// Destination is a real server of a virtual service. Observed statistics
// (connection counts) are not part of it; see Stats.
type Destination struct {
	Addr    netip.AddrPort
	Forward string // Masq, Route or Tunnel
	Weight  int
	Upper   int // -x, 0 = unlimited
	Lower   int // -y
	// Tunnel encapsulation of a Tunnel destination (--tun-type,
	// --tun-port, --tun-csum/--tun-remcsum); normalised to TunIPIP, 0 and
	// "" for every other forwarding method and for ipip.
	TunType string // TunIPIP, TunGUE or TunGRE
	TunPort uint16 // GUE's UDP destination port
	TunCsum string // "" (no checksum), TunCsum or TunRemCsum
}

// Tunnel types and checksum modes of a Tunnel destination.
const (
	TunIPIP    = "ipip"
	TunGUE     = "gue"
	TunGRE     = "gre"
	TunCsum    = "csum"    // --tun-csum (GUE, GRE)
	TunRemCsum = "remcsum" // --tun-remcsum (GUE)
)

// Timeouts are the IPVS connection timeouts in seconds (ipvsadm --set
// tcp tcpfin udp; read back with ipvsadm -L --timeout). Zero means "not
// managed" in a desired table, as in ipvsadm --set, where 0 leaves the
// kernel's value alone.
type Timeouts struct {
	TCP, TCPFin, UDP int
}

// IsZero reports whether no timeout is set.
func (t Timeouts) IsZero() bool { return t == Timeouts{} }

// Table is a set of virtual services, sorted by key, and the connection
// timeouts of the host's IPVS.
type Table struct {
	Services []Service
	// Timeouts are the kernel's timeouts when read back; in a desired
	// table, the ones clusterctl sets (zero fields: left alone).
	Timeouts Timeouts
}

// KeyLess orders service keys: protocol, address, port, mark.
func KeyLess(a, b ServiceKey) bool {
	if a.Protocol != b.Protocol {
		return a.Protocol < b.Protocol
	}
	if c := a.Addr.Compare(b.Addr); c != 0 {
		return c < 0
	}
	if a.Mark != b.Mark {
		return a.Mark < b.Mark
	}
	return !a.IPv6 && b.IPv6
}

// Sort orders services by key and each service's destinations by address.
func (t *Table) Sort() {
	sort.Slice(t.Services, func(i, j int) bool { return KeyLess(t.Services[i].Key, t.Services[j].Key) })
	for i := range t.Services {
		d := t.Services[i].Destinations
		sort.Slice(d, func(a, b int) bool { return d[a].Addr.Compare(d[b].Addr) < 0 })
	}
}

// Service returns the service with key k, or nil.
func (t *Table) Service(k ServiceKey) *Service {
	for i := range t.Services {
		if t.Services[i].Key == k {
			return &t.Services[i]
		}
	}
	return nil
}
