// Package secret masks sensitive values (VRRP passwords, sensitive
// variables) in every string clusterctl shows: plans, logs, errors.
//
// A secret is masked where it stands as a token: where the characters
// around it are not letters or digits (or it is at the start or end).
// Masking every substring would garble ordinary text around short or
// common secrets (the seed's password "aminglin" is the start of its
// mail domain aminglinux.com) and tell an observer where the secret
// occurs. A secret glued to other letters or digits is not masked; files
// whose content is built from a secret are therefore never shown at all
// (resource.File.HideContent).
package secret

import (
	"encoding/json"
	"sort"
	"strings"
)

// Mask is what a sensitive value is replaced with.
const Mask = "(sensitive)"

// Masker replaces known secret values in text. The zero value masks
// nothing. It is immutable after New and safe for concurrent use.
type Masker struct {
	secrets []string // longest first
}

// New returns a Masker for the given secret values. Empty values are
// ignored; longer values are matched first so that a secret containing
// another is masked whole.
func New(secrets ...string) Masker {
	uniq := map[string]bool{}
	for _, s := range secrets {
		if s != "" {
			uniq[s] = true
		}
	}
	vals := make([]string, 0, len(uniq))
	for s := range uniq {
		vals = append(vals, s)
	}
	sort.Slice(vals, func(i, j int) bool {
		if len(vals[i]) != len(vals[j]) {
			return len(vals[i]) > len(vals[j])
		}
		return vals[i] < vals[j]
	})
	return Masker{secrets: vals}
}

// With returns a Masker for m's secrets and more.
func (m Masker) With(more ...string) Masker {
	return New(append(append([]string{}, m.secrets...), more...)...)
}

// ForJSON returns a Masker that also knows each secret as it appears
// inside a JSON string (quotes, backslashes and control characters
// escaped), for masking encoded JSON documents.
func (m Masker) ForJSON() Masker {
	more := make([]string, 0, len(m.secrets))
	for _, s := range m.secrets {
		b, err := json.Marshal(s)
		if err != nil {
			continue
		}
		if e := string(b[1 : len(b)-1]); e != s {
			more = append(more, e)
		}
	}
	if len(more) == 0 {
		return m
	}
	return m.With(more...)
}

// String returns s with every token occurrence of a secret replaced by
// Mask.
func (m Masker) String(s string) string {
	for _, sec := range m.secrets {
		s = replaceTokens(s, sec, Mask)
	}
	return s
}

// Bytes is String for byte slices.
func (m Masker) Bytes(b []byte) []byte {
	if len(m.secrets) == 0 {
		return b
	}
	return []byte(m.String(string(b)))
}

// Blank returns s with every token occurrence of a secret overwritten by
// asterisks of the same length, so byte offsets stay valid (source
// snippets of diagnostics).
func (m Masker) Blank(s string) string {
	for _, sec := range m.secrets {
		s = replaceTokens(s, sec, strings.Repeat("*", len(sec)))
	}
	return s
}

// Found returns the secrets that stand as tokens in s, in the order they
// occur (a secret inside a longer one that occurs there is not counted
// again). Two texts whose Found lists differ differ in a secret, even when
// they mask alike.
func (m Masker) Found(s string) []string {
	type hit struct {
		at  int
		sec string
	}
	var hits []hit
	taken := make([]bool, len(s))
	for _, sec := range m.secrets { // longest first
		for i := 0; i+len(sec) <= len(s); {
			j := strings.Index(s[i:], sec)
			if j < 0 {
				break
			}
			j += i
			end := j + len(sec)
			if bounded(s, j, end, sec) && !taken[j] {
				hits = append(hits, hit{j, sec})
				for k := j; k < end; k++ {
					taken[k] = true
				}
			}
			i = j + 1
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.sec
	}
	return out
}

// Appears reports whether secret stands as a token in text: what String
// masks. Tests use it to prove that no output shows a secret.
func Appears(text, secret string) bool {
	if secret == "" {
		return false
	}
	return replaceTokens(text, secret, "") != text
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// bounded reports whether sec at s[j:end] is not glued to a letter or
// digit on either side.
func bounded(s string, j, end int, sec string) bool {
	return (j == 0 || !isWord(s[j-1]) || !isWord(sec[0])) &&
		(end == len(s) || !isWord(s[end]) || !isWord(sec[len(sec)-1]))
}

// replaceTokens replaces the occurrences of sec in s that are not glued
// to a letter or digit on either side.
func replaceTokens(s, sec, with string) string {
	if sec == "" || !strings.Contains(s, sec) {
		return s
	}
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(s[i:], sec)
		if j < 0 {
			b.WriteString(s[i:])
			return b.String()
		}
		j += i
		end := j + len(sec)
		if bounded(s, j, end, sec) {
			b.WriteString(s[i:j])
			b.WriteString(with)
			i = end
		} else {
			b.WriteString(s[i : j+1])
			i = j + 1
		}
	}
}
