package apply

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
)

// reloadTogether reloads keepalived on every host of group at the same
// moment: the connections are opened first, then every reload is sent at
// once, so the members agree again within a few milliseconds (well under
// one advert interval, which measurements showed is what keeps exactly
// one holder).
func (a *applier) reloadTogether(ctx context.Context, group []*plan.HostPlan) error {
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
			errs[i] = ops[i].Systemctl(ctx, hostops.Reload, "keepalived")
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
		others := append(append([]string(nil), names[:i]...), names[i+1:]...)
		a.report(Event{Host: host, Step: string(plan.StepServices), Status: StatusInfo, Elapsed: a.now().Sub(start).Round(time.Millisecond),
			Message: "keepalived reloaded together with " + strings.Join(others, ", ")})
	}
	return errors.Join(failed...)
}
