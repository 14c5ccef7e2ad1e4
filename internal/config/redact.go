package config

// What diagnostics may show of the sources they point into.
//
// A diagnostic is printed with a snippet of the line it points at, and
// HCL's messages quote pieces of the source ("The symbol "q" is not a
// valid escape sequence"). Three kinds of source text may hold a secret,
// and none of it may reach a snippet or a message:
//
//   - every value in a variable file: when the file does not parse, nothing
//     tells which variable a value belongs to, let alone whether it is
//     sensitive, so no value of any variable file is ever shown;
//   - in the configuration, the expression of every auth_pass, the default
//     of every sensitive variable, and whatever variable default or local
//     those refer to (a password split over a local and a literal is still
//     a password), and every top-level attribute (what a variable file
//     left among the configuration files looks like);
//   - the values of sensitive variables, of the variables an auth_pass is
//     built from, and of auth_pass, wherever they stand (secret.Masker);
//     and, in the values HCL prints next to a failing expression ("with
//     var.x as ..."), those variables and every local computed from them.
//
// A local computed from a sensitive variable is not hidden in snippets:
// its text holds the reference, not the value.
//
// When a configuration file does not parse, its syntax tree is incomplete
// and HCL's scanner may lose track of quotes for the rest of the file, so
// such a file is also scanned line by line, conservatively: there every
// variable default is treated as secret.

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// byteSpan is a half-open range of byte offsets in one source file.
type byteSpan struct{ start, end int }

// sourceStmt is one `name = value` of a configuration file.
type sourceStmt struct {
	file  string
	block string // the enclosing top-level block's type; "" at top level
	label string // that block's first label (a variable's name)
	name  string
	refs  []hcl.Traversal
	value byteSpan
}

// refNames returns the names this statement refers to under root ("var"
// or "local").
func (s sourceStmt) refNames(root string) []string {
	var out []string
	for _, t := range s.refs {
		if len(t) < 2 || t.RootName() != root {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			out = append(out, a.Name)
		}
	}
	return out
}

// secretSources is what the analysis of a configuration's sources found.
type secretSources struct {
	// spans are, per configuration file, the byte ranges that may hold
	// a secret.
	spans map[string][]byteSpan
	// vars and locals are the names whose values are secrets or parts of
	// secrets: never shown in a diagnostic's "with var.x as ..." lines,
	// and the values given for such variables are masked everywhere.
	vars, locals map[string]bool
}

// findSecretSources analyses the configuration files: trees holds the
// syntax tree of each file that parsed, src the bytes of every file
// (broken ones are scanned line by line).
func findSecretSources(trees map[string]*hclsyntax.Body, src map[string][]byte) secretSources {
	var stmts []sourceStmt
	sensitiveVar := map[string]bool{}
	broken := map[string]bool{}
	for name, b := range src {
		if body, ok := trees[name]; ok {
			stmts = append(stmts, treeStmts(name, body, sensitiveVar)...)
			continue
		}
		broken[name] = true
		stmts = append(stmts, lineStmts(name, b, sensitiveVar)...)
	}

	// A local is sensitive when it uses a sensitive variable or local.
	sensitiveLocal := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, s := range stmts {
			if s.block != "locals" || sensitiveLocal[s.name] {
				continue
			}
			if anyIn(s.refNames("var"), sensitiveVar) || anyIn(s.refNames("local"), sensitiveLocal) {
				sensitiveLocal[s.name] = true
				changed = true
			}
		}
	}

	// secretVar and secretLocal are what secret expressions refer to.
	secretVar, secretLocal := map[string]bool{}, map[string]bool{}
	secret := make([]bool, len(stmts))
	isSeed := func(s sourceStmt) bool {
		switch {
		case s.name == "auth_pass", s.block == "":
			return true
		case s.block == "variable" && s.name == "default":
			return sensitiveVar[s.label] || broken[s.file]
		}
		return false
	}
	for i, s := range stmts {
		secret[i] = isSeed(s)
	}
	// What a secret expression refers to is part of the secret.
	for changed := true; changed; {
		changed = false
		for i, s := range stmts {
			if !secret[i] {
				continue
			}
			for _, n := range s.refNames("var") {
				secretVar[n] = true
			}
			for _, n := range s.refNames("local") {
				secretLocal[n] = true
			}
		}
		for i, s := range stmts {
			if secret[i] {
				continue
			}
			if (s.block == "variable" && s.name == "default" && secretVar[s.label]) ||
				(s.block == "locals" && secretLocal[s.name]) {
				secret[i] = true
				changed = true
			}
		}
	}
	out := secretSources{spans: map[string][]byteSpan{}, vars: map[string]bool{}, locals: map[string]bool{}}
	for _, set := range []map[string]bool{sensitiveVar, secretVar} {
		for n := range set {
			out.vars[n] = true
		}
	}
	for _, set := range []map[string]bool{sensitiveLocal, secretLocal} {
		for n := range set {
			out.locals[n] = true
		}
	}
	for i, s := range stmts {
		if secret[i] {
			out.spans[s.file] = append(out.spans[s.file], s.value)
		}
	}
	return out
}

func anyIn(names []string, set map[string]bool) bool {
	for _, n := range names {
		if set[n] {
			return true
		}
	}
	return false
}

// treeStmts lists the attributes of a parsed file, at every depth, and
// records which variables it declares sensitive. A sensitive flag that is
// not plainly false counts as true.
func treeStmts(file string, body *hclsyntax.Body, sensitiveVar map[string]bool) []sourceStmt {
	var out []sourceStmt
	for _, a := range body.Attributes {
		out = append(out, attrStmt(file, "", "", a))
	}
	for _, blk := range body.Blocks {
		label := ""
		if len(blk.Labels) > 0 {
			label = blk.Labels[0]
		}
		var walk func(b *hclsyntax.Body)
		walk = func(b *hclsyntax.Body) {
			for _, a := range b.Attributes {
				out = append(out, attrStmt(file, blk.Type, label, a))
			}
			for _, nested := range b.Blocks {
				walk(nested.Body)
			}
		}
		walk(blk.Body)
		if blk.Type == "variable" {
			if a, ok := blk.Body.Attributes["sensitive"]; ok && !plainlyFalse(a.Expr) {
				sensitiveVar[label] = true
			}
		}
	}
	return out
}

func attrStmt(file, block, label string, a *hclsyntax.Attribute) sourceStmt {
	rng := a.Expr.Range()
	return sourceStmt{file: file, block: block, label: label, name: a.Name,
		refs: a.Expr.Variables(), value: byteSpan{rng.Start.Byte, rng.End.Byte}}
}

func plainlyFalse(expr hcl.Expression) bool {
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return false
	}
	b, err := convert.Convert(v, cty.Bool)
	return err == nil && b.IsKnown() && !b.IsNull() && b.False()
}

var (
	// A `name =` on a line: at its start, or after the { of a one-line
	// block.
	reLineStmt = regexp.MustCompile(`(?:^|\{)[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=(?:[^=>]|$)`)
	// A top-level block header, written (as hcl fmt does) at column 0.
	reLineHeader = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*)(?:[ \t]+"([^"]*)")?[^=]*\{`)
	// A heredoc opener ending a line.
	reLineHeredoc = regexp.MustCompile(`<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?$`)
	// A `name =` starting a line of a variable file.
	reLineName = regexp.MustCompile(`^[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=`)
	// A reference to a variable or local.
	reLineRef = regexp.MustCompile(`\b(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)`)
)

// lineStmts finds the statements of a file that does not parse, line by
// line, without trusting HCL's scanner. A value runs to the end of its
// line, or further while its brackets or a quoted string are open, or to
// the end of its heredoc. Lines inside a value are scanned too: that can only make more
// text secret.
func lineStmts(file string, src []byte, sensitiveVar map[string]bool) []sourceStmt {
	lines := splitLines(src)
	var out []sourceStmt
	block, label := "", ""
	for i, ln := range lines {
		text := src[ln.start:ln.end]
		if m := reLineHeader.FindSubmatch(text); m != nil {
			block, label = string(m[1]), string(m[2])
		}
		matches := reLineStmt.FindAllSubmatchIndex(text, -1)
		for j, m := range matches {
			name := string(text[m[2]:m[3]])
			eq := bytes.IndexByte(text[m[3]:], '=') + m[3]
			start := ln.start + eq + 1
			for start < ln.end && (src[start] == ' ' || src[start] == '\t') {
				start++
			}
			end := lines[valueEnd(src, lines, i, text[eq+1:])].end
			if j+1 < len(matches) {
				end = max(start, ln.start+matches[j+1][0])
			}
			s := sourceStmt{file: file, block: block, label: label, name: name, value: byteSpan{start, end}}
			if len(text) > 0 && text[0] != ' ' && text[0] != '\t' && m[0] == 0 {
				s.block, s.label = "", "" // a statement at column 0 is top-level
			}
			for _, r := range reLineRef.FindAllSubmatch(src[start:end], -1) {
				s.refs = append(s.refs, hcl.Traversal{hcl.TraverseRoot{Name: string(r[1])}, hcl.TraverseAttr{Name: string(r[2])}})
			}
			if s.block == "variable" && name == "sensitive" && string(bytes.TrimSpace(src[start:end])) != "false" {
				sensitiveVar[label] = true
			}
			out = append(out, s)
		}
		if len(text) > 0 && text[0] == '}' {
			block, label = "", ""
		}
	}
	return out
}

// valueEnd returns the index of the line where a value starting on line i
// with text rest ends.
func valueEnd(src []byte, lines []byteSpan, i int, rest []byte) int {
	if m := reLineHeredoc.FindSubmatch(rest); m != nil {
		for j := i + 1; j < len(lines); j++ {
			if string(bytes.TrimSpace(src[lines[j].start:lines[j].end])) == string(m[1]) {
				return j
			}
		}
		return len(lines) - 1
	}
	depth, quoted := bracketDepth(rest, false)
	j := i
	for (depth > 0 || quoted) && j+1 < len(lines) {
		j++
		var d int
		d, quoted = bracketDepth(src[lines[j].start:lines[j].end], quoted)
		depth += d
	}
	return j
}

// bracketDepth counts the brackets a line opens minus those it closes,
// outside double quotes, starting inside a quoted string when quoted is
// set (a string left open on an earlier line); it also tells whether a
// string is still open at the end of the line.
func bracketDepth(b []byte, quoted bool) (int, bool) {
	depth := 0
	for i, c := range b {
		switch {
		case c == '"' && (i == 0 || b[i-1] != '\\'):
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	return depth, quoted
}

// splitLines returns the byte span of each line of src, without its end
// of line.
func splitLines(src []byte) []byteSpan {
	var out []byteSpan
	start := 0
	for i, c := range src {
		if c == '\n' {
			out = append(out, byteSpan{start, i})
			start = i + 1
		}
	}
	return append(out, byteSpan{start, len(src)})
}

// blankSpans returns a copy of src with every byte of spans except line
// ends overwritten by fill, so offsets and line numbers stay valid.
func blankSpans(src []byte, spans []byteSpan, fill byte) []byte {
	out := append([]byte(nil), src...)
	for _, s := range spans {
		for i := max(s.start, 0); i < min(s.end, len(out)); i++ {
			if out[i] != '\n' && out[i] != '\r' {
				out[i] = fill
			}
		}
	}
	return out
}

// varFileNames returns the byte spans of a variable file that may be
// shown: the name and '=' of each `name = value` line. body is the parsed
// file, or nil when it does not parse; then a line's name is shown only
// when it starts the line, is followed by '=', and HCL's scanner also
// reads an identifier there (so nothing inside a string or heredoc it
// still tracks is taken for a name).
func varFileNames(src []byte, body *hclsyntax.Body) []byteSpan {
	var out []byteSpan
	nameAndEq := func(start, end int) {
		if eq := bytes.IndexByte(src[end:], '='); eq >= 0 && len(bytes.TrimSpace(src[end:end+eq])) == 0 {
			out = append(out, byteSpan{start, end}, byteSpan{end + eq, end + eq + 1})
		}
	}
	if body != nil {
		for _, a := range body.Attributes {
			nameAndEq(a.NameRange.Start.Byte, a.NameRange.End.Byte)
		}
		return out
	}
	idents := map[int]int{}
	toks, _ := hclsyntax.LexConfig(src, "", hcl.InitialPos)
	for _, t := range toks {
		if t.Type == hclsyntax.TokenIdent {
			idents[t.Range.Start.Byte] = t.Range.End.Byte
		}
	}
	for _, ln := range splitLines(src) {
		m := reLineName.FindSubmatchIndex(src[ln.start:ln.end])
		if m == nil {
			continue
		}
		start, end := ln.start+m[2], ln.start+m[3]
		if idents[start] == end {
			nameAndEq(start, end)
		}
	}
	return out
}

// hiddenVarFile returns a variable file as a diagnostic may show it: names
// kept, every other byte but line ends turned into a space.
func hiddenVarFile(src []byte, shown []byteSpan) []byte {
	out := blankSpans(src, []byteSpan{{0, len(src)}}, ' ')
	for _, s := range shown {
		copy(out[s.start:s.end], src[s.start:s.end])
	}
	return out
}

// withoutSpans returns src with the bytes of spans replaced by NUL, so
// that a search in it cannot match across or into them.
func withoutSpans(src []byte, spans []byteSpan) []byte {
	out := append([]byte(nil), src...)
	for _, s := range spans {
		for i := s.start; i < s.end; i++ {
			out[i] = 0
		}
	}
	return out
}

var (
	// A double-quoted piece of a message: how HCL quotes source text
	// (Go's %q).
	reQuoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	// Source text HCL puts into messages without quotes: a code point
	// ("Cannot encode character U+D800") and legacy index pairs.
	reUnquotedSource = regexp.MustCompile(`U\+[0-9A-Fa-f]{4,}|\[[^\]\s]*\]\[[^\]\s]*\]`)
)

// redactMessage removes from msg every quoted piece whose text occurs in
// hidden (the source text that must not be shown), and the source text
// HCL inserts unquoted.
func redactMessage(msg string, hidden []byte) string {
	msg = reQuoted.ReplaceAllStringFunc(msg, func(q string) string {
		inner := q[1 : len(q)-1]
		u, err := strconv.Unquote(q)
		if err != nil || (inner != "" && bytes.Contains(hidden, []byte(inner))) || (u != "" && bytes.Contains(hidden, []byte(u))) {
			return `"…"`
		}
		return q
	})
	return reUnquotedSource.ReplaceAllString(msg, "…")
}

// hideInContext returns a copy of ctx in which the given variables and
// locals are unknown, so that a diagnostic's "with var.x as ..." lines
// leave them out.
func hideInContext(ctx *hcl.EvalContext, vars, locals map[string]bool) *hcl.EvalContext {
	c := *ctx
	c.Variables = map[string]cty.Value{}
	for k, v := range ctx.Variables {
		switch k {
		case "var":
			v = hideAttrs(v, vars)
		case "local":
			v = hideAttrs(v, locals)
		}
		c.Variables[k] = v
	}
	return &c
}

func hideAttrs(obj cty.Value, names map[string]bool) cty.Value {
	if !obj.IsKnown() || obj.IsNull() || !obj.Type().IsObjectType() {
		return obj
	}
	attrs := map[string]cty.Value{}
	for k, v := range obj.AsValueMap() {
		if names[k] {
			v = cty.DynamicVal
		}
		attrs[k] = v
	}
	return cty.ObjectVal(attrs)
}

// position formats where a range starts as file:line:column.
func position(r *hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// RedactSource returns src, a configuration file that may not parse,
// with every value that may be secret overwritten by asterisks (auth_pass
// expressions, sensitive defaults and what refers to them), for the
// source snippets of diagnostics printed outside a Load (clusterctl fmt).
// Lengths and line breaks are kept.
func RedactSource(name string, src []byte) []byte {
	found := findSecretSources(nil, map[string][]byte{name: src})
	return blankSpans(src, found.spans[name], '*')
}
