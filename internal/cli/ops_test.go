package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// The operational commands, run in-process against typed fakes of the
// hosts (the lab tests in e2e run the same commands against real sshd,
// keepalived and nginx).

const labA = "../../examples/lab-19.x/ha-nginx"

// labASecret is lab A's default auth_pass (its variable's default).
const labASecret = "aminglin"

// fakeCluster is a simulated lab A.
func fakeCluster(t *testing.T) *hostopstest.Cluster {
	t.Helper()
	cfg, diags := config.NewLoader().Load(labA, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return hostopstest.New(cfg)
}

// runOn runs clusterctl against sim with stdin and returns the exit code,
// stdout and stderr. No output may carry the secret.
func runOn(t *testing.T, sim *hostopstest.Cluster, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{args: args, streams: Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, environ: []string{"NO_COLOR=1"}, openHost: sim.Open, clock: virtualClock()}
	code := run(a)
	for _, s := range []string{out.String(), errOut.String()} {
		if secret.Appears(s, labASecret) {
			t.Errorf("clusterctl %s printed the secret:\n%s", strings.Join(args, " "), s)
		}
	}
	return code, out.String(), errOut.String()
}

// virtualClock is a clock for apply's gates that moves only when they
// sleep.
func virtualClock() *apply.Options {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &apply.Options{
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(_ context.Context, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
		},
	}
}

func TestPlanAndApplyCommands(t *testing.T) {
	sim := fakeCluster(t)
	code, out, errOut := runOn(t, sim, "", "plan", labA)
	if code != 0 || !strings.Contains(out, "Plan: ") || !strings.Contains(out, "# web2 (backup director)") {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "web1: facts gathered [") {
		t.Errorf("plan progress on stderr: %q", errOut)
	}
	if code, _, _ := runOn(t, sim, "", "plan", "-detailed-exitcode", labA); code != 2 {
		t.Errorf("plan -detailed-exitcode with changes: exit %d, want 2", code)
	}
	code, out, _ = runOn(t, sim, "", "plan", "-json", labA)
	var doc struct {
		Applyable bool `json:"applyable"`
		NoChanges bool `json:"no_changes"`
		Hosts     []struct{ Host, Role string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || !doc.Applyable || doc.NoChanges || len(doc.Hosts) != 2 {
		t.Fatalf("plan -json: exit %d, %v: %+v\n%s", code, err, doc, out)
	}

	// apply asks; anything but "yes" cancels and changes nothing.
	code, out, _ = runOn(t, sim, "no\n", "apply", labA)
	if code != 1 || !strings.Contains(out, "Apply cancelled.") {
		t.Fatalf("apply answered no: exit %d\n%s", code, out)
	}
	if sim.Host("web1").Packages["keepalived"] {
		t.Fatal("a cancelled apply installed packages")
	}
	code, out, errOut = runOn(t, sim, "yes\n", "apply", labA)
	if code != 0 || !strings.Contains(out, "Apply complete! Resources: ") || !strings.Contains(out, "web2: keepalived running, each VIP held by one node") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runOn(t, sim, "", "plan", "-detailed-exitcode", labA)
	if code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("plan after apply: exit %d\n%s", code, out)
	}
	code, out, _ = runOn(t, sim, "", "status", labA)
	if code != 0 || !strings.Contains(out, "Status: healthy.") {
		t.Errorf("status after apply: exit %d\n%s", code, out)
	}
}

func TestApplyJSON(t *testing.T) {
	sim := fakeCluster(t)
	code, out, errOut := runOn(t, sim, "", "apply", "-json", labA)
	if code != 0 {
		t.Fatalf("apply -json: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last map[string]any
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d is not JSON: %q", i+1, l)
		}
		last = m
	}
	if last["type"] != "result" || last["ok"] != true || len(lines) < 5 {
		t.Errorf("last line %v of %d", last, len(lines))
	}
	if strings.Contains(errOut, "facts gathered") {
		t.Errorf("-json printed progress for people on stderr: %q", errOut)
	}
}

func TestApplySavedPlan(t *testing.T) {
	sim := fakeCluster(t)
	file := filepath.Join(t.TempDir(), "cluster.plan")
	if code, out, errOut := runOn(t, sim, "", "plan", "-out", file, labA); code != 0 || !strings.Contains(out, "clusterctl apply "+file) {
		t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil || secret.Appears(string(data), labASecret) {
		t.Fatalf("plan file: %v (or it holds the secret)", err)
	}
	// The live state changes: the saved plan is refused.
	sim.Host("web1").Sysctls["net.ipv4.ip_nonlocal_bind"] = "0"
	sim.Host("web1").Packages["nginx"] = true
	code, out, errOut := runOn(t, sim, "", "apply", file)
	if code != 1 || !strings.Contains(errOut, "saved plan is stale") || !strings.Contains(errOut, "web1") {
		t.Fatalf("stale plan: exit %d\n%s%s", code, out, errOut)
	}
	// A fresh one is applied without a question.
	if code, out, errOut := runOn(t, sim, "", "plan", "-out", file, labA); code != 0 {
		t.Fatalf("plan -out: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runOn(t, sim, "", "apply", file); code != 0 || !strings.Contains(out, "Apply complete!") {
		t.Fatalf("apply PLANFILE: exit %d\n%s%s", code, out, errOut)
	}
}

func TestApplyLockedAndForceUnlock(t *testing.T) {
	sim := fakeCluster(t)
	sim.Host("web2").Lock = "id=old owner=bob@ci pid=7 started=2024-01-01T00:00:00Z\n"
	code, _, errOut := runOn(t, sim, "", "apply", "-auto-approve", labA)
	if code != 1 || !strings.Contains(errOut, "Error: web2: cluster is locked by another apply: id=old owner=bob@ci") || !strings.Contains(errOut, "force-unlock") {
		t.Fatalf("locked: exit %d\n%s", code, errOut)
	}
	if code, out, _ := runOn(t, sim, "no\n", "force-unlock", labA); code != 1 || !strings.Contains(out, "no lock removed") {
		t.Errorf("force-unlock answered no: exit %d\n%s", code, out)
	}
	code, out, errOut := runOn(t, sim, "", "force-unlock", "-force", labA)
	if code != 0 || !strings.Contains(out, "web2: removed lock (id=old owner=bob@ci") {
		t.Fatalf("force-unlock: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runOn(t, sim, "", "force-unlock", "-force", labA); code != 0 || !strings.Contains(out, "No host was locked.") {
		t.Errorf("second force-unlock: exit %d\n%s", code, out)
	}
}

// TestApplyFailureReport: a host that rejects its keepalived.conf fails
// the apply with keepalived's message, the host, and which hosts were not
// touched.
func TestApplyFailureReport(t *testing.T) {
	sim := fakeCluster(t)
	sim.Validate = func(host string, f resource.File) error {
		return errors.New("(VI_1) number '351' outside range [1, 255] near auth_pass " + labASecret)
	}
	code, out, errOut := runOn(t, sim, "", "apply", "-auto-approve", labA)
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"Error: web2: files: /etc/keepalived/keepalived.conf: rejected by validation on the host", "outside range", "failed:      web2", "not touched: web1"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "web2: files FAILED") {
		t.Errorf("progress lacks the failed step:\n%s", out)
	}
}

func TestStatusDegradedAndTargets(t *testing.T) {
	sim := fakeCluster(t)
	// Nothing runs yet: no member holds the VIP.
	if code, out, _ := runOn(t, sim, "", "status", labA); code != 3 || !strings.Contains(out, "Status: BROKEN (exit 3)") || !strings.Contains(out, "192.168.19.100 is down: no member holds it") {
		t.Errorf("status of a fresh cluster: exit %d\n%s", code, out)
	}
	if code, _, errOut := runOn(t, sim, "", "plan", "-target", "nope", labA); code != 1 || !strings.Contains(errOut, "-target nope: no such host") {
		t.Errorf("plan -target nope: exit %d\n%s", code, errOut)
	}
	code, out, errOut := runOn(t, sim, "", "plan", "-target", "web1", labA)
	if code != 0 || !strings.Contains(out, "resource targeting is in effect") || strings.Contains(out, "# web2") || strings.Contains(errOut, "web2:") {
		t.Errorf("plan -target web1: exit %d\n%s%s", code, out, errOut)
	}
}

// twoPriorities is a two-node cluster whose priorities are variables.
const twoPriorities = `
variable "p1" { default = 100 }
variable "p2" { default = 90 }
host "web1" {
  interface "ens33" { addresses = ["192.168.19.101/24"] }
}
host "web2" {
  interface "ens33" { addresses = ["192.168.19.102/24"] }
}
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
  member "web1" { priority = var.p1 }
  member "web2" { priority = var.p2 }
}
`

// TestMaxDisruption: a priority swap moves the VIP: the plan says
// vip-move for the cluster, with the reason; --max-disruption reload
// refuses it with exit status 4 in plan and in apply (which then changes
// nothing), and vip-move lets it through.
func TestMaxDisruption(t *testing.T) {
	dir := writeConfig(t, twoPriorities)
	cfg, diags := config.NewLoader().Load(dir, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	sim := hostopstest.New(cfg)
	if code, out, errOut := runOn(t, sim, "", "apply", "-auto-approve", dir); code != 0 {
		t.Fatalf("first apply: exit %d\n%s%s", code, out, errOut)
	}
	swap := []string{"-var", "p1=80"}
	code, out, errOut := runOn(t, sim, "", append([]string{"plan", "--max-disruption", "reload", dir}, swap...)...)
	if code != exitTooDisruptive || !strings.Contains(out, "Disruption: vip-move") || !strings.Contains(out, "VI_1's VIPs move from web1 to web2") ||
		!strings.Contains(errOut, "is above --max-disruption reload") {
		t.Fatalf("plan --max-disruption reload: exit %d\n%s%s", code, out, errOut)
	}
	ops := sim.Ops("web1")
	code, _, errOut = runOn(t, sim, "", append([]string{"apply", "-auto-approve", "--max-disruption", "reload", dir}, swap...)...)
	if code != exitTooDisruptive || !strings.Contains(errOut, "more disruptive than allowed") {
		t.Fatalf("apply --max-disruption reload: exit %d\n%s", code, errOut)
	}
	// The plan is shown, then refused: only the lock was taken, with the
	// facts the plan was made from, and released.
	var got []string
	for _, e := range sim.Log("web1")[ops:] {
		got = append(got, string(e.Op))
	}
	if strings.Join(got, " ") != "facts lock-facts unlock" {
		t.Errorf("the refused apply's operations on web1: %v, want facts lock-facts unlock", got)
	}
	if code, _, errOut := runOn(t, sim, "", append([]string{"plan", "--max-disruption", "vip-move", dir}, swap...)...); code != 0 {
		t.Errorf("plan --max-disruption vip-move: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runOn(t, sim, "", "plan", "--max-disruption", "hitless", dir); code != 1 || !strings.Contains(errOut, "unknown disruption class") {
		t.Errorf("an unknown class: exit %d\n%s", code, errOut)
	}
}

// TestApplyOperationsPerHost counts what apply does on each host, one
// operation being one command (one SSH session) on a real host: a no-op
// apply is one facts gathering, as plan; a change takes the lock with the
// facts, then the rollout, then gathers facts again and releases the lock
// in one; a lock found by the look refuses the apply, even with nothing
// to do.
func TestApplyOperationsPerHost(t *testing.T) {
	sim := fakeCluster(t)
	ops := func() map[string][]string {
		out := map[string][]string{}
		for _, h := range sim.Hosts() {
			for _, e := range sim.Log(h) {
				out[h] = append(out[h], string(e.Op))
			}
		}
		return out
	}
	since := func(before map[string][]string) map[string][]string {
		out := map[string][]string{}
		for h, l := range ops() {
			out[h] = l[len(before[h]):]
		}
		return out
	}

	// The change: facts, lock-facts, the rollout, facts-unlock; no other
	// facts gathering, lock or unlock.
	before := ops()
	if code, out, errOut := runOn(t, sim, "", "apply", "-auto-approve", labA); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	for h, l := range since(before) {
		if len(l) < 4 || l[0] != "facts" || l[1] != "lock-facts" || l[len(l)-1] != "facts-unlock" {
			t.Errorf("%s: %v, want facts, lock-facts, ..., facts-unlock", h, l)
		}
		for _, op := range l[2 : len(l)-1] {
			switch hostopstest.Op(op) {
			case hostopstest.OpFacts, hostopstest.OpLock, hostopstest.OpUnlock, hostopstest.OpLockFacts, hostopstest.OpFactsUnlock:
				t.Errorf("%s: %s inside the rollout: %v", h, op, l)
			}
		}
		if sim.Host(h).Lock != "" {
			t.Errorf("%s left locked", h)
		}
	}

	// Nothing to do: one facts gathering per host, as plan.
	for range 2 {
		before = ops()
		code, out, errOut := runOn(t, sim, "", "apply", "-auto-approve", labA)
		if code != 0 || !strings.Contains(out, "No changes.") {
			t.Fatalf("no-op apply: exit %d\n%s%s", code, out, errOut)
		}
		for h, l := range since(before) {
			if strings.Join(l, " ") != "facts" {
				t.Errorf("no-op apply on %s: %v, want [facts]", h, l)
			}
		}
	}
	before = ops()
	if code, out, _ := runOn(t, sim, "", "plan", labA); code != 0 || !strings.Contains(out, "No changes.") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	for h, l := range since(before) {
		if strings.Join(l, " ") != "facts" {
			t.Errorf("plan on %s: %v", h, l)
		}
	}

	// Another apply's lock on web2: refused although nothing is to do,
	// naming the holder; web1's lock taken meanwhile is released.
	sim.Host("web2").Lock = "id=old owner=bob@ci pid=7 started=2024-01-01T00:00:00Z\n"
	before = ops()
	code, _, errOut := runOn(t, sim, "", "apply", "-auto-approve", labA)
	if code != 1 || !strings.Contains(errOut, "web2: cluster is locked by another apply: id=old owner=bob@ci") {
		t.Fatalf("locked: exit %d\n%s", code, errOut)
	}
	for h, l := range since(before) {
		for _, op := range l {
			if hostopstest.Op(op).Mutates() && op != string(hostopstest.OpLock) && op != string(hostopstest.OpUnlock) {
				t.Errorf("%s: the refused apply ran %s: %v", h, op, l)
			}
		}
	}
	if l := sim.Host("web2").Lock; !strings.Contains(l, "bob@ci") {
		t.Errorf("bob's lock changed: %q", l)
	}
	if l := sim.Host("web1").Lock; l != "" {
		t.Errorf("web1 left locked: %q", l)
	}
}
