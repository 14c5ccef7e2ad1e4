package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/clusterctl/clusterctl/internal/secret"
)

// Extension is the file extension of configuration files.
const Extension = ".hcl"

// LoadOptions are the inputs to a configuration besides its files.
type LoadOptions struct {
	// Vars are -var name=value assignments, in command-line order.
	Vars []string
	// VarFiles are -var-file paths (HCL files of name = value).
	VarFiles []string
	// Environ is the environment to read CLUSTERCTL_VAR_name from
	// (os.Environ() in the CLI; explicit so tests stay hermetic).
	Environ []string
}

// Loader reads configurations and keeps the parsed sources, so that
// diagnostics can be printed with source snippets even when loading fails.
type Loader struct {
	parser *hclparse.Parser
	// secrets are the secret values seen by the last Load, even a failed
	// one, so that diagnostics can mask them in source snippets.
	secrets []string
}

// NewLoader returns a Loader with an empty source cache.
func NewLoader() *Loader { return &Loader{parser: hclparse.NewParser()} }

// MaskedFiles returns every source file parsed so far, for diagnostic
// printing, with every secret the last Load saw (sensitive
// variable values, auth_pass values) overwritten by asterisks of the same
// length, so that source snippets in diagnostics never show a secret while
// byte offsets stay valid.
func (l *Loader) MaskedFiles() map[string]*hcl.File {
	m := secret.New(l.secrets...)
	out := map[string]*hcl.File{}
	for name, f := range l.parser.Files() {
		out[name] = &hcl.File{Body: f.Body, Bytes: []byte(m.Blank(string(f.Bytes))), Nav: f.Nav}
	}
	return out
}

// ConfigFiles lists the configuration files at path: path itself when it is
// a file, else every *.hcl file directly in the directory, sorted.
func ConfigFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), Extension) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files = append(files, filepath.Join(path, e.Name()))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no %s files in %s", Extension, path)
	}
	sort.Strings(files)
	return files, nil
}

// Load reads, evaluates and validates the configuration at path (a
// directory of *.hcl files or one file). The returned diagnostics include
// warnings; the Config is nil when there are errors.
func (l *Loader) Load(path string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	files, err := ConfigFiles(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration",
			Detail:   err.Error(),
		}}
	}
	var diags hcl.Diagnostics
	var bodies []hcl.Body
	for _, f := range files {
		file, d := l.parser.ParseHCLFile(f)
		diags = append(diags, d...)
		if file != nil {
			bodies = append(bodies, file.Body)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	d := &decoder{dir: dir, opts: opts, loader: l, pendingTrack: map[string][]ref{}, pendingDirectors: map[string][]ref{}}
	cfg := d.decode(bodies)
	l.secrets = d.secrets
	cfg.Dir = dir
	cfg.Files = files
	diags = append(diags, d.diags...)
	if diags.HasErrors() {
		return nil, diags
	}
	diags = append(diags, Validate(cfg)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// decoder carries the state of one Load.
type decoder struct {
	dir    string
	opts   LoadOptions
	loader *Loader
	diags  hcl.Diagnostics

	vars      map[string]*variable
	locals    map[string]cty.Value
	sensitive map[string]bool // "var.x" / "local.y" → sensitive
	ctx       *hcl.EvalContext

	// secrets are sensitive values met while decoding.
	secrets []string

	// References resolved after every block is decoded, by block name.
	pendingTrack     map[string][]ref
	pendingDirectors map[string][]ref
}

func (d *decoder) errorf(rng *hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng,
	})
}

// topSchema lists every top-level block.
var topSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "defaults"},
		{Type: "keepalived"},
		{Type: "host", LabelNames: []string{"name"}},
		{Type: "vrrp_instance", LabelNames: []string{"name"}},
		{Type: "health_check", LabelNames: []string{"name"}},
		{Type: "virtual_server", LabelNames: []string{"name"}},
	},
}

func (d *decoder) decode(bodies []hcl.Body) *Config {
	cfg := &Config{
		Hosts:          map[string]*Host{},
		VRRPInstances:  map[string]*VRRPInstance{},
		HealthChecks:   map[string]*HealthCheck{},
		VirtualServers: map[string]*VirtualServer{},
	}
	byType := map[string][]*hcl.Block{}
	for _, b := range bodies {
		content, diags := b.Content(topSchema)
		d.diags = append(d.diags, diags...)
		if content == nil {
			continue
		}
		for _, blk := range content.Blocks {
			byType[blk.Type] = append(byType[blk.Type], blk)
		}
	}

	d.decodeVariables(byType["variable"])
	d.decodeLocals(byType["locals"])
	d.ctx = d.evalContext(nil)

	defaults := d.decodeDefaults(byType["defaults"])
	// Hosts may refer to other hosts (gateway = host.dir.address): decode
	// them in dependency order, file order otherwise.
	for _, blk := range hostDecodeOrder(byType["host"]) {
		d.ctx = d.evalContext(cfg.Hosts)
		h := d.decodeHost(blk, defaults)
		if prev, dup := cfg.Hosts[h.Name]; dup {
			d.duplicate(blk, "host", h.Name, prev.DeclRange)
			continue
		}
		cfg.Hosts[h.Name] = h
	}
	// host.NAME.address etc. are usable from here on.
	d.ctx = d.evalContext(cfg.Hosts)

	cfg.Keepalived = d.decodeKeepalived(byType["keepalived"])
	for _, blk := range byType["health_check"] {
		hc := d.decodeHealthCheck(blk)
		if prev, dup := cfg.HealthChecks[hc.Name]; dup {
			d.duplicate(blk, "health_check", hc.Name, prev.DeclRange)
			continue
		}
		cfg.HealthChecks[hc.Name] = hc
	}
	for _, blk := range byType["vrrp_instance"] {
		v := d.decodeVRRPInstance(blk)
		if prev, dup := cfg.VRRPInstances[v.Name]; dup {
			d.duplicate(blk, "vrrp_instance", v.Name, prev.DeclRange)
			continue
		}
		cfg.VRRPInstances[v.Name] = v
	}
	for _, blk := range byType["virtual_server"] {
		vs := d.decodeVirtualServer(blk, cfg.Hosts)
		if prev, dup := cfg.VirtualServers[vs.Name]; dup {
			d.duplicate(blk, "virtual_server", vs.Name, prev.DeclRange)
			continue
		}
		cfg.VirtualServers[vs.Name] = vs
	}
	d.resolveTrackScripts(cfg)
	d.resolveVirtualServers(cfg)
	for _, v := range d.vars {
		if v.Sensitive && v.Default != cty.NilVal && v.Default.Type() == cty.String && !v.Default.IsNull() {
			d.secrets = append(d.secrets, v.Default.AsString())
		}
		if v.Sensitive && v.Value != cty.NilVal && v.Value.Type() == cty.String && !v.Value.IsNull() && v.Value.AsString() != "" {
			cfg.SensitiveValues = append(cfg.SensitiveValues, v.Value.AsString())
			d.secrets = append(d.secrets, v.Value.AsString())
		}
	}
	sort.Strings(cfg.SensitiveValues)
	return cfg
}

// duplicate reports a second block with the same label, citing the first.
func (d *decoder) duplicate(blk *hcl.Block, kind, name string, first hcl.Range) {
	rng := blk.LabelRanges[0]
	d.errorf(&rng, fmt.Sprintf("Duplicate %s block", kind),
		"A %s named %q was already defined at %s. Each %s needs a unique name.", kind, name, first.String(), kind)
}

// onlyOne reports every block of a kind that may appear once, after the first.
func (d *decoder) onlyOne(blocks []*hcl.Block) *hcl.Block {
	if len(blocks) == 0 {
		return nil
	}
	for _, b := range blocks[1:] {
		rng := b.TypeRange
		d.errorf(&rng, fmt.Sprintf("Duplicate %s block", b.Type),
			"Only one %s block is allowed; the first is at %s.", b.Type, blocks[0].DefRange.String())
	}
	return blocks[0]
}

// isSensitive reports whether expr refers to a sensitive variable or local.
func (d *decoder) isSensitive(expr hcl.Expression) bool {
	for _, t := range expr.Variables() {
		if len(t) < 2 {
			continue
		}
		attr, ok := t[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		if d.sensitive[t.RootName()+"."+attr.Name] {
			return true
		}
	}
	return false
}

func (d *decoder) reader(body hcl.Body, schema *hcl.BodySchema) *blockReader {
	return newBlockReader(body, schema, d.ctx, d.isSensitive)
}

// done moves a reader's diagnostics into the decoder's.
func (d *decoder) done(r *blockReader) {
	d.diags = append(d.diags, r.diags...)
	r.diags = nil
}
