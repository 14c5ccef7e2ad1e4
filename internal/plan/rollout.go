package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/keepalived"
)

// Wave is one round of the director rollout. Its steps share nothing (no
// VRRP instance, no VIP, no virtual server, as configured or as found on
// the hosts), so they run at the same time; the next wave starts once
// every step of this one has passed its gates.
type Wave struct {
	Steps []WaveStep `json:"steps"`
}

// WaveStep is directors applied as one unit and then gated: one
// director, or the members of a VRRP instance whose keepalived reloads
// (Effect.With) or starts (ServiceOp.StartWith, StartAfter) happen at the
// same moment.
type WaveStep struct {
	Hosts []string `json:"hosts"`
}

// String is the step's hosts joined by "+".
func (s WaveStep) String() string { return strings.Join(s.Hosts, "+") }

// Links returns the sets of cfg's hosts that must not be rolled out
// independently: the members of each VRRP instance and the directors of
// each virtual server. Build adds the instances and VIPs found on the
// hosts.
func Links(cfg *config.Config) [][]string {
	var out [][]string
	for _, name := range cfg.VRRPInstanceNames() {
		var hosts []string
		for _, m := range cfg.VRRPInstances[name].Members {
			hosts = append(hosts, m.Host)
		}
		out = append(out, hosts)
	}
	for _, name := range cfg.VirtualServerNames() {
		out = append(out, slices.Clone(cfg.VirtualServers[name].Directors))
	}
	return out
}

// liveLinks returns the hosts that share a VRRP instance name or a VIP
// in their keepalived.conf, as found or as planned.
func liveLinks(views map[string][]memberView) [][]string {
	byVIP := map[string][]string{}
	var out [][]string
	for _, name := range slices.Sorted(maps.Keys(views)) {
		var hosts []string
		for _, v := range views[name] {
			hosts = append(hosts, v.host)
			for _, in := range []*keepalived.Instance{v.old, v.new} {
				if in == nil {
					continue
				}
				for _, w := range in.VIPs {
					addr, _, _ := strings.Cut(strings.Fields(w)[0], "/")
					byVIP[addr] = append(byVIP[addr], v.host)
				}
			}
		}
		out = append(out, hosts)
	}
	for _, addr := range slices.Sorted(maps.Keys(byVIP)) {
		out = append(out, byVIP[addr])
	}
	return out
}

// PlanWaves sets p.Waves (Build does; tests that make plans by hand call
// it). links are hosts that must not be rolled out independently (Links,
// and what is found on the hosts); the members of p.Instances are added.
//
// It splits the directors of p with work into independent groups
// (hosts linked directly or through others are one group), orders each
// group's steps as the safe order within it (p.Hosts: backups by rising
// priority, then the master; members reloaded together as one step) and
// makes wave k of the k-th step of every group. A group whose members all
// start keepalived for the first time has no VIP to protect yet: its
// members are started together (ServiceOp.StartWith) and gated once, as
// one step.
func (p *Plan) PlanWaves(links [][]string) {
	for _, in := range p.Instances {
		links = append(links, in.Members)
	}
	root := map[string]string{}
	var find func(string) string
	find = func(h string) string {
		if r, ok := root[h]; ok && r != h {
			r = find(r)
			root[h] = r
			return r
		}
		root[h] = h
		return h
	}
	union := func(a, b string) {
		if ra, rb := find(a), find(b); ra != rb {
			root[rb] = ra
		}
	}
	for _, l := range links {
		for _, h := range l[min(1, len(l)):] {
			union(l[0], h)
		}
	}
	for _, hp := range p.Hosts {
		for _, h := range hp.linkedReloads() {
			union(hp.Host, h)
		}
	}
	var groups [][]*HostPlan
	index := map[string]int{}
	for i := range p.Hosts {
		hp := &p.Hosts[i]
		if !hp.Role.Director() || !hp.HasWork() {
			continue
		}
		r := find(hp.Host)
		if _, ok := index[r]; !ok {
			index[r] = len(groups)
			groups = append(groups, nil)
		}
		groups[index[r]] = append(groups[index[r]], hp)
	}
	p.Waves = nil
	for _, g := range groups {
		steps := p.freshStart(g, links, find)
		if steps == nil {
			steps = stepsOf(g)
		}
		for k, s := range steps {
			if k == len(p.Waves) {
				p.Waves = append(p.Waves, Wave{})
			}
			p.Waves[k].Steps = append(p.Waves[k].Steps, s)
		}
	}
}

// stepsOf cuts a group of directors, in rollout order, into steps: each
// director with the members its reload or start is grouped with.
func stepsOf(g []*HostPlan) []WaveStep {
	in := map[string]int{} // host → step
	var steps []WaveStep
	for _, hp := range g {
		if _, ok := in[hp.Host]; ok {
			continue
		}
		members := map[string]bool{hp.Host: true}
		for grown := true; grown; {
			grown = false
			for _, d := range g {
				for _, h := range d.linkedReloads() {
					if members[d.Host] != members[h] {
						members[d.Host], members[h], grown = true, true, true
					}
				}
			}
		}
		var s WaveStep
		for _, d := range g {
			if members[d.Host] {
				s.Hosts = append(s.Hosts, d.Host)
				in[d.Host] = len(steps)
			}
		}
		steps = append(steps, s)
	}
	return steps
}

// freshStart returns the single step of a group whose every director
// starts keepalived now and ran none before, with each one's start marked
// StartWith the others; nil when the group is not such a group (or is one
// director, or a director linked to it is not planned: -target).
func (p *Plan) freshStart(g []*HostPlan, links [][]string, find func(string) string) []WaveStep {
	if len(g) < 2 {
		return nil
	}
	root := find(g[0].Host)
	for _, l := range links {
		for _, h := range l {
			if find(h) == root && !slices.ContainsFunc(g, func(hp *HostPlan) bool { return hp.Host == h }) {
				return nil
			}
		}
	}
	var starts []*ServiceOp
	for _, hp := range g {
		var start *ServiceOp
		for _, c := range hp.Changes {
			if op, ok := c.Op.(*ServiceOp); ok && op.Name == "keepalived" && op.Start && !op.Before.Active && len(op.StartAfter) == 0 {
				start = op
			}
		}
		if start == nil || len(hp.Effects) > 0 {
			return nil
		}
		starts = append(starts, start)
	}
	var s WaveStep
	for _, hp := range g {
		s.Hosts = append(s.Hosts, hp.Host)
	}
	for i, op := range starts {
		op.StartWith = slices.DeleteFunc(slices.Clone(s.Hosts), func(h string) bool { return h == g[i].Host })
		g[i].Notes = append(g[i].Notes, fmt.Sprintf("keepalived starts together with %s: no member runs keepalived yet, so there is no VIP to hand over and one gate serves all", strings.Join(op.StartWith, ", ")))
	}
	return []WaveStep{s}
}

// linkedReloads are the hosts hp's keepalived reload or start is grouped
// with.
func (hp *HostPlan) linkedReloads() []string {
	var out []string
	for _, e := range hp.Effects {
		out = append(out, e.With...)
	}
	for _, c := range hp.Changes {
		if op, ok := c.Op.(*ServiceOp); ok {
			out = append(out, op.StartAfter...)
			out = append(out, op.StartWith...)
		}
	}
	return out
}
