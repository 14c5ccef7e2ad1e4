package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// opsOf returns the typed operations of changes; a change whose Op is
// missing or of the wrong type (a plan read from a file) is an error.
func opsOf[T plan.Op](changes []plan.Change) ([]T, error) {
	out := make([]T, 0, len(changes))
	for _, c := range changes {
		op, ok := c.Op.(T)
		if !ok {
			return nil, fmt.Errorf("%s %s: the plan holds no executable change (a plan read from a file is checked against a fresh one and not executed itself)", c.Kind, c.Key)
		}
		out = append(out, op)
	}
	return out, nil
}

func (h *hostApplier) packages(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.PackageOp](changes)
	if err != nil {
		return err
	}
	var names []string
	for _, op := range ops {
		names = append(names, op.Name)
	}
	return h.ops.InstallPackages(ctx, hostops.PackageManager(h.hp.PackageManager), names)
}

func (h *hostApplier) modules(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.ModuleOp](changes)
	if err != nil {
		return err
	}
	var names []string
	for _, op := range ops {
		names = append(names, op.Name)
	}
	return h.ops.LoadModules(ctx, names)
}

func (h *hostApplier) sysctls(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.SysctlOp](changes)
	if err != nil {
		return err
	}
	var sysctls []resource.Sysctl
	for _, op := range ops {
		sysctls = append(sysctls, resource.Sysctl{Key: op.Key, Value: op.After})
	}
	return h.ops.SetSysctls(ctx, sysctls)
}

func (h *hostApplier) addresses(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.AddressOp](changes)
	if err != nil {
		return err
	}
	for i, op := range ops {
		if changes[i].Action == plan.Delete {
			err = h.ops.DeleteAddress(ctx, op.Address)
		} else {
			err = h.ops.AddAddress(ctx, op.Address)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (h *hostApplier) routes(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.RouteOp](changes)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if err := h.ops.ReplaceRoute(ctx, op.After); err != nil {
			return err
		}
	}
	return nil
}

// files replaces each file atomically (hostops.Host.WriteFile) or removes
// it, keeping the old version as a backup. Files a validator checks go
// last: keepalived -t checks that the scripts its configuration names
// exist.
func (h *hostApplier) files(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.FileOp](changes)
	if err != nil {
		return err
	}
	validated := func(op *plan.FileOp) bool { return op.After != nil && op.After.Validate != "" }
	ordered := slices.Clone(ops)
	slices.SortStableFunc(ordered, func(x, y *plan.FileOp) int {
		switch {
		case validated(x) == validated(y):
			return 0
		case validated(x):
			return 1
		}
		return -1
	})
	for _, op := range ordered {
		suffix := h.a.gen
		switch {
		case op.After == nil:
			err = h.ops.RemoveFile(ctx, op.Path, suffix)
		case h.hp.Bootstrap != nil && op.After.Validate == resource.ValidateKeepalived:
			// The bootstrap first; finishBootstrap writes the planned one.
			f := *op.After
			f.Content = h.hp.Bootstrap
			err = h.ops.WriteFile(ctx, f, suffix)
		default:
			err = h.ops.WriteFile(ctx, *op.After, suffix)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", op.Path, err)
		}
		h.undo.files = append(h.undo.files, fileUndo{path: op.Path, suffix: suffix, existed: op.Before != nil && op.Before.Exists})
	}
	return nil
}

func (h *hostApplier) nat(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.NATOp](changes)
	if err != nil {
		return err
	}
	for i, op := range ops {
		if changes[i].Action == plan.Delete {
			err = h.ops.RemoveNATChain(ctx, op.Chain, op.Jumped)
		} else {
			err = h.ops.RestoreNATChain(ctx, op.Chain, op.After)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// firewall makes clusterctl's part of the host firewall match the plan:
// its iptables chains (with their jumps), or firewalld's rich rules.
func (h *hostApplier) firewall(ctx context.Context, changes []plan.Change) error {
	for _, c := range changes {
		var err error
		switch op := c.Op.(type) {
		case *plan.FirewallChainOp:
			switch {
			case op.NFTTable != "" && c.Action == plan.Delete:
				err = h.ops.RemoveNFTChain(ctx, op.NFTTable, op.From, op.Chain)
			case op.NFTTable != "":
				err = h.ops.RestoreNFTChain(ctx, op.NFTTable, op.From, op.Chain, op.After)
			case c.Action == plan.Delete:
				err = h.ops.RemoveFilterChain(ctx, op.From, op.Chain, op.Jumped)
			default:
				err = h.ops.RestoreFilterChain(ctx, op.From, op.Chain, op.After)
			}
		case *plan.RichRulesOp:
			err = h.ops.RichRules(ctx, op.Zone, op.Add, op.Remove)
		default:
			err = fmt.Errorf("change %s: op %T is not a firewall op", c.Key, c.Op)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.Key, err)
		}
	}
	return nil
}

// ipvs applies the minimal IPVS edits; never a flush. With a drain
// timeout, a destination to delete is first set to weight 0 and deleted
// once its active connections reach 0 (or the timeout passes).
func (h *hostApplier) ipvs(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.IPVSOp](changes)
	if err != nil {
		return err
	}
	edits := make([]ipvs.Edit, len(ops))
	for i, op := range ops {
		edits[i] = op.Edit
	}
	if h.a.opts.DrainTimeout > 0 {
		for _, e := range edits {
			if e.Op == ipvs.DeleteDest {
				if err := h.drain(ctx, e); err != nil {
					return err
				}
			}
		}
	}
	return h.ops.ApplyIPVS(ctx, edits)
}

func (h *hostApplier) drain(ctx context.Context, e ipvs.Edit) error {
	zero := ipvs.Edit{Op: ipvs.EditDest, Service: e.Service, Dest: e.Dest}
	zero.Dest.Weight = 0
	if err := h.ops.ApplyIPVS(ctx, []ipvs.Edit{zero}); err != nil {
		return err
	}
	deadline := h.a.now().Add(h.a.opts.DrainTimeout)
	for {
		stats, err := h.ops.IPVSStats(ctx)
		if err != nil {
			return fmt.Errorf("drain %s: %w", e.Dest.Addr, err)
		}
		active := uint64(0)
		if s := stats.Service(e.Service.Key); s != nil {
			for _, d := range s.Destinations {
				if d.Addr == e.Dest.Addr {
					active = d.ActiveConn
				}
			}
		}
		if active == 0 {
			return nil
		}
		if !h.a.now().Before(deadline) {
			h.a.report(Event{Host: h.hp.Host, Step: string(plan.StepIPVS), Status: StatusInfo, Message: fmt.Sprintf("drain of %s timed out with %d active connections; deleting", e.Dest.Addr, active)})
			return nil
		}
		h.a.sleep(ctx, time.Second)
	}
}

// stopServices stops and disables the services clusterctl no longer
// manages (a host that left a VRRP instance), before the files step
// removes their configuration; hostops checks that each stopped.
func (h *hostApplier) stopServices(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.ServiceOp](changes)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if err := h.serviceSteps(ctx, op); err != nil {
			return err
		}
	}
	return nil
}

// services brings services to their state — keepalived last, as its
// health checks track the others — then reloads or restarts those whose
// configuration changed. hostops checks that each reached its state.
func (h *hostApplier) services(ctx context.Context, changes []plan.Change) error {
	ops, err := opsOf[*plan.ServiceOp](changes)
	if err != nil {
		return err
	}
	ordered := slices.Clone(ops)
	slices.SortStableFunc(ordered, func(x, y *plan.ServiceOp) int {
		switch {
		case (x.Name == "keepalived") == (y.Name == "keepalived"):
			return 0
		case x.Name == "keepalived":
			return 1
		}
		return -1
	})
	if h.unitFilesChanged() {
		if err := h.ops.DaemonReload(ctx); err != nil {
			return err
		}
	}
	for _, op := range ordered {
		if h.holdReload && len(op.StartAfter)+len(op.StartWith) > 0 {
			// Enabled now, started by reloadTogether: right after its
			// peers' reload, or with its peers.
			held := *op
			held.Start = false
			if err := h.serviceSteps(ctx, &held); err != nil {
				return err
			}
			h.heldStart = op.Name
			continue
		}
		if err := h.serviceSteps(ctx, op); err != nil {
			return err
		}
	}
	for _, e := range h.hp.Effects {
		h.undo.effects = append(h.undo.effects, e)
		if h.holdReload && len(e.With) > 0 {
			continue // reloadTogether
		}
		if err := h.ops.Systemctl(ctx, hostops.ServiceAction(e.Action), e.Service); err != nil {
			return err
		}
		h.a.report(Event{Host: h.hp.Host, Step: string(plan.StepServices), Status: StatusInfo, Message: e.Service + " " + e.Action + "ed (" + e.Reason + ")"})
	}
	return nil
}

// serviceSteps runs the systemctl verbs of op in order.
func (h *hostApplier) serviceSteps(ctx context.Context, op *plan.ServiceOp) error {
	for _, step := range []struct {
		do     bool
		action hostops.ServiceAction
	}{{op.Stop, hostops.Stop}, {op.Disable, hostops.Disable}, {op.Enable, hostops.Enable}, {op.Start, hostops.Start}} {
		if !step.do {
			continue
		}
		if err := h.ops.Systemctl(ctx, step.action, op.Name); err != nil {
			return err
		}
		if step.action == hostops.Start {
			h.undo.started = append(h.undo.started, op.Name)
		}
	}
	return nil
}

// unitFilesChanged reports whether a systemd unit file is among the
// host's file changes: systemd reads unit files only on daemon-reload.
func (h *hostApplier) unitFilesChanged() bool {
	for _, c := range h.hp.Changes {
		if c.Kind == plan.KindFile && (strings.HasPrefix(c.Key, "/etc/systemd/system/") || strings.HasPrefix(c.Key, "/lib/systemd/system/")) {
			return true
		}
	}
	return false
}
