package apply

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// cluster is a set of fake hosts that behave like a keepalived cluster:
// `systemctl start keepalived` starts keepalived on a host, and the VIP of
// every VRRP instance is on the running member with the highest priority
// (unless vipNever), as `ip -o addr show` reports.
type cluster struct {
	t       *testing.T
	cfg     *config.Config
	desired map[string]*resource.Host
	fakes   map[string]*remote.Fake
	clock   *fakeClock

	mu       sync.Mutex
	running  map[string]bool
	vipNever bool
	// vipOnLo hosts also carry every VIP on lo, as a DR real server does.
	vipOnLo map[string]bool
}

// newCluster loads an example and gives each of its hosts a fake with the
// default behaviour: every command succeeds silently.
func newCluster(t *testing.T, example string) *cluster {
	t.Helper()
	cfg, diags := config.NewLoader().Load("../../examples/lab-19.x/"+example, config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	c := &cluster{t: t, cfg: cfg, fakes: map[string]*remote.Fake{}, running: map[string]bool{},
		clock: &fakeClock{now: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}}
	for _, name := range cfg.HostNames() {
		f := remote.NewFake(name)
		f.HandleDefault(func(remote.Cmd) (remote.Result, error) { return remote.Result{}, nil })
		f.Handle("systemctl start keepalived", func(remote.Cmd) (remote.Result, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.running[name] = true
			return remote.Result{}, nil
		})
		f.Handle("systemctl is-active keepalived", func(remote.Cmd) (remote.Result, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.running[name] {
				return remote.Result{Stdout: []byte("active\n")}, nil
			}
			return remote.Result{Stdout: []byte("inactive\n"), ExitCode: 3}, nil
		})
		f.Handle("rm -f ", func(cmd remote.Cmd) (remote.Result, error) {
			for _, p := range strings.Fields(strings.TrimPrefix(cmd.Command, "rm -f ")) {
				f.RemoveFile(strings.Trim(p, "'"))
			}
			return remote.Result{}, nil
		})
		// hostops' WriteFile command: the file lands at its path with its
		// final mode (its stages are tested on a real shell in hostops).
		f.Handle("t=", func(cmd remote.Cmd) (remote.Result, error) {
			m := writeFileRE.FindStringSubmatch(cmd.Command)
			if m == nil {
				t.Errorf("not a WriteFile command: %s", cmd.Command)
				return remote.Result{ExitCode: 2}, nil
			}
			mode, _ := strconv.ParseUint(m[3], 8, 32)
			f.SetFile(strings.Trim(m[2], "'"), cmd.Stdin, fs.FileMode(mode))
			return remote.Result{}, nil
		})
		f.Handle("ip -o addr show", func(remote.Cmd) (remote.Result, error) {
			return remote.Result{Stdout: []byte(c.ipAddr(name))}, nil
		})
		c.fakes[name] = f
	}
	desired, err := render.Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.desired = desired
	t.Cleanup(func() { assertNeverFlushed(t, c.fakes) })
	return c
}

// writeFileRE matches hostops' WriteFile command: temporary file, target,
// mode.
var writeFileRE = regexp.MustCompile(`^t=(\S+) p=(\S+); .* chmod ([0-7]+) "\$t"`)

// ipAddr is `ip -o addr show` of host: its configured addresses and the
// VIPs it holds.
func (c *cluster) ipAddr(host string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	b.WriteString("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n")
	for _, p := range c.cfg.Hosts[host].Addrs() {
		fmt.Fprintf(&b, "2: ens33    inet %s scope global ens33\\       valid_lft forever preferred_lft forever\n", p)
	}
	if c.vipOnLo[host] {
		for _, inst := range c.cfg.VRRPInstances {
			for _, vip := range inst.VirtualIPs {
				fmt.Fprintf(&b, "1: lo    inet %s/32 scope global lo\\       valid_lft forever preferred_lft forever\n", vip.Addr())
			}
		}
	}
	if c.vipNever {
		return b.String()
	}
	for _, name := range c.cfg.VRRPInstanceNames() {
		inst := c.cfg.VRRPInstances[name]
		holder, best := "", -1
		for _, m := range inst.Members {
			if c.running[m.Host] && m.Priority > best {
				holder, best = m.Host, m.Priority
			}
		}
		if holder != host {
			continue
		}
		for _, vip := range inst.VirtualIPs {
			fmt.Fprintf(&b, "2: ens33    inet %s/32 scope global ens33\\       valid_lft forever preferred_lft forever\n", vip.Addr())
		}
	}
	return b.String()
}

// freshFacts are the facts of a host with nothing installed.
func freshFacts() *facts.Host {
	return &facts.Host{
		PackageManager: "apt",
		Packages:       map[string]string{},
		Services:       map[string]facts.ServiceState{},
		Sysctls:        map[string]string{},
		Modules:        map[string]bool{},
		Files:          map[string]facts.FileFact{},
		IPVSStatus:     facts.Status{State: facts.StatusOK},
		NATStatus:      facts.Status{State: facts.StatusOK},
	}
}

// hosts opens each host's operations over its fake.
func (c *cluster) hosts() Hosts {
	return HostsFunc(func(_ context.Context, host string) (hostops.Host, error) {
		f, ok := c.fakes[host]
		if !ok {
			return nil, fmt.Errorf("no fake for %s", host)
		}
		return hostops.New(f), nil
	})
}

// order is every host in apply order.
func (c *cluster) order() []string {
	var out []string
	for _, st := range plan.Order(c.cfg) {
		out = append(out, st.Host)
	}
	return out
}

// planFresh plans every host from the facts of a fresh host.
func (c *cluster) planFresh() *plan.Plan {
	c.t.Helper()
	topo, err := plan.TopologyOf(c.cfg, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	inputs := map[string]plan.Input{}
	for _, st := range topo.Hosts {
		f := freshFacts()
		inputs[st.Host] = plan.Input{Desired: c.desired[st.Host], Observed: plan.FromFacts(f), Fingerprint: facts.Fingerprint(f)}
	}
	p, err := plan.Build(topo, inputs, secret.New(c.cfg.Secrets()...), []byte("salt"))
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *cluster) options() Options {
	return Options{Now: c.clock.Now, Sleep: c.clock.Sleep, GateTimeout: 5 * time.Second}
}

// fakeClock is a clock that moves only when someone sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  time.Duration
	sleeps int
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept += d
	c.sleeps++
}

var tmpRE = regexp.MustCompile(`\.[0-9a-f]{12}\.tmp`)

// transcript is the transcript of every host in order, random temporary
// names replaced by RANDOM.
func (c *cluster) transcript(hosts ...string) string {
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "== %s ==\n", h)
		b.WriteString(tmpRE.ReplaceAllString(c.fakes[h].Transcript(), ".RANDOM.tmp"))
	}
	return b.String()
}

// assertNeverFlushed checks that no command ever flushed IPVS.
func assertNeverFlushed(t *testing.T, fakes map[string]*remote.Fake) {
	t.Helper()
	for name, f := range fakes {
		for _, op := range f.Log() {
			if op.Kind != remote.OpRun || !strings.Contains(op.Cmd.Command, "ipvsadm") {
				continue
			}
			flush := strings.Contains(op.Cmd.Command, "ipvsadm -C") || strings.Contains(op.Cmd.Command, "ipvsadm --clear")
			for _, l := range strings.Split(string(op.Cmd.Stdin), "\n") {
				flush = flush || strings.HasPrefix(l, "-C") || strings.HasPrefix(l, "--clear")
			}
			if flush {
				t.Errorf("%s: IPVS flushed: %s", name, op)
			}
		}
	}
}

// commands returns the commands run on a fake, with RANDOM temp names.
func commands(f *remote.Fake) []string {
	var out []string
	for _, c := range f.Commands() {
		out = append(out, tmpRE.ReplaceAllString(c, ".RANDOM.tmp"))
	}
	return out
}

func containsCommand(f *remote.Fake, substr string) bool {
	for _, c := range f.Commands() {
		if strings.Contains(c, substr) {
			return true
		}
	}
	return false
}

// recorder is a Reporter that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}
