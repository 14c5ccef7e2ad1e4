package adopt

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// serverGroup is a keepalived virtual_server_group as the configuration
// writes it.
type serverGroup struct {
	name      string
	addresses []string // "IP:PORT", "A.B.C.D-E:PORT", "[IPv6]:PORT"
	fwmarks   []uint32
	fwmark    bool // the group holds marks
	host, pos string
}

func (g *serverGroup) describe() string { return fmt.Sprint(g.addresses, g.fwmarks) }

// trackFile is a track_file (vrrp_track_file) block.
type trackFile struct {
	name      string
	file      string
	weight    int
	init      *int
	host, pos string
}

func (t *trackFile) describe() string {
	i := "-"
	if t.init != nil {
		i = strconv.Itoa(*t.init)
	}
	return fmt.Sprintf("%s %d %s", t.file, t.weight, i)
}

// reConfigName is config's block name rule, which keepalived's group
// name must follow to be kept as it is.
var reConfigName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,62}$`)

// groupName is the configuration name of a virtual_server_group: its
// own name when config takes it (so that the rendered file names it the
// same), else a label made of it (Check then reports the rename).
func groupName(s string) string {
	if reConfigName.MatchString(s) {
		return s
	}
	return hclName(s)
}

// readServerGroup reads a virtual_server_group block: address lines
// "IP PORT" or "A.B.C.D-E PORT", or "fwmark N" lines, not both.
func (c *cluster) readServerGroup(host string, n *keepalived.Node) {
	if len(n.Args) != 1 {
		c.lost(host, n, "virtual_server_group needs one name")
		return
	}
	g := &serverGroup{name: groupName(n.Args[0]), host: host, pos: n.Pos()}
	for _, e := range n.Children {
		words := e.Words()
		if words[0] == "fwmark" {
			m, err := strconv.ParseUint(e.Arg(0), 10, 32)
			if err != nil || m == 0 || len(words) != 2 {
				c.lost(host, e, "virtual_server_group %s: %s: a mark without an address family is expressible", n.Args[0], strings.Join(words, " "))
				continue
			}
			g.fwmarks = append(g.fwmarks, uint32(m))
			continue
		}
		entry, ok := groupEntry(words)
		if !ok {
			c.lost(host, e, "virtual_server_group %s: %s: an address or an IPv4 range of the last octet, with a port, is expressible", n.Args[0], strings.Join(words, " "))
			continue
		}
		g.addresses = append(g.addresses, entry)
	}
	if len(g.fwmarks) > 0 && len(g.addresses) > 0 {
		c.lost(host, n, "virtual_server_group %s mixes addresses and marks; the model has groups of one or the other", n.Args[0])
		return
	}
	g.fwmark = len(g.fwmarks) > 0
	mergeShared(c, c.groups, g.name, host, n, g)
}

// groupEntry turns keepalived's "IP PORT" or "A.B.C.D-E PORT" into the
// configuration's "IP:PORT" or "A.B.C.D-E:PORT".
func groupEntry(words []string) (string, bool) {
	if len(words) != 2 {
		return "", false
	}
	p, err := strconv.ParseUint(words[1], 10, 16)
	if err != nil || p == 0 {
		return "", false
	}
	first, last, isRange := strings.Cut(words[0], "-")
	a, err := netip.ParseAddr(first)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	if !isRange {
		return netip.AddrPortFrom(a, uint16(p)).String(), true
	}
	e, err := strconv.ParseUint(last, 10, 8)
	if err != nil || !a.Is4() || byte(e) <= a.As4()[3] {
		return "", false
	}
	return first + "-" + last + ":" + words[1], true
}

// readTrackFile reads a track_file (or vrrp_track_file) block.
func (c *cluster) readTrackFile(host string, n *keepalived.Node) {
	if len(n.Args) != 1 {
		c.lost(host, n, "%s needs one name", n.Keyword)
		return
	}
	t := &trackFile{name: trackFileName(n.Args[0]), host: host, pos: n.Pos()}
	for _, s := range n.Children {
		switch s.Keyword {
		case "file":
			t.file = strings.Join(s.Args, " ")
		case "weight":
			v, ok := num(s.Arg(0))
			if !ok || len(s.Args) != 1 {
				c.lost(host, s, "%s %s: weight %s is not expressible (a number without reverse is)", n.Keyword, n.Args[0], strings.Join(s.Args, " "))
				continue
			}
			t.weight = v
		case "init_file":
			v, ok := num(s.Arg(0))
			if !ok || len(s.Args) != 1 {
				c.lost(host, s, "%s %s: init_file %s is not expressible (a value alone is)", n.Keyword, n.Args[0], strings.Join(s.Args, " "))
				continue
			}
			t.init = &v
		default:
			c.lost(host, s, "%s %s: %s has no counterpart in the model", n.Keyword, n.Args[0], s.Keyword)
		}
	}
	mergeShared(c, c.trackFiles, t.name, host, n, t)
}

func (c *cluster) writeTrackFiles(body *hclwrite.Body) {
	for _, name := range slices.Sorted(maps.Keys(c.trackFiles)) {
		t := c.trackFiles[name]
		b := body.AppendNewBlock("track_file", []string{name}).Body()
		b.SetAttributeValue("file", cty.StringVal(t.file))
		if t.weight != 0 {
			b.SetAttributeValue("weight", cty.NumberIntVal(int64(t.weight)))
		}
		if t.init != nil {
			b.SetAttributeValue("init_value", cty.NumberIntVal(int64(*t.init)))
		}
		body.AppendNewline()
	}
}

func (c *cluster) writeServerGroups(body *hclwrite.Body) {
	for _, name := range slices.Sorted(maps.Keys(c.groups)) {
		g := c.groups[name]
		b := body.AppendNewBlock("virtual_server_group", []string{name}).Body()
		if g.fwmark {
			marks := make([]cty.Value, len(g.fwmarks))
			for i, m := range g.fwmarks {
				marks[i] = cty.NumberIntVal(int64(m))
			}
			b.SetAttributeValue("fwmarks", cty.ListVal(marks))
		} else {
			b.SetAttributeValue("addresses", strs(g.addresses))
		}
		body.AppendNewline()
	}
}

// writeCheck writes a real server's check block.
func writeCheck(cb *hclwrite.Body, ck *rsCheck) {
	cb.SetAttributeValue("type", cty.StringVal(ck.typ))
	for _, kv := range []struct {
		k string
		v int
	}{{"connect_timeout", ck.connectTimeout}, {"retry", ck.retry}, {"delay_before_retry", ck.delayBeforeRetry},
		{"warmup", ck.warmup}, {"connect_port", ck.connectPort}, {"bind_port", ck.bindPort}, {"status_code", ck.status}} {
		if kv.v > 0 {
			cb.SetAttributeValue(kv.k, cty.NumberIntVal(int64(kv.v)))
		}
	}
	for _, kv := range []struct{ k, v string }{
		{"connect_ip", ck.connectIP}, {"bindto", ck.bindTo}, {"path", ck.path}, {"digest", ck.digest},
		{"dns_type", ck.dnsType}, {"dns_name", ck.dnsName}, {"helo_name", ck.helo},
		{"payload", ck.payload}, {"reply", ck.reply}, {"misc_path", ck.misc},
	} {
		if kv.v != "" {
			cb.SetAttributeValue(kv.k, cty.StringVal(kv.v))
		}
	}
	if ck.requireReply {
		cb.SetAttributeValue("require_reply", cty.True)
	}
	if ck.trackFile != "" {
		cb.SetAttributeTraversal("track_file", ref("track_file", ck.trackFile))
	}
	if ck.bfd != "" {
		cb.SetAttributeTraversal("bfd_instance", ref("bfd_instance", ck.bfd))
	}
	if ck.fileWeight != nil {
		cb.SetAttributeValue("weight", cty.NumberIntVal(int64(*ck.fileWeight)))
		if ck.reverse {
			cb.SetAttributeValue("reverse", cty.True)
		}
	}
}

// dropDanglingRefs leaves out of the configuration a virtual server
// whose virtual_server_group, and a file check whose track_file, was not
// adopted (a reference to neither would not load), and reports them lost.
func (c *cluster) dropDanglingRefs() {
	for _, k := range slices.Sorted(maps.Keys(c.servers)) {
		vs := c.servers[k]
		if vs.group != "" && c.groups[vs.group] == nil {
			c.findings = append(c.findings, Finding{Level: Lost, Host: vs.first, Pos: vs.firstPos,
				Msg: fmt.Sprintf("virtual_server group %s: the group was not adopted, so neither is the virtual server", vs.group)})
			delete(c.servers, k)
			continue
		}
		for i := range vs.reals {
			if ck := vs.reals[i].check; ck != nil && ck.bfd != "" && c.bfds[ck.bfd] == nil {
				c.findings = append(c.findings, Finding{Level: Lost, Host: vs.first, Pos: vs.firstPos,
					Msg: fmt.Sprintf("virtual_server %s: real server %s: BFD_CHECK follows a bfd_instance that was not adopted; the check is left out", vs.key(), vs.reals[i].addr)})
				vs.reals[i].check = nil
				continue
			}
			if ck := vs.reals[i].check; ck != nil && ck.trackFile != "" && c.trackFiles[ck.trackFile] == nil {
				c.findings = append(c.findings, Finding{Level: Lost, Host: vs.first, Pos: vs.firstPos,
					Msg: fmt.Sprintf("virtual_server %s: real server %s: FILE_CHECK reads a track_file that was not adopted; the check is left out", vs.key(), vs.reals[i].addr)})
				vs.reals[i].check = nil
			}
		}
	}
}

// bfdInstance is a bfd_instance block.
type bfdInstance struct {
	name      string
	neighbor  string
	source    string
	ints      map[string]int // min_rx, min_tx, idle_tx, multiplier
	passive   bool
	host, pos string
}

func (b *bfdInstance) describe() string {
	return fmt.Sprint(b.neighbor, b.source, b.ints, b.passive)
}

// readBFD reads a bfd_instance block. Its name is kept as it is (a
// BFD_CHECK names it); one config does not take is not adopted.
func (c *cluster) readBFD(host string, n *keepalived.Node) {
	if len(n.Args) != 1 || !reBFDName.MatchString(n.Args[0]) {
		c.lost(host, n, "bfd_instance %s: a name of at most 31 letters, digits, _ and - is expressible", strings.Join(n.Args, " "))
		return
	}
	b := &bfdInstance{name: n.Args[0], ints: map[string]int{}, host: host, pos: n.Pos()}
	for _, s := range n.Children {
		kw := s.Keyword
		if kw == "neighbour_ip" {
			kw = "neighbor_ip"
		}
		switch kw {
		case "neighbor_ip", "source_ip":
			a, err := netip.ParseAddr(s.Arg(0))
			if err != nil || len(s.Args) != 1 {
				c.lost(host, s, "bfd_instance %s: %s %s is not an IP address", b.name, kw, strings.Join(s.Args, " "))
				continue
			}
			if kw == "neighbor_ip" {
				b.neighbor = a.String()
			} else {
				b.source = a.String()
			}
		case "min_rx", "min_tx", "idle_tx", "multiplier":
			v, ok := num(s.Arg(0))
			if !ok || len(s.Args) != 1 {
				c.lost(host, s, "bfd_instance %s: %s %s is not a whole number", b.name, kw, strings.Join(s.Args, " "))
				continue
			}
			b.ints[kw] = v
		case "passive":
			b.passive = true
		default:
			c.lost(host, s, "bfd_instance %s: %s has no counterpart in the model", b.name, s.Keyword)
		}
	}
	if b.neighbor == "" {
		c.lost(host, n, "bfd_instance %s has no neighbor_ip", b.name)
		return
	}
	mergeShared(c, c.bfds, b.name, host, n, b)
}

// reBFDName is config's bfd_instance name rule.
var reBFDName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,30}$`)

func (c *cluster) writeBFDs(body *hclwrite.Body) {
	for _, name := range slices.Sorted(maps.Keys(c.bfds)) {
		bi := c.bfds[name]
		b := body.AppendNewBlock("bfd_instance", []string{name}).Body()
		b.SetAttributeValue("neighbor_ip", cty.StringVal(bi.neighbor))
		if bi.source != "" {
			b.SetAttributeValue("source_ip", cty.StringVal(bi.source))
		}
		for _, k := range []string{"min_rx", "min_tx", "idle_tx", "multiplier"} {
			if v, ok := bi.ints[k]; ok {
				b.SetAttributeValue(k, cty.NumberIntVal(int64(v)))
			}
		}
		if bi.passive {
			b.SetAttributeValue("passive", cty.True)
		}
		body.AppendNewline()
	}
}

func (x *serverGroup) from() (string, string) { return x.host, x.pos }

func (x *trackFile) from() (string, string) { return x.host, x.pos }

func (x *bfdInstance) from() (string, string) { return x.host, x.pos }
