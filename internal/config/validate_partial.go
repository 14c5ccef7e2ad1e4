package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// validateAfterDecode runs Validate even when decoding found errors, so
// that one run reports every class of error (a typo in one block and a
// duplicate VRID in another), not the first class only. What decoding
// could not read is left at its zero value, so validation errors about a
// block that already has a decode error are dropped: they would only
// repeat it (a misspelt priority is also "priority out of range"). A
// panic on a partly decoded configuration is turned into silence, not a
// crash: the decode errors already make the load fail.
func validateAfterDecode(cfg *Config, decodeDiags hcl.Diagnostics, files map[string]*hcl.File) (out hcl.Diagnostics) {
	if !decodeDiags.HasErrors() {
		return Validate(cfg)
	}
	defer func() {
		if r := recover(); r != nil {
			out = nil
		}
	}()
	covered := decodeErrorBlocks(decodeDiags, files)
	for _, d := range Validate(cfg) {
		if !overlapsDecodeError(d, decodeDiags) && !inAny(d.Subject, covered) {
			out = append(out, d)
		}
	}
	return out
}

// decodeErrorBlocks returns the ranges of the top-level blocks that hold
// a decode error: what validation says inside them may follow from it (a
// virtual server whose director reference failed has no director).
func decodeErrorBlocks(decodeDiags hcl.Diagnostics, files map[string]*hcl.File) []hcl.Range {
	var out []hcl.Range
	for _, e := range decodeDiags {
		if e.Severity != hcl.DiagError || e.Subject == nil {
			continue
		}
		f := files[e.Subject.Filename]
		if f == nil {
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if r := b.Range(); inRange(e.Subject, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

func inAny(r *hcl.Range, ranges []hcl.Range) bool {
	for _, c := range ranges {
		if inRange(r, c) {
			return true
		}
	}
	return false
}

// inRange reports whether r lies within c (same file, lines within).
func inRange(r *hcl.Range, c hcl.Range) bool {
	return r != nil && r.Filename == c.Filename && r.Start.Line >= c.Start.Line && r.End.Line <= c.End.Line
}

// overlapsDecodeError reports whether d is about a place a decode error
// already covers: the same file and a line range that meets the error's
// subject or context.
func overlapsDecodeError(d *hcl.Diagnostic, decodeDiags hcl.Diagnostics) bool {
	if d.Subject == nil {
		return false
	}
	for _, e := range decodeDiags {
		if e.Severity != hcl.DiagError {
			continue
		}
		for _, r := range []*hcl.Range{e.Subject, e.Context} {
			if r != nil && r.Filename == d.Subject.Filename && linesMeet(*r, *d.Subject) {
				return true
			}
		}
	}
	return false
}

func linesMeet(a, b hcl.Range) bool {
	return a.Start.Line <= b.End.Line && b.Start.Line <= a.End.Line
}
