package adopt

import (
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// rawLines returns statement n of a keepalived block named context as
// the lines of a raw attribute (config's escape hatch), when the
// configuration can carry it that way: keepalived 2.x knows the keyword
// and its children there (an unknown or obsolete one stays lost, as
// keepalived ignores it), the model does not render it into that block,
// and it holds no include or preprocessor line. Only the layout of the
// statement changes, which keepalived.Same ignores.
func rawLines(context string, n *keepalived.Node) ([]string, bool) {
	if len(keepalived.CheckIn(context, []*keepalived.Node{n})) > 0 {
		return nil, false
	}
	if slices.Contains(config.ModelledKeywords(context), keepalived.CanonicalKeyword(context, n.Keyword)) {
		return nil, false
	}
	var out []string
	ok := true
	var walk func(n *keepalived.Node, depth int)
	walk = func(n *keepalived.Node, depth int) {
		if n.Keyword == "include" || strings.HasPrefix(n.Keyword, "$") || strings.HasPrefix(n.Keyword, "@") || strings.HasPrefix(n.Keyword, "~") {
			ok = false
		}
		words := make([]string, 0, len(n.Args)+1)
		for _, w := range n.Words() {
			words = append(words, rawWord(w))
		}
		line := strings.Repeat("  ", depth) + strings.Join(words, " ")
		if !n.Block {
			out = append(out, line)
			return
		}
		out = append(out, line+" {")
		for _, c := range n.Children {
			walk(c, depth+1)
		}
		out = append(out, strings.Repeat("  ", depth)+"}")
	}
	walk(n, 0)
	return out, ok
}

// rawWord writes a word so that keepalived reads it back as the same
// word: quoted when it is empty or holds a blank, a comment character or
// a brace. (A word never holds a double quote: keepalived has no escape
// for one.)
func rawWord(w string) string {
	if w == "" || strings.ContainsAny(w, " \t#!{}") {
		return `"` + w + `"`
	}
	return w
}

// heredoc returns tokens for a <<-EOT heredoc holding lines, indented
// for an attribute of a top-level block (hclwrite.Format leaves a
// heredoc's lines as they are), with HCL's
// template sequences ("${", "%{") escaped so that the value is the lines
// themselves.
func heredoc(lines []string) hclwrite.Tokens {
	toks := hclwrite.Tokens{{Type: hclsyntax.TokenOHeredoc, Bytes: []byte("<<-EOT\n")}}
	for _, l := range lines {
		l = strings.ReplaceAll(strings.ReplaceAll(l, "${", "$${"), "%{", "%%{")
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenStringLit, Bytes: []byte("    " + l + "\n")})
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCHeredoc, Bytes: []byte("  EOT")})
}

// dropSecretRaw leaves out of the configuration raw lines that hold a
// secret (config rejects them: plans show raw lines as they are), and
// reports them lost.
func (c *cluster) dropSecretRaw(secrets []string) {
	lost := func(host, pos, what string) {
		c.findings = append(c.findings, Finding{Level: Lost, Host: host, Pos: pos,
			Msg: what + ": lines the model lacks hold a password; raw lines are shown in plans, so they are not in the configuration"})
	}
	for _, attr := range []string{"raw", "raw_blocks"} {
		if g, ok := c.global[attr]; ok && holdsSecret(g.value.(string), secrets) {
			lost(g.host, g.pos, "keepalived "+attr)
			delete(c.global, attr)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.servers)) {
		if vs := c.servers[k]; holdsSecret(strings.Join(vs.raw, "\n"), secrets) {
			lost(vs.first, vs.firstPos, "virtual_server "+vs.key())
			vs.raw = nil
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.instances)) {
		if in := c.instances[name]; holdsSecret(strings.Join(in.raw, "\n"), secrets) {
			lost(in.first, in.firstPos, "vrrp_instance "+in.name)
			in.raw = nil
		}
	}
}

// holdsSecret says whether text contains any of the non-empty secrets.
func holdsSecret(text string, secrets []string) bool {
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			return true
		}
	}
	return false
}
