package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSavedPlanRecordsWhereItWasMade: a saved plan records its lab and
// endpoints, and apply refuses it anywhere else before any operation on
// any host.
func TestSavedPlanRecordsWhereItWasMade(t *testing.T) {
	sim := fakeCluster(t)
	file := filepath.Join(t.TempDir(), "cluster.plan")
	if code, out, errOut := runOn(t, sim, "", "plan", "-out", file, labA); code != 0 {
		t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	origin, _ := doc["origin"].(map[string]any)
	eps, _ := origin["endpoints"].([]any)
	if origin == nil || origin["lab"] != nil || len(eps) != 2 {
		t.Fatalf("origin = %v", doc["origin"])
	}
	if ep := eps[0].(map[string]any); ep["host"] != "web1" || ep["address"] != "root@192.168.19.101:22" {
		t.Errorf("endpoint = %v", ep)
	}

	rewrite := func(edit func(origin map[string]any)) string {
		t.Helper()
		var d map[string]any
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		edit(d["origin"].(map[string]any))
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "edited.plan")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := sim.Ops("web1") + sim.Ops("web2")
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want []string
	}{
		{
			name: "made in a lab, applied outside it",
			edit: func(o map[string]any) { o["lab"] = "ncha" },
			want: []string{`the saved plan was made elsewhere: in the local lab "ncha", and this apply is not in it`, "clusterctl apply --lab ncha PLANFILE"},
		},
		{
			name: "a host reached elsewhere",
			edit: func(o map[string]any) {
				o["endpoints"].([]any)[1].(map[string]any)["address"] = "root@10.1.2.3:22"
			},
			want: []string{"the saved plan was made elsewhere: web2 was reached at root@10.1.2.3:22, now at root@192.168.19.102:22"},
		},
		{
			name: "no origin (an older plan file)",
			edit: func(o map[string]any) {},
			want: []string{"does not record where it was made"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := rewrite(tc.edit)
			if tc.name == "no origin (an older plan file)" {
				var d map[string]any
				b, _ := os.ReadFile(p)
				_ = json.Unmarshal(b, &d)
				delete(d, "origin")
				b, _ = json.Marshal(d)
				_ = os.WriteFile(p, b, 0o600)
			}
			code, out, errOut := runOn(t, sim, "", "apply", p)
			if code != 1 {
				t.Errorf("apply: exit %d, want 1\n%s%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if n := sim.Ops("web1") + sim.Ops("web2"); n != before {
				t.Errorf("%d operations on the hosts before the refusal", n-before)
			}
		})
	}
	// Where it was made, it applies.
	if code, out, errOut := runOn(t, sim, "", "apply", file); code != 0 || !strings.Contains(out, "Apply complete!") {
		t.Fatalf("apply PLANFILE: exit %d\n%s%s", code, out, errOut)
	}
}
