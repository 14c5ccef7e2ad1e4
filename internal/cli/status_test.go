package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
)

// appliedCluster is lab A on the typed fake after a successful apply.
func appliedCluster(t *testing.T) *hostopstest.Cluster {
	t.Helper()
	sim := fakeCluster(t)
	if code, out, errOut := runOn(t, sim, "", "apply", "-auto-approve", labA); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	return sim
}

// TestStatusVerdicts: each verdict has its exit status and its words, and
// a warning never sits under "healthy".
func TestStatusVerdicts(t *testing.T) {
	sim := appliedCluster(t)
	code, out, _ := runOn(t, sim, "", "status", labA)
	if code != 0 || !strings.Contains(out, "Status: healthy.") || strings.Contains(out, "Degraded:") {
		t.Fatalf("healthy: exit %d\n%s", code, out)
	}
	for _, want := range []string{"web1    100       MASTER", "web2    90        BACKUP", "chk_nginx ok", "running (pid 100), answered json+data"} {
		if !strings.Contains(out, want) {
			t.Errorf("healthy status lacks %q:\n%s", want, out)
		}
	}

	// A failing tracked script on the backup: FAULT, still serving.
	sim.Host("web2").Fault = true
	code, out, _ = runOn(t, sim, "", "status", labA)
	if code != 2 || !strings.Contains(out, "web2    90        FAULT") || !strings.Contains(out, "VI_1: web2 is in FAULT: tracked script chk_nginx is failing") ||
		!strings.Contains(out, "Status: DEGRADED (exit 2)") {
		t.Errorf("FAULT: exit %d\n%s", code, out)
	}
	sim.Host("web2").Fault = false

	// keepalived stopped on the master: STOP, the backup serves.
	sim.Host("web1").Services["keepalived"] = hostopstest.Service{Active: false, Enabled: true}
	code, out, _ = runOn(t, sim, "", "status", labA)
	if code != 2 || !strings.Contains(out, "web1    100       STOP") || !strings.Contains(out, "web2    90        MASTER") ||
		!strings.Contains(out, "192.168.19.100 is held by web2, not by the expected master web1") {
		t.Errorf("STOP: exit %d\n%s", code, out)
	}

	// And on the backup too: nobody serves.
	sim.Host("web2").Services["keepalived"] = hostopstest.Service{Active: false, Enabled: true}
	code, out, _ = runOn(t, sim, "", "status", "-json", labA)
	var doc struct {
		Verdict  string `json:"verdict"`
		ExitCode int    `json:"exit_code"`
		Findings []struct {
			Severity, Subject, Message string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status -json: %v\n%s", err, out)
	}
	if code != 3 || doc.Verdict != "broken" || doc.ExitCode != 3 || len(doc.Findings) == 0 || doc.Findings[0].Severity != "broken" {
		t.Errorf("both stopped: exit %d, %+v", code, doc)
	}
}

func TestStatusWatch(t *testing.T) {
	sim := appliedCluster(t)
	code, out, errOut := runOn(t, sim, "", "status", "-watch", "--count", "2", "--interval", "200ms", labA)
	if code != 0 {
		t.Fatalf("status -watch: exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(out, "== clusterctl status at "); n != 2 {
		t.Errorf("%d frames, want 2:\n%s", n, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("escape sequences written to a non-terminal:\n%q", out)
	}
	// -json with -watch: one JSON object per line.
	sim.Host("web2").Fault = true
	code, out, _ = runOn(t, sim, "", "status", "-watch", "-json", "--count", "2", "--interval", "200ms", labA)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 2 || len(lines) != 2 {
		t.Fatalf("status -watch -json: exit %d, %d lines\n%s", code, len(lines), out)
	}
	for _, l := range lines {
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc["verdict"] != "degraded" {
			t.Errorf("line %q: %v", l, err)
		}
	}
	if code, _, errOut := runOn(t, sim, "", "status", "-watch", "--interval", "1ms", labA); code != 1 || !strings.Contains(errOut, "--interval must be at least 200ms") {
		t.Errorf("tiny interval: exit %d\n%s", code, errOut)
	}
}

// TestStatusHelp: status changes nothing, so its help does not offer the
// flag of how many hosts are changed at once.
func TestStatusHelp(t *testing.T) {
	code, out, _ := runOn(t, fakeCluster(t), "", "status", "--help")
	if code != 0 {
		t.Fatalf("status --help: exit %d", code)
	}
	if strings.Contains(out, "--parallelism") || strings.Contains(out, "hosts changed at once") {
		t.Errorf("status --help lists --parallelism:\n%s", out)
	}
	for _, want := range []string{"healthy   exit 0", "degraded  exit 2", "broken    exit 3", "-watch", "--signum=JSON"} {
		if !strings.Contains(out, want) {
			t.Errorf("status --help lacks %q", want)
		}
	}
}
