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
	// bootstrapSeconds: the blink of a VIP while its master's keepalived
	// replaces the old instance by the new one at priority 255 (measured
	// 3-30 ms over 24 trials).
	bootstrapSeconds = 0.1
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
// on another only through the instance as a whole. It returns each
// instance's members as found and as planned.
func classifyVRRP(p *Plan, inputs map[string]Input) map[string][]memberView {
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
	bootstrap := map[string][]string{} // master → instances it bootstraps
	for name, members := range views {
		var master string
		impacts[name], master = instanceImpact(name, members, p.instance(name))
		if master != "" {
			bootstrap[master] = append(bootstrap[master], name)
		}
	}
	p.groupReloads(views)
	for host, names := range bootstrap {
		slices.Sort(names)
		hp, in := p.Host(host), inputs[host]
		f := keepalivedConf(in.Desired.Files)
		content, ok := bootstrapConf(f.Path, f.Content, names)
		// The bootstrap replaces the master's keepalived.conf change; a
		// master whose file is already as planned (an earlier apply cut
		// off) reloads with its peers instead.
		ok = ok && slices.ContainsFunc(hp.Changes, func(c Change) bool {
			op, isFile := c.Op.(*FileOp)
			return isFile && op.After != nil && op.After.Validate == resource.ValidateKeepalived
		})
		if !ok {
			// Cannot stage it: the plain coordinated reload, as announced
			// for an identity change without a bootstrap.
			for _, name := range names {
				impacts[name] = Impact{DisruptionVIPOutage, fmt.Sprintf("%s starts afresh as BACKUP on every member", name), masterDownSeconds(1, 1) + reloadSlack}
			}
			continue
		}
		hp.Bootstrap = content
		hp.Notes = append(hp.Notes, fmt.Sprintf("keepalived.conf is first written with priority 255 in %s and keepalived reloaded with its peers, then written as planned and reloaded alone", strings.Join(names, ", ")))
	}
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
	return views
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
func instanceImpact(name string, members []memberView, cfg *Instance) (impact Impact, bootstrap string) {
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
		return Impact{DisruptionNone, name + " is a new VRRP instance", 0}, ""
	case !haveNew:
		return Impact{DisruptionVIPOutage, name + " is removed: its VIPs are no longer served", 0}, ""
	}
	newMaster := ""
	if cfg != nil && len(cfg.Members) > 0 {
		newMaster = cfg.Members[0]
		if !cfg.Preempt && holder != "" && cfg.HasMember(holder) {
			newMaster = holder
		}
	}
	if identityChange(advert) {
		what := strings.Join(advert, ", ")
		if holder != "" && holder == newMaster && everyMemberReloads(members, cfg) {
			return Impact{DisruptionReload,
				fmt.Sprintf("changing %s of %s: its master %s starts the new instance at priority 255 (address owner) and keeps the VIPs, then returns to its priority (measured: a blink of 3-30 ms)", what, name, holder),
				bootstrapSeconds}, holder
		}
		return Impact{DisruptionVIPOutage,
			fmt.Sprintf("changing %s of %s makes every member start it afresh as BACKUP: no member holds its VIPs until the master-down interval of the highest priority has passed", what, name),
			masterDownSeconds(advertInt, top) + reloadSlack}, ""
	}
	if holder != "" && newMaster != "" && holder != newMaster {
		return Impact{DisruptionVIPMove, fmt.Sprintf("%s's VIPs move from %s to %s", name, holder, newMaster), handoverSeconds}, ""
	}
	if gone := removedVIPs(members); len(gone) > 0 {
		return Impact{DisruptionVIPOutage, fmt.Sprintf("%s no longer serves %s", name, strings.Join(gone, ", ")), 0}, ""
	}
	if len(advert) > 0 {
		return Impact{DisruptionReload, fmt.Sprintf("%s changes %s: its members are reloaded together", name, strings.Join(advert, ", ")), 0}, ""
	}
	if !reloads {
		// Only members joining or leaving without holding the VIPs.
		return Impact{}, ""
	}
	return Impact{DisruptionReload, "", 0}, ""
}

// identityChange reports whether advert changes make keepalived drop the
// instance and start a new one (its vrrp_exist(): the VRID, unicast or
// multicast, the interface, the version) rather than reload it in place.
func identityChange(advert []string) bool {
	for _, f := range advert {
		switch f {
		case "virtual_router_id", "unicast", "version", "interface":
			return true
		}
	}
	return false
}

// everyMemberReloads reports whether every member of the configuration's
// instance is planned with keepalived running and the instance both in
// its old and its new configuration: a bootstrap needs them all in the
// reload.
func everyMemberReloads(members []memberView, cfg *Instance) bool {
	if cfg == nil {
		return false
	}
	for _, m := range cfg.Members {
		i := slices.IndexFunc(members, func(v memberView) bool { return v.host == m })
		if i < 0 || members[i].old == nil || members[i].new == nil || !members[i].running {
			return false
		}
	}
	return true
}

// bootstrapConf returns content (a keepalived.conf as render writes it)
// with the priority of each named instance raised to 255, or false when
// it cannot find where to raise it.
func bootstrapConf(path string, content []byte, instances []string) ([]byte, bool) {
	nodes, err := keepalived.Parse(path, content)
	if err != nil {
		return nil, false
	}
	lines := strings.Split(string(content), "\n")
	for _, name := range instances {
		found := false
		for _, n := range nodes {
			if n.Keyword != "vrrp_instance" || n.Arg(0) != name {
				continue
			}
			pr := n.Child("priority")
			if pr == nil || pr.Line < 1 || pr.Line > len(lines) || strings.TrimSpace(lines[pr.Line-1]) != "priority "+pr.Arg(0) {
				return nil, false
			}
			indent := lines[pr.Line-1][:strings.Index(lines[pr.Line-1], "priority")]
			lines[pr.Line-1] = indent + "priority 255"
			found = true
		}
		if !found {
			return nil, false
		}
	}
	return []byte(strings.Join(lines, "\n")), true
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
