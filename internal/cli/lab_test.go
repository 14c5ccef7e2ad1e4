package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runPlain runs clusterctl without hosts (offline commands, the lab's
// read-only ones) and returns the exit code, stdout and stderr.
func runPlain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{args: args, streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, environ: []string{"NO_COLOR=1"}}
	return run(a), out.String(), errOut.String()
}

// TestLabHintsNameTheLab: every command the hint prints names the lab, so
// it works as printed for a lab that is not the default one.
func TestLabHintsNameTheLab(t *testing.T) {
	text := labHintText("ncha", "ncha-op", "/run/clusterctl-lab/ncha/ssh_config", "web1")
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "clusterctl ") && !strings.Contains(line, "ncha") {
			t.Errorf("hint line does not name the lab: %q", line)
		}
	}
	for _, want := range []string{"clusterctl lab exec --name ncha web1 -- bash", "clusterctl lab status --name ncha", "clusterctl plan --lab ncha PATH", "clusterctl lab down --name ncha"} {
		if !strings.Contains(text, want) {
			t.Errorf("hint lacks %q:\n%s", want, text)
		}
	}
}

// TestLabStatusMissingIsNotAnError: like lab down, lab status of a lab
// that is not up says so and exits 0.
func TestLabStatusMissingIsNotAnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	code, out, errOut := runPlain(t, "lab", "status", "--name", "zz", "--state-dir", dir)
	if code != 0 || !strings.Contains(out, `No lab "zz" is up.`) {
		t.Errorf("lab status of a missing lab: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runPlain(t, "lab", "down", "--name", "zz", "--state-dir", dir)
	if code != 0 || !strings.Contains(out, `No lab "zz" is up.`) {
		t.Errorf("lab down of a missing lab: exit %d\n%s", code, out)
	}
}

func TestListLabs(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"beta", "alpha"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		rec := `{"name":"` + name + `","state_dir":"` + dir + `","operator_namespace":"` + name + `-op","machines":[{"name":"web1"}]}`
		if err := os.WriteFile(filepath.Join(dir, "lab.json"), []byte(rec), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A directory without a lab, and a stray file, are skipped.
	if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "stray"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(labNames(root), ","); got != "alpha,beta" {
		t.Errorf("labs = %s, want alpha,beta", got)
	}
	if got := labNames(filepath.Join(root, "missing")); len(got) != 0 {
		t.Errorf("labs of a missing root = %v", got)
	}
}

func TestVersionFlag(t *testing.T) {
	code, out, _ := runPlain(t, "--version")
	code2, out2, _ := runPlain(t, "version")
	if code != 0 || code2 != 0 || out != out2 || !strings.HasPrefix(out, "clusterctl "+Version+" (") {
		t.Errorf("--version: exit %d %q; version: exit %d %q", code, out, code2, out2)
	}
}

// TestCompletionOffersLabMachines: lab exec completes the lab's machines;
// --lab and lab --name complete without falling back to file names.
func TestCompletionOffersLabMachines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ncha")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := `{"name":"ncha","state_dir":"` + dir + `","operator_namespace":"ncha-op","machines":[{"name":"web1"},{"name":"web2"}]}`
	if err := os.WriteFile(filepath.Join(dir, "lab.json"), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runPlain(t, "__complete", "lab", "exec", "--name", "ncha", "--state-dir", dir, "")
	if code != 0 || !strings.Contains(out, "web1\nweb2\n:4") {
		t.Errorf("lab exec completion: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"__complete", "status", "--lab", ""}, {"__complete", "plan", "--lab", ""}, {"__complete", "lab", "status", "--name", ""}} {
		code, out, _ := runPlain(t, args...)
		if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), ":4") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}
