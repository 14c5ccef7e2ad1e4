package netfilter

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Limits on untrusted iptables-save output.
const (
	MaxInputBytes = 16 << 20 // 16 MiB
	MaxInputLines = 200_000
	maxLineBytes  = 64 << 10
)

// ErrInputTooLarge is returned when the input exceeds MaxInputBytes or
// MaxInputLines.
var ErrInputTooLarge = errors.New("iptables-save output too large")

// ParseError is a syntax error on one line of iptables-save output.
type ParseError struct {
	Line int // 1-based
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Tables are the tables of one iptables-save dump, in input order.
type Tables []Table

// Table is one netfilter table (*nat, *filter, ...).
type Table struct {
	Name   string
	Chains []Chain // in declaration order
}

// Chain is a chain with its policy and rules.
type Chain struct {
	Name string
	// Policy is ACCEPT/DROP for built-in chains and "-" for user chains.
	Policy string
	// Rules are rule specifications in order, without the leading
	// "-A CHAIN " and without packet counters, exactly as iptables-save
	// prints them (its output is already canonical, so desired rules must
	// be written in the same form to compare equal).
	Rules []string
}

// Get returns the table named name, or nil.
func (ts Tables) Get(name string) *Table {
	for i := range ts {
		if ts[i].Name == name {
			return &ts[i]
		}
	}
	return nil
}

func (t *Table) chain(name string) *Chain {
	if t == nil {
		return nil
	}
	for i := range t.Chains {
		if t.Chains[i].Name == name {
			return &t.Chains[i]
		}
	}
	return nil
}

// Exists reports whether the chain is declared in t.
func (t *Table) Exists(chain string) bool { return t.chain(chain) != nil }

// Chain returns the rule specifications of chain (nil when it does not
// exist or is empty).
func (t *Table) Chain(name string) []string {
	if c := t.chain(name); c != nil {
		return c.Rules
	}
	return nil
}

// Jumps reports whether chain from has a rule whose target is chain to
// (-j TO, --jump TO, -g TO or --goto TO), whatever its matches.
func (t *Table) Jumps(from, to string) bool {
	for _, r := range t.Chain(from) {
		f := strings.Fields(r)
		for i := 0; i+1 < len(f); i++ {
			switch f[i] {
			case "-j", "--jump", "-g", "--goto":
				if f[i+1] == to {
					return true
				}
			}
		}
	}
	return false
}

// ParseSave parses iptables-save output (any tables; typically
// `iptables-save -t nat`): "*TABLE" starts a table, ":CHAIN POLICY [p:b]"
// declares a chain, "-A CHAIN SPEC" appends a rule (an optional leading
// "[p:b]" counter from -c is dropped), "COMMIT" ends the table; '#' comments
// and blank lines are skipped. A rule for an undeclared chain, a line outside
// a table, a table without COMMIT, or a duplicate table or chain is an error.
func ParseSave(data []byte) (Tables, error) {
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrInputTooLarge, len(data), MaxInputBytes)
	}
	if n := bytes.Count(data, []byte{'\n'}); n > MaxInputLines {
		return nil, fmt.Errorf("%w: %d lines (max %d)", ErrInputTooLarge, n, MaxInputLines)
	}
	var ts Tables
	var cur *Table
	lineNo := 0
	for len(data) > 0 {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		lineNo++
		fail := func(format string, a ...any) (Tables, error) {
			return nil, &ParseError{Line: lineNo, Msg: fmt.Sprintf(format, a...)}
		}
		if len(raw) > maxLineBytes {
			return fail("line longer than %d bytes", maxLineBytes)
		}
		line := strings.TrimSpace(string(raw))
		switch {
		case line == "" || line[0] == '#':
			continue
		case line[0] == '*':
			if cur != nil {
				return fail("table %s started before COMMIT of %s", line[1:], cur.Name)
			}
			name := line[1:]
			if !validName(name) {
				return fail("invalid table name %q", name)
			}
			if ts.Get(name) != nil {
				return fail("duplicate table %s", name)
			}
			ts = append(ts, Table{Name: name})
			cur = &ts[len(ts)-1]
		case line == "COMMIT":
			if cur == nil {
				return fail("COMMIT outside a table")
			}
			cur = nil
		case cur == nil:
			return fail("%.80q outside a table", line)
		case line[0] == ':':
			f := strings.Fields(line[1:])
			if len(f) < 2 || len(f) > 3 || !validName(f[0]) {
				return fail("invalid chain declaration %.80q", line)
			}
			if cur.Exists(f[0]) {
				return fail("duplicate chain %s", f[0])
			}
			cur.Chains = append(cur.Chains, Chain{Name: f[0], Policy: f[1]})
		default:
			spec := line
			if spec[0] == '[' {
				end := strings.IndexByte(spec, ']')
				if end < 0 {
					return fail("unterminated counter in %.80q", line)
				}
				spec = strings.TrimSpace(spec[end+1:])
			}
			name, rest, ok := strings.Cut(spec, " ")
			if name != "-A" && name != "--append" || !ok {
				return fail("unexpected line %.80q", line)
			}
			chain, rule, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
			c := cur.chain(chain)
			if c == nil {
				return fail("rule for undeclared chain %.80q", chain)
			}
			c.Rules = append(c.Rules, strings.TrimSpace(rule))
		}
	}
	if cur != nil {
		return nil, &ParseError{Line: lineNo, Msg: fmt.Sprintf("table %s has no COMMIT", cur.Name)}
	}
	return ts, nil
}

// validName reports whether s is a valid table or chain name: 1 to 28
// characters (iptables' limit) of letters, digits, '-', '_' and '.'.
func validName(s string) bool {
	if s == "" || len(s) > 28 || s[0] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// protoAliases are the spellings of a rule's protocol that iptables-save
// prints depending on the host's /etc/protocols (a number when the name
// is missing), mapped to the name clusterctl writes.
var protoAliases = map[string]string{"112": "vrrp", "4": "ipencap", "ipip": "ipencap", "6": "tcp", "17": "udp"}

// NormalizeRule rewrites the protocol of rule (after -p or --protocol) to
// the name clusterctl writes, so that a rule compares equal whatever
// /etc/protocols made iptables-save print; everything else is kept.
func NormalizeRule(rule string) string {
	f := strings.Fields(rule)
	changed := false
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-p" || f[i] == "--protocol" {
			if n, ok := protoAliases[f[i+1]]; ok {
				f[i+1], changed = n, true
			}
		}
	}
	if !changed {
		return rule
	}
	return strings.Join(f, " ")
}
