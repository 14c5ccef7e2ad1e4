package pipeline

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// ApplyRequest is what `clusterctl apply` was asked to do.
type ApplyRequest struct {
	// Saved is the plan read from a PLANFILE, or nil: apply then plans
	// afresh and asks for confirmation.
	Saved *plan.Plan
	// AutoApprove skips the confirmation.
	AutoApprove bool
	// MaxDisruption, when set, refuses a plan more disruptive than it,
	// before anything is changed.
	MaxDisruption *plan.Disruption
	// Apply tunes the rollout (its Reporter is the UI's).
	Apply apply.Options
	// Operation, when set, brings the hosts to the state it derives
	// (rollback, destroy, drain, failover) instead of the configuration's.
	// It takes no saved plan.
	Operation *Operation
}

// ApplyUI is what the apply pipeline shows and asks.
type ApplyUI interface {
	apply.Reporter
	// ShowPlan shows the plan about to be applied.
	ShowPlan(p *plan.Plan) error
	// ShowUnapplyable shows a plan that cannot be applied (host errors).
	ShowUnapplyable(p *plan.Plan) error
	// Confirm asks whether to apply; false cancels.
	Confirm(ctx context.Context) (bool, error)
}

// ApplyOutcome is what an apply pipeline did.
type ApplyOutcome struct {
	// Plan is the plan that was (or would have been) applied.
	Plan *plan.Plan
	// Ran reports whether the rollout started; Result is what it did.
	Ran    bool
	Result apply.Result
	// After is the plan made once the rollout ended; it must be empty.
	After *plan.Plan
	// UnlockErr says why the lock could not be released (the next apply
	// will then be refused until force-unlock).
	UnlockErr error
}

// Errors the apply pipeline ends with, besides those of the phases it
// runs (apply.ErrLockHeld, plan.ErrStalePlan, apply.ErrGate, ...).
var (
	// ErrUnapplyable: some host could not be planned; nothing was changed.
	ErrUnapplyable = errors.New("the plan has errors and cannot be applied")
	// ErrCancelled: the user did not confirm.
	ErrCancelled = errors.New("apply cancelled")
	// ErrNotConverged: the rollout ran, but a fresh plan is not empty.
	ErrNotConverged = errors.New("apply finished, but the cluster still differs from the configuration")
	// ErrTooDisruptive: the plan is more disruptive than MaxDisruption.
	ErrTooDisruptive = errors.New("the plan is more disruptive than allowed")
)

// CheckDisruption returns an error wrapping ErrTooDisruptive when p's
// worst change is above max.
func CheckDisruption(p *plan.Plan, max plan.Disruption) error {
	if worst := p.Disruption(); worst.Class > max {
		return fmt.Errorf("%w: %s is above --max-disruption %s", ErrTooDisruptive, worst, max)
	}
	return nil
}

// applyRun is the state the apply phases share.
type applyRun struct {
	c    *Cluster
	req  ApplyRequest
	ui   ApplyUI
	salt []byte
	out  ApplyOutcome
	// gathered are the facts the current plan was made from: the look's,
	// then, for the hosts with work, those gathered under the lock.
	gathered map[string]Gathered
	// work are the hosts the look found work on: they are locked with
	// LockFacts and released with FactsUnlock.
	work map[string]bool
	// locks is the apply lock, once taken.
	locks *apply.Locks
	// done ends the pipeline early, successfully (nothing to apply).
	done bool
	// op is the operation's state (ApplyRequest.Operation).
	op *opState
}

// phase is one named step of a pipeline.
type phase struct {
	name string
	run  func(ctx context.Context) error
}

// Apply runs `clusterctl apply`. Each phase costs at most one command per
// host: a no-op apply costs what a plan costs (the look), a change one
// more command per host to lock and plan, the rollout's, and one to
// converge and unlock. An operation (ApplyRequest.Operation) locks before
// it looks, and converges under the lock. The lock, once taken, is
// released whatever happens; a failure to release it is reported in the
// outcome's UnlockErr, not as the pipeline's error.
func Apply(ctx context.Context, c *Cluster, req ApplyRequest, ui ApplyUI) (ApplyOutcome, error) {
	r := &applyRun{c: c, req: req, ui: ui}
	r.req.Apply.Reporter = ui
	if req.Operation != nil {
		r.req.Apply.DirectorsFirst = req.Operation.DirectorsFirst
	}
	if r.req.Apply.Parallelism == 0 {
		r.req.Apply.Parallelism = c.Parallelism()
	}
	phases := []phase{{"check the saved plan's configuration", r.checkSavedConfig}}
	if req.Operation == nil {
		phases = append(phases,
			phase{"look", r.look},
			phase{"lock and plan", r.lockAndPlan})
	} else {
		// An operation derives the hosts' states from what it finds
		// (Operation.Prepare, then the facts), so it looks under the lock.
		phases = append(phases,
			phase{"lock", r.lock},
			phase{"plan the operation", r.planOperation})
	}
	phases = append(phases,
		phase{"check freshness", r.checkFresh},
		phase{"show", r.show},
		phase{"check disruption", r.checkDisruption},
		phase{"confirm", r.confirm},
		phase{"rollout", r.rollout},
		phase{"converge", r.converge})
	var err error
	for _, ph := range phases {
		if err = ph.run(ctx); err != nil || r.done {
			break
		}
	}
	if r.locks != nil {
		r.out.UnlockErr = r.locks.Release(context.WithoutCancel(ctx))
	}
	return r.out, err
}

// checkSavedConfig compares a saved plan's configuration digest with the
// configuration as loaded now (with this run's -var values), before any
// host is contacted.
func (r *applyRun) checkSavedConfig(context.Context) error {
	if r.req.Saved == nil {
		return nil
	}
	salt, err := hex.DecodeString(r.req.Saved.ConfigSalt)
	if err != nil || len(salt) == 0 {
		return errors.New("the saved plan has no valid config_salt")
	}
	r.salt = salt
	desired := map[string]*resource.Host{}
	for _, h := range r.c.Hosts() {
		desired[h] = r.c.Desired[h]
	}
	digest, err := plan.ConfigDigest(desired, salt)
	if err != nil {
		return err
	}
	if digest != r.req.Saved.ConfigDigest {
		return fmt.Errorf("%w: the configuration at %s, or a value given with -var, -var-file or CLUSTERCTL_VAR_*, differs from when the plan was made (variable values are not saved in plans: pass the same ones); run plan again", plan.ErrStalePlan, r.req.Saved.ConfigPath)
	}
	return nil
}

// look gathers facts without the lock and plans, as plan does. A plan
// with errors ends here; so does a saved plan that is stale. When there
// is nothing to do and no host holds a lock (no apply is under way), the
// plan is shown and the apply is done: one command per host.
func (r *applyRun) look(ctx context.Context) error {
	r.gathered = r.c.Gather(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := r.c.Build(r.gathered, r.salt)
	if err != nil {
		return err
	}
	if err := r.setPlan(p); err != nil {
		return err
	}
	if err := r.checkFresh(ctx); err != nil {
		return err
	}
	r.work = map[string]bool{}
	for _, hp := range p.Hosts {
		if hp.HasWork() {
			r.work[hp.Host] = true
		}
	}
	if !p.Empty() {
		return nil
	}
	for _, g := range r.gathered {
		if g.Facts.LockPresent {
			return nil // another apply may be under way: the lock says
		}
	}
	r.done = true
	return r.ui.ShowPlan(p)
}

// lockAndPlan takes the apply lock on every host of the cluster: with
// LockFacts on the hosts the look found work on, which plans them afresh
// under the lock in the same command, with Lock on the others (their
// look stands: nothing is done to them). A lock held by another apply
// ends the pipeline (apply.ErrLockHeld) with the locks taken released.
func (r *applyRun) lockAndPlan(ctx context.Context) error {
	var mu sync.Mutex
	fresh := map[string]Gathered{}
	take := func(ctx context.Context, host string, ops hostops.Host, holder string) error {
		if !r.work[host] {
			return ops.Lock(ctx, holder)
		}
		start := time.Now()
		f, err := ops.LockFacts(ctx, holder, r.c.FactsRequest(host))
		if err != nil {
			return err
		}
		mu.Lock()
		fresh[host] = Gathered{Facts: f, Took: time.Since(start)}
		mu.Unlock()
		return nil
	}
	locks, err := apply.LockWith(ctx, r.c.AllHosts(), r.c, r.c.GatherParallelism(), apply.NewLockInfo(time.Now()), take)
	if err != nil {
		return err
	}
	r.locks = locks
	maps.Copy(r.gathered, fresh)
	p, err := r.c.Build(r.gathered, r.salt)
	if err != nil {
		return err
	}
	return r.setPlan(p)
}

// lock takes the apply lock on every host of the cluster, before an
// operation looks at them.
func (r *applyRun) lock(ctx context.Context) error {
	locks, err := apply.LockWith(ctx, r.c.AllHosts(), r.c, r.c.Parallelism(), apply.NewLockInfo(time.Now()), nil)
	if err != nil {
		return err
	}
	r.locks = locks
	return nil
}

// planOperation prepares and plans the operation under the lock.
func (r *applyRun) planOperation(ctx context.Context) error {
	p, err := r.planNow(ctx, r.salt)
	if err != nil {
		return err
	}
	return r.setPlan(p)
}

// setPlan makes p the plan to apply; a plan with errors ends the
// pipeline (ErrUnapplyable), after it was shown.
func (r *applyRun) setPlan(p *plan.Plan) error {
	r.out.Plan = p
	if !p.Applyable() {
		if err := r.ui.ShowUnapplyable(p); err != nil {
			return err
		}
		return ErrUnapplyable
	}
	return nil
}

// planNow plans the operation: prepares it the first time, then gathers
// and plans.
func (r *applyRun) planNow(ctx context.Context, salt []byte) (*plan.Plan, error) {
	if r.op == nil {
		r.op = r.c.prepare(ctx, r.req.Operation)
	}
	return r.c.planOperation(ctx, r.op, salt)
}

// checkFresh refuses a saved plan whose hosts changed since it was made.
func (r *applyRun) checkFresh(context.Context) error {
	if r.req.Saved == nil {
		return nil
	}
	return plan.CheckFresh(r.req.Saved, r.out.Plan)
}

func (r *applyRun) show(context.Context) error {
	if err := r.ui.ShowPlan(r.out.Plan); err != nil {
		return err
	}
	r.done = r.out.Plan.Empty()
	return nil
}

// checkDisruption refuses a plan above MaxDisruption.
func (r *applyRun) checkDisruption(context.Context) error {
	if r.req.MaxDisruption == nil {
		return nil
	}
	return CheckDisruption(r.out.Plan, *r.req.MaxDisruption)
}

// confirm asks, unless -auto-approve or a saved plan (its user saw it).
func (r *applyRun) confirm(ctx context.Context) error {
	if r.req.AutoApprove || r.req.Saved != nil {
		return nil
	}
	ok, err := r.ui.Confirm(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return ErrCancelled
	}
	return nil
}

func (r *applyRun) rollout(ctx context.Context) error {
	r.out.Ran = true
	res, err := apply.Run(ctx, r.out.Plan, r.c, r.req.Apply)
	r.out.Result = res
	return err
}

// converge plans again: the cluster must now match. The hosts the lock
// phase planned afresh are gathered again and released in one command
// each (FactsUnlock); the others were not touched, their facts stand, and
// their lock is released by Apply.
func (r *applyRun) converge(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	if r.req.Operation != nil {
		return r.convergeOperation(ctx)
	}
	var hosts []string
	for _, h := range r.c.Hosts() {
		if r.work[h] {
			hosts = append(hosts, h)
		}
	}
	again := make([]Gathered, len(hosts))
	_ = remote.ForEach(ctx, hosts, r.c.GatherParallelism(), func(ctx context.Context, i int) error {
		start := time.Now()
		ops, err := r.c.Open(ctx, hosts[i])
		if err == nil {
			var f *facts.Host
			f, err = ops.FactsUnlock(ctx, r.c.FactsRequest(hosts[i]), r.locks.ID())
			again[i] = Gathered{Facts: f, Took: time.Since(start)}
		}
		if err != nil {
			again[i].Err = err
			return err
		}
		r.locks.Released(hosts[i])
		return nil
	})
	for i, h := range hosts {
		r.gathered[h] = again[i]
	}
	after, err := r.c.Build(r.gathered, nil)
	if err != nil {
		return err
	}
	return r.setAfter(after)
}

// convergeOperation plans the operation again, under the lock Apply
// releases.
func (r *applyRun) convergeOperation(ctx context.Context) error {
	after, err := r.planNow(ctx, nil)
	if err != nil {
		return err
	}
	return r.setAfter(after)
}

// setAfter records the converging plan; it must be empty.
func (r *applyRun) setAfter(after *plan.Plan) error {
	r.out.After = after
	if !after.Empty() || !after.Applyable() {
		return ErrNotConverged
	}
	return nil
}
