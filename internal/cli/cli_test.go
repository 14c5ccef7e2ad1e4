package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs clusterctl in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, []string{"NO_COLOR=1"})
	return code, out.String(), errOut.String()
}

func writeConfig(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cluster.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const twoNodes = `
host "web1" {
  interface "ens33" { addresses = ["192.168.19.101/24"] }
}
host "web2" {
  interface "ens33" { addresses = ["192.168.19.102/24"] }
}
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  auth_pass         = %s
  virtual_ips       = ["192.168.19.100"]
  member "web1" { priority = 100 }
  member "web2" { priority = 90 }
}
`

func TestValidateExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/lab-19.x/*/*.hcl")
	if err != nil || len(files) < 6 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		d := filepath.Dir(f)
		code, out, errOut := runCLI(t, "validate", d)
		if code != 0 || !strings.Contains(out, "Success!") {
			t.Errorf("validate %s: exit %d\n%s%s", d, code, out, errOut)
		}
	}
}

// A literal password too long for keepalived is an error whose message
// and source snippet never show it.
func TestValidateMasksSecretsInSnippets(t *testing.T) {
	dir := writeConfig(t, strings.Replace(twoNodes, "%s", `"aminglinux>com"`, 1))
	code, out, errOut := runCLI(t, "validate", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut, "auth_pass is longer than 8 characters") || !strings.Contains(errOut, "cluster.hcl line 11") {
		t.Errorf("diagnostic missing or without file:line:\n%s", errOut)
	}
	if strings.Contains(out+errOut, "aminglinux>com") || strings.Contains(out+errOut, "aminglin") {
		t.Errorf("the password appears in the output:\n%s", errOut)
	}
	if !strings.Contains(errOut, "**************") {
		t.Errorf("the snippet should show the password masked:\n%s", errOut)
	}
}

// A sensitive variable's value is masked in snippets of other errors too.
func TestValidateMasksSensitiveVariable(t *testing.T) {
	src := `variable "pw" {
  sensitive = true
  default   = "s3cr3tpw"
}
` + strings.Replace(twoNodes, "%s", "var.pw", 1) + `
virtual_server "web" {
  address   = "192.168.19.100:80"
  scheduler = "wlcx"
  directors = [host.web1]
  real_server "192.168.19.50" {}
}
`
	code, out, errOut := runCLI(t, "validate", writeConfig(t, src))
	if code != 1 || !strings.Contains(errOut, "Unknown scheduler") {
		t.Fatalf("exit %d, want 1 with the scheduler error:\n%s", code, errOut)
	}
	if strings.Contains(out+errOut, "s3cr3tpw") {
		t.Errorf("sensitive value printed:\n%s", errOut)
	}
}

func TestTerraformStyleFlags(t *testing.T) {
	known := map[string]bool{"auto-approve": true, "out": true, "json": true}
	got := terraformStyleFlags([]string{"apply", "-auto-approve", "-out=x.plan", "-o", "dir", "-i", "key", "--json", "-br", "--", "-keep"}, known)
	want := []string{"apply", "--auto-approve", "--out=x.plan", "-o", "dir", "-i", "key", "--json", "-br", "--", "-keep"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestRenderWritesFilesWithModes(t *testing.T) {
	out := t.TempDir()
	code, stdout, errOut := runCLI(t, "render", "../../examples/lab-19.x/lvs-nat", "-o", out)
	if code != 0 {
		t.Fatalf("render: exit %d\n%s%s", code, stdout, errOut)
	}
	rules, err := os.ReadFile(filepath.Join(out, "dir/etc/clusterctl/ipvs.rules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"-A -t 192.168.47.128:80 -s wlc -p 3\n",
		"-a -t 192.168.47.128:80 -r 192.168.19.102:80 -m -w 1\n",
		"-a -t 192.168.47.128:80 -r 192.168.19.103:80 -m -w 1\n",
	} {
		if !strings.Contains(string(rules), want) {
			t.Errorf("ipvs.rules lacks %q:\n%s", want, rules)
		}
	}
	for _, f := range []string{"dir/etc/sysctl.d/90-clusterctl.conf", "dir/etc/clusterctl/iptables-nat.rules", "rs1/var/www/html/index.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	outA := t.TempDir()
	if code, _, errOut := runCLI(t, "render", "../../examples/lab-19.x/ha-nginx", "-o", outA); code != 0 {
		t.Fatalf("render lab A: %s", errOut)
	}
	for _, h := range []string{"web1", "web2"} {
		st, err := os.Stat(filepath.Join(outA, h, "etc/keepalived/keepalived.conf"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s keepalived.conf rendered with mode %v, want 0600 (it holds auth_pass)", h, st.Mode().Perm())
		}
		sc, err := os.Stat(filepath.Join(outA, h, "usr/local/sbin/check_ng.sh"))
		if err != nil || sc.Mode().Perm() != 0o755 {
			t.Errorf("%s check_ng.sh: %v %v", h, sc, err)
		}
	}
}

func TestFmtCheck(t *testing.T) {
	dir := writeConfig(t, "host \"a\" {\naddress=\"192.168.1.1\"\n}\n")
	code, out, _ := runCLI(t, "fmt", "-check", dir)
	if code != 3 || !strings.Contains(out, "cluster.hcl") {
		t.Errorf("fmt -check on unformatted file: exit %d out %q, want 3 and the file", code, out)
	}
	if code, _, _ := runCLI(t, "fmt", dir); code != 0 {
		t.Fatalf("fmt: exit %d", code)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "cluster.hcl"))
	if string(b) != "host \"a\" {\n  address = \"192.168.1.1\"\n}\n" {
		t.Errorf("fmt result:\n%s", b)
	}
	if code, _, _ := runCLI(t, "fmt", "-check", dir); code != 0 {
		t.Errorf("fmt -check after fmt: exit %d", code)
	}
	if code, out, _ := runCLI(t, "fmt", "-check", "../../examples/lab-19.x/ha-nginx"); code != 0 {
		t.Errorf("examples are not canonically formatted: %s", out)
	}
}

func TestLongFlagsKnowsCommandFlags(t *testing.T) {
	a := &app{streams: Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}}
	known := longFlags(a.rootCommand())
	for _, f := range []string{"auto-approve", "detailed-exitcode", "out", "json", "target", "var", "var-file", "no-color", "lab", "skip-failover", "gather-parallelism"} {
		if !known[f] {
			t.Errorf("flag %q not known", f)
		}
	}
	if known["br"] || known["o"] {
		t.Errorf("short or foreign names must not be rewritten: %v", known)
	}
}

// TestFmtBrokenFileHidesSecrets: fmt's diagnostics of a file that does
// not parse show none of its secret values.
func TestFmtBrokenFileHidesSecrets(t *testing.T) {
	dir := writeConfig(t, `variable "pw" {
  sensitive = true
  default   = "Zq7xK9pw
}
vrrp_instance "VI_1" {
  auth_pass = "n3wPass1" x
}
`)
	code, out, errOut := runCLI(t, "fmt", "-check", dir)
	if code != 1 || !strings.Contains(errOut, "cluster.hcl line") {
		t.Fatalf("fmt of a broken file: exit %d\n%s%s", code, out, errOut)
	}
	for _, s := range []string{"Zq7xK9pw", "n3wPass1"} {
		if strings.Contains(out+errOut, s) {
			t.Errorf("fmt printed %s:\n%s", s, errOut)
		}
	}
}

// render --keepalived-version writes keepalived.conf for that release
// and refuses one that lacks a feature the configuration uses.
func TestRenderForKeepalivedVersion(t *testing.T) {
	out := t.TempDir()
	if code, stdout, errOut := runCLI(t, "render", "../../examples/lab-19.x/ha-nginx", "-o", out, "-keepalived-version", "1.3.5"); code != 0 {
		t.Fatalf("render for 1.3.5: exit %d\n%s%s", code, stdout, errOut)
	}
	code, _, errOut := runCLI(t, "render", "../../examples/lab-19.x/ha-nginx", "-o", t.TempDir(), "-keepalived-version", "1.2.24")
	want := "web1: keepalived 1.2.24 lacks keepalived enable_script_security (enable_script_security, since keepalived 1.3.0), which clusterctl writes by default"
	if code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("render for 1.2.24: exit %d, want an error with %q:\n%s", code, want, errOut)
	}
	if code, _, errOut := runCLI(t, "render", "../../examples/lab-19.x/ha-nginx", "-o", t.TempDir(), "-keepalived-version", "two"); code == 0 || !strings.Contains(errOut, `--keepalived-version "two"`) {
		t.Errorf("render for %q: exit %d\n%s", "two", code, errOut)
	}
}
