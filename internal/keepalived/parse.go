// Package keepalived reads keepalived.conf: a tokenizer for keepalived's
// grammar (blocks, quoted strings, '!' and '#' comments, a brace on the
// next line, CRLF, a UTF-8 byte order mark) into a tree of statements
// with their source lines, and a typed view of the VRRP part (global_defs,
// vrrp_instance) that the planner uses to tell what a configuration
// change does to a running VRRP group. It is pure: includes are not
// followed here (the caller hands in the files).
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
}

// Child returns the first child with keyword, or nil.
func (n *Node) Child(keyword string) *Node {
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

// Error is a syntax error at a line of a file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// token is a word of a line; quoted words keep their content without the
// quotes.
type token struct {
	text   string
	quoted bool
}

// lex splits one line into tokens. '#' and '!' start a comment outside
// quotes; '{' and '}' are tokens of their own even when glued to a word.
func lex(line string) ([]token, error) {
	var out []token
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#' || c == '!':
			return out, nil
		case c == '{' || c == '}':
			out = append(out, token{text: string(c)})
			i++
		case c == '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			out = append(out, token{text: line[i+1 : i+1+j], quoted: true})
			i += j + 2
		default:
			j := i
			for j < len(line) && !strings.ContainsRune(" \t\r{}#!\"", rune(line[j])) {
				j++
			}
			out = append(out, token{text: line[i:j]})
			i = j
		}
	}
	return out, nil
}

// Parse reads one file's content. A stray '}' or a block left open is an
// error naming the line.
func Parse(file string, data []byte) ([]*Node, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	root := &Node{Block: true}
	stack := []*Node{root}
	var last *Node // the last statement, which a '{' on the next line opens
	for i, raw := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		toks, err := lex(raw)
		if err != nil {
			return nil, &Error{file, lineNo, err.Error()}
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
					return nil, &Error{file, lineNo, "'{' opens no statement"}
				}
				open.Block = true
				stack = append(stack, open)
				cur, last = nil, nil
			case t.text == "}" && !t.quoted:
				if len(stack) == 1 {
					return nil, &Error{file, lineNo, "'}' closes no block"}
				}
				stack = stack[:len(stack)-1]
				cur, last = nil, nil
			case cur == nil:
				cur = &Node{Keyword: t.text, File: file, Line: lineNo}
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
		return nil, &Error{file, open.Line, fmt.Sprintf("%s opened here is never closed: %d missing '}'", open.Keyword, len(stack)-1)}
	}
	return root.Children, nil
}
