package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// EnvVarPrefix prefixes environment variables that set input variables:
// CLUSTERCTL_VAR_vrrp_password=... sets var.vrrp_password.
const EnvVarPrefix = "CLUSTERCTL_VAR_"

// variable is a declared input variable and its final value.
type variable struct {
	Name        string
	Type        cty.Type
	Default     cty.Value
	Description string
	Sensitive   bool
	Value       cty.Value
	DeclRange   hcl.Range
	// badDefault is set when a default was written but is invalid (already
	// reported), so that no second "no value" error follows.
	badDefault bool
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"},
	},
}

func (d *decoder) decodeVariables(blocks []*hcl.Block) {
	d.vars = map[string]*variable{}
	d.sensitive = map[string]bool{}
	for _, blk := range blocks {
		name := blk.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			d.errorf(blk.LabelRanges[0].Ptr(), "Invalid variable name", "%q is not a valid identifier.", name)
			continue
		}
		if prev, dup := d.vars[name]; dup {
			d.duplicate(blk, "variable", name, prev.DeclRange)
			continue
		}
		v := &variable{Name: name, Type: cty.DynamicPseudoType, DeclRange: blk.DefRange}
		content, diags := blk.Body.Content(variableSchema)
		d.diags = append(d.diags, diags...)
		if a, ok := content.Attributes["type"]; ok {
			ty, diags := typeexpr.TypeConstraint(a.Expr)
			d.diags = append(d.diags, diags...)
			if !diags.HasErrors() {
				v.Type = ty
			}
		}
		if a, ok := content.Attributes["description"]; ok {
			val, diags := a.Expr.Value(nil)
			d.diags = append(d.diags, diags...)
			if !diags.HasErrors() && val.Type() == cty.String && !val.IsNull() {
				v.Description = val.AsString()
			}
		}
		if a, ok := content.Attributes["sensitive"]; ok {
			val, diags := a.Expr.Value(nil)
			d.diags = append(d.diags, diags...)
			if !diags.HasErrors() {
				if bv, err := convert.Convert(val, cty.Bool); err == nil && !bv.IsNull() {
					v.Sensitive = bv.True()
				} else {
					d.errorf(a.Expr.Range().Ptr(), "Invalid sensitive flag", "sensitive must be true or false.")
				}
			}
		}
		v.Default = cty.NilVal
		if a, ok := content.Attributes["default"]; ok {
			val, diags := a.Expr.Value(nil)
			d.diags = append(d.diags, diags...)
			v.badDefault = diags.HasErrors()
			if !diags.HasErrors() {
				cv, err := convert.Convert(val, v.Type)
				if err != nil {
					v.badDefault = true
					d.errorf(a.Expr.Range().Ptr(), "Invalid default value", "The default for variable %q does not match its type: %s.", name, err)
				} else {
					v.Default = cv
				}
			}
		}
		d.vars[name] = v
		d.sensitive["var."+name] = v.Sensitive
	}

	given := d.givenValues()
	names := make([]string, 0, len(d.vars))
	for n := range d.vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := d.vars[n]
		if g, ok := given[n]; ok {
			cv, err := convert.Convert(g.val, v.Type)
			if err != nil {
				d.errorf(v.DeclRange.Ptr(), "Invalid value for variable", "The value given for %q by %s does not match its type: %s.", n, g.source, err)
				continue
			}
			v.Value = cv
			continue
		}
		if v.Default != cty.NilVal {
			v.Value = v.Default
			continue
		}
		if v.badDefault {
			continue
		}
		d.errorf(v.DeclRange.Ptr(), "No value for required variable",
			"Variable %q has no default. Set it with -var %s=VALUE, -var-file FILE, or the environment variable %s%s.", n, n, EnvVarPrefix, n)
	}
	for n := range given {
		if _, ok := d.vars[n]; !ok {
			d.diags = append(d.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("A value was given for %q by %s, but the configuration declares no variable of that name.", n, given[n].source),
				Subject:  given[n].nameRange,
			})
		}
	}
}

type givenValue struct {
	val    cty.Value
	source string
	// nameRange is where a variable file names the variable; nil for
	// -var and the environment.
	nameRange *hcl.Range
}

// givenValues collects values from the environment, then -var-file, then
// -var; later sources win, as in Terraform.
func (d *decoder) givenValues() map[string]givenValue {
	out := map[string]givenValue{}
	for _, kv := range d.opts.Environ {
		if !strings.HasPrefix(kv, EnvVarPrefix) {
			continue
		}
		name, val, ok := strings.Cut(strings.TrimPrefix(kv, EnvVarPrefix), "=")
		if !ok || name == "" {
			continue
		}
		if _, declared := d.vars[name]; !declared {
			continue // the environment may carry variables for other configurations
		}
		out[name] = givenValue{val: d.rawValue(name, val), source: "the environment variable " + EnvVarPrefix + name}
	}
	for _, path := range d.opts.VarFiles {
		file, diags := d.loader.parser.ParseHCLFile(path)
		d.diags = append(d.diags, diags...)
		if file == nil || diags.HasErrors() {
			continue
		}
		attrs, diags := file.Body.JustAttributes()
		d.diags = append(d.diags, diags...)
		for name, a := range attrs {
			val, diags := a.Expr.Value(nil)
			d.diags = append(d.diags, diags...)
			if diags.HasErrors() {
				continue
			}
			out[name] = givenValue{val: val, source: a.Range.String(), nameRange: a.NameRange.Ptr()}
		}
	}
	for i, kv := range d.opts.Vars {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			d.diags = append(d.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -var option",
				// kv may be a password given without its name: never
				// quote it back.
				Detail: fmt.Sprintf("The -var option number %d of %d is not of the form name=value.", i+1, len(d.opts.Vars)),
			})
			continue
		}
		out[name] = givenValue{val: d.rawValue(name, val), source: "-var " + name}
	}
	return out
}

// varFile is a variable file as read: its bytes, and its syntax tree when
// it parses (nil when it does not).
type varFile struct {
	src  []byte
	body *hclsyntax.Body
}

// givenStrings returns, without looking at the configuration, every
// string value given for each variable name by the environment
// (CLUSTERCTL_VAR_*), -var-file and -var, including the strings inside
// lists and maps: what must be masked once a variable turns out to be
// secret. It also returns each variable file that could be read.
func givenStrings(p *hclparse.Parser, opts LoadOptions) (map[string][]string, map[string]varFile) {
	out := map[string][]string{}
	for _, kv := range opts.Environ {
		if name, val, ok := strings.Cut(strings.TrimPrefix(kv, EnvVarPrefix), "="); ok && strings.HasPrefix(kv, EnvVarPrefix) {
			out[name] = append(out[name], val)
		}
	}
	for _, kv := range opts.Vars {
		if name, val, ok := strings.Cut(kv, "="); ok {
			out[name] = append(out[name], val)
		}
	}
	files := map[string]varFile{}
	for _, path := range opts.VarFiles {
		f, _ := p.ParseHCLFile(path)
		if f == nil {
			continue
		}
		// The parser caches files and reports a file's errors only on
		// the first parse: parse again to know whether it is broken.
		vf := varFile{src: f.Bytes}
		if body, diags := hclsyntax.ParseConfig(f.Bytes, path, hcl.InitialPos); !diags.HasErrors() {
			vf.body = body.Body.(*hclsyntax.Body)
			for name, a := range vf.body.Attributes {
				if v, diags := a.Expr.Value(nil); !diags.HasErrors() {
					out[name] = append(out[name], stringLeaves(v)...)
				}
			}
		}
		files[path] = vf
	}
	return out, files
}

// stringLeaves returns the strings in v: v itself when it is a string,
// the strings in its elements when it is a collection or structure.
func stringLeaves(v cty.Value) []string {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		if s := v.AsString(); s != "" {
			return []string{s}
		}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, stringLeaves(e)...)
		}
		return out
	}
	return nil
}

// rawValue turns a command-line or environment string into a value: a
// string for string (or untyped) variables, else an HCL expression.
func (d *decoder) rawValue(name, s string) cty.Value {
	v, ok := d.vars[name]
	if !ok || v.Type == cty.String || v.Type == cty.DynamicPseudoType {
		return cty.StringVal(s)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(s), "<value for var."+name+">", hcl.InitialPos)
	if diags.HasErrors() {
		return cty.StringVal(s)
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.StringVal(s)
	}
	return val
}

// decodeLocals evaluates every locals block; locals may refer to variables
// and to each other (resolved by repeated passes, so order does not matter).
func (d *decoder) decodeLocals(blocks []*hcl.Block) {
	d.locals = map[string]cty.Value{}
	pending := map[string]*hcl.Attribute{}
	for _, blk := range blocks {
		attrs, diags := blk.Body.JustAttributes()
		d.diags = append(d.diags, diags...)
		for name, a := range attrs {
			if prev, dup := pending[name]; dup {
				d.errorf(a.NameRange.Ptr(), "Duplicate local value", "A local value named %q was already defined at %s.", name, prev.NameRange.String())
				continue
			}
			pending[name] = a
		}
	}
	for len(pending) > 0 {
		progressed := false
		names := make([]string, 0, len(pending))
		for n := range pending {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := pending[n]
			if !d.localReady(a.Expr) {
				continue
			}
			val, diags := a.Expr.Value(d.evalContext(nil))
			d.diags = append(d.diags, diags...)
			if diags.HasErrors() {
				val = cty.DynamicVal
			}
			d.locals[n] = val
			d.sensitive["local."+n] = d.isSensitive(a.Expr)
			delete(pending, n)
			progressed = true
		}
		if !progressed {
			for _, n := range names {
				a := pending[n]
				d.errorf(a.Expr.Range().Ptr(), "Unresolvable local value", "Local value %q refers to a local value that cannot be resolved (a cycle or an unknown name).", n)
			}
			return
		}
	}
}

// localReady reports whether every local that expr refers to is evaluated.
func (d *decoder) localReady(expr hcl.Expression) bool {
	for _, t := range expr.Variables() {
		if t.RootName() != "local" || len(t) < 2 {
			continue
		}
		attr, ok := t[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		if _, done := d.locals[attr.Name]; !done {
			return false
		}
	}
	return true
}

// evalContext builds the variables and functions expressions can use:
// var.NAME, local.NAME and, once hosts are decoded, host.NAME.{name,address}.
func (d *decoder) evalContext(hosts map[string]*Host) *hcl.EvalContext {
	vars := map[string]cty.Value{}
	for n, v := range d.vars {
		if v.Value == cty.NilVal {
			vars[n] = cty.DynamicVal
		} else {
			vars[n] = v.Value
		}
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   cty.ObjectVal(vars),
			"local": cty.ObjectVal(d.locals),
		},
		Functions: d.functions(),
	}
	if hosts != nil {
		hv := map[string]cty.Value{}
		for n, h := range hosts {
			hv[n] = cty.ObjectVal(map[string]cty.Value{
				"name":    cty.StringVal(h.Name),
				"address": cty.StringVal(h.Connection.Address),
			})
		}
		ctx.Variables["host"] = cty.ObjectVal(hv)
	}
	return ctx
}

func (d *decoder) functions() map[string]function.Function {
	return map[string]function.Function{
		"concat":    stdlib.ConcatFunc,
		"format":    stdlib.FormatFunc,
		"join":      stdlib.JoinFunc,
		"lower":     stdlib.LowerFunc,
		"upper":     stdlib.UpperFunc,
		"trimspace": stdlib.TrimSpaceFunc,
		"file":      d.fileFunc(),
	}
}

// maxFileFuncSize bounds what file() reads: managed files are
// configuration, not bulk data.
const maxFileFuncSize = 16 << 20

// fileFunc is file(PATH): the content of a regular file of at most
// maxFileFuncSize bytes, relative to the configuration directory. Devices
// and FIFOs are refused so that a path such as /dev/zero cannot make
// loading hang or exhaust memory.
func (d *decoder) fileFunc() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			where := ""
			if !filepath.IsAbs(p) {
				dir, err := filepath.Abs(d.dir)
				if err != nil {
					dir = d.dir
				}
				where = fmt.Sprintf(" (a relative path is read from the configuration's directory, %s)", dir)
				p = filepath.Join(dir, p)
			}
			// Stat before opening: opening a FIFO would block.
			st, err := os.Stat(p)
			if errors.Is(err, fs.ErrNotExist) {
				return cty.NilVal, fmt.Errorf("no file %s%s", p, where)
			}
			if err != nil {
				return cty.NilVal, fmt.Errorf("%w%s", err, where)
			}
			if !st.Mode().IsRegular() {
				return cty.NilVal, fmt.Errorf("%s is not a regular file", p)
			}
			f, err := os.Open(p)
			if err != nil {
				return cty.NilVal, err
			}
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, maxFileFuncSize+1))
			if err != nil {
				return cty.NilVal, err
			}
			if len(b) > maxFileFuncSize {
				return cty.NilVal, fmt.Errorf("%s is larger than %d bytes", p, maxFileFuncSize)
			}
			return cty.StringVal(string(b)), nil
		},
	})
}
