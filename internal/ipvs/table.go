package ipvs

import (
	"net/netip"
	"sort"
)

// Protocol of a virtual service.
type Protocol string

// Protocols as ipvsadm selects them (-t, -u, -f).
const (
	TCP    Protocol = "tcp"
	UDP    Protocol = "udp"
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
	Netmask      netip.Addr
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
}

// Table is a set of virtual services, sorted by key.
type Table struct {
	Services []Service
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
