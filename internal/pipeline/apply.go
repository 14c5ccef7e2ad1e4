package pipeline

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/plan"
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
	// unlock releases the lock; set by the lock phase.
	unlock func(context.Context) error
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

// Apply runs `clusterctl apply`. The lock, once taken, is released
// whatever happens; a failure to release it is reported in the outcome's
// UnlockErr, not as the pipeline's error.
func Apply(ctx context.Context, c *Cluster, req ApplyRequest, ui ApplyUI) (ApplyOutcome, error) {
	r := &applyRun{c: c, req: req, ui: ui}
	r.req.Apply.Reporter = ui
	if req.Operation != nil {
		r.req.Apply.DirectorsFirst = req.Operation.DirectorsFirst
	}
	if r.req.Apply.Parallelism == 0 {
		r.req.Apply.Parallelism = c.Parallelism()
	}
	phases := []phase{
		{"check the saved plan's configuration", r.checkSavedConfig},
		{"lock", r.lock},
		{"gather and plan", r.plan},
		{"check freshness", r.checkFresh},
		{"show", r.show},
		{"check disruption", r.checkDisruption},
		{"confirm", r.confirm},
		{"rollout", r.rollout},
		{"converge", r.converge},
	}
	var err error
	for _, ph := range phases {
		if err = ph.run(ctx); err != nil || r.done {
			break
		}
	}
	if r.unlock != nil {
		r.out.UnlockErr = r.unlock(context.WithoutCancel(ctx))
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

// lock takes the apply lock on every host of the cluster.
func (r *applyRun) lock(ctx context.Context) error {
	unlock, err := apply.Lock(ctx, r.c.AllHosts(), r.c, r.c.Parallelism(), apply.NewLockInfo(time.Now()))
	if err != nil {
		return err
	}
	r.unlock = unlock
	return nil
}

func (r *applyRun) plan(ctx context.Context) error {
	p, err := r.planNow(ctx, r.salt)
	if err != nil {
		return err
	}
	r.out.Plan = p
	if !p.Applyable() {
		if err := r.ui.ShowUnapplyable(p); err != nil {
			return err
		}
		return ErrUnapplyable
	}
	return nil
}

// planNow plans the configuration, or the operation.
func (r *applyRun) planNow(ctx context.Context, salt []byte) (*plan.Plan, error) {
	if r.req.Operation == nil {
		return r.c.Plan(ctx, salt)
	}
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

// converge plans again: the cluster must now match.
func (r *applyRun) converge(ctx context.Context) error {
	after, err := r.planNow(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	r.out.After = after
	if !after.Empty() || !after.Applyable() {
		return ErrNotConverged
	}
	return nil
}
