package config

import (
	"net/netip"
	"regexp"

	"github.com/hashicorp/hcl/v2"
)

var bfdInstanceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "neighbor_ip", Required: true}, {Name: "source_ip"}, {Name: "min_rx"}, {Name: "min_tx"},
		{Name: "idle_tx"}, {Name: "multiplier"}, {Name: "passive"},
	},
}

// reBFDName is keepalived's limit on a bfd_instance name (BFD_INAME_MAX
// is 32 bytes with the terminating NUL) within config's name rule.
var reBFDName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,30}$`)

// decodeBFDInstance reads a bfd_instance block. The ranges are keepalived
// 2.2.7's, up to where it stops warning: it accepts min_rx and min_tx up
// to 4294967 ms and idle_tx likewise but says "is not sensible" above
// 10000 ms, and a multiplier up to 255.
func (d *decoder) decodeBFDInstance(blk *hcl.Block) *BFDInstance {
	b := &BFDInstance{Name: blk.Labels[0], DeclRange: blk.DefRange}
	if !reBFDName.MatchString(b.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid bfd_instance name", "bfd_instance names must match %s (keepalived keeps at most 31 characters); got %q.", reBFDName, b.Name)
	}
	r := d.reader(blk.Body, bfdInstanceSchema)
	defer d.done(r)
	b.Ranges = r.ranges
	b.NeighborIP = r.addr("neighbor_ip")
	b.SourceIP = r.addr("source_ip")
	if b.NeighborIP.IsValid() && b.SourceIP.IsValid() && b.NeighborIP.Is6() != b.SourceIP.Is6() {
		r.errorf(r.ranges["source_ip"], "source_ip and neighbor_ip of different families",
			"A BFD session runs over one address family: source_ip %s and neighbor_ip %s must both be IPv4 or both IPv6.", b.SourceIP, b.NeighborIP)
	}
	b.MinRx = r.integer("min_rx", 0, 1, 10000)
	b.MinTx = r.integer("min_tx", 0, 1, 10000)
	b.IdleTx = r.integer("idle_tx", 0, 1000, 10000)
	b.Multiplier = r.integer("multiplier", 0, 1, 255)
	b.Passive = r.boolean("passive", false)
	return b
}

// bfdInstances checks that no two bfd_instance blocks share a neighbor
// (keepalived runs one session per neighbor and drops the second), and
// warns about those no bfd check follows (they are not rendered).
func (v *validator) bfdInstances() {
	used := map[string]bool{}
	directors := map[string][]string{}
	for _, name := range v.cfg.VirtualServerNames() {
		vs := v.cfg.VirtualServers[name]
		for _, rs := range vs.RealServers {
			if rs.Check != nil && rs.Check.BFD != "" {
				used[rs.Check.BFD] = true
				directors[rs.Check.BFD] = append(directors[rs.Check.BFD], vs.Directors...)
			}
		}
	}
	neighbors := map[string]*BFDInstance{}
	for _, name := range v.cfg.BFDInstanceNames() {
		b := v.cfg.BFDInstances[name]
		if b.NeighborIP.IsValid() {
			if prev := neighbors[b.NeighborIP.String()]; prev != nil {
				v.errorf(b.Ranges.At("neighbor_ip", b.DeclRange), "Duplicate BFD neighbor",
					"bfd_instance %q has neighbor_ip %s, as has %q (%s); keepalived runs one BFD session per neighbor. Follow the one session from both checks.", name, b.NeighborIP, prev.Name, prev.DeclRange)
			} else {
				neighbors[b.NeighborIP.String()] = b
			}
		}
		if b.SourceIP.IsValid() {
			for _, d := range directors[name] {
				if !v.hostHas(d, b.SourceIP) {
					v.warnf(b.Ranges.At("source_ip", b.DeclRange), "BFD source_ip not on a director",
						"bfd_instance %q is rendered on director %q, which has no address %s (nor gets it as a VIP): its BFD session cannot start there. Leave source_ip out on a director pair.", name, d, b.SourceIP)
					break
				}
			}
		}
		if !used[name] {
			v.warnf(b.DeclRange, "Unused bfd_instance", "bfd_instance %q is followed by no bfd check and will not be rendered.", name)
		}
	}
}

// hostHas reports whether host h has address a, or gets it as a VIP of
// an instance it is a member of.
func (v *validator) hostHas(h string, a netip.Addr) bool {
	if host := v.cfg.Hosts[h]; host != nil {
		for _, p := range host.Addrs() {
			if p.Addr() == a {
				return true
			}
		}
	}
	for _, inst := range v.cfg.VRRPInstances {
		if inst.MemberFor(h) == nil {
			continue
		}
		for _, p := range inst.VirtualIPs {
			if p.Addr() == a {
				return true
			}
		}
	}
	return false
}
