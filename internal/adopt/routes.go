package adopt

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// route is one virtual_routes line as the model holds it.
type route struct {
	to              netip.Prefix
	typ, dev, scope string
	via, src        netip.Addr
	table, metric   int
}

// rule is one virtual_rules line as the model holds it.
type rule struct {
	from, to                netip.Prefix
	fwmark, priority, table int
}

var routeTypes = []string{"blackhole", "unreachable", "prohibit", "throw"}

// parseRoute reads the words of a virtual_routes line: the keywords the
// model has (src, via/gw, dev/oif, table, metric/priority/preference,
// scope, a route type, to) and the destination. Anything else (nexthop,
// realms, mtu, ...) is not expressible.
func parseRoute(words []string) (route, error) {
	var r route
	noTrack := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		val := func() (string, error) {
			if i+1 >= len(words) {
				return "", fmt.Errorf("%s has no value", w)
			}
			i++
			return words[i], nil
		}
		var err error
		var v string
		switch w {
		case "src", "via", "gw":
			if v, err = val(); err == nil {
				var a netip.Addr
				if a, err = netip.ParseAddr(v); err == nil {
					if w == "src" {
						r.src = a
					} else {
						r.via = a
					}
				}
			}
		case "dev", "oif":
			r.dev, err = val()
		case "scope":
			r.scope, err = val()
		case "table", "metric", "priority", "preference":
			if v, err = val(); err == nil {
				var n int
				if n, err = strconv.Atoi(v); err == nil {
					if w == "table" {
						r.table = n
					} else {
						r.metric = n
					}
				}
			}
		case "to":
		case "no_track":
			// clusterctl renders it for a route without dev (keepalived
			// cannot track one) and only then.
			noTrack = true
		default:
			if slices.Contains(routeTypes, w) {
				r.typ = w
				continue
			}
			if r.to.IsValid() {
				return route{}, fmt.Errorf("%q is not expressible in the model", w)
			}
			r.to, err = parsePrefixOrAddr(w)
		}
		if err != nil {
			return route{}, err
		}
	}
	if !r.to.IsValid() {
		return route{}, fmt.Errorf("no destination")
	}
	if noTrack != (r.dev == "") {
		if noTrack {
			return route{}, fmt.Errorf("no_track on a route with dev is not expressible (clusterctl tracks every route that has an interface)")
		}
		// keepalived 2.2.7 warns and does not track it either; the
		// rendering adds no_track.
	}
	return r, nil
}

// parseRule reads the words of a virtual_rules line: from, to, fwmark,
// priority (or preference, order) and table (or lookup).
func parseRule(words []string) (rule, error) {
	var r rule
	for i := 0; i < len(words); i++ {
		w := words[i]
		if i+1 >= len(words) {
			return rule{}, fmt.Errorf("%s has no value", w)
		}
		i++
		v := words[i]
		var err error
		switch w {
		case "from", "to":
			var p netip.Prefix
			if p, err = parsePrefixOrAddr(v); err == nil {
				if w == "from" {
					r.from = p
				} else {
					r.to = p
				}
			}
		case "fwmark", "priority", "preference", "order", "table", "lookup":
			var n int
			if n, err = strconv.Atoi(v); err == nil {
				switch w {
				case "fwmark":
					r.fwmark = n
				case "table", "lookup":
					r.table = n
				default:
					r.priority = n
				}
			}
		default:
			return rule{}, fmt.Errorf("%q is not expressible in the model", w)
		}
		if err != nil {
			return rule{}, err
		}
	}
	if r.table == 0 {
		return rule{}, fmt.Errorf("no table to look up (the model's only rule action)")
	}
	return r, nil
}

func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (r route) String() string {
	return fmt.Sprintf("%s type=%s via=%s dev=%s src=%s table=%d metric=%d scope=%s", r.to, r.typ, r.via, r.dev, r.src, r.table, r.metric, r.scope)
}

func (r rule) String() string {
	return fmt.Sprintf("from=%s to=%s fwmark=%d priority=%d table=%d", r.from, r.to, r.fwmark, r.priority, r.table)
}

func (r route) write(b *hclwrite.Body) {
	b.SetAttributeValue("to", cty.StringVal(r.to.String()))
	if r.typ != "" {
		b.SetAttributeValue("type", cty.StringVal(r.typ))
	}
	if r.via.IsValid() {
		b.SetAttributeValue("via", cty.StringVal(r.via.String()))
	}
	if r.dev != "" {
		b.SetAttributeValue("dev", cty.StringVal(r.dev))
	}
	if r.src.IsValid() {
		b.SetAttributeValue("src", cty.StringVal(r.src.String()))
	}
	if r.table > 0 {
		b.SetAttributeValue("table", cty.NumberIntVal(int64(r.table)))
	}
	if r.metric > 0 {
		b.SetAttributeValue("metric", cty.NumberIntVal(int64(r.metric)))
	}
	if r.scope != "" {
		b.SetAttributeValue("scope", cty.StringVal(r.scope))
	}
}

func (r rule) write(b *hclwrite.Body) {
	if r.from.IsValid() {
		b.SetAttributeValue("from", cty.StringVal(r.from.String()))
	}
	if r.to.IsValid() {
		b.SetAttributeValue("to", cty.StringVal(r.to.String()))
	}
	if r.fwmark > 0 {
		b.SetAttributeValue("fwmark", cty.NumberIntVal(int64(r.fwmark)))
	}
	if r.priority > 0 {
		b.SetAttributeValue("priority", cty.NumberIntVal(int64(r.priority)))
	}
	b.SetAttributeValue("table", cty.NumberIntVal(int64(r.table)))
}
