package keepalived

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Problem is something in a configuration that a reader must not pass
// over silently: an unknown or misspelt keyword, a keyword used with the
// wrong shape, an include that matches nothing.
type Problem struct {
	File    string
	Line    int
	Col     int
	Keyword string
	Msg     string
	// Suggestion is the known keyword closest to an unknown one, or "".
	Suggestion string
	// Warning problems do not make the configuration invalid.
	Warning bool
}

func (p Problem) String() string {
	s := fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	if p.Suggestion != "" {
		s += fmt.Sprintf(" (did you mean %q?)", p.Suggestion)
	}
	return s
}

// Check reports every statement of nodes (a file's top level) whose
// keyword keepalived 2.x does not know in its block, or whose shape is
// wrong (a block keyword without its block, a block after a plain
// keyword). The children of an unknown block are not checked.
func Check(nodes []*Node) []Problem {
	var out []Problem
	checkIn(topContext, "the top level", nodes, &out)
	return out
}

func checkIn(context, where string, nodes []*Node, out *[]Problem) {
	for _, n := range nodes {
		if context == listContext {
			if n.Block {
				*out = append(*out, Problem{File: n.File, Line: n.Line, Col: n.Col, Keyword: n.Keyword,
					Msg: fmt.Sprintf("%s opens a block inside a list of values", n.Keyword)})
			}
			continue
		}
		switch {
		case strings.HasPrefix(n.Keyword, "$"):
			*out = append(*out, Problem{File: n.File, Line: n.Line, Col: n.Col, Keyword: n.Keyword,
				Msg: fmt.Sprintf("parameter substitution (%s) is not supported: write the values out", n.Keyword)})
			continue
		case strings.HasPrefix(n.Keyword, "@") || strings.HasPrefix(n.Keyword, "~"):
			*out = append(*out, Problem{File: n.File, Line: n.Line, Col: n.Col, Keyword: n.Keyword,
				Msg: fmt.Sprintf("conditional and sequence lines (%s) are not supported: write the lines each host uses", n.Keyword)})
			continue
		}
		k, ok := lookup(context, n.Keyword)
		if !ok {
			*out = append(*out, Problem{File: n.File, Line: n.Line, Col: n.Col, Keyword: n.Keyword,
				Msg:        fmt.Sprintf("unknown keyword %q in %s", n.Keyword, where),
				Suggestion: Suggest(context, n.Keyword)})
			continue
		}
		switch {
		case k.obsolete:
			*out = append(*out, Problem{File: n.File, Line: n.Line, Col: n.Col, Keyword: n.Keyword,
				Msg:        fmt.Sprintf("%s is keepalived 1.x's spelling of %s; keepalived 2.2.7 no longer knows it and ignores it", n.Keyword, k.alias),
				Suggestion: k.alias})
		case k.context != "" && !n.Block:
			*out = append(*out, Problem{File: n.File, Line: n.Line, Col: n.Col, Keyword: n.Keyword,
				Msg: fmt.Sprintf("%s needs a block ({ ... })", n.Keyword)})
		case k.context == "" && n.Block:
			*out = append(*out, Problem{File: n.File, Line: n.Line, Col: n.Col, Keyword: n.Keyword,
				Msg: fmt.Sprintf("%s takes no block", n.Keyword)})
		case k.context != "":
			checkIn(k.context, strings.TrimSpace(n.Keyword+" "+strings.Join(n.Args, " ")), n.Children, out)
		}
	}
}

// Suggest returns the keyword of context closest to an unknown one, when
// it is close enough to be a likely misspelling, else "".
func Suggest(context, unknown string) string {
	m := grammar[context]
	best, bestD := "", len(unknown)/3+2
	for _, kw := range slices.Sorted(maps.Keys(m)) {
		if d := distance(strings.ToLower(unknown), strings.ToLower(kw)); d < bestD {
			best, bestD = kw, d
		}
	}
	if best != "" && m[best].alias != "" {
		return m[best].alias
	}
	return best
}

// distance is the Levenshtein distance with adjacent transpositions.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// CheckIn is Check for statements that stand inside a block named
// context ("global_defs", "vrrp_instance", "virtual_server", or "top"
// for a file's top level): what clusterctl puts into one of its blocks
// from a configuration's raw lines.
func CheckIn(context string, nodes []*Node) []Problem {
	var out []Problem
	where := context
	if context == topContext {
		where = "the top level"
	}
	checkIn(context, where, nodes, &out)
	return out
}
