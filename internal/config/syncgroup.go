package config

import (
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

var syncGroupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "instances", Required: true},
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
