package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSavedPlanStaysInItsLab: a plan saved in a lab records the lab and
// every host's endpoint and host key; applied outside the lab it is
// refused before anything is dialled (tried from an empty network
// namespace, so that even a regression could not send a packet), applied
// to a host that presents another key it is refused before any command
// runs, and in its lab it applies.
func TestSavedPlanStaysInItsLab(t *testing.T) {
	c := newCluster(t, exampleDir("ha-nginx"))
	file := filepath.Join(t.TempDir(), "cluster.plan")
	out, _, code := c.clusterctl("plan", c.path, "-out", file)
	if code != 0 {
		t.Fatalf("plan -out: exit %d", code)
	}
	mustContain(t, "plan -out", out, "clusterctl apply --lab "+c.lab.Name()+" "+file)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Origin struct {
			Lab       string `json:"lab"`
			Endpoints []struct {
				Host, Address string
				HostKey       string `json:"host_key"`
			} `json:"endpoints"`
		} `json:"origin"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Origin.Lab != c.lab.Name() || len(doc.Origin.Endpoints) != 2 {
		t.Fatalf("origin = %+v", doc.Origin)
	}
	for _, e := range doc.Origin.Endpoints {
		if !strings.HasPrefix(e.HostKey, "SHA256:") || !strings.HasSuffix(e.Address, ":22") {
			t.Errorf("endpoint %+v lacks its host key or address", e)
		}
	}

	// Outside the lab: an empty network namespace (only lo, down).
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--net", "--", binary, "apply", file,
		"-i", c.lab.IdentityFile(), "--known-hosts", c.lab.KnownHosts(), "--ssh-config", "none", "--no-color")
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("apply outside the lab: %v\n%s", err, b)
	}
	mustContain(t, "apply outside the lab", string(b), "the saved plan was made elsewhere: in the local lab \""+c.lab.Name()+"\", and this apply is not in it", "clusterctl apply --lab "+c.lab.Name())
	if strings.Contains(string(b), "facts gathered") || strings.Contains(string(b), "dial") {
		t.Errorf("apply outside the lab reached for the hosts:\n%s", b)
	}

	// Another machine answering as web1: the recorded key differs.
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	eps := raw["origin"].(map[string]any)["endpoints"].([]any)
	real := eps[0].(map[string]any)["host_key"].(string)
	eps[0].(map[string]any)["host_key"] = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	forged := filepath.Join(t.TempDir(), "forged.plan")
	fb, _ := json.Marshal(raw)
	if err := os.WriteFile(forged, fb, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := c.clusterctl("apply", forged)
	if code != 1 {
		t.Fatalf("apply with another host key: exit %d, want 1", code)
	}
	mustContain(t, "apply with another host key", errOut, "presented host key SHA256:AAAA", "now "+real)
	if _, rc := c.exec("web1", "test", "-e", "/etc/keepalived/keepalived.conf"); rc == 0 {
		t.Errorf("the refused apply changed web1")
	}

	// In its lab it applies.
	if _, _, code := c.clusterctl("apply", file); code != 0 {
		t.Fatalf("apply in the lab: exit %d", code)
	}
}
