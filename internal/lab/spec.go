package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Spec describes a lab to bring up.
type Spec struct {
	// Name prefixes every namespace the lab creates ("<Name>-br",
	// "<Name>-op", "<Name>-<machine>"); it matches [a-z0-9][a-z0-9-]{0,11}.
	Name string
	// StateDir is where the lab keeps its keys, known_hosts, ssh_config,
	// per-machine overlay directories and lab.json. It must be absolute and
	// either missing or empty; Down removes it.
	StateDir string
	// Machines are the lab's machines, in the order they are reported.
	Machines []Machine
	// Reserved are addresses the operator namespace must not take, such as
	// the virtual IPs of the cluster.
	Reserved []netip.Addr
	// BootTimeout bounds how long each machine may take to report ready;
	// zero means DefaultBootTimeout. A host starved of CPU (an emulated
	// VM on a loaded machine) needs more.
	BootTimeout time.Duration
}

// DefaultBootTimeout is a machine's boot deadline when Spec.BootTimeout
// is zero.
const DefaultBootTimeout = 60 * time.Second

// Machine is one lab machine.
type Machine struct {
	// Name is the machine's host name and the suffix of its namespace; it
	// is a DNS label ([a-z0-9-], at most 63 characters) other than "br"
	// and "op", which name the lab's own namespaces.
	Name string
	// Interfaces are created in this order with these names (at most 15
	// characters, e.g. ens33). Each needs at least one address; the
	// interface joins the bridge of its first address's subnet.
	Interfaces []Interface
	// Gateway is the machine's default route; the zero Addr means none.
	// It must lie in one of the machine's subnets.
	Gateway netip.Addr
	// Flavour is the userland the machine answers with: "" or "debian"
	// (the host's own), "rocky9" or "centos7" (RHEL family: see
	// flavour.go).
	Flavour Flavour
}

// Interface is one network interface of a machine.
type Interface struct {
	Name string
	// Addresses are host addresses with their prefix length, such as
	// 192.168.19.101/24.
	Addresses []netip.Prefix
}

// ErrInvalidSpec is wrapped by every error Up returns for a Spec it rejects
// before touching the system.
var ErrInvalidSpec = errors.New("invalid lab spec")

var (
	labNameRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,11}$`)
	machineNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	ifNameRE      = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)
)

// Validate checks the spec without touching the system. Every problem is
// reported, joined, each wrapping ErrInvalidSpec.
func (s Spec) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, args...)))
	}
	if !labNameRE.MatchString(s.Name) {
		bad("lab name %q must match %s", s.Name, labNameRE)
	}
	if s.StateDir == "" || !filepath.IsAbs(s.StateDir) || filepath.Clean(s.StateDir) == "/" {
		bad("state dir %q must be an absolute path other than /", s.StateDir)
	}
	if len(s.Machines) == 0 {
		bad("a lab needs at least one machine")
	}
	machines := map[string]bool{}
	owner := map[netip.Addr]string{} // address -> machine/interface
	for _, m := range s.Machines {
		switch {
		case !machineNameRE.MatchString(m.Name):
			bad("machine name %q must be a DNS label of [a-z0-9-]", m.Name)
		case m.Name == "br" || m.Name == "op":
			bad("machine name %q is reserved for the lab's own namespaces", m.Name)
		case machines[m.Name]:
			bad("machine %q is defined twice", m.Name)
		}
		machines[m.Name] = true
		if !m.Flavour.valid() {
			bad("machine %q: unknown flavour %q (want one of %s)", m.Name, m.Flavour, strings.Join(FlavourNames(), ", "))
		}
		if len(m.Interfaces) == 0 {
			bad("machine %q has no interface", m.Name)
		}
		ifaces := map[string]bool{}
		var subnets []netip.Prefix
		own := map[netip.Addr]bool{}
		for _, ifc := range m.Interfaces {
			where := m.Name + "/" + ifc.Name
			switch {
			case !ifNameRE.MatchString(ifc.Name) || ifc.Name == "." || ifc.Name == "..":
				bad("machine %q: interface name %q must be 1 to 15 characters of [A-Za-z0-9_.-]", m.Name, ifc.Name)
			case ifc.Name == "lo":
				bad("machine %q: interface name lo is the loopback", m.Name)
			case ifc.Name == "all" || ifc.Name == "default":
				bad("machine %q: the kernel refuses interface name %q", m.Name, ifc.Name)
			case ifaces[ifc.Name]:
				bad("machine %q: interface %q is defined twice", m.Name, ifc.Name)
			}
			ifaces[ifc.Name] = true
			if len(ifc.Addresses) == 0 {
				bad("%s: an interface needs at least one address", where)
			}
			for _, p := range ifc.Addresses {
				if !p.IsValid() {
					bad("%s: invalid address", where)
					continue
				}
				if !isHostAddress(p) {
					bad("%s: %s is not a host address of its subnet", where, p)
				}
				if prev, ok := owner[p.Addr()]; ok {
					bad("%s: address %s is already used by %s", where, p.Addr(), prev)
				}
				owner[p.Addr()] = where
				own[p.Addr()] = true
				subnets = append(subnets, p.Masked())
			}
		}
		if m.Gateway.IsValid() {
			onLink := false
			for _, sn := range subnets {
				onLink = onLink || sn.Contains(m.Gateway)
			}
			if !onLink {
				bad("machine %q: gateway %s is in none of its subnets", m.Name, m.Gateway)
			}
			if own[m.Gateway] {
				bad("machine %q: gateway %s is the machine's own address", m.Name, m.Gateway)
			}
		}
	}
	// Distinct subnets must not overlap: the operator could not route.
	seen := map[netip.Prefix]bool{}
	var all []netip.Prefix
	for _, m := range s.Machines {
		for _, ifc := range m.Interfaces {
			for _, p := range ifc.Addresses {
				if p.IsValid() && !seen[p.Masked()] {
					seen[p.Masked()] = true
					all = append(all, p.Masked())
				}
			}
		}
	}
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a.Overlaps(b) {
				bad("subnets %s and %s overlap", a, b)
			}
		}
	}
	return errors.Join(errs...)
}

// isHostAddress reports whether p's address may be given to a host: not the
// network address nor (IPv4) the broadcast address of a subnet that has them.
func isHostAddress(p netip.Prefix) bool {
	a := p.Addr()
	if a.Is4() && p.Bits() >= 31 || a.Is6() && p.Bits() >= 127 {
		return true
	}
	if a == p.Masked().Addr() {
		return false
	}
	return !(a.Is4() && a == lastAddr(p))
}

// lastAddr returns the highest address of p's subnet.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
