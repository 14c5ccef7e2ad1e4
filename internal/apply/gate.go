package apply

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// gatePoll is how often a gate looks at the members.
const gatePoll = 500 * time.Millisecond

// gate waits until keepalived runs on the host (when it should) and every
// VIP of every VRRP instance the host belongs to is held by exactly one
// member — the highest-priority member when the gated host is it and
// preemption applies.
func (a *applier) gate(ctx context.Context, hp *plan.HostPlan) error {
	var instances []plan.Instance
	for _, in := range a.p.Instances {
		if in.HasMember(hp.Host) {
			instances = append(instances, in)
		}
	}
	if !hp.RunsKeepalived && len(instances) == 0 {
		return nil
	}
	start := a.now()
	deadline := start.Add(a.opts.GateTimeout)
	a.report(Event{Host: hp.Host, Step: StepGate, Status: StatusStart})
	for {
		last := a.checkGate(ctx, hp, instances)
		if last == nil {
			a.report(Event{Host: hp.Host, Step: StepGate, Status: StatusDone, Elapsed: a.now().Sub(start), Message: "keepalived running, each VIP held by one node"})
			return nil
		}
		if ctx.Err() != nil || !a.now().Before(deadline) {
			a.report(Event{Host: hp.Host, Step: StepGate, Status: StatusFailed, Elapsed: a.now().Sub(start), Message: last.Error()})
			return fmt.Errorf("%w after %s: %w", ErrGate, a.opts.GateTimeout, last)
		}
		a.sleep(ctx, gatePoll)
	}
}

// checkGate looks once; nil means settled.
func (a *applier) checkGate(ctx context.Context, hp *plan.HostPlan, instances []plan.Instance) error {
	if hp.RunsKeepalived {
		ops, err := a.hosts.Open(ctx, hp.Host)
		if err != nil {
			return err
		}
		active, state, err := ops.ServiceActive(ctx, "keepalived")
		if err != nil {
			return err
		}
		if !active {
			return fmt.Errorf("keepalived is not running on %s (%s)", hp.Host, state)
		}
	}
	for _, in := range instances {
		holders := map[netip.Addr][]string{}
		for _, m := range in.Members {
			ops, err := a.hosts.Open(ctx, m)
			if err != nil {
				return fmt.Errorf("read addresses of %s: %w", m, err)
			}
			addrs, err := ops.Addresses(ctx)
			if err != nil {
				return fmt.Errorf("read addresses of %s: %w", m, err)
			}
			for _, vip := range in.VIPs {
				if resource.HoldsVIP(addrs, in.Interface, vip) {
					holders[vip] = append(holders[vip], m)
				}
			}
		}
		for _, vip := range in.VIPs {
			hs := holders[vip]
			switch {
			case len(hs) == 0:
				return fmt.Errorf("%s: no node holds VIP %s", in.Name, vip)
			case len(hs) > 1:
				return fmt.Errorf("%s: split brain: VIP %s is held by %s", in.Name, vip, strings.Join(hs, " and "))
			}
			// With nopreempt or preempt_delay the highest priority need not
			// hold the VIPs yet; exactly one holder is enough then.
			if len(in.Members) > 0 && in.Preempt && in.Members[0] == hp.Host && hs[0] != hp.Host {
				return fmt.Errorf("%s: VIP %s is on %s, expected on %s (highest priority)", in.Name, vip, hs[0], hp.Host)
			}
		}
	}
	return nil
}
