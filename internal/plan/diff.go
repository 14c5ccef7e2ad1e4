package plan

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// Diff compares a host's desired state with its observed state and
// returns the changes that make the host match, in apply order (Steps). It is
// pure: the same inputs always give the same plan. Secret values known to
// masker never appear in the plan's strings.
func Diff(desired *resource.Host, observed *Observed, masker secret.Masker) HostPlan {
	live := LiveSecrets(observed)
	d := &differ{want: desired, have: observed, mask: masker.With(live...), hp: HostPlan{
		Secrets:        live,
		Host:           desired.Name,
		PackageManager: observed.PackageManager,
		ManifestBefore: observed.Manifest,
		Manifest:       resource.Manifest(desired),
	}}
	for _, s := range desired.Services {
		d.hp.RunsKeepalived = d.hp.RunsKeepalived || s.Name == "keepalived"
	}
	for _, m := range desired.Marks {
		d.hp.Marks = append(d.hp.Marks, string(m.Kind)+" "+m.Key)
		switch m.Kind {
		case resource.ManifestDrain:
			d.note("%s is drained here (weight 0) by clusterctl drain; clusterctl undrain %s gives it its configured weight back", m.Key, m.Key)
		case resource.ManifestFailover:
			d.note("%s is failed over to this host (priority above its peers) by clusterctl failover; clusterctl failover %s --release gives it back", m.Key, m.Key)
		}
	}
	steps := map[Kind]func(){
		KindPackage: d.packages, KindModule: d.modules, KindSysctl: d.sysctls,
		KindAddress: d.addresses, KindRoute: d.routes, KindFile: d.files,
		KindNAT: d.nat, KindFirewall: d.firewall, KindIPVS: d.ipvs, KindService: d.services,
	}
	for _, k := range Kinds {
		steps[k]()
	}
	if observed.FirewalldRunning && len(desired.Services) > 0 && desired.Firewall == nil {
		d.note("firewalld is running and clusterctl does not manage the firewall: allow VRRP (IP protocol 112) between the members of each VRRP instance and the ports this host serves, or the members all take the VIPs (docs/apply.md, Per OS family)")
	}
	order := map[Step]int{}
	for i, st := range Steps {
		order[st] = i
	}
	slices.SortStableFunc(d.hp.Changes, func(a, b Change) int { return order[a.Step()] - order[b.Step()] })
	return d.hp
}

// authPassRE finds keepalived's VRRP passwords, quoted or not.
var authPassRE = regexp.MustCompile(`(?m)^[ \t]*auth_pass[ \t]+"?([^\s"]+)"?`)

// LiveSecrets returns the secrets found in the host's files as they are:
// the auth_pass of every keepalived configuration among them. The
// configuration may no longer hold them (authentication removed, or the
// password changed), so a masker built from it alone would print them.
func LiveSecrets(o *Observed) []string {
	var out []string
	paths := slices.Sorted(maps.Keys(o.Files))
	for _, p := range paths {
		for _, m := range authPassRE.FindAllSubmatch(o.Files[p].Content, -1) {
			if v := string(m[1]); !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

type differ struct {
	want *resource.Host
	have *Observed
	mask secret.Masker
	hp   HostPlan
	// changedFiles are files created or updated, for service effects.
	changedFiles map[string]bool
}

// add appends a change; its kind is op's.
func (d *differ) add(c Change, op Op) {
	c.Kind, c.Op = op.Kind(), op
	c.Impact = baseImpact(c)
	d.hp.Changes = append(d.hp.Changes, c)
}

func (d *differ) note(format string, args ...any) {
	d.hp.Notes = append(d.hp.Notes, fmt.Sprintf(format, args...))
}

func (d *differ) managed(kind resource.ManifestKind) map[string]bool {
	out := map[string]bool{}
	for _, e := range d.have.Manifest {
		if e.Kind == kind {
			out[e.Key] = true
		}
	}
	return out
}

func (d *differ) packages() {
	for _, p := range d.want.Packages {
		if !d.have.Packages[p] {
			d.add(Change{Key: p, Action: Create, After: "installed"}, &PackageOp{Name: p})
		}
	}
}

func (d *differ) modules() {
	for _, m := range d.want.Modules {
		if !d.have.Modules[m] {
			d.add(Change{Key: m, Action: Create, After: "loaded"}, &ModuleOp{Name: m})
		}
	}
}

func (d *differ) sysctls() {
	for i := range d.want.Sysctls {
		s := d.want.Sysctls[i]
		have, ok := d.have.Sysctls[s.Key]
		if ok && normaliseSysctl(have) == normaliseSysctl(s.Value) {
			continue
		}
		before := have
		if !ok {
			before = "(absent)"
		}
		d.add(Change{Key: s.Key, Action: Update, Before: before, After: s.Value}, &SysctlOp{Key: s.Key, Before: have, Present: ok, After: s.Value})
	}
}

// normaliseSysctl collapses whitespace: sysctl prints multi-value keys
// with tabs.
func normaliseSysctl(v string) string { return strings.Join(strings.Fields(v), " ") }

func (d *differ) addresses() {
	have := map[string]bool{}
	for _, a := range d.have.Addresses {
		have[a.Key()] = true
	}
	want := map[string]bool{}
	for i := range d.want.Addresses {
		a := d.want.Addresses[i]
		want[a.Key()] = true
		if !have[a.Key()] {
			d.add(Change{Key: a.Key(), Action: Create, After: a.Prefix.String() + " dev " + a.Dev}, &AddressOp{Address: a})
		}
	}
	for _, a := range d.have.Addresses {
		k := a.Key()
		if d.managed(resource.ManifestAddress)[k] && !want[k] {
			d.add(Change{Key: k, Action: Delete, Before: a.Prefix.String() + " dev " + a.Dev}, &AddressOp{Address: a})
		}
	}
}

func routeString(r resource.Route) string {
	s := r.Dst.String()
	if r.Dst.Bits() == 0 {
		s = "default"
	}
	if r.Via.IsValid() {
		s += " via " + r.Via.String()
	}
	if r.Dev != "" {
		s += " dev " + r.Dev
	}
	return s
}

func (d *differ) routes() {
	for i := range d.want.Routes {
		r := d.want.Routes[i]
		key := routeString(resource.Route{Dst: r.Dst})
		var found *resource.Route
		for j := range d.have.Routes {
			if d.have.Routes[j].Dst == r.Dst {
				found = &d.have.Routes[j]
				break
			}
		}
		switch {
		case found == nil:
			d.add(Change{Key: key, Action: Create, After: routeString(r)}, &RouteOp{After: r})
		case found.Via != r.Via || (r.Dev != "" && found.Dev != r.Dev):
			old := *found
			d.add(Change{Key: key, Action: Update, Before: routeString(old), After: routeString(r)}, &RouteOp{Before: &old, After: r})
		}
	}
}

func (d *differ) files() {
	d.changedFiles = map[string]bool{}
	secretFiles := d.managed(resource.ManifestSecretFile)
	want := map[string]bool{}
	for i := range d.want.Files {
		f := d.want.Files[i]
		want[f.Path] = true
		have, ok := d.have.Files[f.Path]
		if !ok || !have.Exists {
			if have.NotRegular {
				d.hp.Blockers = append(d.hp.Blockers, fmt.Sprintf("%s is not a regular file on this host (a directory?); remove it, or manage another path", f.Path))
			}
			c := Change{Key: f.Path, Action: Create, Sensitive: f.Sensitive,
				After: fmt.Sprintf("%d bytes, mode %s, %s:%s", len(f.Content), config.FormatMode(f.Mode), f.Owner, f.Group),
				Diff:  d.unified(nil, f.Content, f.Path, false)}
			if f.HideContent {
				c.Diff, c.Detail = "", "content not shown: built from a sensitive value"
			}
			d.add(c, &FileOp{Path: f.Path, After: &f})
			d.changedFiles[f.Path] = true
			continue
		}
		var details []string
		contentChanged := have.Unread != "" || !bytes.Equal(have.Content, f.Content)
		if contentChanged && have.Unread == "" && f.Validate == resource.ValidateKeepalived && keepalived.SameContent(have.Content, f.Content) {
			// The same configuration in another layout (a hand-written
			// file adopted by import): keepalived would do the same with
			// either, so nothing is planned; the next change rewrites it
			// in clusterctl's layout.
			contentChanged = false
			d.note("%s is the same keepalived configuration as the one planned, written in another layout; it is rewritten in clusterctl's layout with its next change", f.Path)
		}
		if have.NoMetadata {
			details = append(details, "mode and owner not known; set to "+config.FormatMode(f.Mode)+", "+f.Owner+":"+f.Group)
		} else if have.Mode != f.Mode {
			details = append(details, fmt.Sprintf("mode %s → %s", config.FormatMode(have.Mode), config.FormatMode(f.Mode)))
		}
		if !have.NoMetadata && (have.Owner != f.Owner || have.Group != f.Group) {
			details = append(details, fmt.Sprintf("owner %s:%s → %s:%s", have.Owner, have.Group, f.Owner, f.Group))
		}
		if !contentChanged && len(details) == 0 {
			continue
		}
		c := Change{Key: f.Path, Action: Update, Sensitive: f.Sensitive}
		if contentChanged {
			switch {
			case have.Unread != "":
				// No diff can be shown; the plan says so rather than
				// diffing against an empty file.
				details = append(details, "current content not known ("+have.Unread+"); replaced with "+fmt.Sprintf("%d bytes", len(f.Content)))
			case f.HideContent:
				details = append(details, "content changed; not shown: built from a sensitive value")
			case secretFiles[f.Path]:
				details = append(details, fmt.Sprintf("content changed; the current content is not shown: it was built from a sensitive value; now %d bytes", len(f.Content)))
			default:
				c.Diff = d.unified(have.Content, f.Content, f.Path, f.Sensitive)
				// A changed secret masks alike on both sides: say so, also
				// when other lines changed too.
				if !slices.Equal(d.mask.Found(string(have.Content)), d.mask.Found(string(f.Content))) {
					details = append(details, "a sensitive value changed")
				}
			}
			d.changedFiles[f.Path] = true
		}
		c.Detail = strings.Join(details, "; ")
		d.add(c, &FileOp{Path: f.Path, Before: &have, After: &f})
	}
	managed := d.managed(resource.ManifestFile)
	paths := make([]string, 0, len(managed))
	for p := range managed {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if want[p] {
			continue
		}
		if have, ok := d.have.Files[p]; ok && have.Exists {
			before := fmt.Sprintf("%d bytes", len(have.Content))
			switch {
			case have.NoMetadata:
				before = "size not known: " + have.Unread
			case have.Unread != "":
				before = fmt.Sprintf("%d bytes", have.Size)
			}
			d.add(Change{Key: p, Action: Delete, Before: before}, &FileOp{Path: p, Before: &have})
		}
	}
}

// unified returns the masked unified diff of a file; "" when the masked
// texts are equal (only a secret changed). For a sensitive file, values of
// before that stand where after has a masked secret are masked too: the
// masker knows only the configuration's current secrets, so an old
// password would otherwise show in clear on the "-" side.
func (d *differ) unified(before, after []byte, path string, sensitive bool) string {
	b, a := d.mask.String(string(before)), d.mask.String(string(after))
	if sensitive {
		b = maskStale(b, a)
	}
	return UnifiedDiff(b, a, path)
}

// maskStale replaces each line of before that matches a line of after
// containing secret.Mask, with the masked spans as wildcards, by that
// line of after.
func maskStale(before, after string) string {
	type pattern struct {
		re   *regexp.Regexp
		line string
	}
	var pats []pattern
	for _, line := range strings.Split(after, "\n") {
		if !strings.Contains(line, secret.Mask) {
			continue
		}
		parts := strings.Split(line, secret.Mask)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		pats = append(pats, pattern{regexp.MustCompile("^" + strings.Join(parts, ".+") + "$"), line})
	}
	if len(pats) == 0 {
		return before
	}
	lines := strings.Split(before, "\n")
	for i, l := range lines {
		for _, p := range pats {
			if p.re.MatchString(l) {
				lines[i] = p.line
				break
			}
		}
	}
	return strings.Join(lines, "\n")
}

func (d *differ) nat() {
	want := d.want.NATRules
	have := d.have.NATRules
	if !d.have.NATChainExists {
		have = nil
	}
	equal := len(want) == len(have) && d.have.NATJump == (len(want) > 0)
	for i := 0; equal && i < len(want); i++ {
		equal = want[i] == have[i]
	}
	if equal && (len(want) > 0) == d.have.NATChainExists {
		return
	}
	key := "nat " + resource.NATChain
	op := &NATOp{Chain: resource.NATChain, Before: have, After: want, Jumped: d.have.NATJump}
	switch {
	case len(want) == 0 && d.have.NATChainExists:
		if d.managed(resource.ManifestNAT)[resource.NATChain] {
			d.add(Change{Key: key, Action: Delete, Before: strings.Join(have, "\n")}, op)
		}
	case len(want) == 0:
	case !d.have.NATChainExists:
		d.add(Change{Key: key, Action: Create, After: strings.Join(want, "\n")}, op)
	default:
		before := strings.Join(have, "\n")
		if !d.have.NATJump {
			before += "\n(no jump from POSTROUTING)"
		}
		d.add(Change{Key: key, Action: Update, Before: strings.TrimPrefix(before, "\n"), After: strings.Join(want, "\n")}, op)
	}
}

// firewall makes the host firewall's part clusterctl owns match the
// desired one: with iptables, its two filter chains and their jumps;
// with nftables, its two chains in the host's table and their jumps;
// with firewalld, its rich rules in the zone, runtime and permanent.
// What the manifest says clusterctl wrote and the desired state no
// longer has is removed where the facts read it (also after a change of
// backend, or on destroy); nothing else is touched. Without a managed
// firewall the facts read none of it and nothing is planned.
func (d *differ) firewall() {
	want := d.want.Firewall
	if want == nil {
		want = &resource.Firewall{}
	}
	switch {
	case want.Backend == resource.FirewallFirewalld && !d.have.Firewalld:
		d.note("the firewall backend is firewalld but firewalld does not answer on this host (firewall-cmd --state): its rules cannot be planned; start firewalld or set backend = \"iptables\" in the firewall block")
	case want.Backend != resource.FirewallFirewalld && want.Backend != "" && d.have.FirewalldRunning:
		d.note("firewalld is running, and clusterctl opens the firewall through %s: firewalld's own rules still drop what its zone does not allow; set backend = \"auto\" or \"firewalld\" in the firewall block, or stop firewalld", want.Backend)
	case want.Backend == resource.FirewallIPTables && !d.have.FilterOK && len(want.Input)+len(want.Forward) > 0:
		d.note("iptables-save -t filter could not be read on this host: the firewall chains are planned as if absent (iptables is installed first)")
	}
	if d.have.FilterOK || want.Backend == resource.FirewallIPTables {
		in, fwd := want.Input, want.Forward
		if want.Backend != resource.FirewallIPTables {
			in, fwd = nil, nil
		}
		d.firewallChain("INPUT", resource.FirewallInputChain, in)
		d.firewallChain("FORWARD", resource.FirewallForwardChain, fwd)
	}
	if want.Backend == resource.FirewallNFTables {
		d.nftChains(want)
	} else {
		d.nftLeftovers()
	}
	if d.have.Firewalld {
		d.richRules(want.Zone, want.RichRules)
	}
}

// nftLeftovers removes the nftables chains the manifest lists in the
// table that was read, when the desired state has no nftables firewall
// (destroy, or a switch to another backend while the table is still
// read): the base chain that jumps to each is found in the table.
func (d *differ) nftLeftovers() {
	if !d.have.NFTOK || d.have.NFTTable == "" {
		return
	}
	for _, key := range slices.Sorted(maps.Keys(d.managed(resource.ManifestFirewall))) {
		table, chain, ok := cutLast(key)
		if !ok || table != d.have.NFTTable {
			continue
		}
		have, exists := d.have.NFTChains[chain]
		if !exists {
			continue
		}
		from := ""
		for _, base := range slices.Sorted(maps.Keys(d.have.NFTChains)) {
			if slices.ContainsFunc(d.have.NFTChains[base], func(r string) bool { return jumpsTo(r, chain) }) {
				from = base
				break
			}
		}
		d.add(Change{Key: "nftables " + key, Action: Delete, Before: strings.Join(have, "\n")},
			&FirewallChainOp{NFTTable: table, Chain: chain, From: from, Before: have, Jumped: from != ""})
	}
}

// cutLast splits "inet filter clusterctl-input" at its last space.
func cutLast(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// jumpsTo reports whether nft rule r jumps (or goes) to chain.
func jumpsTo(r, chain string) bool {
	f := strings.Fields(r)
	return len(f) >= 2 && (f[0] == "jump" || f[0] == "goto") && f[1] == chain
}

// nftChains plans clusterctl's chains in the host's nftables table. The
// table and its base chains are the host's: when they are missing there
// is nothing to hook into, and the plan says so instead.
func (d *differ) nftChains(want *resource.Firewall) {
	if !d.have.NFTOK {
		if len(want.Input)+len(want.Forward) > 0 {
			d.note("the firewall backend is nftables but table %s could not be read (%s): clusterctl adds its chains to the host's own table, which must exist (nft_table in the firewall block)", want.NFTTable, d.have.NFTError)
		}
		return
	}
	for _, c := range []struct {
		from, chain string
		rules       []string
	}{{want.NFTInput, resource.NFTInputChain, want.Input}, {want.NFTForward, resource.NFTForwardChain, want.Forward}} {
		base, ok := d.have.NFTChains[c.from]
		if !ok {
			if len(c.rules) > 0 {
				d.note("table %s has no chain %s to jump from: clusterctl's %s is not planned (nft_input_chain, nft_forward_chain in the firewall block)", want.NFTTable, c.from, c.chain)
			}
			continue
		}
		have, exists := d.have.NFTChains[c.chain]
		jumped := slices.ContainsFunc(base, func(r string) bool { return jumpsTo(r, c.chain) })
		d.chain(resource.ManifestFirewall, want.NFTTable+" "+c.chain, "nftables "+want.NFTTable+" "+c.chain,
			&FirewallChainOp{NFTTable: want.NFTTable, Chain: c.chain, From: c.from, Before: have, After: c.rules, Jumped: jumped}, exists)
	}
}

// firewallChain plans one of clusterctl's filter chains (nat's logic,
// with the jump from a built-in chain).
func (d *differ) firewallChain(from, chain string, want []string) {
	have, exists := d.have.FilterChains[chain]
	jumped := d.have.FilterJumps[from+" "+chain]
	d.chain(resource.ManifestFirewall, chain, "iptables "+chain, &FirewallChainOp{Chain: chain, From: from, Before: have, After: want, Jumped: jumped}, exists)
}

// chain plans a chain clusterctl owns, jumped to first from a chain of
// the host's: op holds its live rules (Before), whether it is jumped to,
// and the wanted rules (After); exists says it is there. An unwanted chain
// is deleted only when the manifest lists it (kind, mkey).
func (d *differ) chain(kind resource.ManifestKind, mkey, key string, op *FirewallChainOp, exists bool) {
	want, have, jumped := op.After, op.Before, op.Jumped
	if slices.Equal(want, have) && jumped == (len(want) > 0) && exists == (len(want) > 0) {
		return
	}
	switch {
	case len(want) == 0 && (exists || jumped):
		if d.managed(kind)[mkey] {
			d.add(Change{Key: key, Action: Delete, Before: strings.Join(have, "\n")}, op)
		}
	case len(want) == 0:
	case !exists:
		d.add(Change{Key: key, Action: Create, After: strings.Join(want, "\n") + "\n(jumped to first from " + op.From + ")"}, op)
	default:
		before := strings.Join(have, "\n")
		if !jumped {
			before += "\n(no jump from " + op.From + ")"
		}
		d.add(Change{Key: key, Action: Update, Before: strings.TrimPrefix(before, "\n"), After: strings.Join(want, "\n")}, op)
	}
}

// richRules plans firewalld's rich rules: every desired rule present
// both at runtime and permanently, and no rule the manifest lists that is
// no longer desired.
func (d *differ) richRules(zone string, want []string) {
	runtime, permanent := map[string]bool{}, map[string]bool{}
	for _, r := range d.have.RichRules {
		runtime[r] = true
	}
	for _, r := range d.have.PermanentRichRules {
		permanent[r] = true
	}
	op := &RichRulesOp{Zone: zone}
	for _, r := range want {
		if !runtime[r] || !permanent[r] {
			op.Add = append(op.Add, r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(d.managed(resource.ManifestRichRule))) {
		if !slices.Contains(want, r) && (runtime[r] || permanent[r]) {
			op.Remove = append(op.Remove, r)
		}
	}
	if len(op.Add)+len(op.Remove) == 0 {
		return
	}
	var have []string
	for _, r := range want {
		if runtime[r] && permanent[r] {
			have = append(have, r)
		}
	}
	have = append(have, op.Remove...)
	slices.Sort(have)
	action := Update
	if len(have) == 0 {
		action = Create
	} else if len(want) == 0 {
		action = Delete
	}
	key := "firewalld rich rules"
	if zone != "" {
		key += " (zone " + zone + ")"
	}
	d.add(Change{Key: key, Action: action, Before: strings.Join(have, "\n"), After: strings.Join(want, "\n")}, op)
}

func (d *differ) ipvs() {
	if len(d.want.IPVS.Services) > 0 && d.have.IPVSError != "" {
		d.note("IPVS is not usable on this host (%s); the IPVS changes in this plan will fail until it is", d.have.IPVSError)
	}
	owned := d.managed(resource.ManifestIPVS)
	for _, s := range d.want.IPVS.Services {
		owned[s.Key.String()] = true
	}
	// The timeouts are the host's, not a service's: clusterctl manages
	// those the configuration sets.
	mine := ipvs.Table{Timeouts: d.have.IPVS.Timeouts}
	for _, s := range d.have.IPVS.Services {
		if owned[s.Key.String()] {
			mine.Services = append(mine.Services, s)
		} else {
			d.note("IPVS service %s is not managed by clusterctl; left alone", s.Key)
		}
	}
	edits := ipvs.Diff(d.want.IPVS, mine)
	d.hp.Changes = slices.Grow(d.hp.Changes, len(edits))
	// Format each service key once: a large table has many destination
	// edits per service.
	keys := map[ipvs.ServiceKey]string{}
	keyOf := func(k ipvs.ServiceKey) string {
		s, ok := keys[k]
		if !ok {
			s = k.String()
			keys[k] = s
		}
		return s
	}
	for i := range edits {
		e := &edits[i]
		c := Change{}
		switch e.Op {
		case ipvs.SetTimeouts:
			c.Action, c.Key = Update, "timeouts (tcp tcpfin udp)"
			c.Before = ipvs.Edit{Op: ipvs.SetTimeouts, Timeouts: e.BeforeTimeouts}.String()
			c.After = e.String()
		case ipvs.AddService:
			c.Action, c.Key, c.After = Create, keyOf(e.Service.Key), e.String()
		case ipvs.EditService:
			c.Action, c.Key = Update, keyOf(e.Service.Key)
			c.Before = ipvs.Edit{Op: ipvs.AddService, Service: e.Before}.String()
			c.After = ipvs.Edit{Op: ipvs.AddService, Service: e.Service}.String()
		case ipvs.DeleteService:
			c.Action, c.Key, c.Before = Delete, keyOf(e.Service.Key), e.String()
		case ipvs.AddDest:
			c.Action, c.Key, c.After = Create, keyOf(e.Service.Key)+" -> "+e.Dest.Addr.String(), e.String()
		case ipvs.EditDest:
			c.Action, c.Key, c.After = Update, keyOf(e.Service.Key)+" -> "+e.Dest.Addr.String(), e.String()
			c.Before = ipvs.Edit{Op: ipvs.AddDest, Service: e.Service, Dest: e.BeforeDest}.String()
		case ipvs.DeleteDest:
			c.Action, c.Key, c.Before = Delete, keyOf(e.Service.Key)+" -> "+e.Dest.Addr.String(), e.String()
		}
		d.add(c, &IPVSOp{Edit: *e})
	}
}

func (d *differ) services() {
	// Services clusterctl managed that the configuration no longer asks
	// for (a host that stopped being a VRRP member) are stopped and
	// disabled, so they do not run on with a stale role.
	wanted := map[string]bool{}
	for _, s := range d.want.Services {
		wanted[s.Name] = true
	}
	managed := d.managed(resource.ManifestService)
	names := make([]string, 0, len(managed))
	for n := range managed {
		if !wanted[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		have, ok := d.have.Services[n]
		if !ok || (!have.Active && !have.Enabled) {
			continue
		}
		d.add(Change{Key: n, Action: Delete, Before: serviceString(have, false), After: "inactive, disabled"},
			&ServiceOp{Name: n, Before: have, Stop: have.Active, Disable: have.Enabled})
	}
	for i := range d.want.Services {
		s := d.want.Services[i]
		have := d.have.Services[s.Name]
		sc := &ServiceOp{Name: s.Name, Before: have, Enable: !have.Enabled, Start: !s.EnableOnly && !have.Active}
		if sc.Enable || sc.Start {
			action := Update
			if !have.Enabled && (s.EnableOnly || !have.Active) {
				action = Create
			}
			d.add(Change{Key: s.Name, Action: action,
				Before: serviceString(have, s.EnableOnly), After: serviceString(ServiceState{Active: true, Enabled: true}, s.EnableOnly)}, sc)
		}
		if sc.Start {
			continue // a start reads the new configuration anyway
		}
		var e Effect
		pending := d.managed(resource.ManifestPending)
		switch {
		case d.firstChanged(s.RestartOn) != "":
			e = Effect{Service: s.Name, Action: EffectRestart, Reason: d.firstChanged(s.RestartOn) + " changed"}
		case pending[EffectRestart+" "+s.Name]:
			e = Effect{Service: s.Name, Action: EffectRestart, Reason: "an earlier apply changed its configuration and did not restart it"}
		case d.firstChanged(s.ReloadOn) != "":
			e = Effect{Service: s.Name, Action: EffectReload, Reason: d.firstChanged(s.ReloadOn) + " changed"}
		case pending[EffectReload+" "+s.Name]:
			e = Effect{Service: s.Name, Action: EffectReload, Reason: "an earlier apply changed its configuration and did not reload it"}
		default:
			continue
		}
		e.Impact = effectImpact(e)
		d.hp.Effects = append(d.hp.Effects, e)
	}
}

func (d *differ) firstChanged(paths []string) string {
	for _, p := range paths {
		if d.changedFiles[p] {
			return p
		}
	}
	return ""
}

func serviceString(s ServiceState, enableOnly bool) string {
	en := "disabled"
	if s.Enabled {
		en = "enabled"
	}
	if enableOnly {
		return en
	}
	act := "inactive"
	if s.Active {
		act = "active"
	}
	return act + ", " + en
}
