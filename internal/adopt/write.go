package adopt

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// write renders the model as cluster.hcl, formatted as `clusterctl fmt`
// writes it.
func (c *cluster) write() []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(comment("Imported by clusterctl import. `clusterctl plan` right after import shows no\n" +
		"changes to what was imported; see the import report for what was not."))
	body.AppendNewline()

	for _, name := range slices.Sorted(maps.Keys(c.vars)) {
		b := body.AppendNewBlock("variable", []string{name}).Body()
		b.SetAttributeTraversal("type", hcl.Traversal{hcl.TraverseRoot{Name: "string"}})
		b.SetAttributeValue("sensitive", cty.True)
		b.SetAttributeValue("description", cty.StringVal("VRRP PASS authentication: the first 8 characters of the hosts' auth_pass (keepalived uses no more)"))
		body.AppendNewline()
	}

	if len(c.global) > 0 || c.confModeValue() != 0 {
		b := body.AppendNewBlock("keepalived", nil).Body()
		for _, attr := range []string{"router_id", "notification_email", "notification_email_from", "smtp_server", "smtp_connect_timeout", "notify_fifo", "notify_fifo_script"} {
			if g, ok := c.global[attr]; ok {
				b.SetAttributeValue(attr, ctyOf(g.value))
			}
		}
		for _, attr := range []string{"raw", "raw_blocks"} {
			if g, ok := c.global[attr]; ok {
				b.SetAttributeRaw(attr, heredoc(strings.Split(g.value.(string), "\n")))
			}
		}
		if m := c.confModeValue(); m != 0 && m != 0o640 {
			b.SetAttributeValue("config_mode", cty.StringVal(fmt.Sprintf("%04o", m)))
		}
		body.AppendNewline()
	}

	for _, hm := range c.hosts {
		c.writeHost(body, hm)
	}

	for _, name := range slices.Sorted(maps.Keys(c.checks)) {
		hc := c.checks[name]
		b := body.AppendNewBlock("health_check", []string{name}).Body()
		b.SetAttributeValue("script", cty.StringVal(hc.script))
		for _, k := range []string{"interval", "weight", "fall", "rise", "timeout"} {
			if v, ok := hc.ints[k]; ok {
				b.SetAttributeValue(k, cty.NumberIntVal(int64(v)))
			}
		}
		body.AppendNewline()
	}

	for _, name := range slices.Sorted(maps.Keys(c.instances)) {
		c.writeInstance(body, c.instances[name])
	}
	c.writeSyncGroups(body)

	c.writeTrackProcesses(body)
	c.writeTrackFiles(body)
	c.writeBFDs(body)
	c.writeServerGroups(body)
	keys := slices.Sorted(maps.Keys(c.servers))
	for _, k := range keys {
		c.writeServer(body, c.servers[k])
	}
	return hclwrite.Format(f.Bytes())
}

// confModeValue is keepalived.conf's mode when every host agrees, else 0
// (and a conflict).
func (c *cluster) confModeValue() uint32 {
	switch len(c.confMode) {
	case 0:
		return 0
	case 1:
		for m := range c.confMode {
			if m&0o022 != 0 {
				c.findings = append(c.findings, Finding{Level: Change, Msg: fmt.Sprintf("keepalived.conf is mode %04o, writable by others; clusterctl writes it 0640: the first plan changes its mode", m)})
				return 0
			}
			return m
		}
	}
	var parts []string
	for _, m := range slices.Sorted(maps.Keys(c.confMode)) {
		parts = append(parts, fmt.Sprintf("%04o on %s", m, strings.Join(c.confMode[m], ", ")))
	}
	c.findings = append(c.findings, Finding{Level: Change, Msg: "keepalived.conf's mode differs between hosts (" + strings.Join(parts, "; ") + "); clusterctl writes it 0640 on every host: the first plan changes the others"})
	return 0
}

func comment(text string) hclwrite.Tokens {
	var toks hclwrite.Tokens
	for _, l := range strings.Split(text, "\n") {
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte("# " + l + "\n")})
	}
	return toks
}

func ctyOf(v any) cty.Value {
	switch x := v.(type) {
	case string:
		return cty.StringVal(x)
	case int:
		return cty.NumberIntVal(int64(x))
	case []string:
		var vals []cty.Value
		for _, s := range x {
			vals = append(vals, cty.StringVal(s))
		}
		if len(vals) == 0 {
			return cty.ListValEmpty(cty.String)
		}
		return cty.TupleVal(vals)
	}
	panic(fmt.Sprintf("adopt: no cty value for %T", v))
}

func strs(ss []string) cty.Value { return ctyOf(ss) }

func (c *cluster) writeHost(body *hclwrite.Body, hm *hostModel) {
	h := hm.h
	b := body.AppendNewBlock("host", []string{h.Name}).Body()
	first := ""
	devs := slices.Sorted(maps.Keys(hm.interfaces))
	if len(devs) > 0 {
		first = hm.interfaces[devs[0]][0].Addr().String()
	}
	if h.Address != "" && h.Address != first {
		b.SetAttributeValue("address", cty.StringVal(h.Address))
	}
	if h.User != "" {
		b.SetAttributeValue("user", cty.StringVal(h.User))
	}
	if h.Port != 0 && h.Port != 22 {
		b.SetAttributeValue("port", cty.NumberIntVal(int64(h.Port)))
	}
	for _, dev := range devs {
		ib := b.AppendNewBlock("interface", []string{dev}).Body()
		var ps []string
		for _, p := range hm.interfaces[dev] {
			ps = append(ps, p.String())
		}
		ib.SetAttributeValue("addresses", strs(ps))
	}
	if len(hm.services) > 0 {
		b.SetAttributeValue("services", strs(hm.services))
	}
	for _, fm := range hm.files {
		fb := b.AppendNewBlock("file", []string{fm.path}).Body()
		fb.SetAttributeRaw("content", hclwrite.TokensForFunctionCall("file", hclwrite.TokensForValue(cty.StringVal(fm.side))))
		fb.SetAttributeValue("mode", cty.StringVal(fmt.Sprintf("%04o", fm.mode)))
		if fm.owner != "root" {
			fb.SetAttributeValue("owner", cty.StringVal(fm.owner))
		}
		if fm.group != "root" {
			fb.SetAttributeValue("group", cty.StringVal(fm.group))
		}
	}
	body.AppendNewline()
}

func ref(root, attr string) hcl.Traversal {
	return hcl.Traversal{hcl.TraverseRoot{Name: root}, hcl.TraverseAttr{Name: attr}}
}

func refs(root string, names []string) hclwrite.Tokens {
	var elems []hclwrite.Tokens
	for _, n := range names {
		elems = append(elems, hclwrite.TokensForTraversal(ref(root, n)))
	}
	return hclwrite.TokensForTuple(elems)
}

func (c *cluster) writeInstance(body *hclwrite.Body, in *instance) {
	b := body.AppendNewBlock("vrrp_instance", []string{in.name}).Body()
	b.SetAttributeValue("interface", cty.StringVal(in.iface))
	b.SetAttributeValue("virtual_router_id", cty.NumberIntVal(int64(in.vrid)))
	b.SetAttributeValue("advert_int", cty.NumberIntVal(int64(in.advert)))
	if in.authVar != "" {
		b.SetAttributeTraversal("auth_pass", ref("var", in.authVar))
	}
	var vips []string
	for _, v := range in.vips {
		if v.Bits() == v.Addr().BitLen() {
			vips = append(vips, v.Addr().String())
		} else {
			vips = append(vips, v.String())
		}
	}
	b.SetAttributeValue("virtual_ips", strs(vips))
	if in.nopreempt {
		b.SetAttributeValue("nopreempt", cty.True)
	}
	if in.preempt > 0 {
		b.SetAttributeValue("preempt_delay", cty.NumberIntVal(int64(in.preempt)))
	}
	if in.unicast {
		b.SetAttributeValue("unicast", cty.True)
	}
	for _, k := range []string{"notify_master", "notify_backup", "notify_fault"} {
		if v, ok := in.notify[k]; ok {
			b.SetAttributeValue(k, cty.StringVal(v))
		}
	}
	if len(in.track) > 0 {
		b.SetAttributeRaw("track_script", refs("health_check", in.track))
	}
	if len(in.trackIf) > 0 {
		b.SetAttributeValue("track_interface", strs(in.trackIf))
	}
	for _, tr := range []struct {
		kind  string
		names []string
		at    []*keepalived.Node
		known func(string) bool
	}{
		{"track_process", in.trackProcs, in.trackProcAt, func(n string) bool { return c.trackProcs[n] != nil }},
		{"track_file", in.trackFiles, in.trackFileAt, func(n string) bool { return c.trackFiles[n] != nil }},
	} {
		var tracked []string
		for i, name := range tr.names {
			if !tr.known(name) {
				c.lost(in.first, tr.at[i], "vrrp_instance %s: %s %s names no adopted %s block", in.name, tr.kind, name, tr.kind)
				continue
			}
			tracked = append(tracked, name)
		}
		if len(tracked) > 0 {
			b.SetAttributeRaw(tr.kind, refs(tr.kind, tracked))
		}
	}
	if in.garpDelay > 0 {
		b.SetAttributeValue("garp_master_delay", cty.NumberIntVal(int64(in.garpDelay)))
	}
	if len(in.raw) > 0 {
		b.SetAttributeRaw("raw", heredoc(in.raw))
	}
	for _, r := range in.routes {
		r.write(b.AppendNewBlock("virtual_route", nil).Body())
	}
	for _, r := range in.rules {
		r.write(b.AppendNewBlock("virtual_rule", nil).Body())
	}
	if s := in.sync; s != nil {
		sb := b.AppendNewBlock("lvs_sync_daemon", nil).Body()
		if s.iface != in.iface {
			sb.SetAttributeValue("interface", cty.StringVal(s.iface))
		}
		for _, o := range []struct {
			attr string
			v    int
			set  bool
		}{{"sync_id", s.id, s.id >= 0}, {"maxlen", s.maxlen, s.maxlen > 0}, {"port", s.port, s.port > 0}, {"ttl", s.ttl, s.ttl > 0}} {
			if o.set {
				sb.SetAttributeValue(o.attr, cty.NumberIntVal(int64(o.v)))
			}
		}
		if s.group != "" {
			sb.SetAttributeValue("group", cty.StringVal(s.group))
		}
	}
	for i, m := range in.members {
		mb := b.AppendNewBlock("member", []string{m.host}).Body()
		mb.SetAttributeValue("priority", cty.NumberIntVal(int64(m.priority)))
		if m.state != derivedState(in, i) {
			mb.SetAttributeValue("state", cty.StringVal(m.state))
		}
	}
	body.AppendNewline()
}

// serverName names a virtual server by its key.
func serverName(vs *virtualServer) string {
	if vs.group != "" {
		if vs.protocol == "udp" {
			return vs.group + "_udp"
		}
		return vs.group
	}
	if vs.fwmark != 0 {
		return "fwmark_" + strconv.FormatUint(uint64(vs.fwmark), 10)
	}
	return hclName(vs.protocol + "_" + vs.addr.Addr().String() + "_" + strconv.Itoa(int(vs.addr.Port())))
}

func (c *cluster) writeServer(body *hclwrite.Body, vs *virtualServer) {
	b := body.AppendNewBlock("virtual_server", []string{serverName(vs)}).Body()
	switch g := c.groups[vs.group]; {
	case vs.group != "":
		b.SetAttributeTraversal("group", ref("virtual_server_group", vs.group))
		if g == nil || !g.fwmark {
			b.SetAttributeValue("protocol", cty.StringVal(vs.protocol))
		}
	case vs.fwmark != 0:
		b.SetAttributeValue("fwmark", cty.NumberIntVal(int64(vs.fwmark)))
	default:
		b.SetAttributeValue("address", cty.StringVal(vs.addr.String()))
		b.SetAttributeValue("protocol", cty.StringVal(vs.protocol))
	}
	b.SetAttributeValue("mode", cty.StringVal(vs.mode))
	if vs.scheduler != "" {
		b.SetAttributeValue("scheduler", cty.StringVal(vs.scheduler))
	}
	if len(vs.flags) > 0 {
		b.SetAttributeValue("scheduler_flags", strs(vs.flags))
	}
	if vs.onePacket {
		b.SetAttributeValue("one_packet", cty.True)
	}
	if vs.tunType != "" {
		b.SetAttributeValue("tun_type", cty.StringVal(vs.tunType))
	}
	if vs.tunPort > 0 {
		b.SetAttributeValue("tun_port", cty.NumberIntVal(int64(vs.tunPort)))
	}
	if vs.tunCsum != "" {
		b.SetAttributeValue("tun_checksum", cty.StringVal(vs.tunCsum))
	}
	if vs.persistence > 0 {
		b.SetAttributeValue("persistence", cty.NumberIntVal(int64(vs.persistence)))
	}
	if vs.netmask != "" {
		b.SetAttributeValue("persistence_netmask", cty.StringVal(vs.netmask))
	}
	b.SetAttributeRaw("directors", refs("host", vs.directors))
	if vs.managedBy != "clusterctl" {
		b.SetAttributeValue("managed_by", cty.StringVal(vs.managedBy))
	}
	if vs.sorry != "" {
		b.SetAttributeValue("sorry_server", cty.StringVal(vs.sorry))
	}
	if vs.delayLoop > 0 {
		b.SetAttributeValue("delay_loop", cty.NumberIntVal(int64(vs.delayLoop)))
	}
	for _, kv := range []struct {
		k string
		v bool
	}{{"alpha", vs.alpha}, {"omega", vs.omega}} {
		if kv.v {
			b.SetAttributeValue(kv.k, cty.True)
		}
	}
	if len(vs.raw) > 0 {
		b.SetAttributeRaw("raw", heredoc(vs.raw))
	}
	for _, r := range vs.reals {
		label := r.addr.String()
		for _, hm := range c.hosts {
			for _, ps := range hm.interfaces {
				for _, p := range ps {
					if p.Addr() == r.addr {
						label = hm.h.Name
					}
				}
			}
		}
		rb := b.AppendNewBlock("real_server", []string{label}).Body()
		if r.port != 0 {
			rb.SetAttributeValue("port", cty.NumberIntVal(int64(r.port)))
		}
		rb.SetAttributeValue("weight", cty.NumberIntVal(int64(r.weight)))
		if r.inhibit {
			rb.SetAttributeValue("inhibit_on_failure", cty.True)
		}
		if r.upper > 0 {
			rb.SetAttributeValue("upper_threshold", cty.NumberIntVal(int64(r.upper)))
		}
		if r.lower > 0 {
			rb.SetAttributeValue("lower_threshold", cty.NumberIntVal(int64(r.lower)))
		}
		if ck := r.check; ck != nil {
			writeCheck(rb.AppendNewBlock("check", nil).Body(), ck)
		}
	}
	body.AppendNewline()
}
