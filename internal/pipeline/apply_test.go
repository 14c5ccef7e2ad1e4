package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// testUI records what the apply pipeline showed and answers Confirm.
type testUI struct {
	mu          sync.Mutex
	approve     bool
	shown       []*plan.Plan
	unapplyable []*plan.Plan
	asked       int
	events      []apply.Event
}

func (u *testUI) ShowPlan(p *plan.Plan) error { u.shown = append(u.shown, p); return nil }
func (u *testUI) ShowUnapplyable(p *plan.Plan) error {
	u.unapplyable = append(u.unapplyable, p)
	return nil
}
func (u *testUI) Confirm(context.Context) (bool, error) {
	u.asked++
	return u.approve, nil
}
func (u *testUI) Report(e apply.Event) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.events = append(u.events, e)
}

// simCluster opens a run of example over the simulated hosts of sim.
func simCluster(t *testing.T, cfg *config.Config, sim *hostopstest.Cluster) *Cluster {
	t.Helper()
	return open(t, cfg, Options{OpenHost: sim.Open})
}

// quick is an ApplyRequest whose gates use a virtual clock.
func quick(req ApplyRequest) ApplyRequest {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	req.Apply.GateTimeout = 5 * time.Second
	req.Apply.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	req.Apply.Sleep = func(_ context.Context, d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	return req
}

// mutations counts every host's changing operations.
func mutations(sim *hostopstest.Cluster) map[string]int {
	out := map[string]int{}
	for _, h := range sim.Hosts() {
		out[h] = sim.Mutations(h)
	}
	return out
}

func TestApplyPipelineConverges(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{})
	sim := hostopstest.New(cfg)
	ui := &testUI{approve: true}
	out, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), ui)
	if err != nil || out.UnlockErr != nil {
		t.Fatalf("apply: %v / unlock: %v", err, out.UnlockErr)
	}
	if !out.Ran || len(out.Result.Done) != 2 || out.After == nil || !out.After.Empty() {
		t.Errorf("outcome = %+v", out)
	}
	if len(ui.shown) != 1 || ui.asked != 1 || len(ui.events) == 0 {
		t.Errorf("ui: shown %d plans, asked %d times, %d events", len(ui.shown), ui.asked, len(ui.events))
	}
	for _, h := range sim.Hosts() {
		if l := sim.Host(h).Lock; l != "" {
			t.Errorf("%s: lock left: %q", h, l)
		}
	}
	// A second apply has nothing to do: it shows an empty plan, asks
	// nothing and does not roll out.
	ui2 := &testUI{}
	out, err = Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), ui2)
	if err != nil || out.Ran || ui2.asked != 0 || !out.Plan.Empty() {
		t.Errorf("second apply: err %v, ran %v, asked %d", err, out.Ran, ui2.asked)
	}
}

func TestApplyPipelineCancelled(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{})
	sim := hostopstest.New(cfg)
	out, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), &testUI{approve: false})
	if !errors.Is(err, ErrCancelled) || out.Ran {
		t.Fatalf("err = %v, ran = %v", err, out.Ran)
	}
	for h, n := range mutations(sim) {
		if n != 2 { // the lock and the unlock
			t.Errorf("%s: %d changing operations, want only the lock and its release: %v", h, n, sim.Log(h))
		}
	}
}

func TestApplyPipelineLockHeld(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{})
	sim := hostopstest.New(cfg)
	sim.Host("web2").Lock = "id=old owner=bob@ci pid=7 started=2024-01-01T00:00:00Z\n"
	ui := &testUI{approve: true}
	out, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), ui)
	if !errors.Is(err, apply.ErrLockHeld) || !strings.Contains(err.Error(), "owner=bob@ci") || out.Ran || len(ui.shown) != 0 {
		t.Fatalf("err = %v, ran %v, shown %d", err, out.Ran, len(ui.shown))
	}
	if l := sim.Host("web2").Lock; !strings.Contains(l, "bob@ci") {
		t.Errorf("the other apply's lock was touched: %q", l)
	}
	if l := sim.Host("web1").Lock; l != "" {
		t.Errorf("web1 left locked: %q", l)
	}
}

func TestApplyPipelineUnapplyable(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{})
	sim := hostopstest.New(cfg)
	sim.Fail("web1", 1, hostopstest.Before) // its facts (the look)
	ui := &testUI{approve: true}
	out, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), ui)
	if !errors.Is(err, ErrUnapplyable) || out.Ran || len(ui.unapplyable) != 1 || ui.asked != 0 {
		t.Fatalf("err = %v, ran %v, unapplyable shown %d, asked %d", err, out.Ran, len(ui.unapplyable), ui.asked)
	}
	if out.UnlockErr != nil {
		t.Errorf("unlock: %v", out.UnlockErr)
	}
	for h, n := range mutations(sim) {
		if n != 0 {
			t.Errorf("%s: %d changing operations (the plan failed before the lock): %v", h, n, sim.Log(h))
		}
	}

	// The host fails under the lock (its LockFacts): the apply stops
	// naming it, and the locks taken are released.
	sim = hostopstest.New(cfg)
	sim.Fail("web1", 2, hostopstest.Before)
	ui = &testUI{approve: true}
	out, err = Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), ui)
	if err == nil || !strings.Contains(err.Error(), "web1") || out.Ran || len(ui.shown) != 0 || ui.asked != 0 {
		t.Fatalf("LockFacts failed: err = %v, ran %v, shown %d, asked %d", err, out.Ran, len(ui.shown), ui.asked)
	}
	for _, h := range sim.Hosts() {
		if l := sim.Host(h).Lock; l != "" {
			t.Errorf("%s left locked: %q", h, l)
		}
	}
}

// TestApplyPipelineSavedPlan: a saved plan is applied as it is, without
// asking; one made before the live state changed, or from another
// configuration, is refused (the latter before any host is contacted).
func TestApplyPipelineSavedPlan(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{})
	sim := hostopstest.New(cfg)
	made := simCluster(t, cfg, sim)
	saved, err := made.Plan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	saved.ConfigPath = "/cluster"
	saved.Origin = PlanOrigin(made, "")
	data, err := plan.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	load := func() *plan.Plan {
		p, err := plan.Load(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Another configuration (a -var the plan was not made with).
	other := open(t, loadExampleVars(t, "ha-nginx", "vrrp_password=0ther"), Options{OpenHost: sim.Open})
	before := mutations(sim)
	ops := sim.Ops("web1")
	if _, err := Apply(context.Background(), other, quick(ApplyRequest{Saved: load()}), &testUI{}); !errors.Is(err, plan.ErrStalePlan) || !strings.Contains(err.Error(), "configuration") {
		t.Fatalf("other configuration: %v", err)
	}
	if sim.Ops("web1") != ops {
		t.Errorf("a host was contacted before the configuration check failed")
	}

	// The live state changed since.
	sim.Host("web2").Packages["keepalived"] = true
	if _, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{Saved: load()}), &testUI{}); !errors.Is(err, plan.ErrStalePlan) || !strings.Contains(err.Error(), "web2") {
		t.Fatalf("changed host: %v", err)
	}
	after := mutations(sim)
	for h := range before {
		if after[h]-before[h] != 0 { // refused by the look, before the lock
			t.Errorf("%s: %d changing operations by the refused applies", h, after[h]-before[h])
		}
	}

	// Fresh again: applied without asking.
	sim.Host("web2").Packages["keepalived"] = false
	ui := &testUI{}
	out, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{Saved: load()}), ui)
	if err != nil || !out.Ran || ui.asked != 0 {
		t.Fatalf("fresh saved plan: err %v, ran %v, asked %d", err, out.Ran, ui.asked)
	}
}

func loadExampleVars(t *testing.T, example string, vars ...string) *config.Config {
	return load(t, example, config.LoadOptions{Vars: vars})
}

// TestApplyPipelineOperationLocksFirst: an operation derives the hosts'
// states from what it finds, so it takes the lock on every host before
// its Prepare and its facts, and converges (gathers again) before the
// lock is released; the configuration's apply, by contrast, looks first.
func TestApplyPipelineOperationLocksFirst(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{})
	sim := hostopstest.New(cfg)
	op := &Operation{
		Name: "test",
		Prepare: func(ctx context.Context, host string, ops hostops.Host) ([]string, error) {
			_, err := ops.Backups(ctx)
			return nil, err
		},
		Desired: func(host string, rendered *resource.Host, _ *plan.Observed) (*resource.Host, []string, error) {
			return rendered, nil, nil
		},
	}
	out, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{Operation: op}), &testUI{approve: true})
	if err != nil || out.UnlockErr != nil || !out.Ran {
		t.Fatalf("apply: %v / unlock: %v / ran %v", err, out.UnlockErr, out.Ran)
	}
	for _, h := range sim.Hosts() {
		var ops []string
		for _, e := range sim.Log(h) {
			ops = append(ops, string(e.Op))
		}
		if len(ops) < 5 || ops[0] != "lock" || ops[1] != "backups" || ops[2] != "facts" || ops[len(ops)-2] != "facts" || ops[len(ops)-1] != "unlock" {
			t.Errorf("%s: %v, want lock, backups, facts, ..., facts, unlock", h, ops)
		}
	}

	// The configuration's apply on fresh hosts looks before it locks.
	sim = hostopstest.New(cfg)
	if _, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), &testUI{approve: true}); err != nil {
		t.Fatal(err)
	}
	for _, h := range sim.Hosts() {
		if l := sim.Log(h); len(l) < 2 || l[0].Op != hostopstest.OpFacts || l[1].Op != hostopstest.OpLockFacts {
			t.Errorf("%s: apply began with %v, want facts, lock-facts", h, l[:min(2, len(l))])
		}
	}
}
