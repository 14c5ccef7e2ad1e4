package config_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// hostileValues are put, one at a time, into every string attribute of
// the example configurations. raw values are written into the HCL source
// as they are (inside the quotes), to reach the parser with bytes HCL
// escapes cannot produce (non-UTF-8).
var hostileValues = []struct {
	name  string
	value string
	raw   bool
}{
	{"semicolon", "a;reboot", false},
	{"pipe", "a|sh", false},
	{"ampersand", "a&&reboot", false},
	{"command substitution", "$(reboot)", false},
	{"backticks", "`reboot`", false},
	{"redirect out", "a>/etc/passwd", false},
	{"redirect in", "a</etc/shadow", false},
	{"newline", "a\nreboot", false},
	{"carriage return", "a\rb", false},
	{"tab", "a\tb", false},
	{"single quote", "a'b", false},
	{"double quote", "a\"b", false},
	{"braces", "a}\nvirtual_server 1.2.3.4 80 {", false},
	{"hash", "a#b", false},
	{"bang", "a!b", false},
	{"backslash", `a\b`, false},
	{"dollar brace", "${HOME}", false},
	{"spaces", "a b c", false},
	{"leading dash", "-rf", false},
	{"empty", "", false},
	{"very long", strings.Repeat("a", 10000), false},
	{"unicode", "ä€𝄞", false},
	{"nul", "a\x00b", false},
	{"non-UTF-8", "a\xffb", true},
	{"path traversal", "/etc/../etc/shadow", false},
}

// hostileConfigs are the base shapes: lab A, lab B and the HA LVS pair.
var hostileConfigs = []string{"ha-nginx", "lvs-nat", "ha-lvs"}

// hclQuote writes s as the inside of an HCL quoted string.
func hclQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\u0000`)
		default:
			b.WriteRune(r)
		}
	}
	out := strings.ReplaceAll(b.String(), "${", "$${")
	return strings.ReplaceAll(out, "%{", "%%{")
}

// stringSite is one string literal in a configuration file.
type stringSite struct {
	file string
	rng  hcl.Range // of the literal, quotes included
	attr string    // block path and attribute, for messages
}

// stringSites finds every quoted string literal of every attribute (and
// list element) in the files.
func stringSites(t *testing.T, files []string) []stringSite {
	var out []stringSite
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		var walk func(b *hclsyntax.Body, where string)
		walk = func(b *hclsyntax.Body, where string) {
			names := make([]string, 0, len(b.Attributes))
			for n := range b.Attributes {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				var exprs []hclsyntax.Expression
				switch e := b.Attributes[n].Expr.(type) {
				case *hclsyntax.TemplateExpr:
					exprs = append(exprs, e)
				case *hclsyntax.TupleConsExpr:
					exprs = append(exprs, e.Exprs...)
				}
				for _, e := range exprs {
					if te, ok := e.(*hclsyntax.TemplateExpr); ok && te.IsStringLiteral() {
						out = append(out, stringSite{file: f, rng: te.Range(), attr: where + n})
					}
				}
			}
			for _, blk := range b.Blocks {
				walk(blk.Body, where+blk.Type+strings.Join(blk.Labels, ".")+".")
			}
		}
		walk(file.Body.(*hclsyntax.Body), "")
	}
	return out
}

var diagLocation = regexp.MustCompile(`\.hcl:\d+`)

// TestHostileStrings puts each hostile value into each string attribute
// of each base configuration. Every variant must either fail validation
// with a diagnostic that names file:line, or load and render such that the
// value appears only where it is inert: verbatim in a managed file's
// content, inside a keepalived double-quoted string, or inside single
// quotes in a generated shell script that `sh -n` accepts.
func TestHostileStrings(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	tried, rejected, accepted := 0, 0, 0
	quoted := map[string]bool{}
	for _, name := range hostileConfigs {
		dir := filepath.Join("..", "..", "examples", "lab-19.x", name)
		files, err := config.ConfigFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, site := range stringSites(t, files) {
			src, _ := os.ReadFile(site.file)
			for _, hv := range hostileValues {
				tried++
				inner := hclQuote(hv.value)
				if hv.raw {
					inner = hv.value
				}
				variant := string(src[:site.rng.Start.Byte]) + `"` + inner + `"` + string(src[site.rng.End.Byte:])
				tmp := t.TempDir()
				for _, f := range files {
					data, _ := os.ReadFile(f)
					if f == site.file {
						data = []byte(variant)
					}
					if err := os.WriteFile(filepath.Join(tmp, filepath.Base(f)), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				what := fmt.Sprintf("%s %s = %s", name, site.attr, hv.name)
				cfg, diags := config.NewLoader().Load(tmp, config.LoadOptions{})
				if diags.HasErrors() {
					rejected++
					if !diagLocation.MatchString(diags.Error()) {
						t.Errorf("%s: error without file:line: %s", what, diags.Error())
					}
					continue
				}
				accepted++
				if os.Getenv("HOSTILE_DEBUG") != "" {
					t.Logf("accepted: %s", what)
				}
				hostileCheckRendered(t, what, cfg, hv.value)
				quoted[hv.value] = true
			}
		}
	}
	// Any accepted value that reaches a command is quoted with
	// remote.Quote; prove the quoting round-trips through a real shell.
	for v := range quoted {
		if strings.ContainsRune(v, 0) || v == "" {
			continue
		}
		out, err := exec.Command("sh", "-c", `printf '%s' `+shell.Quote(v)).Output()
		if err != nil || string(out) != v {
			t.Errorf("shell.Quote(%q) does not round-trip through sh: %q, %v", v, out, err)
		}
	}
	t.Logf("hostile inputs: %d variants tried (%d values × every string attribute of %v), %d rejected with file:line, %d accepted and rendered safely", tried, len(hostileValues), hostileConfigs, rejected, accepted)
}

// hostileCheckRendered renders cfg and checks where value landed.
func hostileCheckRendered(t *testing.T, what string, cfg *config.Config, value string) {
	t.Helper()
	hosts, err := render.Render(cfg)
	if err != nil {
		return // refusing to render is safe
	}
	if value == "" || len(value) < 2 {
		return
	}
	for hn, h := range hosts {
		for _, f := range h.Files {
			if !bytes.Contains(f.Content, []byte(value)) {
				continue
			}
			content := string(f.Content)
			switch {
			case strings.HasSuffix(f.Path, "keepalived.conf"):
				for _, line := range strings.Split(content, "\n") {
					if strings.Contains(line, value) && !strings.Contains(line, `"`+value+`"`) && strings.ContainsAny(value, " \t\"'{}#!\n\r") {
						t.Errorf("%s: %s %s: value unquoted in line %q", what, hn, f.Path, line)
					}
				}
			case strings.HasPrefix(content, "#!/bin/sh") || strings.HasPrefix(content, "#!/bin/bash"):
				cmd := exec.Command("sh", "-n")
				cmd.Stdin = strings.NewReader(content)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s: %s %s: script no longer parses: %v %s", what, hn, f.Path, err, out)
				}
				if strings.HasPrefix(value, "-") && regexp.MustCompile(`(systemctl \w+|ps -C|pidof) '?`+regexp.QuoteMeta(value)).MatchString(content) {
					t.Errorf("%s: %s %s: value passed as a command's option", what, hn, f.Path)
				}
				if strings.ContainsAny(value, ";|&$`<>\n\"' ") && !strings.Contains(content, shell.Quote(value)) {
					t.Errorf("%s: %s %s: value not single-quoted in the script", what, hn, f.Path)
				}
			}
			// Other files (pages, unit files' free text) carry the value as
			// content, which is what the user asked for.
		}
		for _, p := range h.Packages {
			if strings.Contains(p, value) {
				t.Errorf("%s: %s: hostile value in a package name %q", what, hn, p)
			}
		}
		for _, s := range h.Services {
			if strings.Contains(s.Name, value) {
				t.Errorf("%s: %s: hostile value in a service name %q", what, hn, s.Name)
			}
		}
	}
}
