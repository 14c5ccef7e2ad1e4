package apply

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
)

// reloadTogether reloads keepalived on the hosts of group that hold a
// grouped reload, at the same moment: the connections are opened first,
// then every reload is sent at once, so the members agree again within a
// few milliseconds (measured: within one master-down interval keeps
// exactly one holder). Then it starts, at the same moment, the services
// held for right after (members joining a unicast instance) or held to
// start with their peers (the members of an instance none ran before).
func (a *applier) reloadTogether(ctx context.Context, group []*plan.HostPlan) error {
	var reload, start []*plan.HostPlan
	for _, hp := range group {
		if h := a.applier(hp.Host); h != nil && h.heldStart != "" {
			start = append(start, hp)
		} else if slices.ContainsFunc(hp.Effects, func(e plan.Effect) bool { return len(e.With) > 0 }) {
			reload = append(reload, hp)
		}
	}
	if err := a.together(ctx, reload, hostops.Reload, nil); err != nil {
		return err
	}
	return a.together(ctx, start, hostops.Start, reload)
}

// together runs `systemctl ACTION keepalived` on every host of group at
// the same moment; reloaded are the hosts whose reload it follows.
func (a *applier) together(ctx context.Context, group []*plan.HostPlan, action hostops.ServiceAction, reloaded []*plan.HostPlan) error {
	if len(group) == 0 {
		return nil
	}
	names := make([]string, len(group))
	ops := make([]hostops.Host, len(group))
	for i, hp := range group {
		names[i] = hp.Host
		o, err := a.hosts.Open(ctx, hp.Host)
		if err != nil {
			a.fail(hp.Host)
			return &remote.HostError{Host: hp.Host, Err: err}
		}
		ops[i] = o
	}
	start := a.now()
	errs := make([]error, len(group))
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i := range group {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			errs[i] = ops[i].Systemctl(ctx, action, "keepalived")
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()
	var failed []error
	for i, err := range errs {
		host := names[i]
		if err != nil {
			a.fail(host)
			a.report(Event{Host: host, Step: string(plan.StepServices), Status: StatusFailed, Elapsed: a.now().Sub(start), Message: err.Error()})
			failed = append(failed, &remote.HostError{Host: host, Err: err})
			continue
		}
		msg := "keepalived " + string(action) + "ed"
		if others := append(append([]string(nil), names[:i]...), names[i+1:]...); len(others) > 0 {
			msg += " together with " + strings.Join(others, ", ")
		}
		if action == hostops.Start {
			if len(reloaded) > 0 {
				msg = "keepalived started right after its peers' reload"
			}
			if h := a.applier(host); h != nil {
				h.undo.started = append(h.undo.started, "keepalived")
			}
		}
		a.report(Event{Host: host, Step: string(plan.StepServices), Status: StatusInfo, Elapsed: a.now().Sub(start).Round(time.Millisecond), Message: msg})
	}
	return errors.Join(failed...)
}
