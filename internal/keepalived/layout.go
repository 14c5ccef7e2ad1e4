package keepalived

import "strings"

// Reindent lays out keepalived lines written by hand (a configuration's
// raw lines) as clusterctl writes its own: every line's leading and
// trailing blanks removed, then indented by unit once per enclosing
// block, starting at depth blocks deep. Lines are otherwise kept as they
// are, comments too; blank lines at the start and end are dropped, blank
// lines between are kept empty. CRLF line ends become LF. Braces inside
// quotes and comments do not count. The result has no final newline.
//
// src must parse (Parse) in its own right: Reindent does not check that
// its braces balance, and never indents a line less than depth.
func Reindent(src string, depth int, unit string) string {
	ls := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for len(ls) > 0 && strings.TrimSpace(ls[0]) == "" {
		ls = ls[1:]
	}
	for len(ls) > 0 && strings.TrimSpace(ls[len(ls)-1]) == "" {
		ls = ls[:len(ls)-1]
	}
	var b strings.Builder
	level := 0
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		toks, err := lex(l)
		if err != nil {
			toks = nil // an unterminated quote: no braces to count
		}
		// Closing braces that start the line close before it is indented.
		lead := 0
		for lead < len(toks) && toks[lead].text == "}" && !toks[lead].quoted {
			lead++
		}
		b.WriteString(strings.Repeat(unit, depth+max(level-lead, 0)))
		b.WriteString(l)
		for _, t := range toks {
			switch {
			case t.quoted:
			case t.text == "{":
				level++
			case t.text == "}":
				level = max(level-1, 0)
			}
		}
	}
	return b.String()
}
