package facts

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/resource"
)

// linkLocal6 is fe80::/10.
var linkLocal6 = netip.MustParsePrefix("fe80::/10")

// devName strips ip's "@peer" suffix and trailing colon from a device name.
func devName(s string) string {
	s = strings.TrimSuffix(s, ":")
	if i := strings.IndexByte(s, '@'); i > 0 {
		s = s[:i]
	}
	return s
}

// parseAddrs reads `ip -o addr show` lines such as
//
//	2: ens33    inet 192.168.19.101/24 brd 192.168.19.255 scope global ens33\       valid_lft forever preferred_lft forever
//
// A point-to-point address ("inet 10.0.0.1 peer 10.0.0.2/32") has the
// full-length prefix. IPv6 link-local addresses are skipped.
// ParseAddrs parses `ip -o addr show` output (untrusted) into addresses,
// as the facts script's address section is parsed.
func ParseAddrs(b []byte) ([]resource.Address, error) { return parseAddrs(b) }

func parseAddrs(b []byte) ([]resource.Address, error) {
	var out []resource.Address
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		fail := func(format string, a ...any) error {
			return &ParseError{Section: "cmd ip-addr", Line: i + 1, Msg: fmt.Sprintf(format, a...)}
		}
		if len(f) < 4 || !strings.HasSuffix(f[0], ":") {
			return nil, fail("malformed line %.80q", line)
		}
		if f[2] != "inet" && f[2] != "inet6" {
			continue
		}
		p, err := netip.ParsePrefix(f[3])
		if err != nil {
			a, aerr := netip.ParseAddr(f[3])
			if aerr != nil {
				return nil, fail("invalid address %.80q", f[3])
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if (f[2] == "inet") != p.Addr().Is4() || p.Addr().Zone() != "" {
			return nil, fail("address %q does not match family %s", f[3], f[2])
		}
		if linkLocal6.Contains(p.Addr()) {
			continue
		}
		out = append(out, resource.Address{Dev: devName(f[1]), Prefix: p})
	}
	sort.Slice(out, func(i, j int) bool { return resource.AddressLess(out[i], out[j]) })
	return out, nil
}

// parseLinks reads `ip -o link show` lines such as
//
//	2: ens33: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\    link/ether 00:0c:29:aa:bb:cc brd ff:ff:ff:ff:ff:ff
func parseLinks(b []byte) ([]Link, error) {
	var out []Link
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 || !strings.HasSuffix(f[0], ":") || !strings.HasPrefix(f[2], "<") || !strings.HasSuffix(f[2], ">") {
			return nil, &ParseError{Section: "cmd ip-link", Line: i + 1, Msg: fmt.Sprintf("malformed line %.80q", line)}
		}
		l := Link{Name: devName(f[1])}
		for _, flag := range strings.Split(strings.Trim(f[2], "<>"), ",") {
			switch flag {
			case "UP":
				l.Up = true
			case "LOWER_UP":
				l.LowerUp = true
			}
		}
		for j := 3; j+1 < len(f); j++ {
			if f[j] == "state" {
				l.OperState = f[j+1]
				break
			}
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// routeTypes are the non-unicast route types ip prints first; such routes
// are skipped.
var routeTypes = map[string]bool{
	"local": true, "broadcast": true, "multicast": true, "blackhole": true, "unreachable": true,
	"prohibit": true, "throw": true, "nat": true, "anycast": true,
}

// parseRoutes reads `ip route show table main` lines such as
//
//	default via 192.168.19.101 dev ens33
//	192.168.19.0/24 dev ens33 proto kernel scope link src 192.168.19.102
//
// keeping destination, gateway and device. Multipath next-hop lines and
// non-unicast routes are skipped, as are IPv6 link-local routes.
func parseRoutes(section string, b []byte, ipv6 bool) ([]resource.Route, error) {
	var out []resource.Route
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue // blank or a multipath "nexthop" continuation
		}
		f := strings.Fields(line)
		fail := func(format string, a ...any) error {
			return &ParseError{Section: "cmd " + section, Line: i + 1, Msg: fmt.Sprintf(format, a...)}
		}
		if f[0] == "unicast" {
			f = f[1:]
		}
		if len(f) == 0 || routeTypes[f[0]] {
			continue
		}
		var r resource.Route
		switch {
		case f[0] == "default" && ipv6:
			r.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		case f[0] == "default":
			r.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		default:
			p, err := netip.ParsePrefix(f[0])
			if err != nil {
				a, aerr := netip.ParseAddr(f[0])
				if aerr != nil {
					return nil, fail("invalid destination %.80q", f[0])
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			r.Dst = p.Masked()
		}
		if r.Dst.Addr().Is6() != ipv6 {
			return nil, fail("destination %s in the wrong family", r.Dst)
		}
		if ipv6 && linkLocal6.Contains(r.Dst.Addr()) {
			continue
		}
		for j := 1; j+1 < len(f); j++ {
			switch f[j] {
			case "via":
				v := f[j+1]
				if (v == "inet" || v == "inet6") && j+2 < len(f) {
					j++
					v = f[j+1]
				}
				a, err := netip.ParseAddr(v)
				if err != nil {
					return nil, fail("invalid gateway %.80q", v)
				}
				r.Via = a
				j++
			case "dev":
				r.Dev = f[j+1]
				j++
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func sortRoutes(r []resource.Route) {
	sort.Slice(r, func(i, j int) bool { return resource.RouteLess(r[i], r[j]) })
}
