package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Hosts opens the operations of a host by name. The pipeline passes its
// connection pool (one connection per host, dialled once); tests pass
// fakes.
type Hosts interface {
	Open(ctx context.Context, host string) (hostops.Host, error)
}

// HostsFunc adapts a function to Hosts.
type HostsFunc func(ctx context.Context, host string) (hostops.Host, error)

// Open implements Hosts.
func (f HostsFunc) Open(ctx context.Context, host string) (hostops.Host, error) { return f(ctx, host) }

// Errors callers act on (the host-level ones are hostops').
var (
	// ErrGate is returned when a director does not settle after its apply.
	ErrGate = errors.New("cluster did not settle")
	// ErrValidation: a host-side validator rejected a file.
	ErrValidation = hostops.ErrValidation
	// ErrCommandFailed: a command on a host exited non-zero.
	ErrCommandFailed = hostops.ErrCommandFailed
	// ErrLockHeld: another apply holds the cluster's lock.
	ErrLockHeld = hostops.ErrLockHeld
)

// Options tune an apply.
type Options struct {
	// Parallelism bounds how many real servers and plain hosts are
	// applied at once (remote.DefaultParallelism when 0).
	Parallelism int
	// DrainTimeout, when > 0, drains a real server before deleting it:
	// weight 0, then wait up to this long for its active connections to
	// end.
	DrainTimeout time.Duration
	// GateTimeout bounds the wait, after each director, for keepalived to
	// run and every VIP to be held by exactly one node (default 30 s).
	GateTimeout time.Duration
	// NoRollback keeps a director whose gate failed as it is; by default
	// its files are restored from the backups and its services put back
	// (see rollback).
	NoRollback bool
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
	// RolledBack are the hosts whose changes were undone after a failed
	// gate; RollbackSettled says whether the cluster then settled.
	RolledBack      []string
	RollbackSettled bool
}

type applier struct {
	p     *plan.Plan
	hosts Hosts
	opts  Options

	mu     sync.Mutex
	result Result
	// applied keeps each host's applier, for a rollback.
	applied map[string]*hostApplier
}

func (a *applier) now() time.Time { return a.opts.Now() }

func (a *applier) sleep(ctx context.Context, d time.Duration) { a.opts.Sleep(ctx, d) }

func (a *applier) report(e Event) {
	if a.opts.Reporter != nil {
		a.opts.Reporter.Report(e)
	}
}

// Run executes p, which must have been made from the hosts' current
// state, on hosts. It needs nothing but the plan: each host plan carries
// its changes as typed operations and what its steps and gates need. The
// rollout order, in one place:
//
//  1. real servers and plain hosts, in parallel (bounded);
//  2. BACKUP directors, one at a time; after each, keepalived must run
//     and every VIP be held by exactly one node (the gate);
//  3. the MASTER director(s), one at a time, gated the same way.
//
// A failure stops the rollout before the next host; the Result says what
// was done and what was not. Cancelling ctx stops between steps.
func Run(ctx context.Context, p *plan.Plan, hosts Hosts, opts Options) (Result, error) {
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
	a := &applier{p: p, hosts: hosts, opts: opts, applied: map[string]*hostApplier{}}

	var first, directors []*plan.HostPlan
	for i := range p.Hosts {
		if hp := &p.Hosts[i]; hp.Role.Director() {
			directors = append(directors, hp)
		} else {
			first = append(first, hp)
		}
	}
	started := map[string]bool{}
	notStarted := func() {
		for _, hp := range directors {
			if !started[hp.Host] {
				a.result.NotStarted = append(a.result.NotStarted, hp.Host)
			}
		}
	}

	// 1. Real servers and plain hosts in parallel.
	if err := a.parallel(ctx, first); err != nil {
		notStarted()
		return a.result, err
	}
	// 2 and 3. Directors one at a time, BACKUPs before the MASTER (the
	// plan lists them in that order), each gated. The members of a VRRP
	// instance whose adverts change are applied one after the other with
	// their keepalived reload held back, reloaded together, then gated.
	for _, hp := range directors {
		if started[hp.Host] {
			continue
		}
		if err := ctx.Err(); err != nil {
			notStarted()
			return a.result, fmt.Errorf("interrupted before %s: %w", hp.Host, err)
		}
		group := reloadGroup(hp, directors)
		if err, rollback := a.director(ctx, group, started); err != nil {
			notStarted()
			if rollback {
				err = a.undo(ctx, group, err)
			}
			return a.result, err
		}
	}
	return a.result, nil
}

// director applies a group of directors (one, or the members reloaded
// together), reloads a group together, and gates each. A failure in a
// host's own steps stops there (the step says what failed; files are
// validated before they replace anything); a failed group reload or gate
// means the change took effect and did not settle: rollback says so.
func (a *applier) director(ctx context.Context, group []*plan.HostPlan, started map[string]bool) (err error, rollback bool) {
	for _, m := range group {
		started[m.Host] = true
		if err := a.host(ctx, m, len(group) > 1); err != nil {
			return err, len(group) > 1
		}
	}
	since := a.now()
	if len(group) > 1 {
		if err := a.reloadTogether(ctx, group); err != nil {
			return err, true
		}
		since = a.now()
	}
	for _, m := range group {
		if !m.HasWork() {
			continue
		}
		if err := a.gate(ctx, m, since); err != nil {
			return fmt.Errorf("%s: stopped the rollout after this director: %w", m.Host, err), true
		}
	}
	for _, m := range group {
		if m.Bootstrap != nil {
			if err := a.finishBootstrap(ctx, m); err != nil {
				return err, true
			}
		}
	}
	for _, m := range group {
		if h := a.applied[m.Host]; h != nil && h.owes() {
			if err := h.ops.WriteManifest(ctx, m.Manifest); err != nil {
				a.fail(m.Host)
				return &remote.HostError{Host: m.Host, Err: err}, false
			}
		}
	}
	return nil, false
}

// finishBootstrap writes hp's planned keepalived.conf over the bootstrap
// one (priority 255) it holds now, reloads keepalived and gates: the
// master keeps the VIPs, being still the highest priority.
func (a *applier) finishBootstrap(ctx context.Context, hp *plan.HostPlan) error {
	h := a.applied[hp.Host]
	var final *resource.File
	for _, c := range hp.Changes {
		if op, ok := c.Op.(*plan.FileOp); ok && op.After != nil && op.After.Validate == resource.ValidateKeepalived {
			final = op.After
		}
	}
	if h == nil || final == nil {
		return &remote.HostError{Host: hp.Host, Err: errors.New("bootstrap: no keepalived.conf in the plan")}
	}
	suffix := a.now().UTC().Format("20060102T150405Z") + "-bootstrap"
	if err := h.ops.WriteFile(ctx, *final, suffix); err != nil {
		a.fail(hp.Host)
		return &remote.HostError{Host: hp.Host, Err: fmt.Errorf("files: %s: %w", final.Path, err)}
	}
	h.undo.files = append(h.undo.files, fileUndo{path: final.Path, suffix: suffix, existed: true})
	if err := h.ops.Systemctl(ctx, hostops.Reload, "keepalived"); err != nil {
		a.fail(hp.Host)
		return &remote.HostError{Host: hp.Host, Err: fmt.Errorf("services: %w", err)}
	}
	a.report(Event{Host: hp.Host, Step: string(plan.StepServices), Status: StatusInfo, Message: "keepalived reloaded with its planned priority after the bootstrap"})
	if err := a.gate(ctx, hp, a.now()); err != nil {
		return fmt.Errorf("%s: stopped the rollout after this director: %w", hp.Host, err)
	}
	return nil
}

// reloadGroup returns hp and the directors its keepalived reload is
// grouped with (plan.Effect.With, plan.ServiceOp.StartAfter, and so on
// from those), in rollout order.
func reloadGroup(hp *plan.HostPlan, directors []*plan.HostPlan) []*plan.HostPlan {
	linked := func(d *plan.HostPlan) []string {
		var out []string
		for _, e := range d.Effects {
			out = append(out, e.With...)
		}
		for _, c := range d.Changes {
			if op, ok := c.Op.(*plan.ServiceOp); ok {
				out = append(out, op.StartAfter...)
			}
		}
		return out
	}
	in := map[string]bool{hp.Host: true}
	for grown := true; grown; {
		grown = false
		for _, d := range directors {
			for _, h := range linked(d) {
				if in[d.Host] != in[h] {
					in[d.Host], in[h], grown = true, true, true
				}
			}
		}
	}
	var out []*plan.HostPlan
	for _, d := range directors {
		if in[d.Host] {
			out = append(out, d)
		}
	}
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (a *applier) parallel(ctx context.Context, hps []*plan.HostPlan) error {
	names := make([]string, len(hps))
	for i, hp := range hps {
		names[i] = hp.Host
	}
	return remote.ForEach(ctx, names, a.opts.Parallelism, func(ctx context.Context, i int) error {
		err := a.host(ctx, hps[i], false)
		var he *remote.HostError
		if errors.As(err, &he) {
			return he.Err // ForEach names the host
		}
		return err
	})
}

// host applies one host's plan; with holdReload, its grouped keepalived
// reload is left to reloadTogether. Its errors are *remote.HostError.
func (a *applier) host(ctx context.Context, hp *plan.HostPlan, holdReload bool) error {
	if !hp.HasWork() {
		a.mu.Lock()
		a.result.Done = append(a.result.Done, hp.Host)
		a.mu.Unlock()
		return nil
	}
	ops, err := a.hosts.Open(ctx, hp.Host)
	if err != nil {
		a.fail(hp.Host)
		return &remote.HostError{Host: hp.Host, Err: err}
	}
	h := &hostApplier{a: a, ops: ops, hp: hp, holdReload: holdReload}
	a.mu.Lock()
	a.applied[hp.Host] = h
	a.mu.Unlock()
	a.report(Event{Host: hp.Host, Step: StepApply, Status: StatusStart, Message: string(hp.Role)})
	start := a.now()
	err = h.apply(ctx)
	a.mu.Lock()
	a.result.Summary = a.result.Summary.Plus(h.done)
	a.mu.Unlock()
	if err != nil {
		a.fail(hp.Host)
		return &remote.HostError{Host: hp.Host, Err: err}
	}
	a.mu.Lock()
	a.result.Done = append(a.result.Done, hp.Host)
	a.mu.Unlock()
	a.report(Event{Host: hp.Host, Step: StepApply, Status: StatusDone, Elapsed: a.now().Sub(start)})
	return nil
}

// fail records host as the one that failed; a host of a group may have
// finished its own steps (Done) before the group's reload failed.
func (a *applier) fail(host string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.result.Failed == "" {
		a.result.Failed = host
	}
	a.result.Done = slices.DeleteFunc(a.result.Done, func(h string) bool { return h == host })
}
