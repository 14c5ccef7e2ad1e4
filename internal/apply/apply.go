package apply

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/engine"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Options tune an apply.
type Options struct {
	// DrainTimeout, when > 0, drains a real server before deleting it:
	// weight 0, then wait up to this long for its active connections to
	// end.
	DrainTimeout time.Duration
	// GateTimeout bounds the wait, after each director, for keepalived to
	// run and every VIP to be held by exactly one node (default 30 s).
	GateTimeout time.Duration
	// Reporter receives progress events; nil discards them.
	Reporter Reporter
	// Now and Sleep replace the clock in tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration)
}

// Result says what an apply did.
type Result struct {
	Summary plan.Summary
	// Done are the hosts fully applied; Failed the host that failed (if
	// any); NotStarted the hosts never touched.
	Done       []string
	Failed     string
	NotStarted []string
}

type applier struct {
	s        *engine.Session
	p        *plan.Plan
	gathered map[string]engine.HostFacts
	opts     Options

	mu     sync.Mutex
	result Result
}

func (a *applier) now() time.Time { return a.opts.Now() }

func (a *applier) sleep(ctx context.Context, d time.Duration) { a.opts.Sleep(ctx, d) }

func (a *applier) report(e Event) {
	if a.opts.Reporter == nil {
		return
	}
	e.Message = a.s.Masker.String(e.Message)
	a.opts.Reporter.Report(e)
}

// Run applies p to the session's hosts using the facts p was made from.
// The rollout order, in one place:
//
//  1. real servers and plain hosts, in parallel (bounded);
//  2. BACKUP directors, one at a time; after each, keepalived must run
//     and every VIP be held by exactly one node (the gate);
//  3. the MASTER director(s), one at a time, gated the same way.
//
// A failure stops the rollout before the next host; the Result says what
// was done and what was not. Cancelling ctx stops between steps.
func Run(ctx context.Context, s *engine.Session, p *plan.Plan, gathered map[string]engine.HostFacts, opts Options) (Result, error) {
	if opts.GateTimeout == 0 {
		opts.GateTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if !p.Applyable() {
		return Result{}, errors.New("the plan has errors and cannot be applied")
	}
	a := &applier{s: s, p: p, gathered: gathered, opts: opts}

	var first, directors []plan.Step
	for _, st := range s.Steps {
		if a.p.Host(st.Host) == nil {
			continue
		}
		if st.Role == plan.RoleRealServer || st.Role == plan.RoleHost {
			first = append(first, st)
		} else {
			directors = append(directors, st)
		}
	}
	pending := func(from []plan.Step) {
		for _, st := range from {
			a.result.NotStarted = append(a.result.NotStarted, st.Host)
		}
	}

	// 1. Real servers and plain hosts in parallel.
	if err := a.parallel(ctx, first); err != nil {
		pending(directors)
		return a.result, err
	}
	// 2 and 3. Directors one at a time, BACKUPs before the MASTER (Order
	// sorted them), each gated.
	for i, st := range directors {
		if err := ctx.Err(); err != nil {
			pending(directors[i:])
			return a.result, fmt.Errorf("interrupted before %s: %w", st.Host, err)
		}
		changed, err := a.host(ctx, st)
		if err != nil {
			pending(directors[i+1:])
			return a.result, err
		}
		if !changed {
			continue
		}
		if err := a.gate(ctx, st.Host); err != nil {
			pending(directors[i+1:])
			return a.result, fmt.Errorf("%s: stopped the rollout after this director: %w", st.Host, err)
		}
	}
	return a.result, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (a *applier) parallel(ctx context.Context, steps []plan.Step) error {
	names := make([]string, len(steps))
	for i, st := range steps {
		names[i] = st.Host
	}
	return remote.ForEach(ctx, names, a.s.Parallelism(), func(ctx context.Context, i int) error {
		_, err := a.host(ctx, steps[i])
		var he *hostError
		if errors.As(err, &he) {
			return he.err // ForEach prefixes the host
		}
		return err
	})
}

// hostError is a failure on one host, already attributed.
type hostError struct {
	host string
	err  error
}

func (e *hostError) Error() string { return e.host + ": " + e.err.Error() }
func (e *hostError) Unwrap() error { return e.err }

// host applies one host's plan; changed reports whether it had changes.
func (a *applier) host(ctx context.Context, st plan.Step) (changed bool, err error) {
	hp := a.p.Host(st.Host)
	g := a.gathered[st.Host]
	if g.Facts == nil {
		return false, &hostError{st.Host, errors.New("no facts gathered")}
	}
	if len(hp.Changes) == 0 && len(hp.Effects) == 0 {
		a.mu.Lock()
		a.result.Done = append(a.result.Done, st.Host)
		a.mu.Unlock()
		return false, nil
	}
	conn, err := a.s.Conn(ctx, st.Host)
	if err != nil {
		a.fail(st.Host)
		return true, &hostError{st.Host, err}
	}
	h := &hostApplier{a: a, host: st.Host, run: runner{conn: conn, mask: a.s.Masker}, hp: hp, desired: a.s.Desired[st.Host], observed: g.Facts}
	a.report(Event{Host: st.Host, Step: "apply", Status: StatusStart, Message: st.Role})
	start := a.now()
	err = h.apply(ctx)
	a.mu.Lock()
	a.result.Summary.Add += h.done.Add
	a.result.Summary.Change += h.done.Change
	a.result.Summary.Destroy += h.done.Destroy
	a.mu.Unlock()
	if err != nil {
		a.fail(st.Host)
		return true, &hostError{st.Host, err}
	}
	a.mu.Lock()
	a.result.Done = append(a.result.Done, st.Host)
	a.mu.Unlock()
	a.report(Event{Host: st.Host, Step: "apply", Status: StatusDone, Elapsed: a.now().Sub(start)})
	return true, nil
}

func (a *applier) fail(host string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.result.Failed == "" {
		a.result.Failed = host
	}
}

// ErrGate is returned when a director does not settle after its apply.
var ErrGate = errors.New("cluster did not settle")

// gate waits until keepalived runs on host (when it should) and every VIP
// of every VRRP instance host belongs to is held by exactly one member —
// the member that should be MASTER when every member is up and preemption
// applies.
func (a *applier) gate(ctx context.Context, host string) error {
	cfg := a.s.Config
	var instances []*config.VRRPInstance
	for _, name := range cfg.VRRPInstanceNames() {
		if inst := cfg.VRRPInstances[name]; inst.MemberFor(host) != nil {
			instances = append(instances, inst)
		}
	}
	runsKeepalived := false
	for _, svc := range a.s.Desired[host].Services {
		if svc.Name == "keepalived" {
			runsKeepalived = true
		}
	}
	if !runsKeepalived && len(instances) == 0 {
		return nil
	}
	start := a.now()
	deadline := start.Add(a.opts.GateTimeout)
	a.report(Event{Host: host, Step: "gate", Status: StatusStart})
	var last error
	for {
		last = a.checkGate(ctx, host, runsKeepalived, instances)
		if last == nil {
			a.report(Event{Host: host, Step: "gate", Status: StatusDone, Elapsed: a.now().Sub(start), Message: "keepalived running, each VIP held by one node"})
			return nil
		}
		if ctx.Err() != nil || !a.now().Before(deadline) {
			a.report(Event{Host: host, Step: "gate", Status: StatusFailed, Elapsed: a.now().Sub(start), Message: last.Error()})
			return fmt.Errorf("%w after %s: %w", ErrGate, a.opts.GateTimeout, last)
		}
		a.sleep(ctx, 500*time.Millisecond)
	}
}

func (a *applier) checkGate(ctx context.Context, host string, runsKeepalived bool, instances []*config.VRRPInstance) error {
	if runsKeepalived {
		conn, err := a.s.Conn(ctx, host)
		if err != nil {
			return err
		}
		res, err := conn.Run(ctx, remote.Cmd{Command: "systemctl is-active keepalived", Sudo: true})
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("keepalived is not running on %s (%s)", host, strings.TrimSpace(string(res.Stdout)))
		}
	}
	for _, inst := range instances {
		holders := map[netip.Addr][]string{}
		for _, m := range inst.Members {
			addrs, err := a.addresses(ctx, m.Host)
			if err != nil {
				return fmt.Errorf("read addresses of %s: %w", m.Host, err)
			}
			for _, vip := range inst.VirtualIPs {
				if resource.HoldsVIP(addrs, inst.Interface, vip.Addr()) {
					holders[vip.Addr()] = append(holders[vip.Addr()], m.Host)
				}
			}
		}
		for _, vip := range inst.VirtualIPs {
			hs := holders[vip.Addr()]
			switch {
			case len(hs) == 0:
				return fmt.Errorf("%s: no node holds VIP %s", inst.Name, vip.Addr())
			case len(hs) > 1:
				return fmt.Errorf("%s: split brain: VIP %s is held by %s", inst.Name, vip.Addr(), strings.Join(hs, " and "))
			}
			// With nopreempt or preempt_delay the highest priority need not
			// hold the VIPs yet; exactly one holder is enough then.
			if want := inst.Master(); !inst.Nopreempt && inst.PreemptDelay == 0 && want != nil && hs[0] != want.Host && want.Host == host {
				return fmt.Errorf("%s: VIP %s is on %s, expected on %s (highest priority)", inst.Name, vip.Addr(), hs[0], want.Host)
			}
		}
	}
	return nil
}

// addresses returns the addresses configured on host (`ip -o addr show`),
// read the way facts reads them; who holds a VIP is decided by
// resource.HoldsVIP, as status and verify decide it.
func (a *applier) addresses(ctx context.Context, host string) ([]resource.Address, error) {
	conn, err := a.s.Conn(ctx, host)
	if err != nil {
		return nil, err
	}
	res, err := conn.Run(ctx, remote.Cmd{Command: "ip -o addr show"})
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("ip -o addr show: exit %d", res.ExitCode)
	}
	return facts.ParseAddrs(res.Stdout)
}
