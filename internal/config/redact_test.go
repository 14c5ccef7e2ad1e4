package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// redactBase is a valid two-member instance; AUTH is replaced by each
// case's auth_pass line (or nothing) and EXTRA by more blocks.
const redactBase = `
host "web1" {
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}

host "web2" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
}

vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  AUTH
  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
EXTRA
`

func redactConfig(auth, extra string) string {
	return strings.NewReplacer("AUTH", auth, "EXTRA", extra).Replace(redactBase)
}

const sensitiveVar = `
variable "pw" {
  type      = string
  sensitive = true
}
`

// TestDiagnosticsHideSecrets loads configurations whose diagnostics would
// show a secret (issue 13, repro 1, and the class around it) and prints
// them exactly as the CLI does (hcl.NewDiagnosticTextWriter over
// MaskedFiles, with and without colour). No piece of a secret may appear
// in the output or in MaskedFiles; each diagnostic about a variable file
// still says file:line:column, and what the case names as shown stays
// visible.
func TestDiagnosticsHideSecrets(t *testing.T) {
	cases := []struct {
		name     string
		files    map[string]string // configuration files in the directory
		varFiles map[string]string // variable files outside it
		vars     []string
		environ  []string
		secrets  []string // each must not appear, even as part of other text
		shown    []string // must appear in the output
	}{
		{
			name:     "var-file unterminated string",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "pw = \"Zq7xK9pw\n"},
			secrets:  []string{"Zq7xK9pw"},
			shown:    []string{"s.vars:1:", "Unterminated template string", "pw ="},
		},
		{
			name:     "var-file undeclared name, unterminated string (the issue's repro)",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "vrrp_pw = \"Zq7xK9pw\n"},
			secrets:  []string{"Zq7xK9pw"},
			shown:    []string{"s.vars:1:"},
		},
		{
			name:     "var-file non-UTF-8 value",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "pw = \"Zq7xK9\xffpwQ4\"\n"},
			secrets:  []string{"Zq7xK9", "pwQ4", "\xff"},
			shown:    []string{"s.vars:1:", "Invalid character encoding"},
		},
		{
			name:     "var-file bad escape inside the value",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "pw = \"Zq7x\\qK9pw\"\n"},
			secrets:  []string{"Zq7x", `\q`, `"q`, "K9pw"},
			shown:    []string{"s.vars:1:", "Invalid escape sequence"},
		},
		{
			name:     "var-file template directive inside the value",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "pw = \"Zq7x%{K9pwAbc}\"\n"},
			secrets:  []string{"Zq7x", "K9pwAbc"},
			shown:    []string{"s.vars:1:"},
		},
		{
			name:     "var-file invalid code point",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "pw = \"\\uD834Zq7xK9pw\"\n"},
			secrets:  []string{"Zq7xK9pw", "D834", "d834"},
			shown:    []string{"s.vars:1:"},
		},
		{
			name:     "var-file secret written as a block",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "Zq7xK9pw {\n}\n"},
			secrets:  []string{"Zq7xK9pw"},
			shown:    []string{"s.vars:1:"},
		},
		{
			name:     "var-file secret without quotes",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "pw = Zq7xK9pw\n"},
			secrets:  []string{"Zq7xK9pw"},
			shown:    []string{"s.vars:1:", "Variables not allowed", "pw ="},
		},
		{
			name:     "var-file secret called as a function",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "pw = Zq7xK9pw(1)\n"},
			secrets:  []string{"Zq7xK9pw"},
			shown:    []string{"s.vars:1:"},
		},
		{
			name:     "var-file unterminated heredoc",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "pw = <<EOT\nZq7xK9pw\nother = 1\n"},
			secrets:  []string{"Zq7xK9pw", "other"},
			shown:    []string{"s.vars:4:1", "Unterminated template string"},
		},
		{
			name:     "var-file broken line before a good one",
			files:    map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			varFiles: map[string]string{"s.vars": "other = \"x\npw = \"Zq7xK9pw\"\nmore = \"Qr5tY7uI\"\n"},
			secrets:  []string{"Zq7xK9pw", "Qr5tY7uI"},
			shown:    []string{"s.vars:1:"},
		},
		{
			name:     "var-file value of the wrong type",
			files:    map[string]string{"main.hcl": redactConfig("", "variable \"n\" {\n  type = number\n  sensitive = true\n}\nlocals {\n  x = var.n\n}\n")},
			varFiles: map[string]string{"s.vars": "n = \"Zq7xK9pw\"\n"},
			secrets:  []string{"Zq7xK9pw"},
			shown:    []string{"does not match its type"},
		},
		{
			name:     "var-file value for an undeclared variable",
			files:    map[string]string{"main.hcl": redactConfig("", "")},
			varFiles: map[string]string{"s.vars": "vrrp_pw = \"Zq7xK9pw\"\n"},
			secrets:  []string{"Zq7xK9pw"},
			shown:    []string{"s.vars:1:", "vrrp_pw"},
		},
		{
			name:    "-var without a name",
			files:   map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar)},
			vars:    []string{"pw=Zq7xK9pw", "Zq7xK9pw"},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{"-var option number 2 of 2"},
		},
		{
			name:    "environment value of the wrong type",
			files:   map[string]string{"main.hcl": redactConfig("", "variable \"n\" {\n  type = number\n  sensitive = true\n}\nlocals {\n  x = var.n\n}\n")},
			environ: []string{"CLUSTERCTL_VAR_n=Zq7xK9pw"},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{"CLUSTERCTL_VAR_n"},
		},
		{
			name:    "literal auth_pass split by a template",
			files:   map[string]string{"main.hcl": redactConfig(`auth_pass = "Zq7x${"K9p!"}"`, "")},
			secrets: []string{"Zq7x", "K9p!"},
			shown:   []string{"Invalid auth_pass", "auth_pass = "},
		},
		{
			name:    "literal auth_pass in a heredoc",
			files:   map[string]string{"main.hcl": redactConfig("auth_pass = <<EOT\nZq7xK9pw\nEOT", "")},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{"auth_pass is longer than 8 characters"},
		},
		{
			name:    "literal auth_pass split over lines",
			files:   map[string]string{"main.hcl": redactConfig("auth_pass = join(\"\", [\n    \"Zq7x\",\n    \"K9p#\",\n  ])", "")},
			secrets: []string{"Zq7x", "K9p#"},
			shown:   []string{"Invalid auth_pass"},
		},
		{
			name:    "literal auth_pass in a quoted string broken over lines",
			files:   map[string]string{"main.hcl": redactConfig("auth_pass = \"Zq7x\nK9pw\"", "")},
			secrets: []string{"Zq7x", "K9pw"},
			shown:   []string{"Invalid multi-line string"},
		},
		{
			name:    "literal auth_pass too long",
			files:   map[string]string{"main.hcl": redactConfig(`auth_pass = "Zq7xK9pwLong"`, "")},
			secrets: []string{"Zq7xK9pwLong"},
			shown:   []string{"longer than 8 characters"},
		},
		{
			name: "auth_pass from a local and a non-sensitive variable",
			files: map[string]string{"main.hcl": redactConfig(`auth_pass = "${local.a}${var.b}K!"`,
				"locals {\n  a = \"Zq7\"\n}\nvariable \"b\" {\n  default = \"Qr5\"\n}\nhost \"web3\" {\n  address = local.a + 1\n}\n")},
			secrets: []string{"Zq7", "Qr5", "K!"},
			shown:   []string{"Invalid auth_pass", "address = local.a + 1"},
		},
		{
			name:    "sensitive default in a broken file",
			files:   map[string]string{"main.hcl": redactConfig("", "variable \"pw\" {\n  sensitive = true\n  default = \"Zq7xK9pw\n}\n")},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{"Unterminated template string", "default ="},
		},
		{
			name:    "sensitive heredoc default in a file broken earlier",
			files:   map[string]string{"main.hcl": "host \"a\" {\n  address = \"x\n}\n" + redactConfig("", "variable \"pw\" {\n  sensitive = true\n  default = <<EOT\nZq7xK9pw\nEOT\n}\n")},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{`address = "x`, "Invalid multi-line string"},
		},
		{
			name:    "literal auth_pass in a file broken earlier",
			files:   map[string]string{"main.hcl": "host \"a\" {\n  address = \"x\n}\n" + redactConfig(`auth_pass = "Zq7xK9pw"`, "")},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{`address = "x`},
		},
		{
			name:    "sensitive value given by -var, pasted into a broken file's comment",
			files:   map[string]string{"main.hcl": "host \"a\" { # was Zq7xK9pw\n  address = \"x\n}\n" + redactConfig("auth_pass = var.pw", sensitiveVar)},
			vars:    []string{"pw=Zq7xK9pw"},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{`address = "x`},
		},
		{
			name:    "sensitive default of a good file while another file is broken",
			files:   map[string]string{"a.hcl": "host \"a\" {\n  address = \"x\n}\n", "b.hcl": redactConfig("auth_pass = var.pw", "variable \"pw\" {\n  sensitive = true\n  default = \"Zq7xK9pw\" + 1\n}\n")},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{`address = "x`},
		},
		{
			name:    "sensitive value in an expression's context (with var.pw as ...)",
			files:   map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar+"host \"web3\" {\n  address = var.pw + 1\n}\n")},
			vars:    []string{"pw=Zq7xK9pw"},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{"address = var.pw + 1", "Invalid operand"},
		},
		{
			name:    "sensitive list quoted by a validation message",
			files:   map[string]string{"main.hcl": strings.Replace(redactConfig("", "variable \"ips\" {\n  type = list(string)\n  sensitive = true\n}\n"), `virtual_ips       = ["192.168.19.100"]`, "virtual_ips = var.ips", 1)},
			vars:    []string{`ips=["Zq7xK9pw"]`},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{"Invalid address"},
		},
		{
			name:    "variable file left among the configuration files",
			files:   map[string]string{"main.hcl": redactConfig("auth_pass = var.pw", sensitiveVar), "secrets.hcl": "pw = \"Zq7xK9pw\"\n"},
			secrets: []string{"Zq7xK9pw"},
			shown:   []string{"Unsupported argument", "pw = "},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "cfg")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, content := range c.files {
				writeFile(t, filepath.Join(dir, name), content)
			}
			var varFiles []string
			for name, content := range c.varFiles {
				p := filepath.Join(root, name)
				writeFile(t, p, content)
				varFiles = append(varFiles, p)
			}
			l := NewLoader()
			_, diags := l.Load(dir, LoadOptions{Vars: c.vars, VarFiles: varFiles, Environ: c.environ})
			if !diags.HasErrors() {
				t.Fatalf("no errors; the case must fail to load:\n%s", formatDiags(diags))
			}
			var plain, colour bytes.Buffer
			if err := hcl.NewDiagnosticTextWriter(&plain, l.MaskedFiles(), 78, false).WriteDiagnostics(diags); err != nil {
				t.Fatal(err)
			}
			if err := hcl.NewDiagnosticTextWriter(&colour, l.MaskedFiles(), 78, true).WriteDiagnostics(diags); err != nil {
				t.Fatal(err)
			}
			out := plain.String()
			for _, s := range c.secrets {
				if strings.Contains(out, s) || strings.Contains(colour.String(), s) {
					t.Errorf("the diagnostics show %q:\n%s", s, out)
				}
				for name, f := range l.MaskedFiles() {
					if bytes.Contains(f.Bytes, []byte(s)) {
						t.Errorf("MaskedFiles()[%s] holds %q:\n%s", name, s, f.Bytes)
					}
				}
			}
			for _, s := range c.shown {
				if !strings.Contains(out, strings.ReplaceAll(s, "s.vars", filepath.Join(root, "s.vars"))) {
					t.Errorf("the diagnostics do not show %q:\n%s", s, out)
				}
			}
		})
	}
}

// TestVarFileAlsoInConfigDir: a variable file that sits among the
// configuration files and is also given with -var-file is read once, as a
// variable file.
func TestVarFileAlsoInConfigDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.hcl"), redactConfig("auth_pass = var.pw", sensitiveVar))
	writeFile(t, filepath.Join(dir, "secrets.hcl"), "pw = \"Zq7xK9pw\"\n")
	cfg, diags := NewLoader().Load(dir, LoadOptions{VarFiles: []string{filepath.Join(dir, "secrets.hcl")}})
	if diags.HasErrors() {
		t.Fatalf("Load: %s", formatDiags(diags))
	}
	if got := cfg.VRRPInstances["VI_1"].AuthPass; got != "Zq7xK9pw" {
		t.Errorf("auth_pass = %q, want the variable file's value", got)
	}
	if len(cfg.Files) != 1 || filepath.Base(cfg.Files[0]) != "main.hcl" {
		t.Errorf("configuration files = %v, want only main.hcl", cfg.Files)
	}
}

// TestMaskedFilesKeepsOrdinaryText: masking is targeted; the text of a
// configuration around a secret, and the names in a variable file, stay
// as written, byte for byte in length.
func TestMaskedFilesKeepsOrdinaryText(t *testing.T) {
	dir := t.TempDir()
	main := redactConfig(`auth_pass = "Zq7xK9pw"`, "variable \"count\" {\n  default = 3\n}\n")
	writeFile(t, filepath.Join(dir, "main.hcl"), main)
	vf := filepath.Join(t.TempDir(), "v.vars")
	writeFile(t, vf, "count = 4\n")
	l := NewLoader()
	if _, diags := l.Load(dir, LoadOptions{VarFiles: []string{vf}}); diags.HasErrors() {
		t.Fatalf("Load: %s", formatDiags(diags))
	}
	files := l.MaskedFiles()
	got := string(files[filepath.Join(dir, "main.hcl")].Bytes)
	want := strings.Replace(main, `"Zq7xK9pw"`, "**********", 1)
	if got != want {
		t.Errorf("masked main.hcl:\n%s\nwant:\n%s", got, want)
	}
	if got, want := string(files[vf].Bytes), "count =  \n"; got != want {
		t.Errorf("masked variable file = %q, want %q", got, want)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
