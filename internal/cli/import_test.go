package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// copyTree copies the directory src to dst, keeping modes.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestImportFromDir: lab A's copies import into a directory that
// validates and formats as fmt would, with the password written
// nowhere; a partial import writes nothing and exits 1 unless
// --allow-partial; a non-empty output directory is refused.
func TestImportFromDir(t *testing.T) {
	src := filepath.Join("..", "adopt", "testdata", "lab-a")
	out := filepath.Join(t.TempDir(), "adopted")
	code, stdout, stderr := runCLI(t, "import", "--from-dir", src, "-o", out)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"Imported 2 hosts: web1, web2.", "Nothing was left out", "-var vrrp_password=", "14 characters long", "Wrote " + filepath.Join(out, "cluster.hcl")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("import output lacks %q:\n%s", want, stdout)
		}
	}
	if code, o, e := runCLI(t, "validate", "-var", "vrrp_password=aminglin", out); code != 0 {
		t.Errorf("validate the import: exit %d\n%s%s", code, o, e)
	}
	if code, o, e := runCLI(t, "fmt", "-check", out); code != 0 {
		t.Errorf("fmt -check the import: exit %d\n%s%s", code, o, e)
	}
	hcl, err := os.ReadFile(filepath.Join(out, "cluster.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(hcl), "aminglinux>com") || !strings.Contains(string(hcl), "var.vrrp_password") {
		t.Errorf("the password is written, or not a variable:\n%s", hcl)
	}
	if b, err := os.ReadFile(filepath.Join(out, "files", "web2", "usr", "local", "sbin", "check_ng.sh")); err != nil || !strings.Contains(string(b), "systemctl start nginx") {
		t.Errorf("web2's check_ng.sh: %v %q", err, b)
	}
	if code, _, stderr := runCLI(t, "import", "--from-dir", src, "-o", out); code == 0 || !strings.Contains(stderr, "is not empty") {
		t.Errorf("import into a non-empty directory: exit %d %s", code, stderr)
	}

	// A misspelt keyword makes the import partial.
	broken := t.TempDir()
	copyTree(t, src, broken)
	conf := filepath.Join(broken, "web2", "etc", "keepalived", "keepalived.conf")
	b, _ := os.ReadFile(conf)
	os.WriteFile(conf, []byte(strings.Replace(string(b), "advert_int 1", "advert_intt 1", 1)), 0o644)
	out2 := filepath.Join(t.TempDir(), "partial")
	code, stdout, _ = runCLI(t, "import", "--from-dir", broken, "-o", out2)
	if code != 1 || !strings.Contains(stdout, `web2 /etc/keepalived/keepalived.conf:21: unknown keyword "advert_intt" in vrrp_instance VI_1 (did you mean "advert_int"?)`) || !strings.Contains(stdout, "nothing written") {
		t.Errorf("partial import: exit %d\n%s", code, stdout)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("a partial import wrote %s", out2)
	}
	if code, stdout, _ = runCLI(t, "import", "--from-dir", broken, "-o", out2, "--allow-partial"); code != 0 {
		t.Errorf("--allow-partial: exit %d\n%s", code, stdout)
	}
	if _, err := os.Stat(filepath.Join(out2, "cluster.hcl")); err != nil {
		t.Errorf("--allow-partial wrote nothing: %v", err)
	}
}

func TestParseImportHost(t *testing.T) {
	for arg, want := range map[string]string{
		"web1=root@192.168.19.101:2222": "web1 root 192.168.19.101 2222",
		"web1":                          "web1  web1 0",
		"db=10.0.0.1":                   "db  10.0.0.1 0",
	} {
		tg, err := parseImportHost(arg)
		if err != nil {
			t.Errorf("%s: %v", arg, err)
			continue
		}
		if got := strings.Join([]string{tg.Name, tg.User, tg.Address, strconv.Itoa(tg.Port)}, " "); got != want {
			t.Errorf("%s = %q, want %q", arg, got, want)
		}
	}
	for _, bad := range []string{"192.168.19.101", "Web=1.2.3.4", "a=b:0", "a="} {
		if _, err := parseImportHost(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
