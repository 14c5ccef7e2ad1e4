package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// Raw keepalived lines are the escape hatch for what the model still
// lacks: a `raw` attribute holds keepalived.conf lines that are rendered
// verbatim (re-indented) into one block of keepalived.conf. clusterctl
// checks only what keeps the rest of the file and the plan sound; what the
// lines mean is left to keepalived, whose `keepalived -t` checks the whole
// file on each host before it is swapped in.
//
// Where each raw attribute renders, by the keepalived block (its
// keywords' context in internal/keepalived's grammar):
//
//	keepalived { raw }         global_defs { ... }
//	keepalived { raw_blocks }  the top level of keepalived.conf
//	vrrp_instance { raw }      vrrp_instance NAME { ... }
//	virtual_server { raw }     virtual_server ADDR PORT { ... } (managed_by = "keepalived")
const (
	rawGlobalDefs    = "global_defs"
	rawTop           = "top"
	rawVRRPInstance  = "vrrp_instance"
	rawVirtualServer = "virtual_server"
)

// modelledKeywords are, per keepalived block, the keywords clusterctl
// renders into it from its model (spelt as keepalived 2.x does, see
// keepalived.CanonicalKeyword), each with the configuration setting that
// renders it. Raw lines may not set them: the block would say it twice,
// and the plan, validation and import reason from the model's value.
// render's tests check that every keyword the renderer writes is here.
var modelledKeywords = map[string]map[string]string{
	rawTop: {
		"global_defs":          "the keepalived block",
		"vrrp_script":          "a health_check block",
		"vrrp_track_process":   "a track_process block",
		"vrrp_track_file":      "a track_file block",
		"track_file":           "a track_file block",
		"vrrp_sync_group":      "a vrrp_sync_group block",
		"vrrp_instance":        "a vrrp_instance block",
		"virtual_server":       "a virtual_server block",
		"virtual_server_group": "a virtual_server_group block",
		"bfd_instance":         "a bfd_instance block",
	},
	rawGlobalDefs: {
		"router_id":               "router_id",
		"notification_email":      "notification_email",
		"notification_email_from": "notification_email_from",
		"smtp_server":             "smtp_server",
		"smtp_connect_timeout":    "smtp_connect_timeout",
		"enable_script_security":  "enable_script_security",
		"script_user":             "script_user",
		"vrrp_strict":             "vrrp_strict",
		"lvs_sync_daemon":         "a vrrp_instance's lvs_sync_daemon block",
		"notify_fifo":             "notify_fifo",
		"notify_fifo_script":      "notify_fifo_script",
	},
	rawVRRPInstance: {
		"state":                      "the member's state",
		"interface":                  "interface",
		"virtual_router_id":          "virtual_router_id",
		"priority":                   "the member's priority",
		"advert_int":                 "advert_int",
		"version":                    "version",
		"accept":                     "accept",
		"no_accept":                  "accept",
		"use_vmac":                   "use_vmac",
		"nopreempt":                  "nopreempt",
		"preempt":                    "nopreempt",
		"preempt_delay":              "preempt_delay",
		"garp_master_delay":          "garp_master_delay",
		"unicast_src_ip":             "unicast",
		"unicast_peer":               "unicast",
		"authentication":             "auth_pass",
		"virtual_ipaddress":          "virtual_ips",
		"virtual_ipaddress_excluded": "excluded_ips",
		"track_interface":            "track_interface",
		"track_script":               "track_script",
		"track_process":              "track_process",
		"track_file":                 "track_file",
		"notify_master":              "notify_master",
		"notify_backup":              "notify_backup",
		"notify_fault":               "notify_fault",
		"notify":                     "notify",
		"notify_stop":                "notify_stop",
		"virtual_routes":             "virtual_route blocks",
		"virtual_rules":              "virtual_rule blocks",
	},
	rawVirtualServer: {
		"delay_loop":              "delay_loop",
		"lvs_sched":               "scheduler",
		"lvs_method":              "mode",
		"flag-1":                  "scheduler_flags",
		"flag-2":                  "scheduler_flags",
		"flag-3":                  "scheduler_flags",
		"sh-port":                 "scheduler_flags",
		"sh-fallback":             "scheduler_flags",
		"mh-port":                 "scheduler_flags",
		"mh-fallback":             "scheduler_flags",
		"ops":                     "one_packet",
		"one_packet_scheduling":   "one_packet",
		"persistence_timeout":     "persistence",
		"persistence_granularity": "persistence_netmask",
		"persistence_engine":      "persistence_engine",
		"protocol":                "protocol",
		"sorry_server":            "sorry_server",
		"real_server":             "a real_server block",
		"alpha":                   "alpha",
		"omega":                   "omega",
	},
}

// ModelledKeywords returns the keywords clusterctl renders into the
// keepalived block named context ("top", "global_defs", "vrrp_instance",
// "virtual_server") from its model, sorted: the ones raw lines in that
// block may not set.
func ModelledKeywords(context string) []string {
	return slices.Sorted(maps.Keys(modelledKeywords[context]))
}

// RawWarning is the summary of the warning every raw attribute gets.
const RawWarning = "Raw keepalived lines are not checked by clusterctl"

// rawText is a raw attribute as written, kept until every secret of the
// configuration is known.
type rawText struct {
	attr  string
	text  string
	rng   hcl.Range
	lines []hcl.Range // where each line of text was written, when known
}

// decodeRaw reads the raw attribute attr of a block whose lines render
// into the keepalived block named context, and checks them: no control
// characters, balanced braces and terminated quotes, no include or
// preprocessor lines, and no keyword the model renders into the same
// block. Unknown keywords are warnings (keepalived -t decides), and every
// raw attribute is flagged as unchecked by clusterctl.
func (d *decoder) decodeRaw(r *blockReader, attr, context string) string {
	text := r.str(attr, "")
	if !r.has(attr) {
		return ""
	}
	rng := r.ranges[attr]
	if r.usedSensitive[attr] {
		r.errorf(rng, "Sensitive value in raw lines",
			"%s refers to a sensitive value. Raw keepalived lines are shown as they are in every plan (they are not a place clusterctl masks secrets in); set the secret through a modelled attribute such as auth_pass.", attr)
		return ""
	}
	if strings.TrimSpace(text) == "" {
		return ""
	}
	rt := rawText{attr: attr, text: text, rng: rng, lines: d.rawLineRanges(r, attr, text)}
	at := func(line int) hcl.Range {
		if line >= 1 && line <= len(rt.lines) {
			return rt.lines[line-1]
		}
		return rng
	}
	ok := true
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if c, bad := controlChar(l); bad {
			r.errorf(at(i+1), "Control character in raw lines",
				"Line %d of %s holds the control character %s; keepalived.conf lines are text (tabs are allowed).", i+1, attr, c)
			ok = false
		}
	}
	if !ok {
		return ""
	}
	nodes, err := keepalived.Parse(attr, []byte(text))
	if err != nil {
		line := 0
		msg := err.Error()
		if pe, isPE := err.(*keepalived.Error); isPE {
			line, msg = pe.Line, pe.Msg
		}
		r.errorf(at(line), "Raw lines do not parse",
			"Line %d of %s: %s. Raw lines stand inside one block of keepalived.conf, so their braces must balance and their quotes close.", line, attr, msg)
		return ""
	}
	modelled := modelledKeywords[context]
	walkNodes(nodes, func(n *keepalived.Node, top bool) {
		switch {
		case n.Keyword == "include":
			r.errorf(at(n.Line), "include in raw lines",
				"Line %d of %s is an include. Raw lines must be in the configuration itself, so that the plan shows them and import reads them back; an included file is neither managed nor shown.", n.Line, attr)
			ok = false
		case strings.HasPrefix(n.Keyword, "$") || strings.HasPrefix(n.Keyword, "@") || strings.HasPrefix(n.Keyword, "~"):
			r.errorf(at(n.Line), "Preprocessor line in raw lines",
				"Line %d of %s (%s...) is a parameter, conditional or sequence line, which changes how keepalived reads the rest of the file. Write out the lines the hosts use.", n.Line, attr, n.Keyword[:1])
			ok = false
		case top:
			kw := keepalived.CanonicalKeyword(context, n.Keyword)
			if setting, clash := modelled[kw]; clash {
				r.errorf(at(n.Line), "Raw lines repeat a modelled keyword",
					"Line %d of %s sets %s, which clusterctl already renders into this block of keepalived.conf from %s. Set it there; raw lines are for what the model lacks.", n.Line, attr, n.Keyword, setting)
				ok = false
			}
		}
	})
	if !ok {
		return ""
	}
	for _, p := range keepalived.CheckIn(context, nodes) {
		detail := fmt.Sprintf("Line %d of %s: %s", p.Line, attr, p.Msg)
		if p.Suggestion != "" {
			detail += fmt.Sprintf(" (did you mean %q?)", p.Suggestion)
		}
		r.warnf(at(p.Line), "Raw line keepalived may not know",
			"%s. clusterctl passes raw lines through as they are; `keepalived -t` on each host decides, and a line it rejects stops the apply on that host before anything changes.", detail)
	}
	r.warnf(rng, RawWarning,
		"The lines of %s are passed through to keepalived.conf unchecked by clusterctl (only their layout, braces and keywords the model renders are checked); `keepalived -t` checks them on each host before the file is swapped in.", attr)
	d.raws = append(d.raws, rt)
	return text
}

// checkRawSecrets reports raw lines that contain a secret of the
// configuration: raw text is shown in plans as it is.
func (d *decoder) checkRawSecrets() {
	for _, rt := range d.raws {
		for _, s := range d.secrets {
			if s == "" || !strings.Contains(rt.text, s) {
				continue
			}
			rng := rt.rng
			for i, l := range strings.Split(rt.text, "\n") {
				if strings.Contains(l, s) && i < len(rt.lines) {
					rng = rt.lines[i]
					break
				}
			}
			// Never quote the line or the value.
			d.errorf(rng.Ptr(), "Secret in raw lines",
				"%s contains the value of a sensitive variable or an auth_pass. Raw keepalived lines are shown as they are in every plan; set the secret through a modelled attribute (auth_pass) or leave it out.", rt.attr)
			break
		}
	}
}

// walkNodes calls fn for every statement, top says whether it stands
// directly in the raw lines' block.
func walkNodes(nodes []*keepalived.Node, fn func(n *keepalived.Node, top bool)) {
	var walk func(ns []*keepalived.Node, top bool)
	walk = func(ns []*keepalived.Node, top bool) {
		for _, n := range ns {
			fn(n, top)
			walk(n.Children, false)
		}
	}
	walk(nodes, true)
}

// controlChar reports the first control character of a line (tabs are
// fine), spelt for a message.
func controlChar(l string) (string, bool) {
	for _, c := range []byte(l) {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Sprintf("0x%02x", c), true
		}
	}
	return "", false
}

// rawLineRanges returns where each line of a raw attribute's text was
// written, for a heredoc written out in the file (<<EOT or <<-EOT) whose
// lines are the value's lines; nil otherwise (a variable, a quoted string
// with \n escapes), and diagnostics then point at the attribute.
func (d *decoder) rawLineRanges(r *blockReader, attr, text string) []hcl.Range {
	a, ok := r.content.Attributes[attr]
	if !ok || d.loader == nil {
		return nil
	}
	rng := a.Expr.Range()
	f := d.loader.parser.Files()[rng.Filename]
	if f == nil || rng.End.Byte > len(f.Bytes) || !strings.HasPrefix(string(f.Bytes[rng.Start.Byte:]), "<<") {
		return nil
	}
	want := strings.Count(strings.TrimSuffix(text, "\n"), "\n") + 1
	// The heredoc's lines are those between its opening and closing lines.
	if rng.End.Line-rng.Start.Line-1 != want {
		return nil
	}
	src := f.Bytes
	start := rng.Start.Byte
	for start < len(src) && src[start] != '\n' {
		start++
	}
	start++ // the first content line
	out := make([]hcl.Range, 0, want)
	for i := 0; i < want && start <= len(src); i++ {
		end := start
		for end < len(src) && src[end] != '\n' {
			end++
		}
		line := rng.Start.Line + 1 + i
		out = append(out, hcl.Range{
			Filename: rng.Filename,
			Start:    hcl.Pos{Line: line, Column: 1, Byte: start},
			End:      hcl.Pos{Line: line, Column: utf8.RuneCount(src[start:end]) + 1, Byte: end},
		})
		start = end + 1
	}
	if len(out) != want {
		return nil
	}
	return out
}
