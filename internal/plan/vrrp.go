package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// The measured timings the VRRP bounds are built from (keepalived 2.2.7,
// lab and VM lane; docs/apply.md "Disruption"):
const (
	// handoverSeconds: a graceful handover (a reload that moves the
	// master, a stop that sends a priority-0 advert) leaves a VIP unheld
	// or held twice at most this long.
	handoverSeconds = 1.5
	// reloadSlack: from `systemctl reload` on the first member to keepalived
	// running the new configuration on the last, reloaded together.
	reloadSlack = 0.5
)

// masterDownSeconds is how long the backups of an instance wait, after
// the last advert they accepted, before one takes over: three advert
// intervals plus the skew of the backup's priority (RFC 5798 §6.1).
func masterDownSeconds(advert float64, priority int) float64 {
	return 3*advert + float64(256-priority)/256*advert
}

// memberView is one member's instance as found on its host and as the
// configuration renders it (nil where the file has no such instance).
type memberView struct {
	host     string
	old, new *keepalived.Instance
	running  bool // keepalived active on the host
	holds    bool // the host holds the instance's first VIP now
}

// keepalivedConf returns the keepalived configuration among files (the
// one with keepalived's validator), or nil.
func keepalivedConf(files []resource.File) *resource.File {
	for i := range files {
		if files[i].Validate == resource.ValidateKeepalived {
			return &files[i]
		}
	}
	return nil
}

// parseInstances reads the VRRP instances of a keepalived.conf content;
// nil when there is none or it does not parse.
func parseInstances(path string, content []byte) map[string]*keepalived.Instance {
	if len(content) == 0 {
		return nil
	}
	nodes, err := keepalived.Parse(path, content)
	if err != nil {
		return nil
	}
	return keepalived.ReadVRRP(nodes).Instances
}

// classifyVRRP refines the impact of every keepalived.conf change and
// keepalived stop in p from what the change does to each VRRP instance
// across all its members: an instance's members must agree on what they
// advertise, so the same change means a reload on one host and an outage
// on another only through the instance as a whole.
func classifyVRRP(p *Plan, inputs map[string]Input) {
	views := map[string][]memberView{} // by instance name
	for i := range p.Hosts {
		hp := &p.Hosts[i]
		in := inputs[hp.Host]
		if in.Observed == nil || in.Desired == nil {
			continue
		}
		path := resource.KeepalivedConfPath
		var newInst map[string]*keepalived.Instance
		if f := keepalivedConf(in.Desired.Files); f != nil {
			path = f.Path
			newInst = parseInstances(path, f.Content)
		}
		oldInst := parseInstances(path, in.Observed.Files[path].Content)
		running := in.Observed.Services["keepalived"].Active
		for name := range unionKeys(oldInst, newInst) {
			v := memberView{host: hp.Host, old: oldInst[name], new: newInst[name], running: running}
			if v.old != nil && running && len(v.old.VIPs) > 0 {
				vip := strings.Fields(v.old.VIPs[0])[0]
				vip, _, _ = strings.Cut(vip, "/")
				for _, a := range in.Observed.Addresses {
					if a.Prefix.Addr().String() == vip && (v.old.Interface == "" || a.Dev == v.old.Interface) {
						v.holds = true
					}
				}
			}
			views[name] = append(views[name], v)
		}
	}
	impacts := map[string]Impact{}
	for name, members := range views {
		impacts[name] = instanceImpact(name, members, p.instance(name))
	}
	p.groupReloads(views)
	for i := range p.Hosts {
		hp := &p.Hosts[i]
		for j := range hp.Changes {
			c := &hp.Changes[j]
			switch op := c.Op.(type) {
			case *FileOp:
				if !isKeepalivedConf(op) {
					continue
				}
				for name, members := range views {
					if slices.ContainsFunc(members, func(v memberView) bool { return v.host == hp.Host }) {
						c.Impact = Worse(c.Impact, impacts[name])
					}
				}
			case *ServiceOp:
				if op.Name != "keepalived" || !op.Stop {
					continue
				}
				for name, members := range views {
					for _, v := range members {
						if v.host == hp.Host && v.holds {
							c.Impact = Worse(c.Impact, Impact{DisruptionVIPMove, fmt.Sprintf("stopping keepalived hands %s's VIPs to another member", name), handoverSeconds})
						}
					}
				}
			}
		}
	}
}

// groupReloads makes the keepalived reloads of the members of every
// instance whose adverts change happen together (Effect.With): measured
// with keepalived 2.2.7, a VIP added, removed or moved between instances
// and reloaded member by member left two holders for 7 to 15 s, and
// reloaded on all members at once, none (docs/apply.md). Instances that
// share a member are reloaded as one group.
func (p *Plan) groupReloads(views map[string][]memberView) {
	group := map[string]string{} // host → group root
	find := func(h string) string {
		for group[h] != "" && group[h] != h {
			h = group[h]
		}
		return h
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			group[rb] = ra
		}
	}
	planned := map[string]bool{}
	for _, hp := range p.Hosts {
		planned[hp.Host] = true
	}
	for _, name := range slices.Sorted(maps.Keys(views)) {
		members := views[name]
		var changed bool
		for _, v := range members {
			changed = changed || v.old != nil && v.new != nil && v.running && len(keepalived.AdvertChanges(v.old, v.new)) > 0
		}
		if !changed {
			continue
		}
		var reloaded, joining []string
		for _, v := range members {
			switch {
			case v.old != nil && v.new != nil && v.running:
				reloaded = append(reloaded, v.host)
			case v.new != nil && !v.running:
				joining = append(joining, v.host)
			}
		}
		for _, h := range append(slices.Clone(reloaded), joining...) {
			if group[h] == "" {
				group[h] = h
			}
			union(reloaded[0], h)
		}
		for _, h := range joining {
			if hp := p.Host(h); hp != nil {
				for j := range hp.Changes {
					if op, ok := hp.Changes[j].Op.(*ServiceOp); ok && op.Name == "keepalived" && op.Start {
						op.StartAfter = reloaded
					}
				}
			}
		}
		if in := p.instance(name); in != nil {
			for _, m := range in.Members {
				if !planned[m] {
					for _, h := range reloaded {
						p.Host(h).Notes = append(p.Host(h).Notes, fmt.Sprintf("%s's members must be reloaded together, but %s is not planned (-target): until it is, its adverts and theirs disagree", name, m))
					}
				}
			}
		}
	}
	for i := range p.Hosts {
		hp := &p.Hosts[i]
		if group[hp.Host] == "" {
			continue
		}
		var with []string
		for h := range group {
			if h != hp.Host && find(h) == find(hp.Host) {
				with = append(with, h)
			}
		}
		slices.Sort(with)
		for j := range hp.Effects {
			if e := &hp.Effects[j]; e.Service == "keepalived" && e.Action == EffectReload && len(with) > 0 {
				e.With = with
			}
		}
	}
}

func isKeepalivedConf(op *FileOp) bool {
	if op.After != nil {
		return op.After.Validate == resource.ValidateKeepalived
	}
	return op.Path == resource.KeepalivedConfPath
}

func unionKeys[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// instance returns the configuration's instance name, or nil.
func (p *Plan) instance(name string) *Instance {
	for i := range p.Instances {
		if p.Instances[i].Name == name {
			return &p.Instances[i]
		}
	}
	return nil
}

// instanceImpact classes what a configuration change does to one VRRP
// instance, from its members' old and new views of it. cfg is the
// configuration's instance (nil when the instance is being removed).
func instanceImpact(name string, members []memberView, cfg *Instance) Impact {
	var haveOld, haveNew, reloads bool
	var advert []string
	holder := ""
	advertInt, top := 1.0, 0
	for _, v := range members {
		haveOld = haveOld || v.old != nil
		haveNew = haveNew || v.new != nil
		if v.holds {
			holder = v.host
		}
		if v.old != nil && v.new != nil && v.running {
			changed := keepalived.AdvertChanges(v.old, v.new)
			reloads = reloads || len(changed) > 0 || len(keepalived.LocalChanges(v.old, v.new)) > 0
			for _, f := range changed {
				if !slices.Contains(advert, f) {
					advert = append(advert, f)
				}
			}
		}
		for _, in := range []*keepalived.Instance{v.old, v.new} {
			if in != nil {
				advertInt = max(advertInt, in.AdvertInt)
				top = max(top, in.Priority)
			}
		}
	}
	slices.Sort(advert)
	switch {
	case !haveOld:
		return Impact{DisruptionNone, name + " is a new VRRP instance", 0}
	case !haveNew:
		return Impact{DisruptionVIPOutage, name + " is removed: its VIPs are no longer served", 0}
	}
	for _, f := range advert {
		switch f {
		case "virtual_router_id", "unicast", "version", "interface":
			return Impact{DisruptionVIPOutage,
				fmt.Sprintf("changing %s of %s makes every member start it afresh as BACKUP: no member holds its VIPs until the master-down interval of the highest priority has passed", strings.Join(advert, ", "), name),
				masterDownSeconds(advertInt, top) + reloadSlack}
		}
	}
	newMaster := ""
	if cfg != nil && len(cfg.Members) > 0 {
		newMaster = cfg.Members[0]
		if !cfg.Preempt && holder != "" && cfg.HasMember(holder) {
			newMaster = holder
		}
	}
	if holder != "" && newMaster != "" && holder != newMaster {
		return Impact{DisruptionVIPMove, fmt.Sprintf("%s's VIPs move from %s to %s", name, holder, newMaster), handoverSeconds}
	}
	if gone := removedVIPs(members); len(gone) > 0 {
		return Impact{DisruptionVIPOutage, fmt.Sprintf("%s no longer serves %s", name, strings.Join(gone, ", ")), 0}
	}
	if len(advert) > 0 {
		return Impact{DisruptionReload, fmt.Sprintf("%s changes %s: its members are reloaded together", name, strings.Join(advert, ", ")), 0}
	}
	if !reloads {
		// Only members joining or leaving without holding the VIPs.
		return Impact{}
	}
	return Impact{DisruptionReload, "", 0}
}

// removedVIPs are the VIP words the members had and none will have.
func removedVIPs(members []memberView) []string {
	before, after := map[string]bool{}, map[string]bool{}
	for _, v := range members {
		if v.old != nil {
			for _, w := range v.old.VIPs {
				before[w] = true
			}
		}
		if v.new != nil {
			for _, w := range v.new.VIPs {
				after[w] = true
			}
		}
	}
	var out []string
	for w := range before {
		if !after[w] {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}
