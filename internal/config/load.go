package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
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
	// shown is, per parsed file, the text a diagnostic may show of it
	// (see redact.go), as of the last Load, even a failed one.
	shown map[string][]byte
	// varFiles are the variable files of the last Load.
	varFiles map[string]bool
}

// NewLoader returns a Loader with an empty source cache.
func NewLoader() *Loader { return &Loader{parser: hclparse.NewParser()} }

// MaskedFiles returns every source file parsed so far as diagnostics may
// show them: variable files with only their variable names left (every
// value blanked), configuration files with every secret the last Load saw
// or could suspect overwritten by asterisks (auth_pass expressions,
// sensitive defaults and what they are built from, sensitive values
// wherever they stand). Lengths and line breaks are kept, so byte offsets
// stay valid. A file the last Load did not read is left out (its snippets
// are not shown).
func (l *Loader) MaskedFiles() map[string]*hcl.File {
	out := map[string]*hcl.File{}
	for name, f := range l.parser.Files() {
		b, ok := l.shown[name]
		if !ok {
			continue
		}
		mf := &hcl.File{Body: f.Body, Bytes: b, Nav: f.Nav}
		if l.varFiles[name] {
			// The navigator names the block around a diagnostic ("in
			// NAME") from the real source.
			mf.Nav = nil
		}
		out[name] = mf
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
	files = withoutVarFiles(files, opts.VarFiles)
	if len(files) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration",
			Detail:   fmt.Sprintf("%s is given as a -var-file; it cannot also be the configuration.", path),
		}}
	}
	var diags hcl.Diagnostics
	var bodies []hcl.Body
	broken := map[string]bool{}
	for _, f := range files {
		file, d := l.parser.ParseHCLFile(f)
		diags = append(diags, d...)
		broken[f] = d.HasErrors()
		if file != nil {
			bodies = append(bodies, file.Body)
		}
	}
	if diags.HasErrors() {
		return nil, l.finish(files, broken, opts, nil, diags)
	}
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	d := &decoder{dir: dir, opts: opts, loader: l, pendingTrack: map[string][]ref{}, pendingDirectors: map[string][]ref{}, pendingSync: map[string][]ref{}, pendingTrackProcess: map[string][]ref{}, pendingTrackFile: map[string][]ref{}}
	cfg := d.decode(bodies)
	cfg.Dir = dir
	cfg.Files = files
	d.diags = refineDiagnostics(d.diags, l.parser.Files())
	diags = append(diags, d.diags...)
	diags = append(diags, validateAfterDecode(cfg, d.diags, l.parser.Files())...)
	diags = l.finish(files, broken, opts, d, diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// withoutVarFiles drops from files those that are also variable files (a
// secrets.hcl next to the configuration, given with -var-file): they are
// read once, as variable files, whose values are never shown.
func withoutVarFiles(files, varFiles []string) []string {
	var out []string
	for _, f := range files {
		fst, err := os.Stat(f)
		isVarFile := false
		for _, v := range varFiles {
			if vst, verr := os.Stat(v); err == nil && verr == nil && os.SameFile(fst, vst) {
				isVarFile = true
			}
		}
		if !isVarFile {
			out = append(out, f)
		}
	}
	return out
}

// finish makes the diagnostics of a Load safe to print and records what
// snippets may show (MaskedFiles): it works out which source text and
// which values may be secret (redact.go), masks those values in every
// message, removes quoted source text from messages about a variable file
// or a secret expression, and hides secret variables and locals from the
// values HCL prints next to an expression. d is nil when the configuration
// did not parse.
func (l *Loader) finish(files []string, broken map[string]bool, opts LoadOptions, d *decoder, diags hcl.Diagnostics) hcl.Diagnostics {
	parsed := l.parser.Files()
	trees := map[string]*hclsyntax.Body{}
	src := map[string][]byte{}
	for _, name := range files {
		f := parsed[name]
		if f == nil {
			continue
		}
		src[name] = f.Bytes
		if body, ok := f.Body.(*hclsyntax.Body); ok && !broken[name] {
			trees[name] = body
		}
	}
	found := findSecretSources(trees, src)

	var secrets []string
	if d != nil {
		secrets = d.secrets
	}
	given, varFiles := givenStrings(l.parser, opts)
	for name, vals := range given {
		if found.vars[name] {
			secrets = append(secrets, vals...)
		}
	}
	m := secret.New(secrets...)

	l.shown = map[string][]byte{}
	varFileShown := map[string][]byteSpan{}
	l.varFiles = map[string]bool{}
	for path, vf := range varFiles {
		l.varFiles[path] = true
		varFileShown[path] = varFileNames(vf.src, vf.body)
		l.shown[path] = hiddenVarFile(vf.src, varFileShown[path])
	}
	for name, b := range src {
		l.shown[name] = blankSpans([]byte(m.Blank(string(b))), found.spans[name], '*')
	}

	for _, diag := range diags {
		diag.Summary = m.String(diag.Summary)
		diag.Detail = m.String(diag.Detail)
		if diag.EvalContext != nil {
			diag.EvalContext = hideInContext(diag.EvalContext, found.vars, found.locals)
		}
		if diag.Subject == nil {
			continue
		}
		file := diag.Subject.Filename
		if shown, ok := varFileShown[file]; ok {
			hidden := withoutSpans(varFiles[file].src, shown)
			diag.Summary = redactMessage(diag.Summary, hidden)
			diag.Detail = redactMessage(diag.Detail, hidden)
			diag.Detail = strings.TrimSpace(diag.Detail + "\n\nAt " + position(diag.Subject) + ". Values in variable files are never shown: they may be secret.")
			continue
		}
		var hidden []byte
		for _, sp := range found.spans[file] {
			if sp.start < diag.Subject.End.Byte && diag.Subject.Start.Byte < sp.end {
				hidden = append(append(hidden, src[file][sp.start:sp.end]...), 0)
			}
		}
		if hidden != nil {
			diag.Summary = redactMessage(diag.Summary, hidden)
			diag.Detail = redactMessage(diag.Detail, hidden)
		}
	}
	return diags
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
	pendingTrack map[string][]ref
	pendingSync  map[string][]ref
	// strict is global_defs' vrrp_strict, which decides initial states.
	strict bool
	// pendingTrackProcess and pendingTrackFile: per instance, its
	// track_process and track_file references.
	pendingTrackProcess map[string][]ref
	pendingTrackFile    map[string][]ref
	// pendingCheckFiles are the track_file references of file checks.
	pendingCheckFiles []ref
	// pendingCheckBFDs are the bfd_instance references of bfd checks.
	pendingCheckBFDs []ref
	pendingDirectors map[string][]ref
	// raws are the raw keepalived lines read, checked for secrets once
	// every secret is known.
	raws []rawText
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
		{Type: "ipvs"},
		{Type: "host", LabelNames: []string{"name"}},
		{Type: "vrrp_instance", LabelNames: []string{"name"}},
		{Type: "vrrp_sync_group", LabelNames: []string{"name"}},
		{Type: "health_check", LabelNames: []string{"name"}},
		{Type: "track_process", LabelNames: []string{"name"}},
		{Type: "track_file", LabelNames: []string{"name"}},
		{Type: "virtual_server", LabelNames: []string{"name"}},
		{Type: "virtual_server_group", LabelNames: []string{"name"}},
		{Type: "bfd_instance", LabelNames: []string{"name"}},
		{Type: "firewall"},
	},
}

func (d *decoder) decode(bodies []hcl.Body) *Config {
	cfg := &Config{
		Hosts:          map[string]*Host{},
		VRRPInstances:  map[string]*VRRPInstance{},
		SyncGroups:     map[string]*SyncGroup{},
		TrackProcesses: map[string]*TrackProcess{},
		TrackFiles:     map[string]*TrackFile{},
		HealthChecks:   map[string]*HealthCheck{},
		VirtualServers: map[string]*VirtualServer{},
		ServerGroups:   map[string]*ServerGroup{},
		BFDInstances:   map[string]*BFDInstance{},
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
	d.strict = cfg.Keepalived.VRRPStrict
	cfg.IPVS = d.decodeIPVS(byType["ipvs"])
	cfg.Firewall = d.decodeFirewall(byType["firewall"])
	decodeNamed(d, byType["health_check"], cfg.HealthChecks, d.decodeHealthCheck, func(v *HealthCheck) (string, hcl.Range) { return v.Name, v.DeclRange })
	decodeNamed(d, byType["track_process"], cfg.TrackProcesses, d.decodeTrackProcess, func(v *TrackProcess) (string, hcl.Range) { return v.Name, v.DeclRange })
	decodeNamed(d, byType["track_file"], cfg.TrackFiles, d.decodeTrackFile, func(v *TrackFile) (string, hcl.Range) { return v.Name, v.DeclRange })
	decodeNamed(d, byType["vrrp_instance"], cfg.VRRPInstances, d.decodeVRRPInstance, func(v *VRRPInstance) (string, hcl.Range) { return v.Name, v.DeclRange })
	decodeNamed(d, byType["vrrp_sync_group"], cfg.SyncGroups, d.decodeSyncGroup, func(v *SyncGroup) (string, hcl.Range) { return v.Name, v.DeclRange })
	decodeNamed(d, byType["bfd_instance"], cfg.BFDInstances, d.decodeBFDInstance, func(v *BFDInstance) (string, hcl.Range) { return v.Name, v.DeclRange })
	decodeNamed(d, byType["virtual_server_group"], cfg.ServerGroups, d.decodeServerGroup, func(v *ServerGroup) (string, hcl.Range) { return v.Name, v.DeclRange })
	decodeNamed(d, byType["virtual_server"], cfg.VirtualServers,
		func(blk *hcl.Block) *VirtualServer { return d.decodeVirtualServer(blk, cfg.Hosts, cfg.ServerGroups) },
		func(v *VirtualServer) (string, hcl.Range) { return v.Name, v.DeclRange })
	d.resolveTrackScripts(cfg)
	d.resolveSyncGroups(cfg)
	d.resolveTracks(cfg)
	d.resolveVirtualServers(cfg)
	for _, v := range d.vars {
		if !v.Sensitive {
			continue
		}
		// Every string in a sensitive value, also inside a list or map.
		d.secrets = append(d.secrets, stringLeaves(v.Default)...)
		d.secrets = append(d.secrets, stringLeaves(v.Value)...)
		cfg.SensitiveValues = append(cfg.SensitiveValues, stringLeaves(v.Value)...)
	}
	sort.Strings(cfg.SensitiveValues)
	d.checkRawSecrets()
	return cfg
}

// duplicate reports a second block with the same label, citing the first.
func (d *decoder) duplicate(blk *hcl.Block, kind, name string, first hcl.Range) {
	rng := blk.LabelRanges[0]
	d.errorf(&rng, fmt.Sprintf("Duplicate %s block", kind),
		"A %s named %q was already defined at %s. Each %s needs a unique name.", kind, name, first.String(), kind)
}

// decodeNamed decodes every block of one kind (its type is the kind's
// name) into m by the name it carries; a second block of a name is a
// duplicate, reported at its label, and left out.
func decodeNamed[T any](d *decoder, blocks []*hcl.Block, m map[string]T, decode func(*hcl.Block) T, id func(T) (string, hcl.Range)) {
	for _, blk := range blocks {
		v := decode(blk)
		name, _ := id(v)
		if prev, dup := m[name]; dup {
			_, first := id(prev)
			d.duplicate(blk, blk.Type, name, first)
			continue
		}
		m[name] = v
	}
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
