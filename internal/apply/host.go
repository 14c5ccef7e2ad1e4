package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// hostApplier applies one host's plan, step by step in plan.Steps order.
type hostApplier struct {
	a   *applier
	ops hostops.Host
	hp  *plan.HostPlan
	// holdReload leaves the keepalived reload the plan groups with other
	// hosts (Effect.With), and a start that follows such reloads
	// (ServiceOp.StartAfter), to reloadTogether; heldStart is the service
	// whose start was held.
	holdReload bool
	heldStart  string
	// done counts what was done, for the final summary.
	done plan.Summary
	// undo is what a rollback reverses: files written or removed (in
	// order), services started, effects run.
	undo undoLog
	// intent is the manifest recordIntent wrote, if it wrote one.
	intent []resource.ManifestEntry
	// manifestKept is set once the manifest as found was kept as a
	// backup of this apply's generation (the first manifest write does).
	manifestKept bool
}

// writeManifest replaces the host's manifest; the first write of the
// apply keeps the manifest as found in the apply's generation of backups.
func (h *hostApplier) writeManifest(ctx context.Context, entries []resource.ManifestEntry) error {
	suffix := ""
	if !h.manifestKept {
		suffix = h.a.gen
	}
	// Tried once only: a write whose reply was lost may have kept the
	// backup already, and a second one would overwrite it.
	h.manifestKept = true
	return h.ops.WriteManifest(ctx, entries, suffix)
}

// undoLog records what a host's apply did that a rollback reverses.
type undoLog struct {
	files   []fileUndo
	started []string      // services started by this apply
	effects []plan.Effect // reloads and restarts run (or held for reloadTogether)
}

// fileUndo is a file written or removed: its backup suffix, and whether
// a previous version existed (and so was backed up).
type fileUndo struct {
	path, suffix string
	existed      bool
}

// stepFunc applies the changes of one step.
type stepFunc func(ctx context.Context, changes []plan.Change) error

// apply runs the host's steps in plan.Steps order, then writes the
// manifest. Between steps it stops if ctx was cancelled; a step that
// started runs to its end (bounded by the command timeout), so a host is
// never left between, say, an upload and its rename.
func (h *hostApplier) apply(ctx context.Context) error {
	funcs := map[plan.Step]stepFunc{
		plan.StepPackages: h.packages, plan.StepModules: h.modules, plan.StepSysctls: h.sysctls,
		plan.StepAddresses: h.addresses, plan.StepRoutes: h.routes, plan.StepStopServices: h.stopServices,
		plan.StepFiles: h.files, plan.StepNAT: h.nat, plan.StepFirewall: h.firewall, plan.StepIPVS: h.ipvs, plan.StepServices: h.services,
	}
	intent := false
	for _, step := range plan.Steps {
		name := string(step)
		changes := h.changesOf(step)
		if len(changes) == 0 && !(step == plan.StepServices && len(h.hp.Effects) > 0) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted before %s: %w", name, err)
		}
		// Before the first step that creates something the manifest
		// tracks, record it, so that a failure part way (a dropped
		// connection, a kill) never leaves a created resource unrecorded.
		if !intent && tracked(step) {
			intent = true
			if err := h.recordIntent(context.WithoutCancel(ctx)); err != nil {
				return err
			}
		}
		start := time.Now()
		h.a.report(Event{Host: h.hp.Host, Step: name, Status: StatusStart, Count: len(changes)})
		if err := funcs[step](context.WithoutCancel(ctx), changes); err != nil {
			h.a.report(Event{Host: h.hp.Host, Step: name, Status: StatusFailed, Elapsed: time.Since(start), Message: err.Error()})
			if intent && errors.Is(err, hostops.ErrValidation) {
				h.dropUnowedPending(context.WithoutCancel(ctx))
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, c := range changes {
			h.done.Count(c.Action)
		}
		h.a.report(Event{Host: h.hp.Host, Step: name, Status: StatusDone, Elapsed: time.Since(start), Count: len(changes)})
	}
	return h.manifest(context.WithoutCancel(ctx))
}

func (h *hostApplier) changesOf(step plan.Step) []plan.Change {
	var out []plan.Change
	for _, c := range h.hp.Changes {
		if c.Step() == step {
			out = append(out, c)
		}
	}
	return out
}

// manifest records what clusterctl manages on the host when that changed
// (or the host had changes). While a reload is held for reloadTogether
// (or a bootstrap), the manifest still owes it: it is written once that
// ran (settleManifest).
func (h *hostApplier) manifest(ctx context.Context) error {
	if h.owes() {
		return nil
	}
	if slices.Equal(h.hp.ManifestBefore, h.hp.Manifest) && len(h.hp.Changes) == 0 {
		return nil
	}
	return h.writeManifest(ctx, h.hp.Manifest)
}

// owes reports whether a reload or start of the host waits for
// reloadTogether or a bootstrap.
func (h *hostApplier) owes() bool {
	if h.heldStart != "" || h.hp.Bootstrap != nil {
		return true
	}
	if h.holdReload {
		for _, e := range h.hp.Effects {
			if len(e.With) > 0 {
				return true
			}
		}
	}
	return false
}

// dropUnowedPending rewrites the intent manifest without the reloads and
// restarts it recorded as owed, after a validator rejected a file (which
// leaves the file as it was) and no other file changed: effects follow
// file changes, so none is owed then, unless it was owed before this
// apply. Any other failure may have changed the file (a lost reply), so
// the reload stays owed. Best effort: if the write fails, the next plan
// plans a reload, which is harmless.
func (h *hostApplier) dropUnowedPending(ctx context.Context) {
	if len(h.undo.files) > 0 || h.intent == nil {
		return
	}
	before := map[resource.ManifestEntry]bool{}
	for _, e := range h.hp.ManifestBefore {
		before[e] = true
	}
	kept := slices.DeleteFunc(slices.Clone(h.intent), func(e resource.ManifestEntry) bool {
		return e.Kind == resource.ManifestPending && !before[e]
	})
	if len(kept) != len(h.intent) {
		_ = h.writeManifest(ctx, kept)
	}
}

// recordIntent writes, before any change, a manifest listing what the host
// has under management now and everything the plan adds, when the
// manifest as found lacks some of the latter. An apply interrupted later
// (a dropped connection, a kill) thus never leaves a resource it created
// unrecorded; the final manifest write trims the list.
func (h *hostApplier) recordIntent(ctx context.Context) error {
	have := map[resource.ManifestEntry]bool{}
	var union []resource.ManifestEntry
	for _, e := range h.hp.ManifestBefore {
		if !have[e] {
			have[e] = true
			union = append(union, e)
		}
	}
	missing := false
	for _, e := range append(slices.Clone(h.hp.Manifest), h.hp.Pending()...) {
		if !have[e] {
			have[e] = true
			missing = true
			union = append(union, e)
		}
	}
	if !missing {
		return nil
	}
	resource.SortManifest(union)
	h.intent = union
	return h.writeManifest(ctx, union)
}

// tracked reports whether step creates resources the manifest records.
func tracked(step plan.Step) bool {
	switch step {
	case plan.StepAddresses, plan.StepFiles, plan.StepNAT, plan.StepFirewall, plan.StepIPVS:
		return true
	}
	return false
}
