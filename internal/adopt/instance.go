package adopt

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// readInstance reads one host's vrrp_instance: the settings every member
// must share go into the instance (a disagreement is a conflict), the
// member's own (priority, state) into its member.
func (c *cluster) readInstance(hm *hostModel, n *keepalived.Node) {
	host := hm.h.Name
	if len(n.Args) != 1 {
		c.lost(host, n, "vrrp_instance needs one name")
		return
	}
	in := &instance{name: n.Args[0], shared: map[string]string{}, notify: map[string]string{}, advert: 1, first: host, firstPos: n.Pos()}
	m := member{host: host, priority: 100, state: "BACKUP", pos: n.Pos()}
	var unicastSrc string
	var unicastPeers []string
	shared := map[string]*keepalived.Node{}
	for _, s := range n.Children {
		kw := keepalived.CanonicalKeyword("vrrp_instance", s.Keyword)
		num := func() (int, bool) {
			v, err := strconv.Atoi(s.Arg(0))
			if err != nil || len(s.Args) != 1 {
				c.lost(host, s, "%s %q is not a whole number", kw, strings.Join(s.Args, " "))
				return 0, false
			}
			return v, true
		}
		switch kw {
		case "state":
			m.state = strings.ToUpper(s.Arg(0))
		case "priority":
			if v, ok := num(); ok {
				m.priority = v
			}
		case "interface":
			in.iface = s.Arg(0)
			in.shared[kw], shared[kw] = s.Arg(0), s
		case "virtual_router_id":
			if v, ok := num(); ok {
				in.vrid = v
				in.shared[kw], shared[kw] = s.Arg(0), s
			}
		case "advert_int":
			if v, ok := num(); ok {
				in.advert = v
				in.shared[kw], shared[kw] = s.Arg(0), s
			}
		case "authentication":
			typ, pass := s.Child("auth_type"), s.Child("auth_pass")
			if !strings.EqualFold(typ.Arg(0), "PASS") {
				c.lost(host, s, "authentication type %q: clusterctl writes PASS authentication only", typ.Arg(0))
				continue
			}
			if pass == nil {
				continue
			}
			v := pass.Arg(0)
			in.authLen = len(v)
			if len(v) > 8 {
				v = v[:8] // what keepalived uses
			}
			in.shared["auth_pass"], shared["auth_pass"] = v, pass
			in.authVar = v
		case "virtual_ipaddress":
			var words []string
			for _, a := range s.Children {
				if len(a.Args) > 0 {
					c.lost(host, a, "virtual_ipaddress %s: only the address is expressible, not %q", a.Keyword, strings.Join(a.Args, " "))
				}
				p, err := parseVIP(a.Keyword)
				if err != nil {
					c.lost(host, a, "virtual_ipaddress %q: %v", a.Keyword, err)
					continue
				}
				in.vips = append(in.vips, p)
				words = append(words, p.String())
			}
			slices.Sort(words)
			in.shared[kw], shared[kw] = strings.Join(words, " "), s
		case "nopreempt":
			in.nopreempt = true
			in.shared[kw], shared[kw] = "yes", s
		case "preempt_delay":
			if v, ok := num(); ok {
				in.preempt = v
				in.shared[kw], shared[kw] = s.Arg(0), s
			}
		case "garp_master_delay":
			if v, ok := num(); ok {
				in.garpDelay = v
				in.shared[kw], shared[kw] = s.Arg(0), s
			}
		case "notify_master", "notify_backup", "notify_fault":
			in.notify[kw] = strings.Join(s.Args, " ")
			in.shared[kw], shared[kw] = in.notify[kw], s
			c.adoptScript(hm, s, s.Args)
		case "track_script":
			for _, t := range s.Children {
				if len(t.Args) > 0 {
					c.lost(host, t, "track_script %s: a per-instance weight (%s) is not expressible; set weight on the health_check", t.Keyword, strings.Join(t.Args, " "))
				}
				hc := hclName(strings.TrimPrefix(t.Keyword, "chk_"))
				if _, ok := c.checks[hc]; !ok {
					c.lost(host, t, "track_script %s names no vrrp_script of this host", t.Keyword)
					continue
				}
				in.track = append(in.track, hc)
			}
			slices.Sort(in.track)
			in.shared[kw], shared[kw] = strings.Join(in.track, " "), s
		case "track_process":
			for _, t := range s.Children {
				if len(t.Args) > 0 {
					c.lost(host, t, "track_process %s: a per-instance weight (%s) is not expressible; set weight on the track_process block", t.Keyword, strings.Join(t.Args, " "))
				}
				in.trackProcs = append(in.trackProcs, trackProcessName(t.Keyword))
				in.trackProcAt = append(in.trackProcAt, t)
			}
			in.shared[kw], shared[kw] = strings.Join(in.trackProcs, " "), s
		case "track_file":
			for _, t := range s.Children {
				if len(t.Args) > 0 {
					c.lost(host, t, "track_file %s: a per-instance weight (%s) is not expressible; set weight on the track_file block", t.Keyword, strings.Join(t.Args, " "))
				}
				in.trackFiles = append(in.trackFiles, trackFileName(t.Keyword))
				in.trackFileAt = append(in.trackFileAt, t)
			}
			in.shared[kw], shared[kw] = strings.Join(in.trackFiles, " "), s
		case "track_interface":
			for _, t := range s.Children {
				if len(t.Args) > 0 {
					c.lost(host, t, "track_interface %s: a weight (%s) is not expressible", t.Keyword, strings.Join(t.Args, " "))
				}
				in.trackIf = append(in.trackIf, t.Keyword)
			}
			slices.Sort(in.trackIf)
			in.shared[kw], shared[kw] = strings.Join(in.trackIf, " "), s
		case "virtual_routes":
			var words []string
			for _, l := range s.Children {
				r, err := parseRoute(l.Words())
				if err != nil {
					c.lost(host, l, "vrrp_instance %s: virtual_routes %q: %v", in.name, strings.Join(l.Words(), " "), err)
					continue
				}
				in.routes = append(in.routes, r)
				words = append(words, r.String())
			}
			in.shared[kw], shared[kw] = strings.Join(words, "; "), s
		case "virtual_rules":
			var words []string
			for _, l := range s.Children {
				r, err := parseRule(l.Words())
				if err != nil {
					c.lost(host, l, "vrrp_instance %s: virtual_rules %q: %v", in.name, strings.Join(l.Words(), " "), err)
					continue
				}
				in.rules = append(in.rules, r)
				words = append(words, r.String())
			}
			in.shared[kw], shared[kw] = strings.Join(words, "; "), s
		case "unicast_src_ip":
			unicastSrc = s.Arg(0)
		case "unicast_peer":
			for _, p := range s.Children {
				unicastPeers = append(unicastPeers, p.Keyword)
				if len(p.Args) > 0 {
					c.lost(host, p, "unicast_peer %s: options (%s) are not expressible", p.Keyword, strings.Join(p.Args, " "))
				}
			}
		default:
			if lines, ok := rawLines("vrrp_instance", s); ok {
				in.raw = append(in.raw, lines...)
				c.findings = append(c.findings, Finding{Level: Info, Host: host, Pos: s.Pos(), Keyword: s.Keyword,
					Msg: fmt.Sprintf("vrrp_instance %s: %s has no counterpart in clusterctl's model: kept in raw, which clusterctl passes through unchecked (keepalived -t checks it)", in.name, kw)})
				continue
			}
			c.lost(host, s, "vrrp_instance %s: %s has no counterpart in clusterctl's model", in.name, kw)
		}
	}
	if len(in.raw) > 0 {
		in.shared["raw"], shared["raw"] = strings.Join(in.raw, "\n"), n
	}
	if unicastSrc != "" || len(unicastPeers) > 0 {
		in.unicast = true
		in.shared["unicast"], shared["unicast"] = "yes", n
		if !c.unicastDerivable(hm, in, unicastSrc) {
			c.lost(host, n, "vrrp_instance %s: unicast_src_ip %s is not this host's address on %s; clusterctl derives it from the interface", in.name, unicastSrc, in.iface)
		}
		c.pendingPeers = append(c.pendingPeers, peerCheck{host: host, instance: in.name, peers: unicastPeers, node: n})
	}
	old, ok := c.instances[in.name]
	if !ok {
		c.instances[in.name] = in
		old = in
	} else {
		for _, k := range sortedKeys(in.shared, old.shared) {
			if in.shared[k] != old.shared[k] {
				what := fmt.Sprintf("%s %q", k, in.shared[k])
				if k == "auth_pass" {
					what = "auth_pass (not shown)"
				}
				if k == "raw" {
					what = "the lines the model lacks (raw)"
				}
				if in.shared[k] == "" {
					what = k + " unset"
				}
				c.conflict(host, shared[k], "vrrp_instance %s: %s here differs from %s (%s); the configuration keeps %s's", in.name, what, old.first, old.firstPos, old.first)
			}
		}
	}
	for _, o := range c.instances {
		if o.name != in.name && o.vrid == in.vrid && o.iface == in.iface && in.vrid != 0 {
			c.conflict(host, n, "vrrp_instance %s uses virtual_router_id %d on %s, as %s does", in.name, in.vrid, in.iface, o.name)
		}
	}
	old.members = append(old.members, m)
}

func sortedKeys(a, b map[string]string) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// parseVIP reads a virtual_ipaddress address: an address, with or
// without a prefix length.
func parseVIP(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an address")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// peerCheck is a member's unicast peers, checked once every member is
// known.
type peerCheck struct {
	host, instance string
	peers          []string
	node           *keepalived.Node
}

// unicastDerivable reports whether src is what clusterctl derives: the
// host's address on the instance's interface (unknown addresses: yes).
func (c *cluster) unicastDerivable(hm *hostModel, in *instance, src string) bool {
	if !hm.h.AddrsKnown || src == "" {
		return true
	}
	for _, a := range hm.h.Addrs {
		if a.Dev == in.iface && a.Prefix.Addr().String() == src {
			return true
		}
	}
	return false
}
