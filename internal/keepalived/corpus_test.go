package keepalived

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The corpus: keepalived.conf files in the styles operators write.
// Every file under valid/ parses, draws no problem from Check, has a
// stable canonical form, and — as a lab test — is accepted silently by
// keepalived 2.2.7's `keepalived -t` in a network namespace with the
// interfaces it names. Every file under invalid/ marks each line that
// must be reported with "ERROR: text" in a comment; a parse error or a
// problem must land on each marked line (containing text), and none on
// an unmarked one.

var errorMarker = regexp.MustCompile(`ERROR: (.*)$`)

func corpus(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", dir, "*.conf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus under %s: %v", dir, err)
	}
	return files
}

func TestCorpusValid(t *testing.T) {
	for _, f := range corpus(t, "valid") {
		c, err := Load(DirFS{Root: "/"}, absPath(t, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		problems := append(c.Problems, Check(c.Nodes)...)
		for _, p := range problems {
			t.Errorf("%s: %s", f, p)
		}
		if same, diff := Same(c.Nodes, c.Nodes, 3); !same || len(Canonical(c.Nodes)) == 0 {
			t.Errorf("%s: canonical form unstable or empty: %v", f, diff)
		}
	}
}

func absPath(t *testing.T, f string) string {
	a, err := filepath.Abs(f)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(a)
}

func TestCorpusInvalid(t *testing.T) {
	for _, f := range corpus(t, "invalid") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{}
		for i, l := range strings.Split(string(data), "\n") {
			if m := errorMarker.FindStringSubmatch(l); m != nil {
				want[i+1] = strings.TrimSpace(m[1])
			}
		}
		if len(want) == 0 {
			t.Fatalf("%s has no ERROR marker", f)
		}
		got := map[int]string{}
		c, err := Load(DirFS{Root: "/"}, absPath(t, f))
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("%s: %v", f, err)
			}
			got[e.Line] = e.Msg
		} else {
			for _, p := range append(c.Problems, Check(c.Nodes)...) {
				got[p.Line] += p.String() + "; "
			}
		}
		for line, text := range want {
			if !strings.Contains(got[line], text) {
				t.Errorf("%s:%d: want a report containing %q, got %q", f, line, text, got[line])
			}
		}
		for line, msg := range got {
			if _, ok := want[line]; !ok {
				t.Errorf("%s:%d: reported on an unmarked line: %s", f, line, msg)
			}
		}
	}
}

// TestCorpusKeepalivedAccepts runs the real keepalived -t on every valid
// file (a lab test: root and keepalived needed), in a new network
// namespace with eth0 and eth1 (a veth pair with the corpus's
// addresses); it must exit 0 and print nothing.
func TestCorpusKeepalivedAccepts(t *testing.T) {
	if os.Getenv("CLUSTERCTL_LAB_TESTS") != "1" || os.Geteuid() != 0 {
		t.Skip("lab test: set CLUSTERCTL_LAB_TESTS=1 and run as root")
	}
	for _, tool := range []string{"keepalived", "unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("needs %s: %v", tool, err)
		}
	}
	for _, f := range corpus(t, "valid") {
		cmd := exec.Command("unshare", "--net", "sh", "-c",
			`ip link add eth0 type veth peer name eth1 && ip link set eth0 up && ip link set eth1 up &&
			 ip addr add 10.0.0.2/24 dev eth0 && ip addr add fd00::2/64 dev eth0 nodad && exec keepalived -t -f "$1"`, "sh", absPath(t, f))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil || out.Len() > 0 {
			t.Errorf("keepalived -t %s: %v\n%s", f, err, out.String())
		}
	}
}
