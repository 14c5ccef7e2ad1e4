package plan

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// generationRE is the backup suffix of an apply's generation
// (apply.GenerationSuffix); the suffixes of a bootstrap's intermediate
// file ("-bootstrap") and of apply's own rollback (".rollback") are not
// generations.
var generationRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)

// Generation is what one apply kept on a host before changing it: the
// previous version of each file it replaced or removed, and the manifest
// as it found it.
type Generation struct {
	// Suffix names the generation (the apply's start, UTC, e.g.
	// 20261201T081500Z).
	Suffix string
	// Files are the paths of the files it kept, sorted (the manifest not
	// included).
	Files []string
	// Manifest is true when the manifest as found was kept (an apply by a
	// clusterctl older than rollback kept none).
	Manifest bool
}

// BackupPath is where apply keeps the version of path it replaced, for
// the generation suffix.
func BackupPath(path, suffix string) string { return resource.BackupDir + path + "." + suffix }

// Generations reads a host's backup listing (hostops.Host.Backups) into
// its generations, newest first. Paths that are not a generation's
// backup are ignored.
func Generations(backups []string) []Generation {
	byGen := map[string]*Generation{}
	for _, b := range backups {
		rest, ok := strings.CutPrefix(b, resource.BackupDir)
		if !ok || !strings.HasPrefix(rest, "/") {
			continue
		}
		i := strings.LastIndexByte(rest, '.')
		if i < 0 {
			continue
		}
		path, suffix := rest[:i], rest[i+1:]
		if !generationRE.MatchString(suffix) || path == "" {
			continue
		}
		g := byGen[suffix]
		if g == nil {
			g = &Generation{Suffix: suffix}
			byGen[suffix] = g
		}
		if path == resource.ManifestPath {
			g.Manifest = true
		} else {
			g.Files = append(g.Files, path)
		}
	}
	out := make([]Generation, 0, len(byGen))
	for _, s := range slices.Sorted(maps.Keys(byGen)) {
		g := byGen[s]
		sort.Strings(g.Files)
		out = append([]Generation{*g}, out...)
	}
	return out
}

// Pick returns the generation to roll back to: the one named suffix, or
// the newest when suffix is "". ok is false when there is none.
func Pick(gens []Generation, suffix string) (Generation, bool) {
	for _, g := range gens {
		if suffix == "" || g.Suffix == suffix {
			return g, true
		}
	}
	return Generation{}, false
}

// BackupFiles are the backups of g that a rollback reads (gather them
// with the host's facts).
func (g Generation) BackupFiles() []string {
	var out []string
	for _, p := range g.Files {
		out = append(out, BackupPath(p, g.Suffix))
	}
	if g.Manifest {
		out = append(out, BackupPath(resource.ManifestPath, g.Suffix))
	}
	return out
}

// RollbackDesired returns the state that undoes generation g's file
// changes on a host: every file g kept goes back to that version, a file
// g created (in the manifest now, not in the one g found) is removed,
// and the services the manifest g found lists run again (those it added
// are stopped and disabled). Everything else (addresses, NAT, IPVS,
// sysctls, other files) is kept as it is now. rendered is the
// configuration's state for the host: it says which files are validated
// or sensitive and what a service reloads on. observed must hold g's
// backups (Generation.BackupFiles) among its files. The notes say what
// the rollback restores and from when.
func RollbackDesired(rendered *resource.Host, observed *Observed, g Generation) (*resource.Host, []string, error) {
	now := observed.Manifest
	found := now
	if g.Manifest {
		mf := observed.Files[BackupPath(resource.ManifestPath, g.Suffix)]
		if !mf.Exists || mf.Unread != "" {
			return nil, nil, fmt.Errorf("backup of the manifest of generation %s could not be read", g.Suffix)
		}
		entries, err := resource.ParseManifest(mf.Content)
		if err != nil {
			return nil, nil, fmt.Errorf("backup of the manifest of generation %s: %w", g.Suffix, err)
		}
		found = entries
	}
	kinds := func(entries []resource.ManifestEntry, k resource.ManifestKind) map[string]bool {
		out := map[string]bool{}
		for _, e := range entries {
			if e.Kind == k {
				out[e.Key] = true
			}
		}
		return out
	}
	filesNow, filesFound := kinds(now, resource.ManifestFile), kinds(found, resource.ManifestFile)
	secret := kinds(append(slices.Clone(now), found...), resource.ManifestSecretFile)
	kept := map[string]bool{}
	for _, p := range g.Files {
		kept[p] = true
	}
	paths := map[string]bool{}
	for _, m := range []map[string]bool{filesNow, filesFound, kept} {
		for p := range m {
			paths[p] = true
		}
	}
	h := &resource.Host{Name: rendered.Name}
	var notes []string
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		var f resource.File
		switch {
		case kept[p]:
			bk := observed.Files[BackupPath(p, g.Suffix)]
			if !bk.Exists || bk.Unread != "" {
				return nil, nil, fmt.Errorf("backup %s could not be read (%s)", BackupPath(p, g.Suffix), orWord(bk.Unread, "missing"))
			}
			f = resource.File{Path: p, Content: bk.Content, Mode: bk.Mode, Owner: bk.Owner, Group: bk.Group}
		case filesFound[p]:
			live := observed.Files[p]
			if !live.Exists {
				continue // gone since; not brought back
			}
			if live.Unread != "" {
				return nil, nil, fmt.Errorf("%s: %s; a rollback must know its content to keep it", p, live.Unread)
			}
			f = resource.File{Path: p, Content: live.Content, Mode: live.Mode, Owner: live.Owner, Group: live.Group}
		default:
			notes = append(notes, fmt.Sprintf("%s was created by the apply of %s: removed", p, g.Suffix))
			continue
		}
		if r := rendered.File(p); r != nil {
			f.Validate, f.Sensitive = r.Validate, r.Sensitive
		}
		if p == resource.KeepalivedConfPath {
			f.Validate, f.Sensitive = resource.ValidateKeepalived, true
		}
		f.HideContent = secret[p]
		h.Files = append(h.Files, f)
	}
	for _, name := range slices.Sorted(maps.Keys(kinds(found, resource.ManifestService))) {
		s := resource.Service{Name: name}
		if i := slices.IndexFunc(rendered.Services, func(r resource.Service) bool { return r.Name == name }); i >= 0 {
			s = rendered.Services[i]
		} else if name == "keepalived" {
			s.ReloadOn = []string{resource.KeepalivedConfPath}
		}
		h.Services = append(h.Services, s)
	}
	keepLive(h, observed, append(slices.Clone(now), found...))
	h.Marks = resource.Marks(found)
	h.Sort()
	notes = append([]string{fmt.Sprintf("rolls back to the files as they were before the apply of %s", g.Suffix)}, notes...)
	if !g.Manifest {
		notes = append(notes, fmt.Sprintf("the apply of %s kept no manifest (an older clusterctl): files it created are kept", g.Suffix))
	}
	return h, notes, nil
}

// keepLive makes h keep the host's managed addresses, IPVS services, NAT
// chain and firewall rules as they are now (a rollback or a drain changes none of
// them), as listed in managed.
func keepLive(h *resource.Host, observed *Observed, managed []resource.ManifestEntry) {
	has := map[resource.ManifestEntry]bool{}
	for _, e := range managed {
		has[e] = true
	}
	for _, a := range observed.Addresses {
		if has[resource.ManifestEntry{Kind: resource.ManifestAddress, Key: a.Key()}] {
			h.Addresses = append(h.Addresses, a)
		}
	}
	for _, s := range observed.IPVS.Services {
		if has[resource.ManifestEntry{Kind: resource.ManifestIPVS, Key: s.Key.String()}] {
			h.IPVS.Services = append(h.IPVS.Services, s)
		}
	}
	if observed.NATChainExists && has[resource.ManifestEntry{Kind: resource.ManifestNAT, Key: resource.NATChain}] {
		h.NATRules = slices.Clone(observed.NATRules)
	}
	h.Firewall = liveFirewall(observed, has)
}

// liveFirewall is the part of the host's firewall clusterctl wrote (has:
// the manifest's entries) as it is now, for keepLive; nil when there is
// none. One backend is kept: firewalld's rich rules, else the nftables
// chains, else the iptables chains.
func liveFirewall(o *Observed, has map[resource.ManifestEntry]bool) *resource.Firewall {
	fw := &resource.Firewall{Backend: resource.FirewallFirewalld}
	for _, r := range append(slices.Clone(o.RichRules), o.PermanentRichRules...) {
		if has[resource.ManifestEntry{Kind: resource.ManifestRichRule, Key: r}] {
			fw.RichRules = append(fw.RichRules, r)
		}
	}
	if len(fw.RichRules) > 0 {
		slices.Sort(fw.RichRules)
		fw.RichRules = slices.Compact(fw.RichRules)
		return fw
	}
	if o.NFTOK {
		fw = &resource.Firewall{Backend: resource.FirewallNFTables, NFTTable: o.NFTTable}
		for _, c := range []struct {
			chain string
			rules *[]string
			from  *string
		}{{resource.NFTInputChain, &fw.Input, &fw.NFTInput}, {resource.NFTForwardChain, &fw.Forward, &fw.NFTForward}} {
			rules, ok := o.NFTChains[c.chain]
			if !ok || !has[resource.ManifestEntry{Kind: resource.ManifestFirewall, Key: o.NFTTable + " " + c.chain}] {
				continue
			}
			for _, base := range slices.Sorted(maps.Keys(o.NFTChains)) {
				if slices.ContainsFunc(o.NFTChains[base], func(r string) bool { return jumpsTo(r, c.chain) }) {
					*c.from = base
					break
				}
			}
			if *c.from != "" {
				*c.rules = slices.Clone(rules)
			}
		}
		if len(fw.Input)+len(fw.Forward) > 0 {
			fw.NFTInput, fw.NFTForward = orWord(fw.NFTInput, "input"), orWord(fw.NFTForward, "forward")
			return fw
		}
	}
	fw = &resource.Firewall{Backend: resource.FirewallIPTables}
	for _, c := range []struct {
		chain string
		rules *[]string
	}{{resource.FirewallInputChain, &fw.Input}, {resource.FirewallForwardChain, &fw.Forward}} {
		if rules, ok := o.FilterChains[c.chain]; ok && has[resource.ManifestEntry{Kind: resource.ManifestFirewall, Key: c.chain}] {
			*c.rules = slices.Clone(rules)
		}
	}
	if len(fw.Input)+len(fw.Forward) > 0 {
		return fw
	}
	return nil
}

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// DestroyDesired is the state `clusterctl destroy` brings a host to:
// nothing managed. Diff then removes every file, address, NAT chain and
// IPVS service the host's manifest lists, and stops and disables its
// services; apply removes the manifest last. Packages, kernel modules,
// runtime sysctls and routes are left (see docs/operations.md).
func DestroyDesired(name string) *resource.Host { return &resource.Host{Name: name} }

// InstancesOf returns the VRRP instances the hosts' keepalived.conf
// files (desired, by host) describe, as the gates see them: members by
// priority, highest first (name breaks a tie). An operation that writes
// keepalived.conf itself (rollback, failover) gates on these rather than
// on the configuration's: the member that must hold the VIPs is the one
// the written files make highest. Hosts without keepalived.conf are in
// no instance.
func InstancesOf(desired map[string]*resource.Host) []Instance {
	type member struct {
		host string
		in   *keepalived.Instance
	}
	byName := map[string][]member{}
	for _, host := range slices.Sorted(maps.Keys(desired)) {
		f := keepalivedConf(desired[host].Files)
		if f == nil {
			continue
		}
		for name, in := range parseInstances(f.Path, f.Content) {
			byName[name] = append(byName[name], member{host, in})
		}
	}
	var out []Instance
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		ms := byName[name]
		slices.SortStableFunc(ms, func(a, b member) int { return b.in.Priority - a.in.Priority })
		first := ms[0].in
		in := Instance{Name: name, Interface: first.Interface, AdvertInt: first.AdvertInt, MinPriority: 255, Preempt: true}
		for _, w := range first.VIPs {
			if a, ok := vipAddr(w); ok {
				in.VIPs = append(in.VIPs, a)
			}
		}
		for _, m := range ms {
			in.Members = append(in.Members, m.host)
			in.Priorities = append(in.Priorities, m.in.Priority)
			in.MinPriority = min(in.MinPriority, m.in.Priority)
			in.Preempt = in.Preempt && !m.in.Nopreempt && m.in.PreemptDelay == 0
		}
		out = append(out, in)
	}
	return out
}

// vipAddr is the address of a virtual_ipaddress entry as written
// ("192.168.19.100/24 dev ens33 label ens33:0").
func vipAddr(w string) (netip.Addr, bool) {
	f := strings.Fields(w)
	if len(f) == 0 {
		return netip.Addr{}, false
	}
	s, _, _ := strings.Cut(f[0], "/")
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

// OrderByInstances reorders topo's directors as plan.Order would for
// its instances (InstancesOf): BACKUPs from the lowest priority up, then
// the MASTER of each instance (its highest-priority member), so that an
// operation that writes keepalived.conf itself hands the VIPs over in
// the order its files say. Directors in no instance keep their role.
func OrderByInstances(topo Topology) Topology {
	prio, master := map[string]int{}, map[string]bool{}
	for _, in := range topo.Instances {
		for i, h := range in.Members {
			if i < len(in.Priorities) {
				prio[h] = max(prio[h], in.Priorities[i])
			}
			if i == 0 {
				master[h] = true
			}
		}
	}
	hosts := slices.Clone(topo.Hosts)
	var first, directors []RolloutHost
	for _, h := range hosts {
		if !h.Role.Director() {
			first = append(first, h)
			continue
		}
		if _, ok := prio[h.Host]; ok {
			h.Priority, h.Role = prio[h.Host], RoleBackupDirector
			if master[h.Host] {
				h.Role = RoleMasterDirector
			}
		}
		directors = append(directors, h)
	}
	slices.SortStableFunc(directors, func(a, b RolloutHost) int {
		am, bm := a.Role == RoleMasterDirector, b.Role == RoleMasterDirector
		switch {
		case am != bm && am:
			return 1
		case am != bm:
			return -1
		}
		return a.Priority - b.Priority
	})
	topo.Hosts = append(first, directors...)
	return topo
}
