package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/secret"
)

const (
	secAuthPass = "Zq7kXw9p"             // VRRP auth_pass (8 characters)
	secToken    = "tok-5ecr3t-ABCD-9911" // a sensitive variable in a managed file
)

// secretConfig writes lab A with a distinctive auth_pass and a sensitive
// variable used in the content of a managed file on web1.
func secretConfig(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "secret")
	copyConfig(t, exampleDir("ha-nginx"), dir, `default     = "aminglin"`, `default     = "`+secAuthPass+`"`)
	copyConfig(t, dir, dir, `host "web1" {`, `host "web1" {
  file "/etc/clusterctl-token" {
    content = "token=${var.api_token}\n"
    mode    = "0600"
  }`)
	extra := `variable "api_token" {
  type      = string
  sensitive = true
  default   = "` + secToken + `"
}
`
	if err := os.WriteFile(filepath.Join(dir, "secrets.hcl"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSecuritySecretsNeverPrinted runs every command that talks about the
// cluster — plan (human, -json, -out), apply (human, -json), status
// (human, -json), verify, validate of a broken configuration — and checks
// that neither the auth_pass nor the sensitive variable appears in any
// output stream or in the saved plan file; the files holding them are
// 0640/0600 root:root on the hosts and 0600 in the local render.
func TestSecuritySecretsNeverPrinted(t *testing.T) {
	path := secretConfig(t)
	c := newCluster(t, path)
	for _, s := range []string{secAuthPass, secToken} {
		found := false
		for _, have := range c.secrets {
			found = found || have == s
		}
		if !found {
			t.Fatalf("secret %q is not among the configuration's secrets %d", s, len(c.secrets))
		}
	}
	helpOut, _ := exec.Command(binary, "--help").CombinedOutput()
	help := string(helpOut)
	var outputs []string
	run := func(args ...string) int {
		out, errOut, code := c.clusterctl(args...) // fails the test on a secret, too
		outputs = append(outputs, out, errOut)
		return code
	}
	planFile := filepath.Join(t.TempDir(), "cluster.plan")
	run("plan", path)
	run("plan", path, "-json")
	if code := run("plan", path, "-out", planFile); code != 0 {
		t.Fatalf("plan -out: exit %d", code)
	}
	saved, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(saved))
	if st, err := os.Stat(planFile); err == nil && st.Mode().Perm()&0o077 != 0 {
		t.Errorf("saved plan has mode %v: readable by others", st.Mode().Perm())
	}
	if code := run("apply", path, "-auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d", code)
	}
	// A change to the secret file's content: the diff must be masked.
	changed := filepath.Join(t.TempDir(), "changed")
	copyConfig(t, path, changed, `token=${var.api_token}\n`, `token=${var.api_token}\nother=1\n`)
	run("plan", changed)
	if code := run("apply", changed, "-json"); code != 0 {
		t.Errorf("apply -json: exit %d", code)
	}
	ran := 0
	if strings.Contains(help, "\n  status ") {
		run("status", changed)
		run("status", changed, "-json")
		ran++
	}
	if strings.Contains(help, "\n  verify ") {
		run("verify", changed)
		run("verify", changed, "-json", "-skip-failover")
		ran++
	}
	if ran != 2 {
		t.Errorf("status and verify: %d of 2 found in clusterctl --help", ran)
	}
	// validate is offline (no SSH flags): run it directly.
	broken := filepath.Join(t.TempDir(), "broken")
	copyConfig(t, changed, broken, `priority = 90`, `priority = "`+secToken+`"`)
	vout, err := exec.Command(binary, "validate", broken, "--no-color").CombinedOutput()
	if err == nil {
		t.Errorf("validate of a broken configuration succeeded")
	}
	t.Logf("$ clusterctl validate (broken) → %v\n%s", err, vout)
	outputs = append(outputs, string(vout))
	for i, o := range outputs {
		for _, s := range []string{secAuthPass, secToken} {
			if secret.Appears(o, s) {
				t.Errorf("output %d contains the secret %q", i, s)
			}
		}
	}

	// Secrets found on the live hosts (issue 13): the password the hosts
	// hold is printed neither once the configuration changes it next to
	// another change (which the plan must still say), nor once the
	// configuration drops authentication.
	newPass := "N3wPw8xq"
	repassed := filepath.Join(t.TempDir(), "repassed")
	copyConfig(t, changed, repassed, `default     = "`+secAuthPass+`"`, `default     = "`+newPass+`"`)
	copyConfig(t, repassed, repassed, `priority = 90`, `priority = 95`)
	noauth := filepath.Join(t.TempDir(), "noauth")
	copyConfig(t, changed, noauth, `auth_pass         = var.vrrp_password`, ``)
	for _, cfg := range []string{repassed, noauth} {
		var live []string
		for _, args := range [][]string{{"plan", cfg}, {"plan", cfg, "-json"}, {"plan", cfg, "-out", planFile}} {
			out, errOut, _ := c.clusterctl(args...)
			live = append(live, out, errOut)
		}
		saved, _ := os.ReadFile(planFile)
		live = append(live, string(saved))
		all := strings.Join(live, "\n")
		for _, s := range []string{secAuthPass, newPass} {
			if strings.Contains(all, s) {
				t.Errorf("%s: a password the hosts hold or the configuration sets is printed", filepath.Base(cfg))
			}
		}
		if !strings.Contains(all, "a sensitive value changed") {
			t.Errorf("%s: the plan does not say a sensitive value changed:\n%s", filepath.Base(cfg), live[0])
		}
	}
	c.secrets = append(c.secrets, newPass)
	if code := run("apply", noauth, "-auto-approve"); code != 0 {
		t.Errorf("apply without authentication: exit %d", code)
	}

	// Modes on the hosts.
	for _, h := range []string{"web1", "web2"} {
		s, _ := c.exec(h, "stat", "-c", "%a %U %G", "/etc/keepalived/keepalived.conf")
		if got := strings.TrimSpace(s); got != "640 root root" && got != "600 root root" {
			t.Errorf("%s keepalived.conf = %q, want 640 or 600 root root", h, got)
		}
	}
	if s, _ := c.exec("web1", "stat", "-c", "%a %U %G", "/etc/clusterctl-token"); strings.TrimSpace(s) != "600 root root" {
		t.Errorf("web1 token file = %q, want 600 root root", s)
	}
	if s, _ := c.exec("web1", "sh", "-c", "ls -a /etc /etc/keepalived"); strings.Contains(s, ".tmp") {
		t.Errorf("temporary file left: %s", s)
	}
	// Backups of secret files keep their mode.
	if s, _ := c.exec("web1", "sh", "-c", "find /var/lib/clusterctl/backup -type f -perm /077 2>/dev/null"); strings.TrimSpace(s) != "" {
		for _, f := range strings.Fields(s) {
			if strings.Contains(f, "keepalived.conf") || strings.Contains(f, "clusterctl-token") {
				if m, _ := c.exec("web1", "stat", "-c", "%a", f); strings.TrimSpace(m) != "640" {
					t.Errorf("backup %s of a secret file has mode %s", f, m)
				}
			}
		}
	}
	// The local render.
	out := filepath.Join(t.TempDir(), "render")
	if b, err := exec.Command(binary, "render", path, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("render: %v\n%s", err, b)
	}
	for _, f := range []string{"web1/etc/keepalived/keepalived.conf", "web2/etc/keepalived/keepalived.conf", "web1/etc/clusterctl-token"} {
		st, err := os.Stat(filepath.Join(out, f))
		if err != nil {
			t.Errorf("render: %v", err)
			continue
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("rendered %s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
}
