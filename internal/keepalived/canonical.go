package keepalived

import (
	"net/netip"
	"slices"
	"strings"
)

// When are two keepalived configurations the same? When their canonical
// forms are equal. The canonical form is what keepalived 2.2.7 acts on,
// read from the parsed statements (includes followed):
//
//   - comments, blank lines, indentation, line breaks around braces,
//     CRLF, a byte order mark and quoting are layout: "a b" and a b are
//     the same words;
//   - keywords are spelt as in 2.x (lb_algo → lvs_sched, lb_kind →
//     lvs_method, nb_get_retry → retry), and the enumerated values that
//     keepalived reads case-insensitively are upper-cased (state,
//     auth_type, lvs_method, protocol) or lower-cased (lvs_sched);
//   - the order of statements within a block, and of the blocks
//     themselves, does not matter, nor the order of the lines of a
//     list block (virtual_ipaddress, track_script, unicast_peer...);
//   - a statement that sets keepalived's default value is the same as
//     its absence (Defaults lists them);
//   - auth_pass counts by its first 8 characters, the ones keepalived
//     keeps;
//   - a VIP without a prefix length is the address's /32 (/128);
//   - vrrp_script names are references: scripts are the same when their
//     definitions are, whatever they are called;
//   - `script_user root` and `enable_script_security` do not count:
//     keepalived runs scripts as root with or without them; script
//     security only refuses a script that a non-root user could change,
//     which import checks and reports for every script it adopts.
//
// Everything else counts, word for word.

// Defaults are statements whose value is keepalived's default, by
// context: writing them or not is the same.
var Defaults = map[string][]string{
	"vrrp_instance":  {"state BACKUP", "priority 100", "advert_int 1", "garp_master_delay 5", "version 2"},
	"vrrp_script":    {"interval 1", "weight 0", "rise 1", "fall 1"},
	"global_defs":    {"smtp_connect_timeout 30", "script_user root", "enable_script_security"},
	"virtual_server": {"delay_loop 60", "protocol TCP"},
	"real_server":    {"weight 1"},
}

// upperValues and lowerValues are keywords whose value keepalived reads
// case-insensitively.
var (
	upperValues = map[string]bool{"state": true, "auth_type": true, "lvs_method": true, "protocol": true}
	lowerValues = map[string]bool{"lvs_sched": true}
)

// Canonical returns the canonical form of a configuration's statements:
// one line per statement, its path of blocks first, sorted.
func Canonical(nodes []*Node) []string {
	scripts := scriptIDs(nodes)
	var out []string
	var walk func(context, prefix string, ns []*Node)
	walk = func(context, prefix string, ns []*Node) {
		for _, n := range ns {
			if context == listContext {
				out = append(out, prefix+listLine(prefix, n, scripts))
				continue
			}
			kw := CanonicalKeyword(context, n.Keyword)
			args := slices.Clone(n.Args)
			switch {
			case upperValues[kw]:
				for i := range args {
					args[i] = strings.ToUpper(args[i])
				}
			case lowerValues[kw]:
				for i := range args {
					args[i] = strings.ToLower(args[i])
				}
			case kw == "auth_pass" && len(args) == 1 && len(args[0]) > 8:
				args[0] = args[0][:8]
			}
			if context == topContext && kw == "vrrp_script" && len(args) == 1 {
				args[0] = scripts[args[0]]
			}
			line := strings.Join(append([]string{kw}, args...), " ")
			if slices.Contains(Defaults[context], line) {
				continue
			}
			if !n.Block {
				out = append(out, prefix+line)
				continue
			}
			child := childContext(context, n.Keyword)
			if child == "" {
				child = "(unknown " + n.Keyword + ")"
			}
			out = append(out, prefix+line+" {}")
			walk(child, prefix+line+" / ", n.Children)
		}
	}
	walk(topContext, "", nodes)
	slices.Sort(out)
	return slices.Compact(out)
}

// listLine is a line of a list block in canonical form.
func listLine(prefix string, n *Node, scripts map[string]string) string {
	words := n.Words()
	switch {
	case strings.HasSuffix(prefix, "virtual_ipaddress / ") || strings.HasSuffix(prefix, "virtual_ipaddress_excluded / "):
		if a, err := netip.ParseAddr(words[0]); err == nil {
			words[0] = netip.PrefixFrom(a, a.BitLen()).String()
		}
	case strings.HasSuffix(prefix, "track_script / "):
		if id, ok := scripts[words[0]]; ok {
			words[0] = id
		}
	}
	return strings.Join(words, " ")
}

// scriptIDs names every vrrp_script by its definition, so references
// compare by what the script is rather than what it is called.
func scriptIDs(nodes []*Node) map[string]string {
	ids := map[string]string{}
	for _, n := range nodes {
		if n.Keyword != "vrrp_script" || len(n.Args) != 1 {
			continue
		}
		body := Canonical(n.Children)
		var kept []string
		for _, l := range body {
			if !slices.Contains(Defaults["vrrp_script"], l) {
				kept = append(kept, l)
			}
		}
		ids[n.Args[0]] = "script(" + strings.Join(kept, "; ") + ")"
	}
	return ids
}

// Same reports whether two configurations are the same in the sense
// above, and when they are not, the canonical lines only one of them
// has ("- line" for a, "+ line" for b), at most limit of them.
func Same(a, b []*Node, limit int) (bool, []string) {
	ca, cb := Canonical(a), Canonical(b)
	if slices.Equal(ca, cb) {
		return true, nil
	}
	var diff []string
	i, j := 0, 0
	for (i < len(ca) || j < len(cb)) && len(diff) < limit {
		switch {
		case j >= len(cb) || i < len(ca) && ca[i] < cb[j]:
			diff = append(diff, "- "+ca[i])
			i++
		case i >= len(ca) || cb[j] < ca[i]:
			diff = append(diff, "+ "+cb[j])
			j++
		default:
			i++
			j++
		}
	}
	return false, diff
}

// SameContent parses two single-file configurations (no includes) and
// reports whether they are the same; a file that does not parse is the
// same as nothing but itself, byte for byte.
func SameContent(a, b []byte) bool {
	na, errA := Parse("a", a)
	nb, errB := Parse("b", b)
	if errA != nil || errB != nil {
		return string(a) == string(b)
	}
	same, _ := Same(na, nb, 0)
	return same
}
