package config

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// keepalivedAuthPassMax is the length keepalived silently truncates
// auth_pass to (VRRP simple-text authentication carries 8 octets).
const keepalivedAuthPassMax = 8

// vrrp3MaxAdvertInt is the longest whole advert interval of VRRP version
// 3 (a 12-bit count of centiseconds: 40.95 s), which IPv6 instances run.
const vrrp3MaxAdvertInt = 40

var vrrpSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "interface", Required: true}, {Name: "virtual_router_id", Required: true},
		{Name: "advert_int"}, {Name: "auth_pass"}, {Name: "virtual_ips", Required: true},
		{Name: "nopreempt"}, {Name: "preempt_delay"}, {Name: "unicast"},
		{Name: "notify_master"}, {Name: "notify_backup"}, {Name: "notify_fault"},
		{Name: "track_script"}, {Name: "track_interface"}, {Name: "garp_master_delay"},
		{Name: "notify"}, {Name: "notify_stop"}, {Name: "excluded_ips"}, {Name: "use_vmac"}, {Name: "vmac_interface"},
		{Name: "track_process"}, {Name: "track_file"}, {Name: "version"}, {Name: "accept"},
		{Name: "raw"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "member", LabelNames: []string{"host"}},
		{Type: "virtual_ip", LabelNames: []string{"address"}},
		{Type: "lvs_sync_daemon"},
		{Type: "virtual_route"}, {Type: "virtual_rule"},
	},
}

var virtualRouteSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "to", Required: true}, {Name: "type"}, {Name: "via"}, {Name: "dev"}, {Name: "src"}, {Name: "table"}, {Name: "metric"}, {Name: "scope"}},
}

var virtualRuleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "from"}, {Name: "to"}, {Name: "fwmark"}, {Name: "priority"}, {Name: "table", Required: true}},
}

// routeTypes are the route types virtual_route takes besides unicast:
// routes without a next hop.
var routeTypes = []string{"blackhole", "unreachable", "prohibit", "throw"}

// maxUint32 is the largest routing table, metric, rule priority and mark.
const maxUint32 = 1<<32 - 1

var lvsSyncSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "interface"}, {Name: "sync_id"}, {Name: "maxlen"}, {Name: "port"}, {Name: "ttl"}, {Name: "group"}},
}

var vipOptionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "dev"}, {Name: "label"}, {Name: "scope"}},
}

// vipScopes are the address scopes keepalived takes after "scope".
var vipScopes = []string{"global", "site", "link", "host", "nowhere"}

var memberSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "priority", Required: true}, {Name: "state"}},
}

func (d *decoder) decodeVRRPInstance(blk *hcl.Block) *VRRPInstance {
	v := &VRRPInstance{Name: blk.Labels[0], DeclRange: blk.DefRange}
	if !reName.MatchString(v.Name) {
		d.errorf(blk.LabelRanges[0].Ptr(), "Invalid instance name", "vrrp_instance names must match %s; got %q.", reName, v.Name)
	}
	r := d.reader(blk.Body, vrrpSchema)
	v.Ranges = r.ranges
	v.Interface = r.str("interface", "")
	if v.Interface != "" && !reInterface.MatchString(v.Interface) {
		r.errorf(r.ranges["interface"], "Invalid interface name", "%q is not a valid Linux interface name.", v.Interface)
	}
	if v.Interface == "lo" {
		// keepalived 2.2.7: "(VI_1) cannot use a loopback interface (lo)
		// for vrrp - ignoring".
		r.errorf(r.ranges["interface"], "VRRP on the loopback interface",
			"VRRP adverts must reach the other members, and keepalived 2.2.7 refuses a loopback interface (`keepalived -t` rejects the file). Use the interface on the members' shared network.")
	}
	v.VirtualRouterID = r.integer("virtual_router_id", 0, 1, 255)
	v.AdvertInt = r.integer("advert_int", 1, 1, 255)
	authVal, authKnown := r.value("auth_pass", cty.String)
	if authKnown {
		v.AuthPass = authVal.AsString()
	}
	d.secrets = append(d.secrets, v.AuthPass)
	if authKnown && v.AuthPass == "" {
		r.warnf(r.ranges["auth_pass"], "Empty auth_pass",
			"auth_pass is empty, so keepalived runs this instance without VRRP authentication. If a variable was meant to set it, check that it is set (-var, -var-file, CLUSTERCTL_VAR_*); to run without authentication, remove auth_pass.")
	}
	if p := v.AuthPass; p != "" {
		// The value may be secret: never quote it back.
		switch {
		case len(p) < 6 && authPassAllowed(p):
			r.warnf(r.ranges["auth_pass"], "Short auth_pass",
				"auth_pass has %d characters; use 6 to 8: VRRP sends it in clear in every advert, and a short one is also easy to guess.", len(p))
		case len(p) > keepalivedAuthPassMax:
			r.errorf(r.ranges["auth_pass"], "auth_pass is longer than 8 characters",
				"keepalived truncates auth_pass to its first %d characters and silently ignores the rest (this one has %d). Use a password of at most %d characters so that what you wrote is what the nodes compare.",
				keepalivedAuthPassMax, len(p), keepalivedAuthPassMax)
		case !authPassAllowed(p):
			r.errorf(r.ranges["auth_pass"], "Invalid auth_pass",
				"auth_pass may contain printable ASCII characters except spaces, quotes, braces, backslash, '$', '`', '#' and '!' (keepalived reads # and ! as comments).")
		}
	}
	v.VirtualIPs = r.prefixes("virtual_ips", false)
	if r.has("virtual_ips") && len(v.VirtualIPs) == 0 && !r.diagsHaveErrors() {
		r.errorf(r.ranges["virtual_ips"], "No virtual IPs", "A vrrp_instance needs at least one virtual IP.")
	}
	vipsAt := r.elementRanges("virtual_ips", len(v.VirtualIPs))
	for i, p := range v.VirtualIPs {
		if p.Addr().Is4() != v.VirtualIPs[0].Addr().Is4() {
			// keepalived 2.2.7: "(VI_1): address family must match VRRP
			// instance [fd00::1/128] - ignoring".
			r.errorf(vipsAt[i], "Virtual IPs of two address families",
				"%s is not of the family of the first virtual IP %s; keepalived 2.2.7 runs an instance for one family and ignores the other's addresses (`keepalived -t` rejects the file). Put IPv4 and IPv6 addresses in separate instances.", p.Addr(), v.VirtualIPs[0].Addr())
		}
	}
	v6 := len(v.VirtualIPs) > 0 && v.VirtualIPs[0].Addr().Is6()
	if r.has("version") {
		v.Version = r.integer("version", 0, 2, 3)
	}
	if v.Version == 2 && v6 {
		r.errorf(r.ranges["version"], "VRRP version 2 with IPv6",
			"VRRP version 2 carries IPv4 addresses only; an IPv6 instance runs version 3 (RFC 5798). Remove version or set 3.")
	}
	if v6 || v.Version == 3 {
		// VRRP version 3 (RFC 5798): no authentication, adverts at most
		// every 40.95 s. An IPv6 instance always runs it.
		what := "An IPv6 vrrp_instance runs VRRP version 3"
		if !v6 {
			what = "This vrrp_instance runs VRRP version 3 (version = 3)"
		}
		if v.AuthPass != "" {
			summary := "auth_pass on an IPv6 instance"
			if !v6 {
				summary = "auth_pass with VRRP version 3"
			}
			r.errorf(r.ranges["auth_pass"], summary,
				"%s, which has no authentication; keepalived 2.2.7 ignores auth_pass (\"VRRP version 3 does not support authentication\") and `keepalived -t` rejects the file. Remove auth_pass from this instance.", what)
		}
		if v.AdvertInt > vrrp3MaxAdvertInt {
			summary := "advert_int too long for IPv6"
			if !v6 {
				summary = "advert_int too long for VRRP version 3"
			}
			r.errorf(r.ranges["advert_int"], summary,
				"%s, whose advert interval is at most 40.95 s; keepalived 2.2.7 lowers %d to 40.95 and `keepalived -t` rejects the file. Use 1-%d.", what, v.AdvertInt, vrrp3MaxAdvertInt)
		}
	}
	v.Accept = r.boolean("accept", false)
	v.Nopreempt = r.boolean("nopreempt", false)
	v.PreemptDelay = r.integer("preempt_delay", 0, 0, 1000)
	v.Unicast = r.boolean("unicast", false)
	v.GarpMasterDelay = r.integer("garp_master_delay", 0, 0, 255)
	for _, n := range []struct {
		attr string
		dst  *string
	}{{"notify_master", &v.NotifyMaster}, {"notify_backup", &v.NotifyBackup}, {"notify_fault", &v.NotifyFault}, {"notify", &v.Notify}, {"notify_stop", &v.NotifyStop}} {
		if s := r.str(n.attr, ""); s != "" {
			if !validCommand(s) {
				r.errorf(r.ranges[n.attr], "Invalid notify script", "%s must be an absolute path (no . or .. component) optionally followed by simple arguments (letters, digits and ._+@/=:,-); got %q.", n.attr, s)
			}
			*n.dst = s
		}
	}
	tracked := r.strings("track_interface")
	trackedAt := r.elementRanges("track_interface", len(tracked))
	for i, ti := range tracked {
		switch {
		case !reInterface.MatchString(ti):
			r.errorf(trackedAt[i], "Invalid interface name", "%q is not a valid Linux interface name.", ti)
			continue
		case ti == v.Interface:
			// keepalived 2.2.7 logs "(VI_1) Ignoring track_interface ens33
			// since own interface" and keepalived -t exits 5.
			r.errorf(trackedAt[i], "track_interface lists the instance's own interface",
				"vrrp_instance %q runs on %q, and keepalived always tracks an instance's own interface: it ignores %q in track_interface and `keepalived -t` rejects the file. Remove it from track_interface.", v.Name, ti, ti)
			continue
		}
		v.TrackInterfaces = append(v.TrackInterfaces, ti)
	}
	d.pendingTrack[v.Name] = r.refs("track_script", "health_check")
	d.pendingTrackProcess[v.Name] = r.refs("track_process", "track_process")
	d.pendingTrackFile[v.Name] = r.refs("track_file", "track_file")
	v.ExcludedIPs = r.prefixes("excluded_ips", false)
	v.UseVMAC = r.boolean("use_vmac", false)
	v.VMACInterface = r.str("vmac_interface", "")
	if v.VMACInterface != "" {
		switch {
		case !reInterface.MatchString(v.VMACInterface):
			r.errorf(r.ranges["vmac_interface"], "Invalid interface name", "%q is not a valid Linux interface name.", v.VMACInterface)
		case !r.has("use_vmac") || !v.UseVMAC:
			r.errorf(r.ranges["vmac_interface"], "vmac_interface without use_vmac", "vmac_interface names the macvlan interface of use_vmac; set use_vmac = true.")
		}
	}
	d.decodeVIPOptions(r, v)
	v.LVSSync = d.decodeLVSSync(r.content.Blocks.OfType("lvs_sync_daemon"))
	for _, blk := range r.content.Blocks.OfType("virtual_route") {
		v.Routes = append(v.Routes, d.decodeVirtualRoute(blk))
	}
	for _, blk := range r.content.Blocks.OfType("virtual_rule") {
		v.Rules = append(v.Rules, d.decodeVirtualRule(blk))
	}
	v.Raw = d.decodeRaw(r, "raw", rawVRRPInstance)

	seen := map[string]hcl.Range{}
	for _, mb := range r.content.Blocks.OfType("member") {
		m := &Member{Host: mb.Labels[0], DeclRange: mb.DefRange}
		if first, dup := seen[m.Host]; dup {
			d.errorf(mb.LabelRanges[0].Ptr(), "Duplicate member block", "Host %q is already a member of %q at %s.", m.Host, v.Name, first.String())
			continue
		}
		seen[m.Host] = mb.DefRange
		mr := d.reader(mb.Body, memberSchema)
		m.Ranges = mr.ranges
		m.Ranges["host"] = mb.LabelRanges[0]
		m.Priority = mr.integer("priority", 0, 1, 255)
		if s := mr.str("state", ""); s != "" {
			if s != StateMaster && s != StateBackup {
				mr.errorf(mr.ranges["state"], "Invalid VRRP state", "state must be %q or %q; got %q.", StateMaster, StateBackup, s)
			} else {
				m.State = s
			}
		}
		d.done(mr)
		v.Members = append(v.Members, m)
	}
	if len(v.Members) == 0 {
		r.errorf(blk.DefRange, "No members", "vrrp_instance %q needs at least one member block naming a host.", v.Name)
	}
	sort.SliceStable(v.Members, func(i, j int) bool { return v.Members[i].Priority > v.Members[j].Priority })
	assignStates(v, d.strict)
	d.done(r)
	return v
}

// assignStates sets each member's initial state: explicit states win;
// otherwise the highest priority is MASTER and the rest BACKUP, or every
// member is BACKUP with nopreempt or preempt_delay (keepalived honours
// both only when the initial state is BACKUP), or under vrrp_strict
// (keepalived 2.2.7 then allows MASTER only to the address owner:
// "State MASTER must match being address owner").
func assignStates(v *VRRPInstance, strict bool) {
	explicitMaster := false
	for _, m := range v.Members {
		if m.State == StateMaster {
			explicitMaster = true
		}
	}
	for i, m := range v.Members {
		if m.State != "" {
			continue
		}
		switch {
		case v.Nopreempt || v.PreemptDelay > 0 || strict:
			m.State = StateBackup
		case i == 0 && !explicitMaster:
			m.State = StateMaster
		default:
			m.State = StateBackup
		}
	}
}

// decodeVIPOptions reads the virtual_ip blocks of an instance: each names
// an address of virtual_ips or excluded_ips and sets how it is added.
func (d *decoder) decodeVIPOptions(r *blockReader, v *VRRPInstance) {
	known := map[netip.Addr]bool{}
	for _, p := range append(append([]netip.Prefix(nil), v.VirtualIPs...), v.ExcludedIPs...) {
		known[p.Addr()] = true
	}
	seen := map[netip.Addr]hcl.Range{}
	for _, blk := range r.content.Blocks.OfType("virtual_ip") {
		label := blk.LabelRanges[0]
		p, err := parsePrefix(blk.Labels[0], false)
		if err != nil {
			d.errorf(&label, "Invalid virtual_ip address", "virtual_ip %q: %s.", blk.Labels[0], err)
			continue
		}
		a := p.Addr()
		if !known[a] {
			d.errorf(&label, "virtual_ip not in virtual_ips", "%s is in neither virtual_ips nor excluded_ips of vrrp_instance %q; a virtual_ip block sets how one of those addresses is added.", a, v.Name)
			continue
		}
		if first, dup := seen[a]; dup {
			d.errorf(&label, "Duplicate virtual_ip block", "The options of %s were already set at %s.", a, first.String())
			continue
		}
		seen[a] = blk.DefRange
		br := d.reader(blk.Body, vipOptionSchema)
		o := VIPOption{Dev: br.str("dev", ""), Label: br.str("label", ""), Scope: br.str("scope", "")}
		if o.Dev != "" && !reInterface.MatchString(o.Dev) {
			br.errorf(br.ranges["dev"], "Invalid interface name", "%q is not a valid Linux interface name.", o.Dev)
		}
		dev := o.Dev
		if dev == "" {
			dev = v.Interface
		}
		if o.Label != "" && (!strings.HasPrefix(o.Label, dev+":") || len(o.Label) > 15 || !reInterface.MatchString(strings.ReplaceAll(o.Label, ":", "_"))) {
			br.errorf(br.ranges["label"], "Invalid address label",
				"An address label is the interface name, a colon and a suffix, at most 15 characters (the kernel refuses others): e.g. %q; got %q.", dev+":vip", o.Label)
		}
		if o.Scope != "" && !slices.Contains(vipScopes, o.Scope) {
			// keepalived 2.2.7: "Invalid scope 'x' specified for ... - ignoring".
			br.errorf(br.ranges["scope"], "Invalid scope", "scope must be one of %s; got %q.", strings.Join(vipScopes, ", "), o.Scope)
		}
		d.done(br)
		if v.VIPOptions == nil {
			v.VIPOptions = map[netip.Addr]VIPOption{}
		}
		v.VIPOptions[a] = o
	}
}

// decodeVirtualRoute reads one virtual_route block: keepalived's
// virtual_routes line, checked as keepalived 2.2.7 checks it (one address
// family; a typed route has no next hop).
func (d *decoder) decodeVirtualRoute(blk *hcl.Block) *VirtualRoute {
	r := d.reader(blk.Body, virtualRouteSchema)
	rt := &VirtualRoute{DeclRange: blk.DefRange, Ranges: r.ranges}
	if to := r.str("to", ""); to != "" {
		p, err := parsePrefix(to, false)
		if err != nil {
			r.errorf(r.ranges["to"], "Invalid route destination", "to must be an address or a prefix such as 10.9.0.0/16; %s.", err)
		} else {
			rt.To = p.Masked()
			if rt.To != p {
				r.errorf(r.ranges["to"], "Route destination with host bits", "%s has bits set past its /%d; the kernel routes %s. Write that.", p, p.Bits(), rt.To)
			}
		}
	}
	rt.Type = r.str("type", "")
	if rt.Type != "" && !slices.Contains(routeTypes, rt.Type) {
		r.errorf(r.ranges["type"], "Invalid route type", "type must be one of %s (leave it out for an ordinary route); got %q.", strings.Join(routeTypes, ", "), rt.Type)
	}
	rt.Via = r.addr("via")
	rt.Src = r.addr("src")
	rt.Dev = r.str("dev", "")
	if rt.Dev != "" && !reInterface.MatchString(rt.Dev) {
		r.errorf(r.ranges["dev"], "Invalid interface name", "%q is not a valid Linux interface name.", rt.Dev)
	}
	rt.Table = r.integer("table", 0, 1, maxUint32)
	rt.Metric = r.integer("metric", 0, 0, maxUint32)
	rt.Scope = r.str("scope", "")
	if rt.Scope != "" && !slices.Contains(vipScopes, rt.Scope) {
		r.errorf(r.ranges["scope"], "Invalid scope", "scope must be one of %s; got %q.", strings.Join(vipScopes, ", "), rt.Scope)
	}
	if rt.To.IsValid() {
		for _, a := range []struct {
			name string
			addr netip.Addr
		}{{"via", rt.Via}, {"src", rt.Src}} {
			if a.addr.IsValid() && a.addr.Is4() != rt.To.Addr().Is4() {
				// keepalived 2.2.7: "Cannot mix IPv4 and IPv6 addresses for route".
				r.errorf(r.ranges[a.name], "Route of two address families", "%s %s is not of the family of the destination %s; keepalived 2.2.7 refuses the route.", a.name, a.addr, rt.To)
			}
		}
	}
	if rt.Type != "" && (rt.Via.IsValid() || rt.Dev != "") {
		r.errorf(r.ranges["type"], "Typed route with a next hop", "A %s route sends nothing anywhere, so it has no via or dev; remove them, or the type.", rt.Type)
	}
	d.done(r)
	return rt
}

// decodeVirtualRule reads one virtual_rule block: a policy-routing rule
// (from, to, fwmark) looking up a table.
func (d *decoder) decodeVirtualRule(blk *hcl.Block) *VirtualRule {
	r := d.reader(blk.Body, virtualRuleSchema)
	ru := &VirtualRule{DeclRange: blk.DefRange, Ranges: r.ranges}
	for _, f := range []struct {
		name string
		dst  *netip.Prefix
	}{{"from", &ru.From}, {"to", &ru.To}} {
		s := r.str(f.name, "")
		if s == "" {
			continue
		}
		p, err := parsePrefix(s, false)
		if err != nil {
			r.errorf(r.ranges[f.name], "Invalid rule selector", "%s must be an address or a prefix such as 10.9.0.0/16; %s.", f.name, err)
			continue
		}
		*f.dst = p.Masked()
	}
	if ru.From.IsValid() && ru.To.IsValid() && ru.From.Addr().Is4() != ru.To.Addr().Is4() {
		r.errorf(r.ranges["to"], "Rule of two address families", "from %s and to %s are of different families; an ip rule is of one.", ru.From, ru.To)
	}
	ru.FWMark = r.integer("fwmark", 0, 1, maxUint32)
	ru.Priority = r.integer("priority", 0, 0, maxUint32)
	ru.Table = r.integer("table", 0, 1, maxUint32)
	d.done(r)
	return ru
}

// decodeLVSSync reads an instance's lvs_sync_daemon block (at most one).
func (d *decoder) decodeLVSSync(blocks []*hcl.Block) *LVSSyncDaemon {
	blk := d.onlyOne(blocks)
	if blk == nil {
		return nil
	}
	r := d.reader(blk.Body, lvsSyncSchema)
	s := &LVSSyncDaemon{DeclRange: blk.DefRange, Ranges: r.ranges, SyncID: -1}
	s.Interface = r.str("interface", "")
	if s.Interface != "" && !reInterface.MatchString(s.Interface) {
		r.errorf(r.ranges["interface"], "Invalid interface name", "%q is not a valid Linux interface name.", s.Interface)
	}
	if s.Interface == "lo" {
		r.errorf(r.ranges["interface"], "Sync daemon on the loopback interface",
			"The sync daemons of the directors exchange multicast over a network they share; the loopback interface reaches no other director. Use the directors' shared interface.")
	}
	if r.has("sync_id") {
		s.SyncID = r.integer("sync_id", -1, 0, 255)
	}
	// The ranges of keepalived.conf(5).
	s.MaxLen = r.integer("maxlen", 0, 1, 65507)
	s.Port = r.integer("port", 0, 1, 65535)
	s.TTL = r.integer("ttl", 0, 1, 255)
	if r.has("group") {
		s.Group = r.addr("group")
		if s.Group.IsValid() && !s.Group.IsMulticast() {
			r.errorf(r.ranges["group"], "Sync group is not a multicast address",
				"group is the multicast address the sync daemons send to and listen on (the kernel's default is 224.0.0.81); %s is not multicast.", s.Group)
		}
	}
	d.done(r)
	return s
}

func (r *blockReader) diagsHaveErrors() bool { return r.diags.HasErrors() }

// resolveTrackScripts turns track_script references into health check names.
func (d *decoder) resolveTrackScripts(cfg *Config) {
	for _, name := range cfg.VRRPInstanceNames() {
		v := cfg.VRRPInstances[name]
		for _, ref := range d.pendingTrack[name] {
			if _, ok := cfg.HealthChecks[ref.Name]; !ok {
				d.errorf(ref.Range.Ptr(), "Reference to undeclared health check",
					"There is no health_check %q.%s", ref.Name, suggest(ref.Name, cfg.HealthCheckNames()))
				continue
			}
			v.TrackScripts = append(v.TrackScripts, ref.Name)
		}
	}
}

// suggest returns " Did you mean "x"?" when a known name is close.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dist := levenshtein(name, k); dist < bestD {
			best, bestD = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
