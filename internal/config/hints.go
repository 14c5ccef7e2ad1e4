package config

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// keepalivedKeywords maps keepalived.conf keywords (and common misnamings
// of them) that clusterctl spells differently to what to write instead.
// An "Unsupported argument" naming one gets the pointer in its detail.
var keepalivedKeywords = map[string]string{
	"virtual_ipaddress":          `virtual_ips = ["ADDR", ...]`,
	"virtual_ipaddress_excluded": `virtual_ips = ["ADDR", ...]`,
	"advert_interval":            "advert_int",
	"advert_intervall":           "advert_int",
	"lb_algo":                    "scheduler",
	"lvs_sched":                  "scheduler",
	"lb_kind":                    `mode ("nat", "dr", "tun" or "fullnat")`,
	"lvs_method":                 `mode ("nat", "dr", "tun" or "fullnat")`,
	"persistence_timeout":        "persistence",
	"persistence_granularity":    "persistence_netmask",
	"authentication":             "auth_pass (PASS authentication is implied)",
	"auth_type":                  "auth_pass (PASS authentication is implied)",
	"unicast_peer":               "unicast = true (the peers are the other members)",
	"unicast_src_ip":             "unicast = true (the source is the member's address)",
	"vrid":                       "virtual_router_id",
	"router_id_vrrp":             "virtual_router_id",
	"real_server":                `a block: real_server "HOST" { port = ... }`,
	"virtual_server":             `a block: virtual_server "NAME" { ... }`,
	"track_scripts":              "track_script",
	"track_interfaces":           "track_interface",
	"notify":                     "notify_master, notify_backup and notify_fault",
	"smtp_alert":                 "notification_email in the keepalived block",
	"notification_email_to":      "notification_email",
}

var (
	unsupportedArgRE = regexp.MustCompile(`An argument named "([^"]+)" is not expected here\.`)
	didYouMeanRE     = regexp.MustCompile(`Did you mean "([^"]+)"\?`)
	requiredArgRE    = regexp.MustCompile(`^The argument "([^"]+)" is required`)
	leadingName      = regexp.MustCompile(`^[a-z_]+\b`)
)

// refineDiagnostics makes decode diagnostics more useful: an unsupported
// argument that is a keepalived keyword says what clusterctl calls it,
// and a "Missing required argument" that a nearby misspelling of the same
// argument explains is dropped (a typo such as prority is one error, not
// two). files locates blocks.
func refineDiagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) hcl.Diagnostics {
	suggested := map[string][]*hcl.Range{} // argument name → where a typo of it is
	for _, d := range diags {
		if d.Summary != "Unsupported argument" || d.Subject == nil {
			continue
		}
		m := unsupportedArgRE.FindStringSubmatch(d.Detail)
		if m == nil {
			continue
		}
		if hint, ok := keepalivedKeywords[m[1]]; ok && !didYouMeanRE.MatchString(d.Detail) {
			d.Detail = fmt.Sprintf("%s keepalived's %s is written %s in clusterctl (docs/configuration.md).", d.Detail, m[1], hint)
			if arg := leadingName.FindString(hint); arg != "" {
				suggested[arg] = append(suggested[arg], d.Subject)
			}
		} else if !ok && !didYouMeanRE.MatchString(d.Detail) {
			d.Detail += rawHint(m[1], innermostBlock(files[d.Subject.Filename], d.Subject))
		}
		if s := didYouMeanRE.FindStringSubmatch(d.Detail); s != nil {
			suggested[s[1]] = append(suggested[s[1]], d.Subject)
		}
	}
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Summary == "Missing required argument" && d.Subject != nil {
			if m := requiredArgRE.FindStringSubmatch(d.Detail); m != nil && explainedByTypo(d.Subject, suggested[m[1]], files) {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// rawContexts are the blocks that take raw lines, with the keepalived
// block the lines go into.
var rawContexts = map[string]string{
	"keepalived":     rawGlobalDefs,
	"vrrp_instance":  rawVRRPInstance,
	"virtual_server": rawVirtualServer,
}

// rawHint points an unsupported argument that is a keyword keepalived
// knows in the block's keepalived counterpart, and that clusterctl does
// not model, at the block's raw lines; "" otherwise.
func rawHint(name string, blk *hclsyntax.Block) string {
	if blk == nil {
		return ""
	}
	context, ok := rawContexts[blk.Type]
	if !ok || !keepalived.Known(context, name) {
		return ""
	}
	if _, modelled := modelledKeywords[context][keepalived.CanonicalKeyword(context, name)]; modelled {
		return ""
	}
	return fmt.Sprintf(" clusterctl does not model keepalived's %s; write it as a raw keepalived line of this block: raw = <<-EOT ... EOT (docs/configuration.md, Raw keepalived lines).", name)
}

// explainedByTypo reports whether one of typos lies in the innermost block
// whose body the missing argument's range points into.
func explainedByTypo(missing *hcl.Range, typos []*hcl.Range, files map[string]*hcl.File) bool {
	for _, t := range typos {
		if t.Filename != missing.Filename || t.Start.Line < missing.Start.Line-1 {
			continue
		}
		blk := innermostBlock(files[t.Filename], t)
		if blk == nil {
			continue
		}
		r := blk.Range()
		if missing.Start.Line >= r.Start.Line && missing.Start.Line <= r.End.Line {
			return true
		}
	}
	return false
}

// innermostBlock returns the deepest block of f whose range holds r.
func innermostBlock(f *hcl.File, r *hcl.Range) *hclsyntax.Block {
	if f == nil {
		return nil
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var found *hclsyntax.Block
	for body != nil {
		var next *hclsyntax.Body
		for _, b := range body.Blocks {
			br := b.Range()
			if r.Start.Line >= br.Start.Line && r.End.Line <= br.End.Line {
				found, next = b, b.Body
				break
			}
		}
		body = next
	}
	return found
}
