package apply_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// pairsHCL is three independent keepalived pairs (a, b, c), each its own
// VRRP instance, with the given priorities of the first and the second
// member of every pair.
func pairsHCL(p1, p2 int) string {
	var b strings.Builder
	for i, g := range []string{"a", "b", "c"} {
		fmt.Fprintf(&b, `
host "%[1]s1" {
  interface "ens33" { addresses = ["192.168.19.%[2]d/24"] }
}
host "%[1]s2" {
  interface "ens33" { addresses = ["192.168.19.%[3]d/24"] }
}
vrrp_instance "VI_%[1]s" {
  interface         = "ens33"
  virtual_router_id = %[4]d
  virtual_ips       = ["192.168.19.%[5]d"]
  member "%[1]s1" { priority = %[6]d }
  member "%[1]s2" { priority = %[7]d }
}
`, g, 11+10*i, 12+10*i, 51+i, 100+10*i, p1, p2)
	}
	return b.String()
}

type events struct {
	mu  sync.Mutex
	all []apply.Event
}

func (r *events) Report(e apply.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, e)
}

// scaledClock is real time run faster by factor: the gates of a wave
// wait at the same time, as they do for real (fastOptions' clock, moved
// by every sleeper, would make each see the others' sleeps).
func scaledClock(factor time.Duration) (now func() time.Time, sleep func(context.Context, time.Duration)) {
	start := time.Now()
	now = func() time.Time { return start.Add(time.Since(start) * factor) }
	sleep = func(ctx context.Context, d time.Duration) {
		t := time.NewTimer(d / factor)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return now, sleep
}

// applyWith plans s's configuration and applies it with opts (on a
// clock 50 times faster).
func (s *sim) applyWith(opts apply.Options) (*plan.Plan, apply.Result, error) {
	s.t.Helper()
	c := s.run()
	p, err := c.Plan(context.Background(), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	opts.Now, opts.Sleep = scaledClock(50)
	opts.GateTimeout = 5 * time.Second
	res, err := apply.Run(context.Background(), p, c, opts)
	return p, res, err
}

func waves(p *plan.Plan) string {
	var out []string
	for _, w := range p.Waves {
		var steps []string
		for _, s := range w.Steps {
			steps = append(steps, s.String())
		}
		out = append(out, "["+strings.Join(steps, " ")+"]")
	}
	return strings.Join(out, " ")
}

// TestWavesIndependentPairs (issue 19): pairs that share nothing are
// rolled out at the same time — from nothing in one wave (each pair's
// members started together), and a change to live pairs in two waves
// (every backup, then every master), the steps of a wave really
// concurrent, the second wave only after the first one's gates.
func TestWavesIndependentPairs(t *testing.T) {
	s := newSim(t, loadHCL(t, pairsHCL(100, 90)))
	p, _, err := s.applyWith(apply.Options{})
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if got, want := waves(p), "[a2+a1 b2+b1 c2+c1]"; got != want {
		t.Errorf("first apply's waves = %s, want %s", got, want)
	}
	for _, in := range []string{"192.168.19.100", "192.168.19.110", "192.168.19.120"} {
		if hs := s.cl.VIPs()[netip.MustParseAddr(in)]; len(hs) != 1 || !strings.HasSuffix(hs[0], "1") {
			t.Errorf("VIP %s held by %v, want its pair's first member", in, hs)
		}
	}

	// A change to every member: each pair's backup, then its master.
	s.cfg = loadHCL(t, pairsHCL(110, 80))
	// The three backups' reloads wait for each other: run one after the
	// other, they would never all arrive.
	var mu sync.Mutex
	arrived := map[string]bool{}
	all := make(chan struct{})
	var timedOut []string
	s.cl.BeforeOp = func(host string, op hostopstest.Op) {
		if op != hostopstest.OpSystemctl || !strings.HasSuffix(host, "2") {
			return
		}
		mu.Lock()
		if !arrived[host] {
			arrived[host] = true
			if len(arrived) == 3 {
				close(all)
			}
		}
		mu.Unlock()
		select {
		case <-all:
		case <-time.After(5 * time.Second):
			mu.Lock()
			timedOut = append(timedOut, host)
			mu.Unlock()
		}
	}
	rec := &events{}
	p, res, err := s.applyWith(apply.Options{Reporter: rec})
	if err != nil {
		t.Fatalf("change apply: %v", err)
	}
	if got, want := waves(p), "[a2 b2 c2] [a1 b1 c1]"; got != want {
		t.Errorf("change's waves = %s, want %s", got, want)
	}
	if len(timedOut) > 0 {
		t.Errorf("the backups of wave 1 did not run at the same time (%v waited in vain)", timedOut)
	}
	if len(res.Done) != 6 || res.Failed != "" {
		t.Errorf("Result = %+v", res)
	}
	// Wave 2 starts after wave 1 is done (its gates passed).
	var order []string
	for _, e := range rec.all {
		switch {
		case e.Step == apply.StepWave:
			order = append(order, e.Status+" "+e.Message[:len("wave 1")])
		case e.Step == apply.StepApply && e.Status == apply.StatusStart:
			order = append(order, "start "+e.Host)
		}
	}
	w1done := slices.Index(order, "done wave 1")
	for _, m := range []string{"a1", "b1", "c1"} {
		if i := slices.Index(order, "start "+m); i < w1done {
			t.Errorf("%s started before wave 1 was done: %v", m, order)
		}
	}
	if after := s.plan(); !after.Empty() {
		t.Errorf("not converged: %v", changes(after))
	}
}

// TestWavesFailureStopsAfterTheWave: a step that fails lets the other
// steps of its wave finish and starts no later wave.
func TestWavesFailureStopsAfterTheWave(t *testing.T) {
	s := newSim(t, loadHCL(t, pairsHCL(100, 90)))
	if _, _, err := s.applyWith(apply.Options{}); err != nil {
		t.Fatalf("first apply: %v", err)
	}
	s.cfg = loadHCL(t, pairsHCL(110, 80))
	before := map[string]int{}
	for _, h := range s.cl.Hosts() {
		before[h] = s.cl.Mutations(h)
	}
	s.cl.Validate = func(host string, f resource.File) error {
		if host == "b2" && f.Validate == resource.ValidateKeepalived {
			return errors.New("keepalived -t: Line 9: rejected")
		}
		return nil
	}
	_, res, err := s.applyWith(apply.Options{})
	if err == nil || !strings.Contains(err.Error(), "b2") {
		t.Fatalf("err = %v, want b2's validation failure", err)
	}
	if res.Failed != "b2" || !slices.Contains(res.Done, "a2") || !slices.Contains(res.Done, "c2") {
		t.Errorf("Result = %+v: a2 and c2 (same wave) should be done, b2 failed", res)
	}
	if got := fmt.Sprint(res.NotStarted); got != "[a1 b1 c1]" {
		t.Errorf("NotStarted = %s, want the masters (wave 2)", got)
	}
	for _, m := range []string{"a1", "b1", "c1"} {
		if n := s.cl.Mutations(m) - before[m]; n != 0 {
			t.Errorf("%s was changed (%d mutations)", m, n)
		}
	}
	// b2's rejected file changed nothing: back on the old configuration,
	// b2 owes no reload (its intent manifest had recorded one).
	s.cl.Validate = nil
	s.cfg = loadHCL(t, pairsHCL(100, 90))
	if hp := s.plan().Host("b2"); hp == nil || hp.HasWork() {
		t.Errorf("b2 after its rejected apply: %+v", hp)
	}
}

// TestWavesParallelismBoundsHosts: with -parallelism 1 the hosts of a
// wave are changed one at a time (their gates still overlap).
func TestWavesParallelismBoundsHosts(t *testing.T) {
	s := newSim(t, loadHCL(t, pairsHCL(100, 90)))
	rec := &events{}
	if _, _, err := s.applyWith(apply.Options{Parallelism: 1, Reporter: rec}); err != nil {
		t.Fatal(err)
	}
	in := 0
	for _, e := range rec.all {
		if e.Step != apply.StepApply {
			continue
		}
		switch e.Status {
		case apply.StatusStart:
			in++
		case apply.StatusDone:
			in--
		}
		if in > 1 {
			t.Fatalf("two hosts changed at once with parallelism 1 (at %s)", e.Host)
		}
	}
}

// TestWavesLinkedByLiveInstance: pairs the configuration no longer links
// are still one group while their hosts share an instance as found on
// them (here VI_x, which a1 and b1 run and the configuration drops), so
// the drop is not rolled out on both at once.
func TestWavesLinkedByLiveInstance(t *testing.T) {
	shared := pairsHCL(100, 90) + `
vrrp_instance "VI_x" {
  interface         = "ens33"
  virtual_router_id = 60
  virtual_ips       = ["192.168.19.200"]
  member "a1" { priority = 100 }
  member "b1" { priority = 90 }
}
`
	s := newSim(t, loadHCL(t, shared))
	if _, _, err := s.applyWith(apply.Options{}); err != nil {
		t.Fatalf("first apply: %v", err)
	}
	s.cfg = loadHCL(t, pairsHCL(110, 80))
	p := s.plan()
	// a and b are one group: its backups by rising priority, then its
	// masters one at a time; c is alone.
	if got, want := waves(p), "[a2 c2] [b2 c1] [a1] [b1]"; got != want {
		t.Errorf("waves = %s, want %s", got, want)
	}
	if _, _, err := s.applyWith(apply.Options{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if after := s.plan(); !after.Empty() {
		t.Errorf("not converged: %v", changes(after))
	}
}
