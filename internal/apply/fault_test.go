package apply_test

// Fault injection for apply on a typed fake (hostopstest): a simulated
// cluster whose hosts keep their state, so a plan made after a fault
// describes what really remains. TestApplyFaultEveryOperation fails each
// host operation of a fresh-cluster apply in turn — before it takes
// effect, after it took effect with the reply lost, and as a dropped
// connection — and checks the guarantees of docs/reliability.md after
// each. That a single operation is atomic on a real host (a file is
// either old or complete and new) is tested where the commands are, in
// package hostops.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

func loadExample(t *testing.T, name string) *config.Config {
	t.Helper()
	cfg, diags := config.NewLoader().Load("../../examples/lab-19.x/"+name, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", name, diags.Error())
	}
	return cfg
}

// sim is a simulated cluster and a pipeline run against it.
type sim struct {
	t   *testing.T
	cfg *config.Config
	cl  *hostopstest.Cluster
}

func newSim(t *testing.T, cfg *config.Config) *sim {
	return &sim{t: t, cfg: cfg, cl: hostopstest.New(cfg)}
}

// run opens a pipeline run over the simulated hosts.
func (s *sim) run() *pipeline.Cluster {
	s.t.Helper()
	c, err := pipeline.Open(s.cfg, pipeline.Options{OpenHost: s.cl.Open})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// fastOptions make the gate's clock virtual, so a gate that never
// settles ends at once.
func fastOptions() apply.Options {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return apply.Options{
		GateTimeout: 5 * time.Second,
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		},
		Sleep: func(_ context.Context, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
		},
	}
}

// plan gathers facts and plans; it fails the test on error.
func (s *sim) plan() *plan.Plan {
	s.t.Helper()
	p, err := s.run().Plan(context.Background(), nil)
	if err != nil {
		s.t.Fatalf("plan: %v", err)
	}
	return p
}

// apply runs what `clusterctl apply -auto-approve` runs: lock, plan,
// rollout, unlock. between, when set, runs after the plan and before the
// rollout (to arm a fault). It returns the plan, the result, the
// rollout's error and the unlock's.
func (s *sim) apply(between func()) (*plan.Plan, apply.Result, error, error) {
	s.t.Helper()
	c := s.run()
	ctx := context.Background()
	unlock, err := apply.Lock(ctx, c.AllHosts(), c, 0, apply.NewLockInfo(time.Now()))
	if err != nil {
		return nil, apply.Result{}, err, nil
	}
	p, err := c.Plan(ctx, nil)
	if err != nil {
		return nil, apply.Result{}, err, unlock(ctx)
	}
	if between != nil {
		between()
	}
	res, err := apply.Run(ctx, p, c, fastOptions())
	return p, res, err, unlock(ctx)
}

func changes(p *plan.Plan) []string {
	var out []string
	for _, h := range p.Hosts {
		for _, c := range h.Changes {
			out = append(out, fmt.Sprintf("%s: %s %s %s", h.Host, c.Action, c.Kind, c.Key))
		}
		for _, e := range h.Effects {
			out = append(out, fmt.Sprintf("%s: %s %s", h.Host, e.Action, e.Service))
		}
	}
	for _, e := range p.Errors {
		out = append(out, e.Host+": error: "+e.Error)
	}
	return out
}

// files is every host's managed files: no backups, no lock.
func (s *sim) files() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, hn := range s.cl.Hosts() {
		out[hn] = map[string]string{}
		for p, f := range s.cl.Host(hn).Files {
			if !strings.HasPrefix(p, resource.BackupDir) {
				out[hn][p] = fmt.Sprintf("%04o %s:%s %s", f.Mode, f.Owner, f.Group, f.Content)
			}
		}
	}
	return out
}

func sameFiles(a, b map[string]map[string]string) bool {
	for hn := range b {
		for p, f := range b[hn] {
			if a[hn][p] != f {
				return false
			}
		}
	}
	return true
}

// TestFaultSimConverges checks the simulator with the planner: a fresh
// apply of each lab converges (the next plan is empty).
func TestFaultSimConverges(t *testing.T) {
	for _, lab := range []string{"ha-nginx", "lvs-nat", "ha-lvs", "lvs-dr", "lvs-tun", "lvs-fullnat"} {
		t.Run(lab, func(t *testing.T) {
			s := newSim(t, loadExample(t, lab))
			if p := s.plan(); p.Empty() || !p.Applyable() {
				t.Fatalf("fresh plan: empty=%v applyable=%v %v", p.Empty(), p.Applyable(), changes(p))
			}
			_, res, err, uerr := s.apply(nil)
			if err != nil || uerr != nil {
				t.Fatalf("apply: %v / unlock: %v", err, uerr)
			}
			if len(res.Done) != len(s.cfg.Hosts) || res.Failed != "" || len(res.NotStarted) != 0 {
				t.Errorf("result = %+v", res)
			}
			if p := s.plan(); !p.Empty() {
				t.Errorf("plan after apply is not empty: %v", changes(p))
			}
			if d := s.manifestDrift(); d != "" {
				t.Error(d)
			}
		})
	}
}

// faultPoint is one injected fault: the op-th operation of host during
// the rollout, failed in mode.
type faultPoint struct {
	host string
	op   int
	mode hostopstest.FaultMode
}

// TestApplyFaultEveryOperation enumerates every host operation of a
// fresh-cluster rollout of lab A (ha-nginx), lab B (lvs-nat) and the
// director pair of ha-lvs and, for each, fails it before it takes effect,
// after it took effect (the reply lost), and as a dropped connection
// (that operation and every later one on the host fail). Then it checks:
// Run fails naming the host, or absorbed the fault (a read the gate
// retries); the Result lists each host at most once and names the failed
// one in the error; hosts not started got no changing operation; a lock
// left by a dropped connection is reported and force-unlock clears it;
// the plan after the fault is applyable and not empty while the cluster
// differs from its converged state; a second apply converges.
func TestApplyFaultEveryOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of applies")
	}
	vrid := func(id int) string {
		return strings.Replace(prioHCL(100, 90), "virtual_router_id = 51", fmt.Sprintf("virtual_router_id = %d", id), 1)
	}
	twoVIPs := strings.Replace(prioHCL(100, 90), `["192.168.19.100"]`, `["192.168.19.100", "192.168.19.99"]`, 1)
	scenarios := []faultScenario{
		{name: "ha-nginx", cfg: loadExample(t, "ha-nginx")},
		{name: "lvs-nat", cfg: loadExample(t, "lvs-nat")},
		{name: "ha-lvs", cfg: loadExample(t, "ha-lvs")},
		// Changes to a live pair: reloads grouped, and the VRID bootstrap.
		{name: "live VIP added", start: loadHCL(t, prioHCL(100, 90)), cfg: loadHCL(t, twoVIPs)},
		{name: "live VRID changed", start: loadHCL(t, vrid(51)), cfg: loadHCL(t, vrid(61))},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// A clean run counts each host's operations inside the rollout.
			base := sc.sim(t)
			before := map[string]int{}
			_, _, err, uerr := base.apply(func() {
				for _, hn := range base.cl.Hosts() {
					before[hn] = base.cl.Ops(hn)
				}
			})
			if err != nil || uerr != nil {
				t.Fatalf("clean apply: %v / %v", err, uerr)
			}
			final := base.files()
			var points []faultPoint
			for _, hn := range sc.cfg.HostNames() {
				log := base.cl.Log(hn)
				n := base.cl.Ops(hn) - before[hn] - 1 // the unlock is not in the rollout
				for i := 1; i <= n; i++ {
					modes := []hostopstest.FaultMode{hostopstest.Before, hostopstest.Drop}
					if log[before[hn]+i-1].Op.Mutates() {
						// A read has no effect to keep: "after" is "before".
						modes = append(modes, hostopstest.After)
					}
					for _, m := range modes {
						points = append(points, faultPoint{hn, i, m})
					}
				}
			}
			tried, absorbed := 0, 0
			for _, fp := range points {
				retried := faultOne(t, sc, fp, final)
				tried++
				if retried {
					absorbed++
				}
			}
			t.Logf("%s: %d fault points (every operation before its effect and as a dropped connection, every write also after its effect), %d absorbed by the gate's retry", sc.name, tried, absorbed)
		})
	}
}

// faultScenario is an apply to break: of cfg to fresh hosts, or, with
// start, of cfg to a cluster converged on start.
type faultScenario struct {
	name       string
	start, cfg *config.Config
}

// sim returns the scenario's cluster, ready for its apply.
func (sc faultScenario) sim(t *testing.T) *sim {
	t.Helper()
	if sc.start == nil {
		return newSim(t, sc.cfg)
	}
	s := newSim(t, sc.start)
	if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
		t.Fatalf("converge on the start configuration: %v / %v", err, uerr)
	}
	s.cfg = sc.cfg
	return s
}

// faultOne injects fp into the scenario's cluster and checks the
// guarantees; retried reports whether apply succeeded despite the fault.
func faultOne(t *testing.T, sc faultScenario, fp faultPoint, final map[string]map[string]string) (retried bool) {
	t.Helper()
	name := fmt.Sprintf("%s op %d %s", fp.host, fp.op, fp.mode)
	fail := func(format string, a ...any) {
		t.Errorf("%s: "+format, append([]any{name}, a...)...)
	}
	s := sc.sim(t)
	mutations := map[string]int{}
	_, res, runErr, unlockErr := s.apply(func() {
		for _, hn := range s.cl.Hosts() {
			mutations[hn] = s.cl.Mutations(hn)
		}
		s.cl.Fail(fp.host, s.cl.Ops(fp.host)+fp.op, fp.mode)
	})

	// Run fails naming the faulted host, or absorbed the fault.
	if runErr == nil {
		retried = true
	} else if !strings.Contains(runErr.Error(), fp.host) {
		fail("error does not name the host: %v", runErr)
	}
	seen := map[string]int{}
	for _, h := range append(append(slices.Clone(res.Done), res.NotStarted...), res.Failed) {
		if h != "" {
			seen[h]++
		}
	}
	for h, n := range seen {
		if n > 1 {
			fail("host %s listed %d times in %+v", h, n, res)
		}
	}
	if runErr != nil && res.Failed != "" && !strings.Contains(runErr.Error(), res.Failed) {
		fail("Failed=%s not named in the error %v", res.Failed, runErr)
	}
	if runErr == nil && (res.Failed != "" || len(res.NotStarted) > 0) {
		fail("success with failed or not-started hosts: %+v", res)
	}
	for _, hn := range res.NotStarted {
		// The unlock at the end is the one operation it may get.
		if got := s.cl.Mutations(hn) - mutations[hn]; got > 1 {
			fail("not-started host %s received %d changing operations", hn, got-1)
		}
	}

	// Recovery, without the fault: a lock left behind is reported and
	// force-unlock clears it; the plan is applyable and says what remains;
	// a second apply converges.
	s.cl.Heal()
	c := s.run()
	ctx := context.Background()
	lockLeft := unlockErr != nil
	if unlock, err := apply.Lock(ctx, c.AllHosts(), c, 0, apply.NewLockInfo(time.Now())); err != nil {
		if !errors.Is(err, apply.ErrLockHeld) {
			fail("lock after the fault: %v", err)
		}
		if !lockLeft {
			fail("lock held although the unlock succeeded: %v", err)
		}
		if _, err := apply.ForceUnlock(ctx, c.AllHosts(), c, 0); err != nil {
			fail("force-unlock: %v", err)
		}
	} else {
		if lockLeft {
			fail("the unlock failed (%v) but no lock was left", unlockErr)
		}
		if err := unlock(ctx); err != nil {
			fail("unlock: %v", err)
		}
	}
	again := s.plan()
	if runErr == nil && !again.Empty() {
		fail("apply reported success but the cluster differs: %v", changes(again))
	}
	if !again.Applyable() {
		fail("plan after the fault is not applyable: %v", changes(again))
	}
	if again.Empty() && !sameFiles(s.files(), final) {
		fail("the plan after the fault is empty but files differ from the converged cluster's")
	}
	if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
		fail("second apply: %v / unlock %v", err, uerr)
	}
	if p := s.plan(); !p.Empty() {
		fail("not converged after the second apply: %v", changes(p))
	}
	if d := s.manifestDrift(); d != "" {
		fail("%s", d)
	}
	return retried
}

// manifestDrift says which host's manifest does not record exactly what
// it manages ("" when all do).
func (s *sim) manifestDrift() string {
	c := s.run()
	for _, hn := range s.cl.Hosts() {
		want := string(resource.FormatManifest(resource.Manifest(c.Desired[hn])))
		if got := string(s.cl.Host(hn).Files[resource.ManifestPath].Content); got != want {
			return fmt.Sprintf("%s: manifest is\n%s\nwant\n%s", hn, got, want)
		}
	}
	return ""
}

// TestMisbehaveNotInstalled: a fresh host without keepalived, ipvsadm or
// the ip_vs module gets package installs, a module load and a note.
func TestMisbehaveNotInstalled(t *testing.T) {
	s := newSim(t, loadExample(t, "lvs-nat"))
	dir := s.plan().Host("dir")
	var got []string
	for _, c := range dir.Changes {
		if c.Kind == plan.KindPackage || c.Kind == plan.KindModule {
			got = append(got, string(c.Action)+" "+c.Key)
		}
	}
	for _, want := range []string{"create ipvsadm", "create ip_vs"} {
		if !slices.Contains(got, want) {
			t.Errorf("dir plan lacks %q; package/module changes: %v", want, got)
		}
	}
	if note := strings.Join(dir.Notes, "\n"); !strings.Contains(note, "IPVS is not usable on this host (not-installed") {
		t.Errorf("dir notes = %q, want the IPVS not-installed note", note)
	}
	p := newSim(t, loadExample(t, "ha-nginx")).plan()
	for _, hn := range []string{"web1", "web2"} {
		found := false
		for _, c := range p.Host(hn).Changes {
			found = found || c.Kind == plan.KindPackage && c.Key == "keepalived" && c.Action == plan.Create
		}
		if !found {
			t.Errorf("%s: no keepalived install in the plan", hn)
		}
	}
}

// TestMisbehaveForeignRules: IPVS services and nat rules clusterctl did
// not create are left alone by plan (a note) and apply (no operation
// names them; they are still there afterwards), and the cluster converges.
func TestMisbehaveForeignRules(t *testing.T) {
	s := newSim(t, loadExample(t, "lvs-nat"))
	dir := s.cl.Host("dir")
	dir.Packages["ipvsadm"], dir.Modules["ip_vs"] = true, true
	foreign, err := ipvs.ParseSave([]byte("-A -t 10.9.9.9:443 -s rr\n-a -t 10.9.9.9:443 -r 10.9.9.10:443 -m -w 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	dir.IPVS = foreign
	dir.ForeignNAT = []string{"-s 10.0.0.0/8 -o ens37 -j MASQUERADE"}
	hp := s.plan().Host("dir")
	for _, c := range hp.Changes {
		if strings.Contains(c.Key, "10.9.9.9") || c.Action == plan.Delete {
			t.Errorf("plan touches a foreign resource: %s %s %s", c.Action, c.Kind, c.Key)
		}
	}
	if !strings.Contains(strings.Join(hp.Notes, "\n"), "IPVS service -t 10.9.9.9:443 is not managed by clusterctl; left alone") {
		t.Errorf("notes = %q", hp.Notes)
	}
	if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
		t.Fatalf("apply: %v / %v", err, uerr)
	}
	for _, e := range s.cl.Log("dir") {
		if strings.Contains(e.Detail, "10.9.9.9") || strings.Contains(e.Detail, "10.0.0.0/8") {
			t.Errorf("apply touched a foreign rule: %s", e)
		}
	}
	if dir.IPVS.Service(foreign.Services[0].Key) == nil || len(dir.IPVS.Service(foreign.Services[0].Key).Destinations) != 1 {
		t.Errorf("the foreign IPVS service is gone or changed: %s", dir.IPVS.Save())
	}
	if !slices.Contains(dir.ForeignNAT, "-s 10.0.0.0/8 -o ens37 -j MASQUERADE") {
		t.Errorf("the foreign nat rule is gone: %q", dir.ForeignNAT)
	}
	if p := s.plan(); !p.Empty() {
		t.Errorf("not converged: %v", changes(p))
	}
}

// TestConcurrentLocksExactlyOne: two applies lock the same cluster at
// once, each reaching a different host first (the other host answers it
// late). Exactly one gets the cluster; the other is refused naming the
// holder; neither leaves a lock of its own behind.
func TestConcurrentLocksExactlyOne(t *testing.T) {
	s := newSim(t, loadExample(t, "ha-nginx"))
	a := apply.LockInfo{ID: "aaaaaaaaaaaa", Owner: "alice@a", PID: 1, Started: time.Now()}
	b := apply.LockInfo{ID: "bbbbbbbbbbbb", Owner: "bob@b", PID: 2, Started: time.Now()}
	order := s.run().AllHosts()
	var mu sync.Mutex
	calls := map[string]int{}
	s.cl.BeforeOp = func(host string, op hostopstest.Op) {
		mu.Lock()
		calls[host]++
		n := calls[host]
		mu.Unlock()
		// The first lock call on the first host is slow (that applier
		// loses the race there), and so are releases.
		if op == hostopstest.OpLock && host == order[0] && n == 1 || op == hostopstest.OpUnlock {
			time.Sleep(100 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, info := range []apply.LockInfo{a, b} {
		c := s.run()
		wg.Go(func() { _, errs[i] = apply.Lock(context.Background(), c.AllHosts(), c, 0, info) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, apply.ErrLockHeld) || !strings.Contains(err.Error(), "owner="):
			t.Errorf("applier %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d appliers got the lock (errors %v), want exactly 1", won, errs)
	}
	winner := a.ID
	if errs[0] != nil {
		winner = b.ID
	}
	for _, hn := range s.cl.Hosts() {
		if l := s.cl.Host(hn).Lock; !strings.Contains(l, "id="+winner) {
			t.Errorf("%s: lock = %q, want the winner's", hn, l)
		}
	}
}

// TestFaultAfterIsNotRepeated: an operation that took effect but whose
// reply was lost is seen by the next plan as done: a package install that
// "failed" after installing is not planned again.
func TestFaultAfterIsNotRepeated(t *testing.T) {
	s := newSim(t, loadExample(t, "ha-nginx"))
	_, _, err, _ := s.apply(func() {
		s.cl.Fail("web2", s.cl.Ops("web2")+1, hostopstest.After) // the package install
	})
	if err == nil || !strings.Contains(err.Error(), "web2") {
		t.Fatalf("apply: %v, want a failure on web2", err)
	}
	s.cl.Heal()
	for _, c := range s.plan().Host("web2").Changes {
		if c.Kind == plan.KindPackage {
			t.Errorf("the install that took effect is planned again: %s %s", c.Action, c.Key)
		}
	}
}

// threeNodes is lab A with a third member; members is its member list.
func threeNodes(members string) string {
	return `
host "web1" {
  interface "ens33" { addresses = ["192.168.19.101/24"] }
}
host "web2" {
  interface "ens33" { addresses = ["192.168.19.102/24"] }
}
host "web3" {
  interface "ens33" { addresses = ["192.168.19.103/24"] }
}
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = ["192.168.19.100"]
` + members + `
}
`
}

func loadHCL(t *testing.T, src string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cluster.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.NewLoader().Load(dir, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// TestRemoveMemberStopsBeforeDelete (issue 18): a member dropped from an
// instance has keepalived stopped before its keepalived.conf is removed —
// Debian's init script stops nothing once the file is gone — and apply
// checks that it stopped.
func TestRemoveMemberStopsBeforeDelete(t *testing.T) {
	three := `  member "web1" { priority = 100 }
  member "web2" { priority = 90 }
  member "web3" { priority = 80 }`
	s := newSim(t, loadHCL(t, threeNodes(three)))
	if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
		t.Fatalf("first apply: %v / %v", err, uerr)
	}
	web3 := s.cl.Host("web3")
	web3.StopNeeds["keepalived"] = "/etc/keepalived/keepalived.conf"
	if !web3.Services["keepalived"].Active {
		t.Fatal("keepalived does not run on web3")
	}
	s.cfg = loadHCL(t, threeNodes(`  member "web1" { priority = 100 }
  member "web2" { priority = 90 }`))
	p, _, err, uerr := s.apply(nil)
	if err != nil || uerr != nil {
		t.Fatalf("apply without web3: %v / %v", err, uerr)
	}
	var steps []string
	for _, c := range p.Host("web3").Changes {
		steps = append(steps, string(c.Step())+": "+string(c.Action)+" "+c.Key)
	}
	if len(steps) < 2 || steps[0] != "stop services: delete keepalived" {
		t.Errorf("web3's plan does not stop keepalived first: %q", steps)
	}
	if svc := web3.Services["keepalived"]; svc.Active || svc.Enabled {
		t.Errorf("keepalived on web3: %+v, want stopped and disabled", svc)
	}
	if _, ok := web3.Files["/etc/keepalived/keepalived.conf"]; ok {
		t.Error("web3's keepalived.conf is still there")
	}
	if p := s.plan(); !p.Empty() {
		t.Errorf("not converged: %v", changes(p))
	}
}

// TestAddVIPReloadsTogether (issue 18): adding a VIP to a converged pair
// changes what both members advertise; the plan groups their keepalived
// reloads, and apply reloads them only once both files are in place.
func TestAddVIPReloadsTogether(t *testing.T) {
	two := func(vips string) string {
		return `
host "web1" {
  interface "ens33" { addresses = ["192.168.19.101/24"] }
}
host "web2" {
  interface "ens33" { addresses = ["192.168.19.102/24"] }
}
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  virtual_ips       = [` + vips + `]
  member "web1" { priority = 100 }
  member "web2" { priority = 90 }
}
`
	}
	s := newSim(t, loadHCL(t, two(`"192.168.19.100"`)))
	if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
		t.Fatalf("first apply: %v / %v", err, uerr)
	}
	s.cfg = loadHCL(t, two(`"192.168.19.100", "192.168.19.99"`))
	before := map[string]int{"web1": s.cl.Ops("web1"), "web2": s.cl.Ops("web2")}
	p, _, err, uerr := s.apply(nil)
	if err != nil || uerr != nil {
		t.Fatalf("apply: %v / %v", err, uerr)
	}
	for _, h := range []string{"web1", "web2"} {
		hp := p.Host(h)
		if len(hp.Effects) != 1 || len(hp.Effects[0].With) != 1 || hp.Disruption.Class != plan.DisruptionReload {
			t.Errorf("%s: effects %+v, disruption %v", h, hp.Effects, hp.Disruption)
		}
	}
	// Both keepalived.conf writes come before either reload.
	lastWrite, firstReload, reloads := -1, 1<<30, 0
	for _, h := range []string{"web2", "web1"} {
		for _, e := range s.cl.Log(h)[before[h]:] {
			switch {
			case e.Op == hostopstest.OpWriteFile && e.Detail == "/etc/keepalived/keepalived.conf":
				lastWrite = max(lastWrite, e.Seq)
			case e.Op == hostopstest.OpSystemctl && e.Detail == "reload keepalived":
				firstReload = min(firstReload, e.Seq)
				reloads++
			}
		}
	}
	if reloads != 2 {
		t.Errorf("%d keepalived reloads, want one per member", reloads)
	}
	if lastWrite < 0 || firstReload == 1<<30 || firstReload < lastWrite {
		t.Errorf("a reload came before the last keepalived.conf write (write %d, reload %d)", lastWrite, firstReload)
	}
	if v := s.cl.VIPs(); len(v) != 2 {
		t.Errorf("VIPs = %v", v)
	}
	if p := s.plan(); !p.Empty() {
		t.Errorf("not converged: %v", changes(p))
	}
}

// TestRollbackAfterFailedGate (issue 18): a change that keepalived -t
// accepts but that fails at run time — the new master is in FAULT (its
// tracked script fails) — fails its gate; apply restores the host's
// previous keepalived.conf from its backup, reloads keepalived, sees the
// cluster as before, and says so. With NoRollback it leaves the host as
// the failed gate found it.
func TestRollbackAfterFailedGate(t *testing.T) {
	for _, noRollback := range []bool{false, true} {
		t.Run(fmt.Sprintf("no-rollback=%v", noRollback), func(t *testing.T) {
			s := newSim(t, loadHCL(t, prioHCL(100, 90)))
			if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
				t.Fatalf("first apply: %v / %v", err, uerr)
			}
			before := string(s.cl.Host("web2").Files["/etc/keepalived/keepalived.conf"].Content)
			s.cl.Host("web2").Fault = true
			s.cfg = loadHCL(t, prioHCL(100, 110))
			c := s.run()
			ctx := context.Background()
			p, err := c.Plan(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := p.Disruption(); d.Class != plan.DisruptionVIPMove {
				t.Errorf("plan disruption = %v, want vip-move", d)
			}
			opts := fastOptions()
			opts.NoRollback = noRollback
			res, err := apply.Run(ctx, p, c, opts)
			if !errors.Is(err, apply.ErrGate) || !strings.Contains(err.Error(), "expected on web2") {
				t.Fatalf("err = %v, want the failed gate", err)
			}
			after := string(s.cl.Host("web2").Files["/etc/keepalived/keepalived.conf"].Content)
			if noRollback {
				if after == before || len(res.RolledBack) != 0 || strings.Contains(err.Error(), "rolled back") {
					t.Errorf("rolled back although asked not to: %v %v", res.RolledBack, err)
				}
				return
			}
			if after != before {
				t.Errorf("web2's keepalived.conf was not restored:\n%s", after)
			}
			if fmt.Sprint(res.RolledBack) != "[web2]" || !res.RollbackSettled ||
				!strings.Contains(err.Error(), "rolled back: web2: restored /etc/keepalived/keepalived.conf, keepalived reloaded; the cluster is as before") {
				t.Errorf("result %+v, err:\n%v", res, err)
			}
			if v := s.cl.VIPs(); fmt.Sprint(v) != "map[192.168.19.100:[web1]]" {
				t.Errorf("VIPs after the rollback = %v", v)
			}
		})
	}
}

// prioHCL is a pair with the given priorities.
func prioHCL(p1, p2 int) string {
	return fmt.Sprintf(`
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
  member "web1" { priority = %d }
  member "web2" { priority = %d }
}
`, p1, p2)
}

// TestUnicastJoinerStartsAfterPeers (issue 18): a member joining a
// unicast instance changes its peers' unicast_peer lists; their reloads
// are grouped, and the joiner's keepalived starts only after them.
func TestUnicastJoinerStartsAfterPeers(t *testing.T) {
	uc := func(members string) string {
		return `
host "web1" {
  interface "ens33" { addresses = ["192.168.19.101/24"] }
}
host "web2" {
  interface "ens33" { addresses = ["192.168.19.102/24"] }
}
host "web3" {
  interface "ens33" { addresses = ["192.168.19.103/24"] }
}
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
  unicast           = true
  virtual_ips       = ["192.168.19.100"]
` + members + `
}
`
	}
	two := "  member \"web1\" { priority = 100 }\n  member \"web2\" { priority = 90 }"
	s := newSim(t, loadHCL(t, uc(two)))
	if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
		t.Fatalf("first apply: %v / %v", err, uerr)
	}
	s.cfg = loadHCL(t, uc(two+"\n  member \"web3\" { priority = 80 }"))
	before := map[string]int{}
	for _, h := range s.cl.Hosts() {
		before[h] = s.cl.Ops(h)
	}
	if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
		t.Fatalf("apply: %v / %v", err, uerr)
	}
	lastReload, start := 0, 0
	for _, h := range s.cl.Hosts() {
		for _, e := range s.cl.Log(h)[before[h]:] {
			switch {
			case e.Op == hostopstest.OpSystemctl && e.Detail == "reload keepalived":
				lastReload = max(lastReload, e.Seq)
			case e.Op == hostopstest.OpSystemctl && e.Detail == "start keepalived" && h == "web3":
				start = e.Seq
			}
		}
	}
	if lastReload == 0 || start == 0 || start < lastReload {
		t.Errorf("web3 started keepalived (op %d) before its peers' reload (op %d)", start, lastReload)
	}
	if p := s.plan(); !p.Empty() {
		t.Errorf("not converged: %v", changes(p))
	}
}

// TestVRIDChangeBootstrap (issue 18): a VRID change on a live pair is
// staged with the master at priority 255, reloaded with its peer, then
// written as planned and reloaded alone; the plan announces a reload.
func TestVRIDChangeBootstrap(t *testing.T) {
	vrid := func(id int) string {
		return strings.Replace(prioHCL(100, 90), "virtual_router_id = 51", fmt.Sprintf("virtual_router_id = %d", id), 1)
	}
	s := newSim(t, loadHCL(t, vrid(51)))
	if _, _, err, uerr := s.apply(nil); err != nil || uerr != nil {
		t.Fatalf("first apply: %v / %v", err, uerr)
	}
	s.cfg = loadHCL(t, vrid(61))
	before := s.cl.Ops("web1")
	p, _, err, uerr := s.apply(nil)
	if err != nil || uerr != nil {
		t.Fatalf("apply: %v / %v", err, uerr)
	}
	if d := p.Disruption(); d.Class != plan.DisruptionReload || !strings.Contains(d.Reason, "priority 255") {
		t.Errorf("plan disruption = %v", d)
	}
	if p.Host("web1").Bootstrap == nil || p.Host("web2").Bootstrap != nil {
		t.Fatal("the bootstrap is not on the master alone")
	}
	var writes, reloads int
	for _, e := range s.cl.Log("web1")[before:] {
		switch {
		case e.Op == hostopstest.OpWriteFile && e.Detail == "/etc/keepalived/keepalived.conf":
			writes++
		case e.Op == hostopstest.OpSystemctl && e.Detail == "reload keepalived":
			reloads++
		}
	}
	if writes != 2 || reloads != 2 {
		t.Errorf("web1: %d keepalived.conf writes and %d reloads, want 2 and 2", writes, reloads)
	}
	if c := string(s.cl.Host("web1").Files["/etc/keepalived/keepalived.conf"].Content); strings.Contains(c, "priority 255") || !strings.Contains(c, "virtual_router_id 61") {
		t.Errorf("web1's final keepalived.conf:\n%s", c)
	}
	if v := s.cl.VIPs(); fmt.Sprint(v) != "map[192.168.19.100:[web1]]" {
		t.Errorf("VIPs = %v", v)
	}
	if p := s.plan(); !p.Empty() {
		t.Errorf("not converged: %v", changes(p))
	}
}
