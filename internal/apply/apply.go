package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// DirectorsFirst rolls the directors out (wave by wave) before the
	// real servers and plain hosts (destroy).
	DirectorsFirst bool
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
	// slots bounds the hosts being changed at once (Parallelism).
	slots chan struct{}
	// gen names this apply's generation of backups: the suffix of every
	// file (and manifest) it replaces or removes (GenerationSuffix).
	gen string
}

// GenerationSuffix is the backup suffix of an apply started at t: every
// file an apply replaces or removes, and the manifest it found, are kept
// under resource.BackupDir with the same suffix, so that `clusterctl
// rollback` can restore one apply's generation as a whole.
func GenerationSuffix(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// applier returns the applier of host, nil when it was not applied.
func (a *applier) applier(host string) *hostApplier {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applied[host]
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
//  2. the directors, wave by wave (plan.Plan.Waves): the steps of a wave
//     share nothing and run at the same time; a step is one director, or
//     the members of a VRRP instance reloaded or started together; after
//     it, keepalived must run and every VIP be held by exactly one node
//     (the gate). Within a group of linked directors, backups go before
//     the master, one wave each.
//
// Parallelism bounds the hosts being changed at once; gates, which only
// read, are not counted. A failure stops the rollout once the wave it
// happened in has finished (steps already running are not cut off
// mid-way); the Result says what was done and what was not. Cancelling
// ctx stops between steps.
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
	if opts.Parallelism <= 0 {
		opts.Parallelism = remote.DefaultParallelism
	}
	if !p.Applyable() {
		return Result{}, errors.New("the plan has errors and cannot be applied")
	}
	a := &applier{p: p, hosts: hosts, opts: opts, applied: map[string]*hostApplier{}, slots: make(chan struct{}, opts.Parallelism), gen: GenerationSuffix(opts.Now())}

	var first []*plan.HostPlan
	inWave := map[string]bool{}
	for _, w := range p.Waves {
		for _, s := range w.Steps {
			for _, h := range s.Hosts {
				inWave[h] = true
			}
		}
	}
	for i := range p.Hosts {
		switch hp := &p.Hosts[i]; {
		case !hp.Role.Director():
			first = append(first, hp)
		case inWave[hp.Host]:
		case hp.HasWork():
			return Result{}, fmt.Errorf("the plan has no rollout wave for director %s", hp.Host)
		default:
			a.result.Done = append(a.result.Done, hp.Host) // nothing to do
		}
	}
	notStarted := func(from int) {
		for _, w := range p.Waves[from:] {
			for _, s := range w.Steps {
				a.result.NotStarted = append(a.result.NotStarted, s.Hosts...)
			}
		}
	}

	firstNotStarted := func() {
		for _, hp := range first {
			a.result.NotStarted = append(a.result.NotStarted, hp.Host)
		}
	}
	// 1. Real servers and plain hosts in parallel (last with
	// DirectorsFirst).
	if !opts.DirectorsFirst {
		if err := a.parallel(ctx, first); err != nil {
			notStarted(0)
			return a.result, err
		}
	}
	// 2. The directors, wave by wave.
	for k, w := range p.Waves {
		if err := ctx.Err(); err != nil {
			notStarted(k)
			if opts.DirectorsFirst {
				firstNotStarted()
			}
			return a.result, fmt.Errorf("interrupted before wave %d: %w", k+1, err)
		}
		if err := a.wave(ctx, k, w); err != nil {
			notStarted(k + 1)
			if opts.DirectorsFirst {
				firstNotStarted()
			}
			return a.result, err
		}
	}
	if opts.DirectorsFirst {
		if err := a.parallel(ctx, first); err != nil {
			return a.result, err
		}
	}
	return a.result, nil
}

// wave runs the steps of wave k at the same time and waits for all of
// them; a step that fails is rolled back (unless its failure was in its
// own steps before anything took effect) and its error returned, joined
// with the others'.
func (a *applier) wave(ctx context.Context, k int, w plan.Wave) error {
	start := a.now()
	steps := make([]string, len(w.Steps))
	for i, s := range w.Steps {
		steps[i] = s.String()
	}
	a.report(Event{Step: StepWave, Status: StatusStart, Count: len(w.Steps), Message: fmt.Sprintf("wave %d of %d: %s", k+1, len(a.p.Waves), strings.Join(steps, ", "))})
	errs := make([]error, len(w.Steps))
	gates := make([]time.Duration, len(w.Steps))
	var wg sync.WaitGroup
	for i, s := range w.Steps {
		group := make([]*plan.HostPlan, len(s.Hosts))
		for j, h := range s.Hosts {
			group[j] = a.p.Host(h)
		}
		wg.Go(func() {
			var rollback bool
			rollback, gates[i], errs[i] = a.director(ctx, group)
			if errs[i] != nil && rollback {
				errs[i] = a.undo(ctx, group, errs[i])
			}
		})
	}
	wg.Wait()
	err := errors.Join(errs...)
	e := Event{Step: StepWave, Status: StatusDone, Count: len(w.Steps), Elapsed: a.now().Sub(start), Message: fmt.Sprintf("wave %d of %d done, longest gate %s", k+1, len(a.p.Waves), slices.Max(gates).Round(time.Millisecond))}
	if err != nil {
		e.Status, e.Message = StatusFailed, fmt.Sprintf("wave %d of %d: stopped the rollout after this wave", k+1, len(a.p.Waves))
	}
	a.report(e)
	return err
}

// director applies one step of a wave: a group of directors (one, or the
// members reloaded or started together), reloads or starts a group
// together, and gates each. A failure in a host's own steps stops there
// (the step says what failed; files are validated before they replace
// anything); a failed group reload or gate means the change took effect
// and did not settle: rollback says so. gated is how long the gates
// took.
func (a *applier) director(ctx context.Context, group []*plan.HostPlan) (rollback bool, gated time.Duration, err error) {
	for i, m := range group {
		if err := a.host(ctx, m, len(group) > 1); err != nil {
			a.mu.Lock()
			for _, n := range group[i+1:] {
				a.result.NotStarted = append(a.result.NotStarted, n.Host)
			}
			a.mu.Unlock()
			// Members reloaded together must not keep files their running
			// keepalived disagrees with; members started together have
			// started nothing yet.
			return len(group) > 1 && !startsTogether(group), 0, err
		}
	}
	since := a.now()
	if len(group) > 1 {
		if err := a.reloadTogether(ctx, group); err != nil {
			return true, 0, err
		}
		since = a.now()
	}
	if err := a.gate(ctx, group, since); err != nil {
		return true, a.now().Sub(since), err
	}
	gated = a.now().Sub(since)
	for _, m := range group {
		if m.Bootstrap != nil {
			if err := a.finishBootstrap(ctx, m); err != nil {
				return true, gated, err
			}
		}
	}
	for _, m := range group {
		if h := a.applier(m.Host); h != nil && h.owes() {
			if err := h.writeManifest(ctx, m.Manifest); err != nil {
				a.fail(m.Host)
				return false, gated, &remote.HostError{Host: m.Host, Err: err}
			}
		}
	}
	return false, gated, nil
}

// startsTogether reports whether group is the members of a new VRRP
// group, started together (plan.ServiceOp.StartWith).
func startsTogether(group []*plan.HostPlan) bool {
	for _, hp := range group {
		if !slices.ContainsFunc(hp.Changes, func(c plan.Change) bool {
			op, ok := c.Op.(*plan.ServiceOp)
			return ok && len(op.StartWith) > 0
		}) {
			return false
		}
	}
	return true
}

// finishBootstrap writes hp's planned keepalived.conf over the bootstrap
// one (priority 255) it holds now, reloads keepalived and gates: the
// master keeps the VIPs, being still the highest priority.
func (a *applier) finishBootstrap(ctx context.Context, hp *plan.HostPlan) error {
	h := a.applier(hp.Host)
	var final *resource.File
	for _, c := range hp.Changes {
		if op, ok := c.Op.(*plan.FileOp); ok && op.After != nil && op.After.Validate == resource.ValidateKeepalived {
			final = op.After
		}
	}
	if h == nil || final == nil {
		return &remote.HostError{Host: hp.Host, Err: errors.New("bootstrap: no keepalived.conf in the plan")}
	}
	suffix := a.gen + "-bootstrap"
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
	if err := a.gate(ctx, []*plan.HostPlan{hp}, a.now()); err != nil {
		return err
	}
	return nil
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
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-ctx.Done():
		return &remote.HostError{Host: hp.Host, Err: fmt.Errorf("not started: %w", ctx.Err())}
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
