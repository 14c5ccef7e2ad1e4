// Package secret masks sensitive values (VRRP passwords, sensitive
// variables) in every string clusterctl shows: plans, logs, errors.
package secret

import (
	"sort"
	"strings"
)

// Mask is what a sensitive value is replaced with.
const Mask = "(sensitive)"

// Masker replaces known secret values in text. The zero value masks
// nothing. It is immutable after New and safe for concurrent use.
type Masker struct {
	r *strings.Replacer
}

// New returns a Masker for the given secret values. Empty values are
// ignored; longer values are replaced first so that a secret containing
// another is masked whole.
func New(secrets ...string) Masker {
	uniq := map[string]bool{}
	for _, s := range secrets {
		if s != "" {
			uniq[s] = true
		}
	}
	if len(uniq) == 0 {
		return Masker{}
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
	pairs := make([]string, 0, 2*len(vals))
	for _, s := range vals {
		pairs = append(pairs, s, Mask)
	}
	return Masker{r: strings.NewReplacer(pairs...)}
}

// String returns s with every secret replaced by Mask.
func (m Masker) String(s string) string {
	if m.r == nil {
		return s
	}
	return m.r.Replace(s)
}

// Bytes is String for byte slices.
func (m Masker) Bytes(b []byte) []byte {
	if m.r == nil {
		return b
	}
	return []byte(m.r.Replace(string(b)))
}
