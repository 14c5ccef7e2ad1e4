package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

var syncGroupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "instances", Required: true}, {Name: "tracking_weight"},
		{Name: "notify_master"}, {Name: "notify_backup"}, {Name: "notify_fault"}, {Name: "notify"}, {Name: "notify_stop"},
	},
}

func (d *decoder) decodeSyncGroup(blk *hcl.Block) *SyncGroup {
	g := &SyncGroup{Name: blk.Labels[0], DeclRange: blk.DefRange}
	if !reName.MatchString(g.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid sync group name", "vrrp_sync_group names must match %s; got %q.", reName, g.Name)
	}
	r := d.reader(blk.Body, syncGroupSchema)
	g.Ranges = r.ranges
	for _, n := range []struct {
		attr string
		dst  *string
	}{{"notify_master", &g.NotifyMaster}, {"notify_backup", &g.NotifyBackup}, {"notify_fault", &g.NotifyFault}, {"notify", &g.Notify}, {"notify_stop", &g.NotifyStop}} {
		if s := r.str(n.attr, ""); s != "" {
			if !validCommand(s) {
				r.errorf(r.ranges[n.attr], "Invalid notify script", "%s must be an absolute path (no . or .. component) optionally followed by simple arguments (letters, digits and ._+@/=:,-); got %q.", n.attr, s)
			}
			*n.dst = s
		}
	}
	g.TrackingWeight = r.boolean("tracking_weight", false)
	d.pendingSync[g.Name] = r.refs("instances", "vrrp_instance")
	d.done(r)
	return g
}

// resolveSyncGroups turns instance references into names and checks
// what keepalived 2.2.7 checks of a group's declaration: the instances
// exist, there are at least two, and none is in two groups.
func (d *decoder) resolveSyncGroups(cfg *Config) {
	owner := map[string]*SyncGroup{}
	for _, name := range cfg.SyncGroupNames() {
		g := cfg.SyncGroups[name]
		refs := d.pendingSync[name]
		for _, ref := range refs {
			if _, ok := cfg.VRRPInstances[ref.Name]; !ok {
				d.errorf(ref.Range.Ptr(), "Reference to undeclared VRRP instance",
					"There is no vrrp_instance %q.%s", ref.Name, suggest(ref.Name, cfg.VRRPInstanceNames()))
				continue
			}
			if slices.Contains(g.Instances, ref.Name) {
				d.errorf(ref.Range.Ptr(), "Duplicate instance in sync group", "vrrp_instance %q is listed twice.", ref.Name)
				continue
			}
			if other, dup := owner[ref.Name]; dup {
				// keepalived 2.2.7: "Virtual router VI_1 cannot exist in
				// more than one sync group; ignoring VG_2".
				d.errorf(ref.Range.Ptr(), "Instance in two sync groups",
					"vrrp_instance %q is already in vrrp_sync_group %q (%s); an instance belongs to at most one group (keepalived 2.2.7 ignores the second and `keepalived -t` rejects the file).", ref.Name, other.Name, other.DeclRange.String())
				continue
			}
			owner[ref.Name] = g
			g.Instances = append(g.Instances, ref.Name)
		}
		if len(refs) < 2 {
			// keepalived 2.2.7: "Sync group VG_1 has only 1 virtual
			// router(s) - this probably isn't what you want" (exit 5).
			d.errorf(g.Ranges.At("instances", g.DeclRange).Ptr(), "Sync group of fewer than two instances",
				"A vrrp_sync_group makes instances change state together, so it needs at least two (keepalived 2.2.7 rejects one: \"this probably isn't what you want\").")
		}
	}
}

// syncGroups checks that the instances of each group have the same
// members: keepalived on a host renders the group with the instances the
// host runs, and an instance missing there breaks the group ("Virtual
// router ... specified in sync group doesn't exist").
func (v *validator) syncGroups() {
	for _, name := range v.cfg.SyncGroupNames() {
		g := v.cfg.SyncGroups[name]
		if len(g.Instances) < 2 {
			continue
		}
		if !g.TrackingWeight {
			v.syncGroupWeights(g)
		}
		first := v.cfg.VRRPInstances[g.Instances[0]]
		want := memberSet(first)
		for _, in := range g.Instances[1:] {
			inst := v.cfg.VRRPInstances[in]
			if got := memberSet(inst); !maps.Equal(want, got) {
				v.errorf(g.Ranges.At("instances", g.DeclRange), "Sync group instances with different members",
					"vrrp_instance %q has members %s and %q has %s; the instances of a sync group must run on the same hosts, since each host's keepalived groups the instances it has.",
					first.Name, strings.Join(slices.Sorted(maps.Keys(want)), ", "), inst.Name, strings.Join(slices.Sorted(maps.Keys(got)), ", "))
			}
		}
	}
}

// syncGroupWeights reports a weighted tracker of a grouped instance:
// keepalived 2.2.7 ignores its weight ("ignoring tracked script ... with
// weights due to SYNC group", `keepalived -t` exits 5) unless the group
// has sync_group_tracking_weight.
func (v *validator) syncGroupWeights(g *SyncGroup) {
	for _, in := range g.Instances {
		inst := v.cfg.VRRPInstances[in]
		var what string
		var at hcl.Range
		for _, n := range inst.TrackScripts {
			if hc := v.cfg.HealthChecks[n]; hc != nil && hc.Weight != 0 && what == "" {
				what, at = fmt.Sprintf("health_check %q (weight %d)", n, hc.Weight), hc.Ranges.At("weight", hc.DeclRange)
			}
		}
		for _, n := range inst.TrackProcesses {
			if t := v.cfg.TrackProcesses[n]; t != nil && t.Weight != 0 && what == "" {
				what, at = fmt.Sprintf("track_process %q (weight %d)", n, t.Weight), t.Ranges.At("weight", t.DeclRange)
			}
		}
		for _, n := range inst.TrackFiles {
			if t := v.cfg.TrackFiles[n]; t != nil && t.Weight != 0 && what == "" {
				what, at = fmt.Sprintf("track_file %q (weight %d)", n, t.Weight), t.Ranges.At("weight", t.DeclRange)
			}
		}
		if what != "" {
			v.errorf(at, "Weighted tracking in a sync group",
				"vrrp_instance %q is in vrrp_sync_group %q and tracks %s; keepalived 2.2.7 ignores the weights of a grouped instance's trackers (a failure sends the whole group to FAULT) and `keepalived -t` rejects the file. Set tracking_weight = true on the group to keep the weights, or remove the weight.", in, g.Name, what)
		}
	}
}

func memberSet(inst *VRRPInstance) map[string]bool {
	out := map[string]bool{}
	for _, m := range inst.Members {
		out[m.Host] = true
	}
	return out
}

// SyncGroupOf returns the sync group holding instance name, or nil.
func (c *Config) SyncGroupOf(name string) *SyncGroup {
	for _, g := range c.SyncGroups {
		if slices.Contains(g.Instances, name) {
			return g
		}
	}
	return nil
}
