package config

import (
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var serverGroupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "addresses"}, {Name: "fwmarks"}},
}

// decodeServerGroup reads a virtual_server_group block:
//
//	virtual_server_group "web" {
//	  addresses = ["192.168.47.128:80", "192.168.47.130-135:80"]
//	}
//	virtual_server_group "marked" {
//	  fwmarks = [7, 9]
//	}
//
// A group holds addresses or marks, not both: keepalived serves a group
// with any mark as a firewall-mark service and ignores the real servers'
// ports, which the addresses' services would need.
func (d *decoder) decodeServerGroup(blk *hcl.Block) *ServerGroup {
	g := &ServerGroup{Name: blk.Labels[0], DeclRange: blk.DefRange}
	if !reName.MatchString(g.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid virtual_server_group name", "virtual_server_group names must match %s; got %q.", reName, g.Name)
	}
	r := d.reader(blk.Body, serverGroupSchema)
	g.Ranges = r.ranges
	defer d.done(r)
	switch {
	case r.has("addresses") && r.has("fwmarks"):
		r.errorf(r.ranges["fwmarks"], "Addresses and marks in one virtual_server_group",
			"keepalived serves a group with any fwmark entry as a firewall-mark service and ignores its real servers' ports, which the addresses' services need (keepalived 2.2.7 warns \"port will be ignored\" and `keepalived -t` fails). Put the marks in a group of their own, served by a second virtual_server.")
		return g
	case !r.has("addresses") && !r.has("fwmarks"):
		r.errorf(blk.DefRange, "Empty virtual_server_group", "virtual_server_group %q needs addresses = [\"IP:PORT\", \"A.B.C.D-E:PORT\"] or fwmarks = [N].", g.Name)
		return g
	}
	seen := map[string]bool{}
	if r.has("fwmarks") {
		g.FWMarks = true
		v, ok := r.value("fwmarks", cty.List(cty.Number))
		if !ok {
			return g
		}
		at := r.elementRanges("fwmarks", v.LengthInt())
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			n, isInt := new(big.Int), false
			if !e.IsNull() {
				n, _ = e.AsBigFloat().Int(nil)
				isInt = e.AsBigFloat().IsInt()
			}
			if e.IsNull() || !isInt || n.Sign() <= 0 || n.Cmp(big.NewInt(1<<31-1)) > 0 {
				r.errorf(at[i], "Invalid fwmark", "Each element of fwmarks must be a whole number between 1 and %d.", 1<<31-1)
				continue
			}
			ent := GroupEntry{FWMark: uint32(n.Int64())}
			if seen[ent.String()] {
				r.errorf(at[i], "Duplicate group entry", "fwmark %d is listed twice.", ent.FWMark)
				continue
			}
			seen[ent.String()] = true
			g.Entries = append(g.Entries, ent)
		}
		return g
	}
	list := r.strings("addresses")
	at := r.elementRanges("addresses", len(list))
	for i, s := range list {
		ent, msg := parseGroupAddress(s)
		if msg != "" {
			r.errorf(at[i], "Invalid group address", "%s", msg)
			continue
		}
		if len(g.Entries) > 0 && ent.Addr.Is6() != g.Entries[0].Addr.Is6() {
			r.errorf(at[i], "Mixed address families in a virtual_server_group",
				"%s is %s and %s is %s; a virtual_server serves one address family (keepalived takes the family from its real servers). Use a group per family.",
				s, family(ent.Addr.Is6()), g.Entries[0], family(g.Entries[0].Addr.Is6()))
			continue
		}
		for _, prev := range g.Entries {
			if prev.Port == ent.Port && overlaps(prev, ent) {
				r.errorf(at[i], "Duplicate group entry", "%s overlaps %s of the same group.", s, prev)
				ent.Port = 0
				break
			}
		}
		if ent.Port == 0 {
			continue
		}
		g.Entries = append(g.Entries, ent)
	}
	if len(list) == 0 && len(r.diags) == 0 {
		r.errorf(r.ranges["addresses"], "Empty virtual_server_group", "addresses lists no address.")
	}
	return g
}

// parseGroupAddress reads "IP:PORT", "[IPv6]:PORT" or the IPv4 range
// "A.B.C.D-E:PORT" (D to E of the last octet); msg says what is wrong.
func parseGroupAddress(s string) (GroupEntry, string) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Port() == 0 {
			return GroupEntry{}, "The port of a group address must be 1-65535; got " + strconv.Quote(s) + "."
		}
		if ap.Addr().Zone() != "" {
			return GroupEntry{}, "A group address has no zone; got " + strconv.Quote(s) + "."
		}
		return GroupEntry{Addr: ap.Addr(), Port: ap.Port()}, ""
	}
	bad := "Each element of addresses must be IP:PORT (192.168.47.128:80, [2001:db8::10]:80) or an IPv4 range of the last octet A.B.C.D-E:PORT (192.168.47.130-135:80); got " + strconv.Quote(s) + "."
	host, port, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(port, ":") {
		return GroupEntry{}, bad
	}
	first, last, ok := strings.Cut(host, "-")
	a, err := netip.ParseAddr(first)
	p, perr := strconv.ParseUint(port, 10, 16)
	e, eerr := strconv.ParseUint(last, 10, 8)
	if !ok || err != nil || !a.Is4() || perr != nil || p == 0 || eerr != nil {
		return GroupEntry{}, bad
	}
	b := a.As4()
	if byte(e) <= b[3] {
		return GroupEntry{}, "The range " + strconv.Quote(s) + " must end above its first address's last octet (" + strconv.Itoa(int(b[3])) + ")."
	}
	b[3] = byte(e)
	return GroupEntry{Addr: a, Last: netip.AddrFrom4(b), Port: uint16(p)}, ""
}

// overlaps reports whether two address entries share an address.
func overlaps(a, b GroupEntry) bool {
	aLast, bLast := a.Last, b.Last
	if !aLast.IsValid() {
		aLast = a.Addr
	}
	if !bLast.IsValid() {
		bLast = b.Addr
	}
	return !(aLast.Less(b.Addr) || bLast.Less(a.Addr))
}

// ref reads an attribute holding one reference such as
// virtual_server_group.web; ok is false (with a diagnostic) when it is
// not one.
func (r *blockReader) ref(name, kind string) (ref, bool) {
	a, ok := r.content.Attributes[name]
	if !ok {
		return ref{}, false
	}
	trav, diags := hcl.AbsTraversalForExpr(a.Expr)
	if !diags.HasErrors() && len(trav) == 2 && trav.RootName() == kind {
		if attr, isAttr := trav[1].(hcl.TraverseAttr); isAttr {
			return ref{Name: attr.Name, Range: a.Expr.Range()}, true
		}
	}
	r.errorf(a.Expr.Range(), "Invalid reference", "%q must be a reference of the form %s.NAME.", name, kind)
	return ref{}, false
}

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// family names an address family for messages.
func family(six bool) string {
	if six {
		return "IPv6"
	}
	return "IPv4"
}

// unusedServerGroups warns about virtual_server_group blocks no
// virtual_server serves (they are not rendered).
func (v *validator) unusedServerGroups() {
	used := map[string]bool{}
	for _, vs := range v.cfg.VirtualServers {
		if vs.Group != nil {
			used[vs.Group.Name] = true
		}
	}
	for _, name := range v.cfg.ServerGroupNames() {
		if !used[name] {
			v.warnf(v.cfg.ServerGroups[name].DeclRange, "Unused virtual_server_group", "virtual_server_group %q is served by no virtual_server and will not be rendered.", name)
		}
	}
}
