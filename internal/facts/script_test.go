package facts

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/resource"

	"github.com/google/go-cmp/cmp"
)

const testToken = "ccf_0123456789abcdef"

func sampleRequest() Request {
	return Request{
		Files:    []string{"/etc/keepalived/keepalived.conf", "/etc/sysctl.d/90-clusterctl.conf"},
		Sysctls:  []string{"net.ipv4.ip_forward", "net.ipv4.conf.all.send_redirects", "net.ipv4.vs.conntrack"},
		Services: []string{"keepalived", "nginx"},
		Packages: []string{"keepalived", "ipvsadm"},
	}
}

func TestScriptGolden(t *testing.T) {
	got, err := Script(sampleRequest(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "script.golden", got)
	for _, sh := range shells(t) {
		argv := append(strings.Fields(sh), "-n")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin = strings.NewReader(got)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, out)
		}
	}
}

func TestScriptRejectsInvalidInput(t *testing.T) {
	tests := []struct {
		name  string
		req   Request
		token string
	}{
		{"relative path", Request{Files: []string{"etc/passwd"}}, testToken},
		{"dotdot path", Request{Files: []string{"/etc/../shadow"}}, testToken},
		{"space in path", Request{Files: []string{"/etc/a b"}}, testToken},
		{"command substitution", Request{Files: []string{"/tmp/$(reboot)"}}, testToken},
		{"newline in path", Request{Files: []string{"/tmp/a\nh end"}}, testToken},
		{"trailing slash", Request{Files: []string{"/etc/"}}, testToken},
		{"sysctl with slash", Request{Sysctls: []string{"net/ipv4/ip_forward"}}, testToken},
		{"sysctl with quote", Request{Sysctls: []string{"net.ipv4.x'y"}}, testToken},
		{"service with space", Request{Services: []string{"a b"}}, testToken},
		{"service option", Request{Services: []string{"-H"}}, testToken},
		{"package option", Request{Packages: []string{"--root=/"}}, testToken},
		{"long process", Request{Processes: []string{"abcdefghijklmnop"}}, testToken},
		{"bad manifest path", Request{ManifestPath: "manifest"}, testToken},
		{"short token", Request{}, "ccf_1"},
		{"token without underscore", Request{}, "abcdefabcdefabcdef"},
		{"token with space", Request{}, "ccf_0123 456789abcdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := Script(tt.req, tt.token); err == nil {
				t.Errorf("Script accepted invalid input; script has %d bytes", len(s))
			}
		})
	}
}

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if !validToken(a) || a == b {
		t.Errorf("NewToken = %q, %q: want two distinct valid tokens", a, b)
	}
}

// shells are the POSIX shells present on this machine.
func shells(t *testing.T) []string {
	var out []string
	for _, sh := range []string{"/bin/sh", "/bin/dash", "/bin/bash"} {
		if _, err := os.Stat(sh); err == nil {
			out = append(out, sh)
		}
	}
	if busybox, err := exec.LookPath("busybox"); err == nil {
		out = append(out, busybox+" sh")
	}
	if len(out) == 0 {
		t.Skip("no POSIX shell")
	}
	return out
}

// TestScriptRunsForReal runs the generated script with every shell present
// against files in a temporary directory and checks that Parse reads back
// exactly what is on disk, including a file that imitates sections. It reads only local state (no network traffic).
func TestScriptRunsForReal(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	conf := write("keepalived.conf", []byte("vrrp_instance VI_1 {\n  state MASTER\n}\n"), 0o640)
	// Content that imitates sections with a token other than this run's
	// (each run's token is random, so content cannot know it).
	other := "ccf_fedcba9876543210"
	hostile := write("hostile", []byte("x\n\n"+other+" end\n\n"+other+" file /etc/shadow exists=1\nAAAA\n"+other+" done\n"), 0o600)
	empty := write("empty", nil, 0o644)
	big := write("big", bytes.Repeat([]byte("a"), MaxFileSize+1), 0o644)
	managed := write("old-check.sh", []byte("#!/bin/sh\nexit 0\n"), 0o755)
	manifest := write("manifest", []byte("file "+managed+"\nfile "+conf+"\nfile /bad path\nfile ../rel\nsysctl net.ipv4.ip_forward\nservice old-svc-clusterctl\nservice $(reboot)\nservice -rf\nservice keepalived\nservice old-svc-clusterctl\n"), 0o644)
	lock := write("lock", []byte("holder=alice pid=42\n"), 0o644)
	sub := filepath.Join(dir, "subdir")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")

	req := Request{
		Files:        []string{conf, hostile, empty, big, sub, missing},
		Sysctls:      []string{"net.ipv4.ip_forward", "net.ipv4.no_such_key_clusterctl", "net.ipv4.conf"},
		Services:     []string{"keepalived"},
		Packages:     []string{"keepalived", "no-such-package-clusterctl", "dpkg"},
		Processes:    []string{"go"},
		ManifestPath: manifest,
		LockPath:     lock,
	}
	script, err := Script(req, testToken)
	if err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shells(t) {
		t.Run(filepath.Base(sh), func(t *testing.T) {
			argv := append(strings.Fields(sh), "-s")
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Stdin = strings.NewReader(script)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v\n%s", sh, err, stderr.String())
			}
			h, err := Parse(out, testToken)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			check := func(path string, want FileFact) {
				t.Helper()
				if d := cmp.Diff(want, h.Files[path]); d != "" {
					t.Errorf("file %s (-want +got):\n%s", path, d)
				}
			}
			fact := func(content string, mode uint32) FileFact {
				return FileFact{Exists: true, Mode: mode, Owner: me.Username, Group: groupName(t, me.Gid),
					Size: int64(len(content)), Content: []byte(content)}
			}
			check(conf, fact("vrrp_instance VI_1 {\n  state MASTER\n}\n", 0o640))
			hostileData, _ := os.ReadFile(hostile)
			check(hostile, fact(string(hostileData), 0o600))
			check(empty, fact("", 0o644))
			check(managed, fact("#!/bin/sh\nexit 0\n", 0o755))
			bigFact := fact("", 0o644)
			bigFact.Size, bigFact.Content, bigFact.TooLarge = MaxFileSize+1, nil, true
			check(big, bigFact)
			check(sub, FileFact{Exists: true, Other: true})
			check(missing, FileFact{})
			// A service listed in the manifest has its state read, even
			// though not requested; hostile names are skipped.
			if _, ok := h.Services["old-svc-clusterctl"]; !ok {
				t.Errorf("manifest service not gathered: %v", h.Services)
			}
			if len(h.Services) != 2 {
				t.Errorf("services gathered: %v, want keepalived and old-svc-clusterctl", h.Services)
			}
			if len(h.Files) != 7 {
				t.Errorf("files gathered: %d, want 7 (the forged /etc/shadow must not appear): %v", len(h.Files), keys(h.Files))
			}
			wantManifest := []resource.ManifestEntry{{Kind: "file", Key: managed}, {Kind: "file", Key: conf}, {Kind: "file", Key: "/bad path"}, {Kind: "file", Key: "../rel"}, {Kind: "sysctl", Key: "net.ipv4.ip_forward"},
				{Kind: "service", Key: "old-svc-clusterctl"}, {Kind: "service", Key: "$(reboot)"}, {Kind: "service", Key: "-rf"},
				// Listed again, or also requested: read once (a section
				// may appear only once; the parser rejects duplicates).
				{Kind: "service", Key: "keepalived"}, {Kind: "service", Key: "old-svc-clusterctl"}}
			if d := cmp.Diff(wantManifest, h.Manifest); d != "" {
				t.Errorf("manifest (-want +got):\n%s", d)
			}
			if h.Lock != "holder=alice pid=42\n" || !h.LockPresent {
				t.Errorf("lock = %q", h.Lock)
			}
			if !h.MissingSysctls["net.ipv4.no_such_key_clusterctl"] || !h.MissingSysctls["net.ipv4.conf"] {
				t.Errorf("missing sysctl (or a directory) not reported missing: %v", h.MissingSysctls)
			}
			// Whether or not systemd runs here (show, or is-active and
			// is-enabled), the state is systemctl's.
			if want, err := exec.Command("systemctl", "is-enabled", "keepalived").Output(); err == nil || len(want) > 0 {
				if got := h.Services["keepalived"].EnabledState; got != strings.TrimSpace(string(want)) {
					t.Errorf("keepalived enabled state = %q, systemctl is-enabled says %q", got, want)
				}
			}
			if v, ok := h.Sysctls["net.ipv4.ip_forward"]; ok == h.MissingSysctls["net.ipv4.ip_forward"] || ok && v != "0" && v != "1" {
				t.Errorf("ip_forward = %q (present %v), missing %v", v, ok, h.MissingSysctls)
			}
			if _, ok := h.Packages["no-such-package-clusterctl"]; ok {
				t.Errorf("unknown package reported installed: %v", h.Packages)
			}
			if v, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "dpkg").Output(); err == nil && h.Packages["dpkg"] != string(v) {
				t.Errorf("dpkg version = %q, dpkg-query says %q", h.Packages["dpkg"], v)
			}
			if _, err := os.Stat("/proc/net/ip_vs"); err != nil && h.IPVSStatus.State == StatusOK {
				t.Errorf("IPVS status OK without /proc/net/ip_vs")
			}
			if h.IPVSStatus.State == "" || h.NATStatus.State == "" {
				t.Errorf("statuses not set: ipvs %+v nat %+v", h.IPVSStatus, h.NATStatus)
			}
			for _, p := range []string{"keepalived", "nginx", "go"} {
				if _, ok := h.Processes[p]; !ok {
					t.Errorf("process %s not counted: %v", p, h.Processes)
				}
			}
			if _, err := exec.LookPath("ip"); err == nil && !hasAddr(h, "lo", "127.0.0.1/8") {
				t.Errorf("lo 127.0.0.1/8 not among addresses %v", h.Addresses)
			}
			if host, _ := os.Hostname(); h.Hostname != host {
				t.Errorf("hostname = %q, want %q", h.Hostname, host)
			}
			if _, ok := h.Services["keepalived"]; !ok {
				t.Errorf("service keepalived not reported")
			}
		})
	}
}

func groupName(t *testing.T, gid string) string {
	g, err := user.LookupGroupId(gid)
	if err != nil {
		t.Fatal(err)
	}
	return g.Name
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func hasAddr(h *Host, dev, prefix string) bool {
	for _, a := range h.Addresses {
		if a.Dev == dev && a.Prefix.String() == prefix {
			return true
		}
	}
	return false
}

// TestDpkgStatusAWK: the awk reader of dpkg's status file prints what
// dpkg-query prints for the same database, for every kind of status.
func TestDpkgStatusAWK(t *testing.T) {
	awk, err := exec.LookPath("awk")
	if err != nil {
		t.Skip("no awk")
	}
	pkgs := []string{"keepalived", "libfoo1", "nginx", "ipvsadm", "broken", "nginx-common", "nosuch"}
	admin := filepath.Join("testdata", "dpkg")
	out, err := exec.Command(awk, "-v", "pkgs="+strings.Join(pkgs, " "), dpkgStatusAWK, filepath.Join(admin, "status")).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"broken\t2.0\tiHR",
		"ipvsadm\t1:1.31-1+b1\thi ",
		"keepalived\t1:2.2.7-1+b2\tii ",
		"libfoo1\t1.0-1\tii ",
		"libfoo1\t1.0-1\tii ",
		"nginx\t1.22.1-9\trc ",
		"nginx-common\t1.22.1-9\tiU ",
	}
	sorted := func(b []byte) []string {
		l := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		sort.Strings(l)
		return l
	}
	if d := cmp.Diff(want, sorted(out)); d != "" {
		t.Errorf("awk (-want +got):\n%s", d)
	}
	if got := parseDpkg(out); len(got) != 3 || got["ipvsadm"] != "1:1.31-1+b1" || got["keepalived"] != "1:2.2.7-1+b2" || got["libfoo1"] != "1.0-1" {
		t.Errorf("parseDpkg = %v, want ipvsadm, keepalived and libfoo1 (the installed ones)", got)
	}
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		return
	}
	args := append([]string{"--admindir=" + admin, "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"}, pkgs...)
	dq, _ := exec.Command("dpkg-query", args...).Output() // exits 1: nosuch
	if d := cmp.Diff(sorted(dq), sorted(out)); d != "" {
		t.Errorf("awk differs from dpkg-query (-dpkg-query +awk):\n%s", d)
	}
}
