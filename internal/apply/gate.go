package apply

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// gatePoll is how often a gate looks at the members.
const gatePoll = 500 * time.Millisecond

// gate waits until keepalived runs on the hosts of group with work (where
// it should) and every VIP of every VRRP instance they belong to is held
// by exactly one member — the highest-priority member when a gated host
// is it and preemption applies. When a host's keepalived was started,
// reloaded or restarted at since, one look proves nothing: a transition
// the change causes starts up to a master-down interval later (Instance.
// SettleSeconds). The gate then passes only once that window has passed
// and the state has held for an advert interval. The members of a group
// changed at the same moment are gated together, in one loop.
//
// The gate fails at the first look after its deadline that finds the
// state wrong, or that finds it right for less than the advert interval
// and then wrong; a right state seen late (a slow connection) is given
// the advert interval to prove itself.
func (a *applier) gate(ctx context.Context, group []*plan.HostPlan, since time.Time) error {
	var gated, runs []*plan.HostPlan
	var instances []plan.Instance
	var settle, stable time.Duration
	for _, hp := range group {
		if !hp.HasWork() {
			continue
		}
		var mine []plan.Instance
		for _, in := range a.p.Instances {
			if in.HasMember(hp.Host) {
				mine = append(mine, in)
			}
		}
		if !hp.RunsKeepalived && len(mine) == 0 {
			continue
		}
		gated = append(gated, hp)
		if hp.RunsKeepalived {
			runs = append(runs, hp)
		}
		for _, in := range mine {
			if !slices.ContainsFunc(instances, func(x plan.Instance) bool { return x.Name == in.Name }) {
				instances = append(instances, in)
			}
			if keepalivedTouched(hp) {
				settle = max(settle, time.Duration(in.SettleSeconds()*float64(time.Second)))
				stable = max(stable, time.Duration(max(in.AdvertInt, 1)*float64(time.Second)))
			}
		}
	}
	if len(gated) == 0 {
		return nil
	}
	report := func(status string, elapsed time.Duration, msg string) {
		for _, hp := range gated {
			a.report(Event{Host: hp.Host, Step: StepGate, Status: status, Elapsed: elapsed, Message: msg})
		}
	}
	start := a.now()
	// The timeout counts from when the state could first prove anything.
	deadline := start.Add(a.opts.GateTimeout + settle + stable)
	report(StatusStart, 0, "")
	var okSince time.Time
	for {
		last := a.checkGate(ctx, gated, runs, instances)
		now := a.now()
		switch {
		case last != nil:
			okSince = time.Time{}
		case okSince.IsZero():
			okSince = now
		}
		if last == nil && now.Sub(since) >= settle && now.Sub(okSince) >= stable {
			report(StatusDone, now.Sub(start), "keepalived running, each VIP held by one node")
			return nil
		}
		if ctx.Err() != nil || last != nil && !now.Before(deadline) {
			if last == nil {
				last = ctx.Err()
			}
			report(StatusFailed, now.Sub(start), last.Error())
			names := make([]string, len(gated))
			for i, hp := range gated {
				names[i] = hp.Host
			}
			what := "this director"
			if len(names) > 1 {
				what = "these directors"
			}
			return fmt.Errorf("%s: stopped the rollout after %s: %w after %s: %w", strings.Join(names, ", "), what, ErrGate, now.Sub(start).Round(time.Millisecond), last)
		}
		a.sleep(ctx, gatePoll)
	}
}

// keepalivedTouched reports whether applying hp starts, reloads or
// restarts keepalived.
func keepalivedTouched(hp *plan.HostPlan) bool {
	for _, e := range hp.Effects {
		if e.Service == "keepalived" {
			return true
		}
	}
	for _, c := range hp.Changes {
		if op, ok := c.Op.(*plan.ServiceOp); ok && op.Name == "keepalived" && op.Start {
			return true
		}
	}
	return false
}

// checkGate looks once; nil means settled.
func (a *applier) checkGate(ctx context.Context, gated, runs []*plan.HostPlan, instances []plan.Instance) error {
	seen, err := a.checkSettled(ctx, runs, instances, true)
	if err != nil {
		return err
	}
	for _, hp := range gated {
		for _, in := range instances {
			if len(in.Members) == 0 || !in.Preempt || in.Members[0] != hp.Host {
				continue
			}
			// With nopreempt or preempt_delay the highest priority need
			// not hold the VIPs yet; exactly one holder is enough then.
			for _, vip := range in.VIPs {
				if hs := seen[in.Name][vip]; len(hs) == 1 && hs[0] != hp.Host {
					return fmt.Errorf("%s: VIP %s is on %s, expected on %s (highest priority)", in.Name, vip, hs[0], hp.Host)
				}
			}
		}
	}
	return nil
}

// checkSettled looks once whether keepalived is active on runs and each
// VIP of instances has one holder (or, without needHolder, at most one).
// It returns the holders it saw, by instance.
func (a *applier) checkSettled(ctx context.Context, runs []*plan.HostPlan, instances []plan.Instance, needHolder bool) (map[string]map[netip.Addr][]string, error) {
	for _, hp := range runs {
		ops, err := a.hosts.Open(ctx, hp.Host)
		if err != nil {
			return nil, err
		}
		active, state, err := ops.ServiceActive(ctx, "keepalived")
		if err != nil {
			return nil, err
		}
		if !active {
			return nil, fmt.Errorf("keepalived is not running on %s (%s)", hp.Host, state)
		}
	}
	seen := map[string]map[netip.Addr][]string{}
	for _, in := range instances {
		holders, err := a.holders(ctx, in)
		if err != nil {
			return nil, err
		}
		seen[in.Name] = holders
		for _, vip := range in.VIPs {
			switch hs := holders[vip]; {
			case len(hs) == 0 && needHolder:
				return nil, fmt.Errorf("%s: no node holds VIP %s", in.Name, vip)
			case len(hs) > 1:
				return nil, fmt.Errorf("%s: split brain: VIP %s is held by %s", in.Name, vip, strings.Join(hs, " and "))
			}
		}
	}
	return seen, nil
}

// holders reads who holds each VIP of in, from every member's addresses.
func (a *applier) holders(ctx context.Context, in plan.Instance) (map[netip.Addr][]string, error) {
	holders := map[netip.Addr][]string{}
	for _, m := range in.Members {
		ops, err := a.hosts.Open(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("read addresses of %s: %w", m, err)
		}
		addrs, err := ops.Addresses(ctx)
		if err != nil {
			return nil, fmt.Errorf("read addresses of %s: %w", m, err)
		}
		for _, vip := range in.VIPs {
			if resource.HoldsVIP(addrs, in.Interface, vip) {
				holders[vip] = append(holders[vip], m)
			}
		}
	}
	return holders, nil
}
