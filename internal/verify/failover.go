package verify

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops"
)

// Bounds, in time units (seconds), derived from keepalived's timers. A
// BACKUP declares the MASTER dead after 3 adverts without one (plus skew);
// a gracefully stopped MASTER sends a priority-0 advert, so the takeover
// measured in the lab is ~1 s. A restarted MASTER starts in BACKUP (init)
// and preempts after ~3 adverts; measured ~4 s. The slack covers SSH round
// trips and a loaded machine.
const (
	takeoverSlack = 3 // stop keepalived on the MASTER: 3*advert_int + 3
	returnSlack   = 8 // start it again: 3*advert_int + 8 (+ preempt_delay)
	restartSlack  = 5 // health check restarts the service: 3*interval + 5
)

// failoverTests runs the precondition and, per VRRP instance, the health
// check, takeover and return steps.
func (r *runner) failoverTests(ctx context.Context) {
	names := r.cfg.VRRPInstanceNames()
	if len(names) == 0 {
		r.skipStep("precondition", "no vrrp_instance in the configuration: no failover to test")
		return
	}
	if r.step(ctx, "precondition: every VIP held once, keepalived running", r.precondition) != Pass {
		if ctx.Err() == nil {
			r.skipStep("failover tests", "the precondition failed: nothing is stopped on an unhealthy cluster")
		}
		return
	}
	ran := false
	for _, name := range names {
		inst := r.cfg.VRRPInstances[name]
		for _, hc := range restartChecks(r.cfg, inst) {
			if ctx.Err() != nil {
				return
			}
			ran = true
			r.healthCheckStep(ctx, inst, hc)
		}
	}
	if !ran {
		r.skipStep("health check restarts the tracked service", "no vrrp_instance tracks a health_check with process and restart = true")
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		r.keepalivedSteps(ctx, r.cfg.VRRPInstances[name])
	}
}

// restartChecks returns the health checks inst tracks that count a
// process and restart its service.
func restartChecks(cfg *config.Config, inst *config.VRRPInstance) []*config.HealthCheck {
	var out []*config.HealthCheck
	for _, name := range inst.TrackScripts {
		if hc := cfg.HealthChecks[name]; hc != nil && hc.Process != "" && hc.Restart {
			out = append(out, hc)
		}
	}
	return out
}

// allMembers returns every member of every instance, sorted.
func allMembers(cfg *config.Config) []string {
	seen := map[string]bool{}
	var out []string
	for _, inst := range cfg.VRRPInstances {
		for _, m := range inst.Members {
			if !seen[m.Host] {
				seen[m.Host] = true
				out = append(out, m.Host)
			}
		}
	}
	sort.Strings(out)
	return out
}

// precondition checks that keepalived runs on every member and each VIP
// is held by exactly one member: the expected master unless nopreempt.
// Right after an apply or a restart the cluster may still be settling (a
// starting MASTER takes ~4 s to claim its VIPs), so it polls for as long
// as a return may take before it fails. It records each instance's MASTER
// for the later steps.
func (r *runner) precondition(ctx context.Context, st *Step) error {
	hosts := allMembers(r.cfg)
	bound := time.Duration(0)
	for _, inst := range r.cfg.VRRPInstances {
		bound = max(bound, r.seconds(3*max(inst.AdvertInt, 1)+returnSlack+inst.PreemptDelay))
	}
	var details []string
	var masters map[string]string
	took, err := r.poll(ctx, time.Now(), bound, func(ctx context.Context) (bool, error) {
		obs, err := r.observe(ctx, hosts)
		if err != nil {
			return false, err
		}
		var ok bool
		details, masters, ok = r.checkPrecondition(hosts, obs)
		return ok, nil
	})
	st.Details = append(st.Details, details...)
	switch {
	case errors.Is(err, errTimeout):
		st.Status = Fail
		st.detailf("still so after %s", secs(took))
		return nil
	case err != nil:
		return err
	}
	r.masters = masters
	return nil
}

// checkPrecondition judges one observation of the members: the details to
// report, the holder of each instance's VIPs, and whether all is well.
func (r *runner) checkPrecondition(hosts []string, obs map[string]probe) ([]string, map[string]string, bool) {
	var details []string
	masters := map[string]string{}
	ok := true
	bad := func(format string, a ...any) {
		ok = false
		details = append(details, fmt.Sprintf(format, a...))
	}
	for _, h := range hosts {
		if !obs[h].keepalivedRunning() {
			bad("keepalived is not running on %s", h)
		}
	}
	for _, name := range r.cfg.VRRPInstanceNames() {
		inst := r.cfg.VRRPInstances[name]
		if inst.Master() == nil {
			bad("%s: the instance has no members", name)
			continue
		}
		holder := ""
		for i, h := range holders(inst, obs) {
			vip := inst.VirtualIPs[i].Addr()
			switch {
			case len(h) == 0:
				bad("%s: VIP %s is held by no member", name, vip)
			case len(h) > 1:
				bad("%s: split brain: VIP %s is held by %s", name, vip, strings.Join(h, " and "))
			case holder != "" && h[0] != holder:
				bad("%s: VIP %s is held by %s, the other VIPs by %s", name, vip, h[0], holder)
			case !inst.Nopreempt && h[0] != inst.Master().Host:
				bad("%s: VIP %s is held by %s, not by the expected master %s", name, vip, h[0], inst.Master().Host)
			default:
				holder = h[0]
				how := "the expected master"
				if inst.Nopreempt {
					how = "nopreempt: any single holder is fine"
				}
				details = append(details, fmt.Sprintf("%s: VIP %s held by %s (%s)", name, vip, h[0], how))
			}
		}
		masters[name] = holder
	}
	return details, masters, ok
}

// healthCheckStep stops the service hc watches on the MASTER and waits
// for the check to start it again while the VIPs stay put.
func (r *runner) healthCheckStep(ctx context.Context, inst *config.VRRPInstance, hc *config.HealthCheck) {
	master := r.masters[inst.Name]
	service := hc.Service
	if service == "" {
		service = hc.Process
	}
	name := fmt.Sprintf("%s: stop %s on %s → health check %s restarts it", inst.Name, service, master, hc.Name)
	r.withCleanups(ctx, func(ctx context.Context, later func(cleanup)) {
		r.step(ctx, name, func(ctx context.Context, st *Step) error {
			later(r.ensureProcess(master, hc.Process, service))
			bound := r.seconds(3*hc.Interval + restartSlack)
			start := time.Now()
			if err := r.systemctl(ctx, master, hostops.Stop, service); err != nil {
				return err
			}
			var last map[string]probe
			took, err := r.poll(ctx, start, bound, func(ctx context.Context) (bool, error) {
				obs, err := r.observe(ctx, members(inst), hc.Process)
				if err != nil {
					return false, err
				}
				last = obs
				if hs := holders(inst, obs); !allHeldBy(hs, master) {
					return false, fmt.Errorf("the VIPs left %s while %s was down: %s", master, service, describeHolders(inst, hs))
				}
				return obs[master].Procs[hc.Process] > 0, nil
			})
			switch {
			case errors.Is(err, errTimeout):
				return fmt.Errorf("%s still not running on %s after %s (bound: 3 × interval %d + %d)", hc.Process, master, secs(took), hc.Interval, restartSlack)
			case err != nil:
				return err
			}
			st.detailf("stopped %s on %s; %d %s process(es) back after %s (bound %s)", service, master, last[master].Procs[hc.Process], hc.Process, secs(took), secs(bound))
			st.detailf("the VIPs stayed on %s: %s", master, describeHolders(inst, holders(inst, last)))
			return nil
		})
	})
}

// ensureProcess is the cleanup that starts service on host when no
// process named proc runs there.
func (r *runner) ensureProcess(host, proc, service string) cleanup {
	return cleanup{
		name: fmt.Sprintf("start %s on %s", service, host),
		fn: func(ctx context.Context, st *Step) (bool, error) {
			obs, err := r.observe(ctx, []string{host}, proc)
			if err != nil {
				return true, err
			}
			if obs[host].Procs[proc] > 0 {
				return false, nil
			}
			if err := r.systemctl(ctx, host, hostops.Start, service); err != nil {
				return true, err
			}
			st.detailf("%s was not running on %s: started it", proc, host)
			return true, nil
		},
	}
}

// keepalivedSteps stops keepalived on the instance's MASTER, expects a
// BACKUP to take every VIP, starts it again and expects the VIPs back
// (or, with nopreempt, to stay). keepalived is started again on the
// MASTER whatever happens.
func (r *runner) keepalivedSteps(ctx context.Context, inst *config.VRRPInstance) {
	master := r.masters[inst.Name]
	backups := nextInLine(inst, master)
	if len(backups) == 0 {
		r.skipStep(inst.Name+": failover", "the instance has a single member: nobody to take over")
		return
	}
	advert := max(inst.AdvertInt, 1)
	r.withCleanups(ctx, func(ctx context.Context, later func(cleanup)) {
		var newHolder string
		stop := fmt.Sprintf("%s: stop keepalived on %s → VIPs move to %s", inst.Name, master, strings.Join(backups, " or "))
		res := r.step(ctx, stop, func(ctx context.Context, st *Step) error {
			if err := r.settled(ctx, inst, master); err != nil {
				return err
			}
			later(r.ensureKeepalived(ctx, inst, master))
			bound := r.seconds(3*advert + takeoverSlack)
			start := time.Now()
			if err := r.systemctl(ctx, master, hostops.Stop, "keepalived"); err != nil {
				return err
			}
			var hs [][]string
			took, err := r.poll(ctx, start, bound, func(ctx context.Context) (bool, error) {
				obs, err := r.observe(ctx, members(inst))
				if err != nil {
					return false, err
				}
				hs = holders(inst, obs)
				return allHeldBy(hs, backups...), nil
			})
			switch {
			case errors.Is(err, errTimeout):
				return fmt.Errorf("the VIPs did not move to %s within %s (bound: 3 × advert_int %d + %d): %s", strings.Join(backups, " or "), secs(took), advert, takeoverSlack, describeHolders(inst, hs))
			case err != nil:
				return err
			}
			newHolder = hs[0][0]
			for _, vip := range inst.VirtualIPs {
				st.detailf("VIP %s moved %s → %s in %s (bound %s)", vip.Addr(), master, newHolder, secs(took), secs(bound))
			}
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		start := fmt.Sprintf("%s: start keepalived on %s → VIPs return", inst.Name, master)
		if inst.Nopreempt {
			start = fmt.Sprintf("%s: start keepalived on %s → VIPs stay on the new master (nopreempt)", inst.Name, master)
		}
		if res != Pass {
			r.skipStep(start, "the takeover step failed")
			return
		}
		r.step(ctx, start, func(ctx context.Context, st *Step) error {
			if inst.Nopreempt {
				return r.stayStep(ctx, st, inst, master, newHolder, advert)
			}
			bound := r.seconds(3*advert + returnSlack + inst.PreemptDelay)
			begin := time.Now()
			if err := r.systemctl(ctx, master, hostops.Start, "keepalived"); err != nil {
				return err
			}
			var hs [][]string
			took, err := r.poll(ctx, begin, bound, func(ctx context.Context) (bool, error) {
				obs, err := r.observe(ctx, members(inst))
				if err != nil {
					return false, err
				}
				hs = holders(inst, obs)
				return allHeldBy(hs, master), nil
			})
			switch {
			case errors.Is(err, errTimeout):
				return fmt.Errorf("the VIPs did not return to %s within %s (bound: 3 × advert_int %d + %d + preempt_delay %d): %s", master, secs(took), advert, returnSlack, inst.PreemptDelay, describeHolders(inst, hs))
			case err != nil:
				return err
			}
			for _, vip := range inst.VirtualIPs {
				st.detailf("VIP %s returned %s → %s in %s (bound %s)", vip.Addr(), newHolder, master, secs(took), secs(bound))
			}
			return nil
		})
	})
}

// stayStep starts keepalived on the old master of a nopreempt instance
// and checks, for as long as a preempting master would take to return,
// that the VIPs stay on the new one.
func (r *runner) stayStep(ctx context.Context, st *Step, inst *config.VRRPInstance, master, holder string, advert int) error {
	window := r.seconds(3*advert + returnSlack + inst.PreemptDelay)
	begin := time.Now()
	if err := r.systemctl(ctx, master, hostops.Start, "keepalived"); err != nil {
		return err
	}
	var last map[string]probe
	_, err := r.poll(ctx, begin, window, func(ctx context.Context) (bool, error) {
		obs, err := r.observe(ctx, members(inst))
		if err != nil {
			return false, err
		}
		last = obs
		if hs := holders(inst, obs); !allHeldBy(hs, holder) {
			return false, fmt.Errorf("with nopreempt the VIPs should stay on %s, after %s: %s", holder, secs(time.Since(begin)), describeHolders(inst, hs))
		}
		return false, nil
	})
	if !errors.Is(err, errTimeout) {
		return err
	}
	if !last[master].keepalivedRunning() {
		return fmt.Errorf("keepalived is not running on %s after start", master)
	}
	st.detailf("the VIPs stayed on %s for %s after keepalived started on %s (nopreempt)", holder, secs(window), master)
	st.detailf("they remain on %s: moving them back would take another failover", holder)
	return nil
}

// nextInLine returns the members other than master with the highest
// priority among them: the BACKUPs expected to take over.
func nextInLine(inst *config.VRRPInstance, master string) []string {
	var out []string
	best := -1
	for _, m := range inst.Members {
		switch {
		case m.Host == master:
		case m.Priority > best:
			best, out = m.Priority, []string{m.Host}
		case m.Priority == best:
			out = append(out, m.Host)
		}
	}
	return out
}

// settled waits until every VIP of inst is held by master alone (it
// should already be; an earlier instance's failover may still be
// settling).
func (r *runner) settled(ctx context.Context, inst *config.VRRPInstance, master string) error {
	bound := r.seconds(3*max(inst.AdvertInt, 1) + returnSlack + inst.PreemptDelay)
	var hs [][]string
	took, err := r.poll(ctx, time.Now(), bound, func(ctx context.Context) (bool, error) {
		obs, err := r.observe(ctx, members(inst))
		if err != nil {
			return false, err
		}
		hs = holders(inst, obs)
		return allHeldBy(hs, master), nil
	})
	if errors.Is(err, errTimeout) {
		return fmt.Errorf("before the test, the VIPs did not settle on %s within %s: %s", master, secs(took), describeHolders(inst, hs))
	}
	return err
}

// ensureKeepalived is the cleanup that starts keepalived on host when it
// is not running and, unless the run was interrupted, waits for every VIP
// of inst to have exactly one holder again.
func (r *runner) ensureKeepalived(runCtx context.Context, inst *config.VRRPInstance, host string) cleanup {
	return cleanup{
		name: "start keepalived on " + host,
		fn: func(ctx context.Context, st *Step) (bool, error) {
			obs, err := r.observe(ctx, []string{host})
			if err != nil {
				return true, err
			}
			if obs[host].keepalivedRunning() {
				return false, nil
			}
			if err := r.systemctl(ctx, host, hostops.Start, "keepalived"); err != nil {
				return true, err
			}
			st.detailf("keepalived was not running on %s: started it", host)
			if runCtx.Err() != nil {
				return true, nil
			}
			bound := r.seconds(3*max(inst.AdvertInt, 1) + returnSlack + inst.PreemptDelay)
			var hs [][]string
			_, err = r.poll(ctx, time.Now(), bound, func(ctx context.Context) (bool, error) {
				obs, err := r.observe(ctx, members(inst))
				if err != nil {
					return false, err
				}
				hs = holders(inst, obs)
				for _, h := range hs {
					if len(h) != 1 {
						return false, nil
					}
				}
				return true, nil
			})
			if err != nil {
				return true, fmt.Errorf("the VIPs did not settle after the restart: %s", describeHolders(inst, hs))
			}
			st.detailf("%s", describeHolders(inst, hs))
			return true, nil
		},
	}
}
