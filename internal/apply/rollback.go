package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
)

// undo rolls back the directors of group after err stopped the rollout
// there (unless Options.NoRollback), and returns err with what the
// rollback did and the state it left.
func (a *applier) undo(ctx context.Context, group []*plan.HostPlan, err error) error {
	if a.opts.NoRollback || errors.Is(err, context.Canceled) {
		return err
	}
	var hosts []*hostApplier
	for _, hp := range group {
		if h := a.applier(hp.Host); h != nil && len(h.undo.files) > 0 {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	what, rerr := a.rollback(ctx, hosts)
	if rerr != nil {
		return fmt.Errorf("%w\nrollback failed: %w (%s)", err, rerr, what)
	}
	settled := "the cluster is as before"
	if gerr := a.settleAfterRollback(ctx, hosts); gerr != nil {
		settled = "after it the cluster did not settle: " + gerr.Error()
	}
	a.mu.Lock()
	a.result.RollbackSettled = !strings.HasPrefix(settled, "after it")
	a.mu.Unlock()
	return fmt.Errorf("%w\nrolled back: %s; %s", err, what, settled)
}

// settleAfterRollback waits, like a gate, for the state before the
// apply: keepalived running where it ran before (not where this apply
// started it), and each VIP of the hosts' instances held by exactly one
// member (at most one when no member ran keepalived before). Which
// member holds it is not checked: the configuration being back, so is
// its master, or preemption is off.
func (a *applier) settleAfterRollback(ctx context.Context, hosts []*hostApplier) error {
	ranBefore := map[string]bool{}
	var runs []*plan.HostPlan
	for _, h := range hosts {
		if h.hp.RunsKeepalived && !slices.Contains(h.undo.started, "keepalived") {
			runs = append(runs, h.hp)
			ranBefore[h.hp.Host] = true
		}
	}
	var instances []plan.Instance
	for _, in := range a.p.Instances {
		for _, h := range hosts {
			if in.HasMember(h.hp.Host) && !slices.ContainsFunc(instances, func(x plan.Instance) bool { return x.Name == in.Name }) {
				instances = append(instances, in)
			}
		}
	}
	deadline := a.now().Add(a.opts.GateTimeout)
	for {
		_, err := a.checkSettled(ctx, runs, instances, len(runs) > 0)
		if err == nil || ctx.Err() != nil || !a.now().Before(deadline) {
			return err
		}
		a.sleep(ctx, gatePoll)
	}
}

// rollback restores the files hosts changed (the previous version from
// the backup apply kept, or no file where there was none), stops the
// services the apply started, and runs the reloads and restarts of the
// apply again, the grouped keepalived reloads together. It returns a
// description of what it did.
func (a *applier) rollback(ctx context.Context, hosts []*hostApplier) (string, error) {
	var did []string
	var together []*plan.HostPlan
	for _, h := range hosts {
		var parts []string
		for i := len(h.undo.files) - 1; i >= 0; i-- {
			f := h.undo.files[i]
			var err error
			if f.existed {
				err = h.ops.RestoreFile(ctx, f.path, f.suffix)
				parts = append(parts, "restored "+f.path)
			} else {
				err = h.ops.RemoveFile(ctx, f.path, f.suffix+".rollback")
				parts = append(parts, "removed "+f.path)
			}
			if err != nil {
				return strings.Join(did, "; "), fmt.Errorf("%s: %w", h.hp.Host, err)
			}
		}
		for _, svc := range h.undo.started {
			if err := h.ops.Systemctl(ctx, hostops.Stop, svc); err != nil {
				return strings.Join(did, "; "), fmt.Errorf("%s: %w", h.hp.Host, err)
			}
			parts = append(parts, "stopped "+svc)
		}
		for _, e := range h.undo.effects {
			if slices.Contains(h.undo.started, e.Service) {
				continue
			}
			if len(e.With) > 0 && len(hosts) > 1 {
				together = append(together, h.hp)
				continue
			}
			if err := h.ops.Systemctl(ctx, hostops.ServiceAction(e.Action), e.Service); err != nil {
				return strings.Join(did, "; "), fmt.Errorf("%s: %w", h.hp.Host, err)
			}
			parts = append(parts, e.Service+" "+e.Action+"ed")
		}
		did = append(did, h.hp.Host+": "+strings.Join(parts, ", "))
		a.mu.Lock()
		a.result.RolledBack = append(a.result.RolledBack, h.hp.Host)
		a.mu.Unlock()
		a.report(Event{Host: h.hp.Host, Step: "rollback", Status: StatusInfo, Message: strings.Join(parts, ", ")})
	}
	if len(together) > 1 {
		if err := a.reloadTogether(ctx, together); err != nil {
			return strings.Join(did, "; "), err
		}
		did = append(did, "keepalived reloaded together on "+hostNames(together))
	}
	return strings.Join(did, "; "), nil
}

func hostNames(hps []*plan.HostPlan) string {
	names := make([]string, len(hps))
	for i, hp := range hps {
		names[i] = hp.Host
	}
	return strings.Join(names, ", ")
}
