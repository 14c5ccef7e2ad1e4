// Package keepalived reads keepalived.conf: a tokenizer for keepalived's
// grammar (blocks, quoted strings, '!' and '#' comments, a brace on the
// next line, line continuations, CRLF, a UTF-8 byte order mark, any bytes
// in comments) into a tree of statements with their source positions
// (parse.go); `include` directives with globs, resolved through an FS
// (include.go); the keywords of keepalived 2.x with the 1.x spellings
// still found in the wild, and a check that reports unknown or misspelt
// keywords with a suggestion (grammar.go, check.go); the canonical form
// that defines when two configurations are the same (canonical.go); and
// a typed view of the VRRP part (vrrp.go) that the planner uses to tell
// what a configuration change does to a running VRRP group. Everything
// but OSFS is pure: the caller hands in the files.
package keepalived

import (
	"bytes"
	"fmt"
	"strings"
)

// Node is one statement: a keyword with its arguments, and the statements
// of its block when it opens one ("vrrp_instance VI_1 { ... }"). Inside
// value blocks (virtual_ipaddress, unicast_peer, track_script) each line
// is a Node whose Keyword is the first word (an address, a script name).
type Node struct {
	Keyword  string
	Args     []string
	Children []*Node // nil when the statement opens no block
	Block    bool    // whether it opens a block (an empty one too)
	File     string
	Line     int // 1-based
	Col      int // 1-based byte column of the keyword
}

// Child returns the first child with keyword, or nil.
func (n *Node) Child(keyword string) *Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Keyword == keyword {
			return c
		}
	}
	return nil
}

// Arg returns the i-th argument, or "".
func (n *Node) Arg(i int) string {
	if n == nil || i >= len(n.Args) {
		return ""
	}
	return n.Args[i]
}

// Pos returns "file:line" of the statement.
func (n *Node) Pos() string { return fmt.Sprintf("%s:%d", n.File, n.Line) }

// Words returns the keyword followed by the arguments.
func (n *Node) Words() []string { return append([]string{n.Keyword}, n.Args...) }

// Error is a syntax error at a line of a file.
type Error struct {
	File string
	Line int
	Col  int // 0 when the error is about the whole line
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// token is a word of a line; quoted words keep their content without the
// quotes.
type token struct {
	text   string
	quoted bool
	col    int // 1-based
}

// isSpace reports the separators keepalived splits words on.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// lex splits one line into tokens. '#' and '!' start a comment outside
// quotes; '{' and '}' are tokens of their own even when glued to a word.
// Bytes are never interpreted as UTF-8: any byte is part of a word.
func lex(line string) ([]token, error) {
	var out []token
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case isSpace(c):
			i++
		case c == '#' || c == '!':
			return out, nil
		case c == '{' || c == '}':
			out = append(out, token{text: string(c), col: i + 1})
			i++
		case c == '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			out = append(out, token{text: line[i+1 : i+1+j], quoted: true, col: i + 1})
			i += j + 2
		default:
			j := i
			for j < len(line) && !isSpace(line[j]) && !strings.ContainsRune("{}#!\"", rune(line[j])) {
				j++
			}
			out = append(out, token{text: line[i:j], col: i + 1})
			i = j
		}
	}
	return out, nil
}

// logicalLine is one line after joining continuations ('\' at the end).
type logicalLine struct {
	text string
	line int // the first physical line
}

// lines splits data into logical lines: a UTF-8 byte order mark is
// dropped, CRLF and LF both end a line, and a line ending in a backslash
// continues on the next one.
func lines(data []byte) []logicalLine {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	phys := strings.Split(string(data), "\n")
	var out []logicalLine
	for i := 0; i < len(phys); i++ {
		start := i
		text := strings.TrimSuffix(phys[i], "\r")
		for strings.HasSuffix(text, "\\") && !commentBefore(text) && i+1 < len(phys) {
			i++
			text = text[:len(text)-1] + " " + strings.TrimSuffix(phys[i], "\r")
		}
		out = append(out, logicalLine{text: text, line: start + 1})
	}
	return out
}

// commentBefore reports whether the line's final backslash is inside a
// comment (and so does not continue the line).
func commentBefore(text string) bool {
	inQuote := false
	for i := 0; i < len(text)-1; i++ {
		switch text[i] {
		case '"':
			inQuote = !inQuote
		case '#', '!':
			if !inQuote {
				return true
			}
		}
	}
	return false
}

// Parse reads one file's content; include directives stay statements
// (Load follows them). A stray '}' or a block left open is an error
// naming the line.
func Parse(file string, data []byte) ([]*Node, error) {
	root := &Node{Block: true}
	stack := []*Node{root}
	var last *Node // the last statement, which a '{' on the next line opens
	for _, ll := range lines(data) {
		toks, err := lex(ll.text)
		if err != nil {
			return nil, &Error{File: file, Line: ll.line, Msg: err.Error()}
		}
		var cur *Node
		for _, t := range toks {
			top := stack[len(stack)-1]
			switch {
			case t.text == "{" && !t.quoted:
				open := cur
				if open == nil {
					open = last
				}
				if open == nil || open.Block {
					return nil, &Error{File: file, Line: ll.line, Col: t.col, Msg: "'{' opens no statement"}
				}
				open.Block = true
				stack = append(stack, open)
				cur, last = nil, nil
			case t.text == "}" && !t.quoted:
				if len(stack) == 1 {
					return nil, &Error{File: file, Line: ll.line, Col: t.col, Msg: "'}' closes no block"}
				}
				stack = stack[:len(stack)-1]
				cur, last = nil, nil
			case cur == nil:
				cur = &Node{Keyword: t.text, File: file, Line: ll.line, Col: t.col}
				top.Children = append(top.Children, cur)
			default:
				cur.Args = append(cur.Args, t.text)
			}
		}
		if cur != nil {
			last = cur
		}
	}
	if len(stack) > 1 {
		open := stack[len(stack)-1]
		return nil, &Error{File: file, Line: open.Line, Col: open.Col, Msg: fmt.Sprintf("%s opened here is never closed: %d missing '}'", open.Keyword, len(stack)-1)}
	}
	return root.Children, nil
}
