package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// examplesDir holds the lab configurations shipped with clusterctl.
var examplesDir = filepath.Join("..", "..", "examples", "lab-19.x")

// mustLoad loads path and fails the test on any error diagnostic.
func mustLoad(t *testing.T, path string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	t.Helper()
	cfg, diags := NewLoader().Load(path, opts)
	if diags.HasErrors() {
		t.Fatalf("Load(%s): unexpected errors:\n%s", path, formatDiags(diags))
	}
	if cfg == nil {
		t.Fatalf("Load(%s): nil configuration without errors", path)
	}
	return cfg, diags
}

// warningSummaries returns the summaries of the warnings in diags, sorted.
func warningSummaries(diags hcl.Diagnostics) []string {
	out := []string{}
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			out = append(out, d.Summary)
		}
	}
	sort.Strings(out)
	return out
}

// TestExamplesLoad loads every example and compares its warnings with the
// expected list; an example without an entry here fails the test, so a new
// example must state its warnings explicitly.
func TestExamplesLoad(t *testing.T) {
	wantWarnings := map[string][]string{
		"ha-lvs":      {},
		"ha-nginx":    {},
		"lvs-dr":      {},
		"lvs-fullnat": {},
		"lvs-nat":     {},
		"lvs-tun":     {},
	}
	entries, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		seen++
		t.Run(e.Name(), func(t *testing.T) {
			want, ok := wantWarnings[e.Name()]
			if !ok {
				t.Fatalf("example %s has no expectation in TestExamplesLoad", e.Name())
			}
			_, diags := mustLoad(t, filepath.Join(examplesDir, e.Name()), LoadOptions{})
			if diff := cmp.Diff(want, warningSummaries(diags)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
	if seen != len(wantWarnings) {
		t.Errorf("found %d example directories, expected %d", seen, len(wantWarnings))
	}
}

// TestLabA spot-checks the decoded values of lab A (keepalived + nginx).
func TestLabA(t *testing.T) {
	cfg, _ := mustLoad(t, filepath.Join(examplesDir, "ha-nginx"), LoadOptions{})
	v := cfg.VRRPInstances["VI_1"]
	if v == nil {
		t.Fatal("no vrrp_instance VI_1")
	}
	type member struct {
		Host     string
		Priority int
		State    string
	}
	var members []member
	for _, m := range v.Members {
		members = append(members, member{m.Host, m.Priority, m.State})
	}
	wantMembers := []member{{"web1", 100, StateMaster}, {"web2", 90, StateBackup}}
	if diff := cmp.Diff(wantMembers, members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if got := v.Master().Host; got != "web1" {
		t.Errorf("Master() = %s, want web1", got)
	}
	if v.VirtualRouterID != 51 || v.AdvertInt != 1 || v.Interface != "ens33" {
		t.Errorf("VRID %d advert_int %d interface %s, want 51 1 ens33", v.VirtualRouterID, v.AdvertInt, v.Interface)
	}
	if diff := cmp.Diff([]netip.Prefix{netip.MustParsePrefix("192.168.19.100/32")}, v.VirtualIPs, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("VIPs (-want +got):\n%s", diff)
	}
	if v.AuthPass != "aminglin" {
		t.Errorf("auth_pass = %q, want the default aminglin", v.AuthPass)
	}
	if diff := cmp.Diff([]string{"aminglin"}, cfg.SensitiveValues); diff != "" {
		t.Errorf("SensitiveValues (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"nginx"}, v.TrackScripts); diff != "" {
		t.Errorf("track scripts (-want +got):\n%s", diff)
	}
	hc := cfg.HealthChecks["nginx"]
	want := HealthCheck{
		Name: "nginx", Process: "nginx", Service: "nginx", Restart: true, StopKeepalived: true,
		LogFile: "/var/log/check_ng.log", ScriptPath: "/usr/local/sbin/check_ng.sh", Interval: 3,
	}
	if diff := cmp.Diff(want, *hc, cmpIgnoreRanges); diff != "" {
		t.Errorf("health_check nginx (-want +got):\n%s", diff)
	}
	if got := hc.VRRPScriptName(); got != "chk_nginx" {
		t.Errorf("VRRPScriptName() = %s", got)
	}
	k := cfg.Keepalived
	if k.RouterID != "LVS_DEVEL" || k.SMTPServer != "127.0.0.1" || k.SMTPConnectTimeout != 30 ||
		k.NotificationEmailFrom != "root@aminglinux.com" || !cmp.Equal(k.NotificationEmail, []string{"aming@aminglinux.com"}) {
		t.Errorf("keepalived global_defs = %+v", k)
	}
	if !k.EnableScriptSecurity || k.ScriptUser != "root" {
		t.Errorf("script security = %v user %q, want the defaults true, root", k.EnableScriptSecurity, k.ScriptUser)
	}
	if h := cfg.Hosts["web1"]; h.Connection.Address != "192.168.19.101" || h.Connection.User != "root" {
		t.Errorf("web1 connection = %+v, want 192.168.19.101 as root (from the first interface address and defaults)", h.Connection)
	}
}

// cmpIgnoreRanges ignores source positions when comparing decoded blocks.
var cmpIgnoreRanges = cmp.FilterPath(func(p cmp.Path) bool {
	switch p.Last().Type() {
	case reflect.TypeFor[hcl.Range](), reflect.TypeFor[Ranges]():
		return true
	}
	return false
}, cmp.Ignore())

// TestLabB spot-checks lab B (LVS NAT).
func TestLabB(t *testing.T) {
	cfg, _ := mustLoad(t, filepath.Join(examplesDir, "lvs-nat"), LoadOptions{})
	vs := cfg.VirtualServers["web"]
	if vs == nil {
		t.Fatal("no virtual_server web")
	}
	if vs.Address != netip.MustParseAddrPort("192.168.47.128:80") || vs.Protocol != "tcp" || vs.Mode != ModeNAT ||
		vs.Scheduler != "wlc" || vs.Persistence != 3 || vs.ManagedBy != ManagedByClusterctl {
		t.Errorf("virtual_server web = %s %s %s %s persistence %d managed by %s", vs.Address, vs.Protocol, vs.Mode, vs.Scheduler, vs.Persistence, vs.ManagedBy)
	}
	if diff := cmp.Diff([]string{"dir"}, vs.Directors); diff != "" {
		t.Errorf("directors (-want +got):\n%s", diff)
	}
	type rsView struct {
		Host   string
		Addr   string
		Weight int
	}
	var got []rsView
	for _, rs := range vs.RealServers {
		got = append(got, rsView{rs.Host, rs.AddrPort().String(), rs.Weight})
	}
	want := []rsView{{"rs1", "192.168.19.102:80", 1}, {"rs2", "192.168.19.103:80", 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("real servers (-want +got):\n%s", diff)
	}
	if !cfg.IsDirector("dir") || cfg.IsDirector("rs1") {
		t.Error("IsDirector: want dir only")
	}
	if rs := cfg.RealServerOf("rs2"); len(rs) != 1 || rs[0] != vs {
		t.Errorf("RealServerOf(rs2) = %v", rs)
	}
	rs1 := cfg.Hosts["rs1"]
	if len(rs1.Files) != 2 || rs1.Files["/var/www/html/index.html"].Content != "RS1------RS1\n" {
		t.Errorf("rs1 files = %v", rs1.Files)
	}
	if f := rs1.Files["/var/www/html/index.html"]; f.Mode != 0o644 || f.Owner != "root" || f.Group != "root" || f.Sensitive {
		t.Errorf("file defaults = mode %s owner %s group %s sensitive %v", FormatMode(f.Mode), f.Owner, f.Group, f.Sensitive)
	}
	if k := cfg.Keepalived; !k.EnableScriptSecurity || k.ScriptUser != "root" {
		t.Errorf("keepalived defaults without a keepalived block = %+v", k)
	}
	if rs1.Gateway.IsValid() {
		t.Errorf("rs1 gateway = %s; the NAT route is derived by render, not set in config", rs1.Gateway)
	}
}

// writeConfig writes files (name → content) into a fresh directory.
func writeConfig(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// varConfig declares a variable and uses it as a file's content, so the
// test can read the final value back.
const varConfig = `
variable "page" {
  default = "from-default"
}

variable "count" {
  type    = number
  default = 1
}

host "web1" {
  address = "192.168.19.101"
  file "/srv/page" {
    content = var.page
  }
  file "/srv/count" {
    content = format("%d", var.count * 2)
  }
}
`

func TestVariables(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"cluster.hcl":  varConfig,
		"vars/a.vars":  `page = "from-file-a"`,
		"vars/b.vars":  "page = \"from-file-b\"\ncount = 4\n",
		"vars/bad.hcl": `page = `,
	})
	varFile := func(n string) string { return filepath.Join(dir, "vars", n) }
	env := func(kv ...string) []string {
		return append([]string{"PATH=/bin", "CLUSTERCTL_VAR_other=ignored"}, kv...)
	}
	tests := []struct {
		name      string
		opts      LoadOptions
		wantPage  string
		wantCount string
	}{
		{"default", LoadOptions{}, "from-default", "2"},
		{"-var", LoadOptions{Vars: []string{"page=from-var"}}, "from-var", "2"},
		{"-var value with =", LoadOptions{Vars: []string{"page=a=b"}}, "a=b", "2"},
		{"last -var wins", LoadOptions{Vars: []string{"page=one", "page=two"}}, "two", "2"},
		{"-var-file", LoadOptions{VarFiles: []string{varFile("a.vars")}}, "from-file-a", "2"},
		{"later -var-file wins", LoadOptions{VarFiles: []string{varFile("a.vars"), varFile("b.vars")}}, "from-file-b", "8"},
		{"env", LoadOptions{Environ: env("CLUSTERCTL_VAR_page=from-env")}, "from-env", "2"},
		{"file beats env", LoadOptions{Environ: env("CLUSTERCTL_VAR_page=from-env"), VarFiles: []string{varFile("a.vars")}}, "from-file-a", "2"},
		{"-var beats file and env", LoadOptions{
			Environ:  env("CLUSTERCTL_VAR_page=from-env"),
			VarFiles: []string{varFile("a.vars")},
			Vars:     []string{"page=from-var"},
		}, "from-var", "2"},
		{"typed number from -var", LoadOptions{Vars: []string{"count=21"}}, "from-default", "42"},
		{"typed number from env", LoadOptions{Environ: env("CLUSTERCTL_VAR_count=5")}, "from-default", "10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := mustLoad(t, dir, tt.opts)
			files := cfg.Hosts["web1"].Files
			if got := files["/srv/page"].Content; got != tt.wantPage {
				t.Errorf("page = %q, want %q", got, tt.wantPage)
			}
			if got := files["/srv/count"].Content; got != tt.wantCount {
				t.Errorf("count = %q, want %q", got, tt.wantCount)
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"cluster.hcl":      varConfig,
		"bad.vars":         `page = `,
		"blocks/host.vars": "host \"x\" {\n}\n",
	})
	tests := []struct {
		name        string
		opts        LoadOptions
		wantSummary string
		wantDetail  string
	}{
		{"-var undeclared", LoadOptions{Vars: []string{"pagee=x"}}, "Value for undeclared variable", `"pagee" by -var pagee`},
		{"-var-file with a block", LoadOptions{VarFiles: []string{filepath.Join(dir, "blocks", "host.vars")}}, "Unexpected", ""},
		{"-var-file is the configuration", LoadOptions{VarFiles: []string{filepath.Join(dir, "cluster.hcl")}}, "Cannot read configuration", "is given as a -var-file"},
		{"-var without =", LoadOptions{Vars: []string{"page"}}, "Invalid -var option", "number 1 of 1"},
		{"-var wrong type", LoadOptions{Vars: []string{"count=many"}}, "Invalid value for variable", `"count" by -var count`},
		{"-var-file syntax error", LoadOptions{VarFiles: []string{filepath.Join(dir, "bad.vars")}}, "Missing expression", ""},
		{"-var-file missing", LoadOptions{VarFiles: []string{filepath.Join(dir, "missing.vars")}}, "Failed to read file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := NewLoader().Load(dir, tt.opts)
			if cfg != nil {
				t.Error("Load returned a configuration despite errors")
			}
			for _, d := range diags {
				if d.Severity == hcl.DiagError && strings.Contains(d.Summary, tt.wantSummary) && strings.Contains(d.Detail, tt.wantDetail) {
					return
				}
			}
			t.Errorf("no error with summary %q and detail %q; got:\n%s", tt.wantSummary, tt.wantDetail, formatDiags(diags))
		})
	}
}

// TestEnvironmentForOtherConfigs: CLUSTERCTL_VAR_ values for variables this
// configuration does not declare are ignored (the environment is shared).
func TestEnvironmentForOtherConfigs(t *testing.T) {
	dir := writeConfig(t, map[string]string{"cluster.hcl": varConfig})
	mustLoad(t, dir, LoadOptions{Environ: []string{"CLUSTERCTL_VAR_vrrp_password=x", "CLUSTERCTL_VAR_=y", "CLUSTERCTL_VAR_noequals"}})
}

const sensitiveConfig = `
variable "secret" {
  type      = string
  sensitive = true
}

variable "plain" {
  default = "hello"
}

locals {
  # Declared before what it refers to: order does not matter.
  wrapped = "password=${local.inner}\n"
  inner   = upper(var.secret)
  public  = "${var.plain} world"
}

host "web1" {
  address = "192.168.19.101"
  file "/etc/app/direct" {
    content = var.secret
  }
  file "/etc/app/via-local" {
    content = local.wrapped
  }
  file "/etc/app/public" {
    content = local.public
  }
  file "/etc/app/joined" {
    content = join(",", [var.plain, trimspace(" x "), lower("Y")])
  }
}
`

func TestSensitive(t *testing.T) {
	dir := writeConfig(t, map[string]string{"cluster.hcl": sensitiveConfig})
	cfg, _ := mustLoad(t, dir, LoadOptions{Vars: []string{"secret=s3cret"}})
	if diff := cmp.Diff([]string{"s3cret"}, cfg.SensitiveValues); diff != "" {
		t.Errorf("SensitiveValues (-want +got):\n%s", diff)
	}
	files := cfg.Hosts["web1"].Files
	tests := []struct {
		path          string
		wantContent   string
		wantSensitive bool
	}{
		{"/etc/app/direct", "s3cret", true},
		{"/etc/app/via-local", "password=S3CRET\n", true},
		{"/etc/app/public", "hello world", false},
		{"/etc/app/joined", "hello,x,y", false},
	}
	for _, tt := range tests {
		f := files[tt.path]
		if f == nil {
			t.Errorf("%s: missing", tt.path)
			continue
		}
		if f.Content != tt.wantContent || f.Sensitive != tt.wantSensitive {
			t.Errorf("%s: content %q sensitive %v, want %q %v", tt.path, f.Content, f.Sensitive, tt.wantContent, tt.wantSensitive)
		}
	}
}

func TestLocalsCycle(t *testing.T) {
	dir := writeConfig(t, map[string]string{"cluster.hcl": `
locals {
  a = "${local.c}-a"
  b = local.a
  c = local.b
  ok = "fine"
}
host "web1" {
  address = "192.168.19.101"
}
`})
	_, diags := NewLoader().Load(dir, LoadOptions{})
	var got []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			got = append(got, fmt.Sprintf("%s at line %d", d.Summary, d.Subject.Start.Line))
		}
	}
	want := []string{
		"Unresolvable local value at line 3",
		"Unresolvable local value at line 4",
		"Unresolvable local value at line 5",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestHostReferencesAndFileFunction: host.NAME.address and host.NAME.name
// work in every block, also in a host declared before the host it refers
// to; file() reads relative to the configuration directory.
func TestHostReferencesAndFileFunction(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"cluster.hcl": `
host "rs1" {
  interface "ens33" {
    addresses = ["192.168.19.102/24"]
  }
  gateway = host.dir.address
  file "/var/www/html/index.html" {
    content = file("pages/rs1.html")
  }
  file "/etc/motd" {
    content = "my director is ${host.dir.name} at ${host.dir.address}\n"
  }
}
host "dir" {
  address = "192.168.19.101"
  interface "ens33" {
    addresses = ["192.168.19.101/24"]
  }
}
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  notify_master     = "/usr/local/bin/notify ${host.dir.name}"
  member "dir" {
    priority = 100
  }
}
virtual_server "web" {
  address   = "192.168.19.100:80"
  directors = [host.dir]
  real_server "rs1" {
    address = host.rs1.address
    port    = 80
  }
}
`,
		"pages/rs1.html": "<h1>RS1</h1>\n",
	})
	cfg, _ := mustLoad(t, dir, LoadOptions{})
	rs1 := cfg.Hosts["rs1"]
	if rs1.Gateway != netip.MustParseAddr("192.168.19.101") {
		t.Errorf("gateway = %s, want host.dir.address", rs1.Gateway)
	}
	if got := rs1.Files["/var/www/html/index.html"].Content; got != "<h1>RS1</h1>\n" {
		t.Errorf("file() content = %q", got)
	}
	if got := rs1.Files["/etc/motd"].Content; got != "my director is dir at 192.168.19.101\n" {
		t.Errorf("motd = %q", got)
	}
	if got := cfg.VRRPInstances["VI_1"].NotifyMaster; got != "/usr/local/bin/notify dir" {
		t.Errorf("notify_master = %q", got)
	}
	if got := cfg.VirtualServers["web"].RealServers[0].Address; got != netip.MustParseAddr("192.168.19.102") {
		t.Errorf("real server address = %s", got)
	}
}

func TestHostDecodeOrder(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // label@line in decode order
	}{
		{"file order", `
host "a" {}
host "b" {}
`, []string{"a@2", "b@3"}},
		{"dependency first", `
host "a" { gateway = host.b.address }
host "b" {}
`, []string{"b@3", "a@2"}},
		{"chain", `
host "a" { gateway = host.b.address }
host "b" { gateway = host.c.address }
host "c" {}
`, []string{"c@4", "b@3", "a@2"}},
		{"nested block reference", `
host "a" {
  file "/x" { content = host.b.name }
}
host "b" {}
`, []string{"b@5", "a@2"}},
		{"duplicates keep file order", `
host "a" { gateway = host.b.address }
host "a" {}
host "b" {}
`, []string{"b@4", "a@2", "a@3"}},
		{"cycle and self reference go last in file order", `
host "x" { gateway = host.y.address }
host "self" { gateway = host.self.address }
host "y" { gateway = host.x.address }
host "z" { gateway = host.undeclared.address }
`, []string{"z@5", "x@2", "self@3", "y@4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := hclsyntax.ParseConfig([]byte(tt.src), "t.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			content, diags := f.Body.Content(topSchema)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var got []string
			for _, b := range hostDecodeOrder(content.Blocks) {
				got = append(got, fmt.Sprintf("%s@%d", b.Labels[0], b.DefRange.Start.Line))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileFunctionErrors(t *testing.T) {
	for _, tt := range []struct{ name, arg string }{
		{"missing", `"nope.txt"`},
		{"directory", `"."`},
		{"device", `"/dev/zero"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{"cluster.hcl": `
host "web1" {
  address = "192.168.19.101"
  file "/etc/x" {
    content = file(` + tt.arg + `)
  }
}
`})
			_, diags := NewLoader().Load(dir, LoadOptions{})
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			if d := diags[0]; d.Summary != "Error in function call" || d.Subject == nil || d.Subject.Start.Line != 5 {
				t.Errorf("got:\n%s", formatDiags(diags))
			}
		})
	}
}

// TestMultipleFiles: a directory's *.hcl files merge into one
// configuration, references cross files, and other files are ignored.
func TestMultipleFiles(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"hosts.hcl": `
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
`,
		"vrrp.hcl": `
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  track_script      = [health_check.nginx]
  member "web1" {
    priority = 100
  }
  member "web2" {
    priority = 90
  }
}
health_check "nginx" {
  process = "nginx"
}
`,
		"README.md":   "not configuration",
		".hidden.hcl": "this is not HCL {",
		"sub/x.hcl":   "neither is this {",
	})
	cfg, _ := mustLoad(t, dir, LoadOptions{})
	want := []string{filepath.Join(dir, "hosts.hcl"), filepath.Join(dir, "vrrp.hcl")}
	if diff := cmp.Diff(want, cfg.Files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if cfg.Dir != dir {
		t.Errorf("Dir = %s, want %s", cfg.Dir, dir)
	}
	if diff := cmp.Diff([]string{"web1", "web2"}, cfg.HostNames()); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	if v := cfg.VRRPInstances["VI_1"]; v == nil || v.Master().Host != "web1" || !cmp.Equal(v.TrackScripts, []string{"nginx"}) {
		t.Errorf("VI_1 = %+v", v)
	}
	if !cfg.VRRPMember("web2") || cfg.VRRPMember("nobody") {
		t.Error("VRRPMember")
	}
}

// TestSingleFile: a path to one file loads only that file, and relative
// paths (file()) resolve against its directory.
func TestSingleFile(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"one.hcl": `
host "web1" {
  address = "192.168.19.101"
  file "/etc/x" {
    content = file("x.txt")
  }
}
`,
		"broken.hcl": "not valid {",
		"x.txt":      "x",
	})
	path := filepath.Join(dir, "one.hcl")
	cfg, _ := mustLoad(t, path, LoadOptions{})
	if diff := cmp.Diff([]string{path}, cfg.Files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if cfg.Dir != dir {
		t.Errorf("Dir = %s, want %s", cfg.Dir, dir)
	}
	if got := cfg.Hosts["web1"].Files["/etc/x"].Content; got != "x" {
		t.Errorf("content = %q", got)
	}
}

// TestFileTooLarge: a managed file larger than facts can read back (so a
// plan could never find it converged) is an error at its content.
func TestFileTooLarge(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"one.hcl": `
host "web1" {
  address = "192.168.19.101"
  file "/etc/ok" {
    content = file("ok.txt")
  }
  file "/etc/big" {
    content = file("big.txt")
  }
}
`,
		"ok.txt":  strings.Repeat("a", MaxFileSize),
		"big.txt": strings.Repeat("a", MaxFileSize+1),
	})
	_, diags := NewLoader().Load(filepath.Join(dir, "one.hcl"), LoadOptions{})
	if len(diags) != 1 || diags[0].Summary != "File too large" || diags[0].Subject == nil || diags[0].Subject.Start.Line != 8 {
		t.Errorf("diags = %s, want one \"File too large\" at line 8", formatDiags(diags))
	}
}

func TestLoadPathErrors(t *testing.T) {
	empty := t.TempDir()
	for _, path := range []string{filepath.Join(empty, "missing"), empty} {
		cfg, diags := NewLoader().Load(path, LoadOptions{})
		if cfg != nil || len(diags) != 1 || diags[0].Summary != "Cannot read configuration" {
			t.Errorf("Load(%s) = %v, %s", path, cfg, formatDiags(diags))
		}
	}
}

func TestVirtualServerIPVSKey(t *testing.T) {
	tests := []struct {
		vs   VirtualServer
		want string
		err  bool
	}{
		{VirtualServer{Name: "a", Address: netip.MustParseAddrPort("192.168.47.128:80")}, "-t 192.168.47.128:80", false},
		{VirtualServer{Name: "b", Address: netip.MustParseAddrPort("192.168.47.128:53"), Protocol: "udp"}, "-u 192.168.47.128:53", false},
		{VirtualServer{Name: "c", FWMark: 7, Protocol: "tcp"}, "-f 7", false},
		{VirtualServer{Name: "d", Address: netip.MustParseAddrPort("[2001:db8::1]:80"), Protocol: "tcp"}, "-t [2001:db8::1]:80", false},
		{VirtualServer{Name: "e"}, "", true},
		{VirtualServer{Name: "f", Address: netip.MustParseAddrPort("192.168.47.128:80"), Protocol: "sctp"}, "", true},
	}
	for _, tt := range tests {
		k, err := tt.vs.IPVSKey()
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v, want error %v", tt.vs.Name, err, tt.err)
			continue
		}
		if err == nil && k.String() != tt.want {
			t.Errorf("%s: key = %s, want %s", tt.vs.Name, k, tt.want)
		}
	}
}
