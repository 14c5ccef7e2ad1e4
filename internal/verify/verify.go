package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/remote"
)

// Cluster is what verify needs from a session: one reusable connection per
// host and a host's facts. *engine.Session implements it.
type Cluster interface {
	// Conn is the run's connection to host, for the read-only probe and
	// curl.
	Conn(ctx context.Context, host string) (remote.Conn, error)
	// Open gives host's operations, for stopping and starting services.
	Open(ctx context.Context, host string) (hostops.Host, error)
	GatherHost(ctx context.Context, host string) (*facts.Host, error)
}

// ClientLocal is Options.Client for requests sent by clusterctl's own
// process.
const ClientLocal = "local"

// Options configure a run. Zero values take the defaults in brackets.
type Options struct {
	// Client is where the test requests come from: ClientLocal
	// (clusterctl's process, with net/http) or the name of a host of the
	// configuration (curl run there over its connection). ["local"]
	Client string
	// SkipFailover runs only the traffic test (nothing on the cluster is
	// stopped), for clusters in production.
	SkipFailover bool
	// Requests is how many requests are sent per address, each on a new
	// TCP connection. [10]
	Requests int
	// RequestTimeout bounds one request. [3s]
	RequestTimeout time.Duration
	// PollInterval is how often the hosts are probed while waiting for a
	// VIP to move or a process to come back. [200ms]
	PollInterval time.Duration
	// TimeUnit is the length of the "second" in the bounds derived from
	// advert_int and check intervals (3*advert_int+3 s for a takeover
	// ...). Tests shrink it. [1s]
	TimeUnit time.Duration
	// CleanupTimeout bounds each group of cleanups. [2m]
	CleanupTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.Client == "" {
		o.Client = ClientLocal
	}
	if o.Requests <= 0 {
		o.Requests = 10
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 3 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.TimeUnit <= 0 {
		o.TimeUnit = time.Second
	}
	if o.CleanupTimeout <= 0 {
		o.CleanupTimeout = 2 * time.Minute
	}
}

// Status is a step's outcome.
type Status string

// Step outcomes. A skipped step says why in its details; it does not fail
// the run.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Step is one test step or one cleanup action.
type Step struct {
	Name     string
	Status   Status
	Duration time.Duration
	// Details are one-line findings, e.g. "VIP 192.168.19.100 moved web1 →
	// web2 in 1.1s (bound 6s)", or the reason for a skip or failure.
	Details []string
}

func (s *Step) detailf(format string, a ...any) {
	s.Details = append(s.Details, fmt.Sprintf(format, a...))
}

func (s *Step) skip(format string, a ...any) {
	s.Status = Skip
	s.detailf(format, a...)
}

// Result is the outcome of a run.
type Result struct {
	Steps    []Step
	Duration time.Duration
}

// Failed reports whether any step failed.
func (r Result) Failed() bool {
	for _, s := range r.Steps {
		if s.Status == Fail {
			return true
		}
	}
	return false
}

// Count returns how many steps ended with status st.
func (r Result) Count(st Status) int {
	n := 0
	for _, s := range r.Steps {
		if s.Status == st {
			n++
		}
	}
	return n
}

// Reporter receives steps as they run. Begin is called when a step starts
// (cleanups are reported only when they did something, through End alone).
type Reporter interface {
	Begin(name string)
	End(s Step)
}

// ErrUnknownClient: Options.Client is neither "local" nor a host of the
// configuration.
var ErrUnknownClient = errors.New("unknown client")

// Run runs the tests against cl, reporting each step to rep, and returns
// every step. It returns an error only for invalid options or when ctx
// was cancelled (after the cleanups ran); failed steps are in the Result.
func Run(ctx context.Context, cfg *config.Config, cl Cluster, opts Options, rep Reporter) (Result, error) {
	opts.setDefaults()
	if opts.Client != ClientLocal {
		if _, ok := cfg.Hosts[opts.Client]; !ok {
			return Result{}, fmt.Errorf("%w %q: want %q or a host of the configuration", ErrUnknownClient, opts.Client, ClientLocal)
		}
	}
	r := &runner{cfg: cfg, cl: cl, opts: opts, rep: rep, masters: map[string]string{}}
	start := time.Now()
	if !opts.SkipFailover {
		r.failoverTests(ctx)
	}
	if ctx.Err() == nil {
		r.trafficTests(ctx)
	}
	r.res.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		return r.res, fmt.Errorf("verify interrupted: %w", err)
	}
	return r.res, nil
}

// runner holds one run's state.
type runner struct {
	cfg  *config.Config
	cl   Cluster
	opts Options
	rep  Reporter
	res  Result
	// masters maps each instance to the member found holding its VIPs by
	// the precondition: the MASTER the failover steps act on.
	masters map[string]string
}

// step runs fn as the step name and reports it. fn sets the status (Pass
// by default) and details; an error fails the step and becomes its last
// detail. It returns the step's status.
func (r *runner) step(ctx context.Context, name string, fn func(ctx context.Context, st *Step) error) Status {
	r.rep.Begin(name)
	st := Step{Name: name, Status: Pass}
	start := time.Now()
	if err := fn(ctx, &st); err != nil {
		st.Status = Fail
		st.detailf("%v", err)
	}
	st.Duration = time.Since(start)
	r.res.Steps = append(r.res.Steps, st)
	r.rep.End(st)
	return st.Status
}

// skipStep reports a step that does not run.
func (r *runner) skipStep(name, format string, a ...any) {
	r.step(context.Background(), name, func(_ context.Context, st *Step) error {
		st.skip(format, a...)
		return nil
	})
}

// cleanup puts back something a step changed. It reports whether it had
// to act; a cleanup that found nothing to do is not reported.
type cleanup struct {
	name string
	fn   func(ctx context.Context, st *Step) (acted bool, err error)
}

// withCleanups runs body and then, in reverse order, every cleanup body
// registered, even when body failed or ctx was cancelled: the cleanups
// get a context that ignores ctx's cancellation, bounded by
// CleanupTimeout.
func (r *runner) withCleanups(ctx context.Context, body func(ctx context.Context, later func(cleanup))) {
	var stack []cleanup
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.CleanupTimeout)
		defer cancel()
		for i := len(stack) - 1; i >= 0; i-- {
			c := stack[i]
			st := Step{Name: "cleanup: " + c.name, Status: Pass}
			start := time.Now()
			acted, err := c.fn(cctx, &st)
			if err != nil {
				st.Status = Fail
				st.detailf("%v", err)
			}
			if !acted && err == nil {
				continue
			}
			st.Duration = time.Since(start)
			r.res.Steps = append(r.res.Steps, st)
			r.rep.End(st)
		}
	}()
	body(ctx, func(c cleanup) { stack = append(stack, c) })
}

// errTimeout is poll's error when the bound passed.
var errTimeout = errors.New("timed out")

// poll calls check every PollInterval until it reports done or fails, or
// bound has passed since start. It returns the time from start to the
// end of the successful check. check sees each observation; the caller
// keeps the last one to explain a timeout.
func (r *runner) poll(ctx context.Context, start time.Time, bound time.Duration, check func(ctx context.Context) (bool, error)) (time.Duration, error) {
	deadline := start.Add(bound)
	for {
		done, err := check(ctx)
		if err != nil {
			return time.Since(start), err
		}
		if done {
			return time.Since(start), nil
		}
		now := time.Now()
		if !now.Before(deadline) {
			return time.Since(start), errTimeout
		}
		wait := min(r.opts.PollInterval, deadline.Sub(now))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return time.Since(start), ctx.Err()
		case <-t.C:
		}
	}
}

// seconds is n of the run's time units.
func (r *runner) seconds(n int) time.Duration { return time.Duration(n) * r.opts.TimeUnit }

// systemctl runs one systemctl action on host's unit; it must succeed.
func (r *runner) systemctl(ctx context.Context, host string, action hostops.ServiceAction, unit string) error {
	ops, err := r.cl.Open(ctx, host)
	if err != nil {
		return fmt.Errorf("%s: %w", host, err)
	}
	if err := ops.Systemctl(ctx, action, unit); err != nil {
		return fmt.Errorf("%s: %w", host, err)
	}
	return nil
}

// secs formats d as seconds with one decimal, e.g. "1.1s".
func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
