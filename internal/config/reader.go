package config

import (
	"fmt"
	"math/big"
	"net/netip"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// blockReader reads the attributes of one block, evaluating each in the
// block's evaluation context, recording where every attribute was written
// and collecting diagnostics instead of failing fast, so that one run
// reports every mistake.
type blockReader struct {
	content *hcl.BodyContent
	ctx     *hcl.EvalContext
	diags   hcl.Diagnostics
	ranges  Ranges
	// sensitive reports whether an expression refers to a sensitive value.
	sensitive func(hcl.Expression) bool
	// usedSensitive is set when any attribute read refers to a sensitive value.
	usedSensitive map[string]bool
}

func newBlockReader(body hcl.Body, schema *hcl.BodySchema, ctx *hcl.EvalContext, sensitive func(hcl.Expression) bool) *blockReader {
	content, diags := body.Content(schema)
	r := &blockReader{content: content, ctx: ctx, diags: diags, ranges: Ranges{}, sensitive: sensitive, usedSensitive: map[string]bool{}}
	for name, a := range content.Attributes {
		r.ranges[name] = a.Expr.Range()
	}
	return r
}

func (r *blockReader) errorf(rng hcl.Range, summary, format string, args ...any) {
	r.diags = append(r.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

func (r *blockReader) warnf(rng hcl.Range, summary, format string, args ...any) {
	r.diags = append(r.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

func (r *blockReader) has(name string) bool {
	_, ok := r.content.Attributes[name]
	return ok
}

// value evaluates attribute name converted to typ; ok is false when the
// attribute is absent or invalid (a diagnostic was then recorded).
func (r *blockReader) value(name string, typ cty.Type) (cty.Value, bool) {
	a, ok := r.content.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(r.ctx)
	r.diags = append(r.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if r.sensitive != nil && r.sensitive(a.Expr) {
		r.usedSensitive[name] = true
	}
	cv, err := convert.Convert(v, typ)
	if err != nil {
		r.errorf(a.Expr.Range(), "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s.", name, err)
		return cty.NilVal, false
	}
	if cv.IsNull() {
		return cty.NilVal, false
	}
	if !cv.IsWhollyKnown() {
		// Only a variable without a value (or a local that failed) is
		// unknown here, and that was already reported where it is
		// declared: one error, not two.
		return cty.NilVal, false
	}
	return cv, true
}

func (r *blockReader) str(name, def string) string {
	v, ok := r.value(name, cty.String)
	if !ok {
		return def
	}
	return v.AsString()
}

func (r *blockReader) boolean(name string, def bool) bool {
	v, ok := r.value(name, cty.Bool)
	if !ok {
		return def
	}
	return v.True()
}

// integer reads a whole number within [lo, hi].
func (r *blockReader) integer(name string, def, lo, hi int) int {
	v, ok := r.value(name, cty.Number)
	if !ok {
		return def
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		r.errorf(r.ranges[name], "Invalid value", "%q must be a whole number.", name)
		return def
	}
	i, _ := bf.Int(new(big.Int))
	if !i.IsInt64() || i.Int64() < int64(lo) || i.Int64() > int64(hi) {
		r.errorf(r.ranges[name], "Value out of range", "%q must be between %d and %d; got %s.", name, lo, hi, i.String())
		return def
	}
	return int(i.Int64())
}

func (r *blockReader) strings(name string) []string {
	v, ok := r.value(name, cty.List(cty.String))
	if !ok {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			r.errorf(r.ranges[name], "Invalid value", "%q must not contain null.", name)
			continue
		}
		out = append(out, e.AsString())
	}
	return out
}

// elementRanges returns where each of the n elements of list attribute
// name was written, so that a diagnostic can point at the element. When
// the list is not written out literally (a variable, concat(...)), every
// element gets the attribute's range.
func (r *blockReader) elementRanges(name string, n int) []hcl.Range {
	out := make([]hcl.Range, n)
	for i := range out {
		out[i] = r.ranges[name]
	}
	a, ok := r.content.Attributes[name]
	if !ok {
		return out
	}
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() || len(exprs) != n {
		return out
	}
	for i, e := range exprs {
		out[i] = e.Range()
	}
	return out
}

// addr reads an IP address (no prefix).
func (r *blockReader) addr(name string) netip.Addr {
	s := r.str(name, "")
	if s == "" {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		r.errorf(r.ranges[name], "Invalid IP address", "%q must be an IP address such as 192.168.19.101; got %q.", name, s)
		return netip.Addr{}
	}
	return a
}

// prefixes reads a list of addresses with optional prefix length; a bare
// address gets defaultBits (32 for IPv4, 128 for IPv6 when defaultBits is
// -1, as keepalived does for virtual_ipaddress).
func (r *blockReader) prefixes(name string, requireBits bool) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range r.strings(name) {
		p, err := parsePrefix(s, requireBits)
		if err != nil {
			r.errorf(r.ranges[name], "Invalid address", "%q: %s.", name, err)
			continue
		}
		out = append(out, p)
	}
	return out
}

// parsePrefix parses "a.b.c.d/n" or, unless requireBits, "a.b.c.d" (as a
// host prefix). The address keeps its host bits.
func parsePrefix(s string, requireBits bool) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || requireBits {
		if requireBits {
			return netip.Prefix{}, fmt.Errorf("%q is not an address with a prefix length such as 192.168.19.101/24", s)
		}
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// refs reads an attribute holding a list of references such as
// [host.dir, host.rs1] and returns the referenced names with their ranges.
// kind is the root name the references must use ("host", "health_check").
func (r *blockReader) refs(name, kind string) []ref {
	a, ok := r.content.Attributes[name]
	if !ok {
		return nil
	}
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() {
		r.errorf(a.Expr.Range(), "Invalid reference list", "%q must be a list of references such as [%s.NAME].", name, kind)
		return nil
	}
	var out []ref
	for _, e := range exprs {
		trav, d := hcl.AbsTraversalForExpr(e)
		if d.HasErrors() || len(trav) != 2 || trav.RootName() != kind {
			r.errorf(e.Range(), "Invalid reference", "Each element of %q must be a reference of the form %s.NAME.", name, kind)
			continue
		}
		attr, ok := trav[1].(hcl.TraverseAttr)
		if !ok {
			r.errorf(e.Range(), "Invalid reference", "Each element of %q must be a reference of the form %s.NAME.", name, kind)
			continue
		}
		out = append(out, ref{Name: attr.Name, Range: e.Range()})
	}
	return out
}

// ref is a reference to a named block, with where it was written.
type ref struct {
	Name  string
	Range hcl.Range
}
