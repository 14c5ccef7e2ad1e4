package render

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// keepalivedView is what keepalived.conf.tmpl renders. Every string is
// final keepalived syntax (quoted where keepalived wants quotes); the
// template only lays the values out.
type keepalivedView struct {
	Global         globalDefsView
	Scripts        []vrrpScriptView
	TrackProcesses []trackProcessView
	TrackFiles     []trackFileView
	SyncGroups     []syncGroupView
	Instances      []vrrpInstanceView
	BFDInstances   []bfdView
	ServerGroups   []serverGroupView
	VirtualServers []keepalivedVSView
	// RawBlocks are the configuration's raw top-level lines, laid out
	// (rawLines); "" for none.
	RawBlocks string
}

type globalDefsView struct {
	NotificationEmail     []string
	NotificationEmailFrom string
	SMTPServer            string
	SMTPConnectTimeout    int
	RouterID              string
	EnableScriptSecurity  bool
	ScriptUser            string
	VRRPStrict            bool
	// LVSSyncDaemon is the arguments of lvs_sync_daemon ("" for none):
	// interface, instance and the options set.
	LVSSyncDaemon string
	// NotifyFIFO and NotifyFIFOScript are quoted as keepalived reads
	// them ("" for none).
	NotifyFIFO       string
	NotifyFIFOScript string
	Raw              string // raw lines, laid out (rawLines)
}

type vrrpScriptView struct {
	Name                        string
	Script                      string // quoted
	Interval                    int
	Weight, Fall, Rise, Timeout int
}

type trackProcessView struct {
	Name, Process         string
	Weight, Quorum, Delay int
}

type trackFileView struct {
	Name, File string
	Weight     int
	InitFile   string // "" or the init_file arguments
}

type syncGroupView struct {
	Name           string
	Instances      []string
	TrackingWeight string // "" or the keyword for the host's keepalived
	NotifyMaster   string // quoted
	NotifyBackup   string
	NotifyFault    string
	Notify         string
	NotifyStop     string
}

type vrrpInstanceView struct {
	Name            string
	State           string
	Interface       string
	VirtualRouterID int
	Priority        int
	AdvertInt       int
	Version         int
	Accept          bool
	Nopreempt       bool
	PreemptDelay    int
	GarpMasterDelay int
	UnicastSrcIP    string
	UnicastPeers    []string
	AuthPass        string
	VirtualIPs      []string // "ADDR/LEN [dev D] [scope S] [label L]"
	ExcludedIPs     []string
	UseVMAC         string // "" off, "use_vmac" or "use_vmac NAME"
	TrackInterfaces []string
	TrackScripts    []string
	TrackProcesses  []string
	TrackFiles      []string
	NotifyMaster    string // quoted
	NotifyBackup    string
	NotifyFault     string
	Notify          string
	NotifyStop      string
	Routes          []string // virtual_routes lines
	Rules           []string // virtual_rules lines
	Raw             string   // raw lines, laid out (rawLines)
}

// bfdView is one bfd_instance.
type bfdView struct {
	Name, NeighborIP, SourceIP       string
	MinRx, MinTx, IdleTx, Multiplier int
	Passive                          bool
}

// serverGroupView is one virtual_server_group: its entries as
// keepalived writes them ("192.168.47.130-135 80", "fwmark 7").
type serverGroupView struct {
	Name    string
	Entries []string
}

type keepalivedVSView struct {
	Selector    string // "IP PORT", "fwmark N" or "group NAME"
	Alpha       bool
	Omega       bool
	DelayLoop   int
	Scheduler   string
	Kind        string   // NAT, DR, TUN, or TUN with its encapsulation
	Flags       []string // sh-port, ... (one keyword each)
	OnePacket   bool
	Persistence int
	Granularity string
	PE          string // persistence_engine
	Protocol    string // TCP, UDP; "" for a group of marks
	SorryServer string // "IP PORT"
	Raw         string // raw lines, laid out (rawLines)
	RealServers []keepalivedRSView
}

type keepalivedRSView struct {
	Address      string
	Port         uint16 // 0: none (a group of marks)
	Weight       int
	Inhibit      bool
	Upper, Lower int
	Check        *keepalivedCheckView
}

type keepalivedCheckView struct {
	Keyword          string // TCP_CHECK, HTTP_GET, SSL_GET, ... (config.CheckKeywords)
	URL              bool   // HTTP_GET and SSL_GET: a url block
	Path             string
	Digest           string
	StatusCode       int
	MiscPath         string // quoted
	ConnectIP        string
	ConnectPort      int
	BindTo           string
	BindPort         int
	ConnectTimeout   int
	Retry            int
	RetryKeyword     string // retry, or nb_get_retry for HTTP_GET/SSL_GET before 1.4.0
	DelayBeforeRetry int
	Warmup           int
	DNSType          string
	DNSName          string
	HeloName         string
	Payload          string
	RequireReply     string // "" off, "require_reply" or "require_reply HEX"
	TrackFile        string // keepalived's track_file name
	BFD              string // BFD_CHECK's bfd_instance name
	FileWeight       string // "" or "weight N [reverse]"
}

// memberInstances returns the VRRP instances the host is a member of,
// sorted by name.
func (b *hostBuilder) memberInstances() []*config.VRRPInstance {
	var out []*config.VRRPInstance
	for _, name := range b.cfg.VRRPInstanceNames() {
		if v := b.cfg.VRRPInstances[name]; v.MemberFor(b.host.Name) != nil {
			out = append(out, v)
		}
	}
	return out
}

// keepalivedServers returns the keepalived-managed virtual servers the host
// directs, sorted by name.
func (b *hostBuilder) keepalivedServers() []*config.VirtualServer {
	var out []*config.VirtualServer
	for _, vs := range b.directed() {
		if vs.ManagedBy == config.ManagedByKeepalived {
			out = append(out, vs)
		}
	}
	return out
}

// directed returns the virtual servers the host directs, sorted by name.
func (b *hostBuilder) directed() []*config.VirtualServer {
	var out []*config.VirtualServer
	for _, name := range b.cfg.VirtualServerNames() {
		vs := b.cfg.VirtualServers[name]
		if slices.Contains(vs.Directors, b.host.Name) {
			out = append(out, vs)
		}
	}
	return out
}

// trackedChecks returns the health checks tracked by the given instances,
// without duplicates, sorted by name.
func (b *hostBuilder) trackedChecks(instances []*config.VRRPInstance) ([]*config.HealthCheck, error) {
	seen := map[string]bool{}
	for _, v := range instances {
		for _, name := range v.TrackScripts {
			if b.cfg.HealthChecks[name] == nil {
				return nil, fmt.Errorf("vrrp_instance %s: track_script %q is not a declared health_check", v.Name, name)
			}
			seen[name] = true
		}
	}
	var out []*config.HealthCheck
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		out = append(out, b.cfg.HealthChecks[name])
	}
	return out, nil
}

// addKeepalived renders keepalived.conf and the generated health check
// scripts on VRRP members and directors of keepalived-managed servers.
func (b *hostBuilder) addKeepalived() error {
	instances := b.memberInstances()
	servers := b.keepalivedServers()
	if len(instances) == 0 && len(servers) == 0 {
		return nil
	}
	checks, err := b.trackedChecks(instances)
	if err != nil {
		return err
	}
	view := keepalivedView{Global: b.globalDefs(), RawBlocks: rawLines(b.cfg.Keepalived.RawBlocks, 0)}
	view.Global.LVSSyncDaemon = lvsSyncDaemon(instances)
	b.useGlobal(view.Global)
	for _, hc := range checks {
		sv, err := scriptView(hc)
		if err != nil {
			return err
		}
		view.Scripts = append(view.Scripts, sv)
		if hc.Timeout > 0 {
			b.use(keepalived.FeatureScriptTimeout, hc.Ranges.At("timeout", hc.DeclRange))
		}
		if hc.Process != "" {
			if err := b.addCheckScript(hc); err != nil {
				return err
			}
		}
	}
	if err := b.trackViews(instances, &view); err != nil {
		return err
	}
	for _, name := range b.cfg.SyncGroupNames() {
		g := b.cfg.SyncGroups[name]
		if len(g.Instances) == 0 || b.cfg.VRRPInstances[g.Instances[0]] == nil || b.cfg.VRRPInstances[g.Instances[0]].MemberFor(b.host.Name) == nil {
			continue
		}
		gv := syncGroupView{Name: g.Name, Instances: g.Instances}
		if g.TrackingWeight {
			gv.TrackingWeight = keepalived.SyncGroupTrackingWeight(b.version)
		}
		if g.NotifyStop != "" {
			b.use(keepalived.FeatureSyncNotifyStop, g.Ranges.At("notify_stop", g.DeclRange))
		}
		for _, n := range []struct {
			dst     *string
			cmd, kw string
		}{{&gv.NotifyMaster, g.NotifyMaster, "notify_master"}, {&gv.NotifyBackup, g.NotifyBackup, "notify_backup"}, {&gv.NotifyFault, g.NotifyFault, "notify_fault"}, {&gv.Notify, g.Notify, "notify"}, {&gv.NotifyStop, g.NotifyStop, "notify_stop"}} {
			if n.cmd == "" {
				continue
			}
			q, err := keepalivedQuote(n.kw, n.cmd)
			if err != nil {
				return fmt.Errorf("vrrp_sync_group %s: %w", g.Name, err)
			}
			*n.dst = q
		}
		view.SyncGroups = append(view.SyncGroups, gv)
	}
	sensitive := false
	for _, v := range instances {
		iv, err := b.instanceView(v)
		if err != nil {
			return fmt.Errorf("vrrp_instance %s: %w", v.Name, err)
		}
		b.useInstance(v)
		sensitive = sensitive || v.AuthPass != ""
		view.Instances = append(view.Instances, iv)
	}
	groups := map[string]*config.ServerGroup{}
	bfds := map[string]bool{}
	for _, vs := range servers {
		if vs.Group != nil {
			groups[vs.Group.Name] = vs.Group
		}
		for _, rs := range vs.RealServers {
			if rs.Check != nil && rs.Check.BFD != "" {
				bfds[rs.Check.BFD] = true
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(bfds)) {
		bi := b.cfg.BFDInstances[name]
		if bi == nil {
			return fmt.Errorf("bfd_instance %q is not declared", name)
		}
		bv := bfdView{Name: name, NeighborIP: bi.NeighborIP.String(), MinRx: bi.MinRx, MinTx: bi.MinTx,
			IdleTx: bi.IdleTx, Multiplier: bi.Multiplier, Passive: bi.Passive}
		if bi.SourceIP.IsValid() {
			bv.SourceIP = bi.SourceIP.String()
		}
		view.BFDInstances = append(view.BFDInstances, bv)
	}
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		gv := serverGroupView{Name: name}
		for _, e := range groups[name].Entries {
			gv.Entries = append(gv.Entries, e.Keepalived())
		}
		view.ServerGroups = append(view.ServerGroups, gv)
	}
	for _, vs := range servers {
		b.useServer(vs)
		sv, err := keepalivedServerView(vs, b.weight, b.version)
		if err != nil {
			return fmt.Errorf("virtual_server %s: %w", vs.Name, err)
		}
		view.VirtualServers = append(view.VirtualServers, sv)
	}
	content, err := b.execute("keepalived.conf.tmpl", view)
	if err != nil {
		return err
	}
	mode := b.cfg.Keepalived.ConfigMode
	if mode == 0 {
		mode = 0o640
	}
	f := rootFile(KeepalivedConfPath, mode, content)
	f.Sensitive = sensitive
	f.Validate = resource.ValidateKeepalived
	if err := b.addFile(f); err != nil {
		return err
	}
	b.addPackage("keepalived")
	s := b.service("keepalived")
	s.ReloadOn = append(s.ReloadOn, KeepalivedConfPath)
	return nil
}

func (b *hostBuilder) globalDefs() globalDefsView {
	k := b.cfg.Keepalived
	g := globalDefsView{
		NotificationEmail:     k.NotificationEmail,
		NotificationEmailFrom: k.NotificationEmailFrom,
		SMTPServer:            k.SMTPServer,
		SMTPConnectTimeout:    k.SMTPConnectTimeout,
		RouterID:              k.RouterID,
		EnableScriptSecurity:  k.EnableScriptSecurity,
		ScriptUser:            k.ScriptUser,
		VRRPStrict:            k.VRRPStrict,
		Raw:                   rawLines(k.Raw, 1),
		NotifyFIFO:            k.NotifyFIFO,
	}
	if g.RouterID == "" {
		g.RouterID = b.host.Name
	}
	if k.NotifyFIFOScript != "" {
		// config allows simple arguments only: quoting cannot fail.
		g.NotifyFIFOScript, _ = keepalivedQuote("notify_fifo_script", k.NotifyFIFOScript)
	}
	return g
}

// routeLines renders virtual_routes lines: [src S] [TYPE] DEST [via V]
// [dev D] [table T] [metric M] [scope S] [no_track] (keepalived reads the
// destination as the word no keyword claims, after the type).
func routeLines(routes []*config.VirtualRoute) []string {
	var out []string
	for _, r := range routes {
		var w []string
		if r.Src.IsValid() {
			w = append(w, "src", r.Src.String())
		}
		if r.Type != "" {
			w = append(w, r.Type)
		}
		w = append(w, r.To.String())
		if r.Via.IsValid() {
			w = append(w, "via", r.Via.String())
		}
		if r.Dev != "" {
			w = append(w, "dev", r.Dev)
		}
		if r.Table > 0 {
			w = append(w, "table", strconv.Itoa(r.Table))
		}
		if r.Metric > 0 {
			w = append(w, "metric", strconv.Itoa(r.Metric))
		}
		if r.Scope != "" {
			w = append(w, "scope", r.Scope)
		}
		if r.Dev == "" {
			// keepalived tracks a route by its interface; without one
			// 2.2.7 warns "cannot track route ... not tracking" and -t
			// exits 5. no_track says so.
			w = append(w, "no_track")
		}
		out = append(out, strings.Join(w, " "))
	}
	return out
}

// ruleLines renders virtual_rules lines: [from P] [to P] [fwmark M]
// [priority N] table T.
func ruleLines(rules []*config.VirtualRule) []string {
	var out []string
	for _, r := range rules {
		var w []string
		if r.From.IsValid() {
			w = append(w, "from", r.From.String())
		}
		if r.To.IsValid() {
			w = append(w, "to", r.To.String())
		}
		if r.FWMark > 0 {
			w = append(w, "fwmark", strconv.Itoa(r.FWMark))
		}
		if r.Priority > 0 {
			w = append(w, "priority", strconv.Itoa(r.Priority))
		}
		w = append(w, "table", strconv.Itoa(r.Table))
		out = append(out, strings.Join(w, " "))
	}
	return out
}

// lvsSyncDaemon renders the arguments of keepalived's lvs_sync_daemon for
// the first of a host's instances that runs the sync daemon (validation
// allows one per host), or "".
func lvsSyncDaemon(instances []*config.VRRPInstance) string {
	for _, v := range instances {
		s := v.LVSSync
		if s == nil {
			continue
		}
		iface := s.Interface
		if iface == "" {
			iface = v.Interface
		}
		out := iface + " " + v.Name
		if s.SyncID >= 0 {
			out += fmt.Sprintf(" id %d", s.SyncID)
		}
		if s.MaxLen > 0 {
			out += fmt.Sprintf(" maxlen %d", s.MaxLen)
		}
		if s.Port > 0 {
			out += fmt.Sprintf(" port %d", s.Port)
		}
		if s.TTL > 0 {
			out += fmt.Sprintf(" ttl %d", s.TTL)
		}
		if s.Group.IsValid() {
			out += " group " + s.Group.String()
		}
		return out
	}
	return ""
}

// rawLines lays out a configuration's raw keepalived lines for a block
// depth blocks deep, indented as the template indents its own lines. The
// lines themselves are passed through: config checked what clusterctl
// checks of them, keepalived -t on the host checks the rest.
func rawLines(raw string, depth int) string {
	return keepalived.Reindent(raw, depth, "    ")
}

func scriptView(hc *config.HealthCheck) (vrrpScriptView, error) {
	cmd := hc.Script
	if hc.Process != "" {
		if hc.ScriptPath == "" || !strings.HasPrefix(hc.ScriptPath, "/") {
			return vrrpScriptView{}, fmt.Errorf("health_check %s: script path %q is not absolute", hc.Name, hc.ScriptPath)
		}
		cmd = hc.ScriptPath
	}
	if cmd == "" {
		return vrrpScriptView{}, fmt.Errorf("health_check %s: neither process nor script is set", hc.Name)
	}
	q, err := keepalivedQuote("health_check "+hc.Name+" script", cmd)
	if err != nil {
		return vrrpScriptView{}, err
	}
	if hc.Interval <= 0 {
		return vrrpScriptView{}, fmt.Errorf("health_check %s: interval %d is not positive", hc.Name, hc.Interval)
	}
	return vrrpScriptView{
		Name:     hc.VRRPScriptName(),
		Script:   q,
		Interval: hc.Interval,
		Weight:   hc.Weight,
		Fall:     hc.Fall,
		Rise:     hc.Rise,
		Timeout:  hc.Timeout,
	}, nil
}

func (b *hostBuilder) instanceView(v *config.VRRPInstance) (vrrpInstanceView, error) {
	m := v.MemberFor(b.host.Name)
	iv := vrrpInstanceView{
		Name:            v.Name,
		State:           m.State,
		Interface:       v.Interface,
		VirtualRouterID: v.VirtualRouterID,
		Priority:        b.priority(v, m),
		AdvertInt:       v.AdvertInt,
		Version:         v.Version,
		Accept:          v.Accept,
		Nopreempt:       v.Nopreempt,
		PreemptDelay:    v.PreemptDelay,
		GarpMasterDelay: v.GarpMasterDelay,
		AuthPass:        v.AuthPass,
		TrackInterfaces: v.TrackInterfaces,
		Raw:             rawLines(v.Raw, 1),
		Routes:          routeLines(v.Routes),
		Rules:           ruleLines(v.Rules),
	}
	if iv.State != config.StateMaster && iv.State != config.StateBackup {
		return iv, fmt.Errorf("member %s: state %q is neither %s nor %s", m.Host, iv.State, config.StateMaster, config.StateBackup)
	}
	if _, err := keepalivedWord("interface", v.Interface); err != nil {
		return iv, err
	}
	if v.AuthPass != "" {
		// The value is secret: never put it in the message.
		if _, err := keepalivedWord("auth_pass", v.AuthPass); err != nil {
			return iv, fmt.Errorf("auth_pass: not a single keepalived word")
		}
	}
	if len(v.VirtualIPs) == 0 {
		return iv, fmt.Errorf("no virtual IPs")
	}
	for _, p := range v.VirtualIPs {
		w, err := vipWords(v, p)
		if err != nil {
			return iv, err
		}
		iv.VirtualIPs = append(iv.VirtualIPs, w)
	}
	for _, p := range v.ExcludedIPs {
		w, err := vipWords(v, p)
		if err != nil {
			return iv, err
		}
		iv.ExcludedIPs = append(iv.ExcludedIPs, w)
	}
	if v.UseVMAC {
		iv.UseVMAC = "use_vmac"
		if v.VMACInterface != "" {
			if _, err := keepalivedWord("vmac_interface", v.VMACInterface); err != nil {
				return iv, err
			}
			iv.UseVMAC += " " + v.VMACInterface
		}
	}
	for _, name := range v.TrackScripts {
		iv.TrackScripts = append(iv.TrackScripts, b.cfg.HealthChecks[name].VRRPScriptName())
	}
	for _, name := range v.TrackProcesses {
		iv.TrackProcesses = append(iv.TrackProcesses, b.cfg.TrackProcesses[name].KeepalivedName())
	}
	for _, name := range v.TrackFiles {
		iv.TrackFiles = append(iv.TrackFiles, b.cfg.TrackFiles[name].KeepalivedName())
	}
	var err error
	for _, n := range []struct {
		dst *string
		cmd string
		kw  string
	}{{&iv.NotifyMaster, v.NotifyMaster, "notify_master"}, {&iv.NotifyBackup, v.NotifyBackup, "notify_backup"}, {&iv.NotifyFault, v.NotifyFault, "notify_fault"}, {&iv.Notify, v.Notify, "notify"}, {&iv.NotifyStop, v.NotifyStop, "notify_stop"}} {
		if n.cmd == "" {
			continue
		}
		if *n.dst, err = keepalivedQuote(n.kw, n.cmd); err != nil {
			return iv, err
		}
	}
	if v.Unicast {
		if iv.UnicastSrcIP, iv.UnicastPeers, err = b.unicast(v); err != nil {
			return iv, err
		}
	}
	return iv, nil
}

// trackViews adds the track_process and track_file blocks the given
// instances track, each once, sorted by name.
func (b *hostBuilder) trackViews(instances []*config.VRRPInstance, view *keepalivedView) error {
	procs, files := map[string]bool{}, map[string]bool{}
	for _, v := range instances {
		for _, n := range v.TrackProcesses {
			if b.cfg.TrackProcesses[n] == nil {
				return fmt.Errorf("vrrp_instance %s: track_process %q is not declared", v.Name, n)
			}
			procs[n] = true
		}
		for _, n := range v.TrackFiles {
			if b.cfg.TrackFiles[n] == nil {
				return fmt.Errorf("vrrp_instance %s: track_file %q is not declared", v.Name, n)
			}
			files[n] = true
		}
	}
	for _, vs := range b.keepalivedServers() {
		for _, rs := range vs.RealServers {
			if rs.Check == nil || rs.Check.TrackFile == "" {
				continue
			}
			if b.cfg.TrackFiles[rs.Check.TrackFile] == nil {
				return fmt.Errorf("virtual_server %s: track_file %q is not declared", vs.Name, rs.Check.TrackFile)
			}
			files[rs.Check.TrackFile] = true
		}
	}
	for _, n := range slices.Sorted(maps.Keys(procs)) {
		t := b.cfg.TrackProcesses[n]
		if _, err := keepalivedWord("track_process process", t.Process); err != nil {
			return err
		}
		view.TrackProcesses = append(view.TrackProcesses, trackProcessView{Name: t.KeepalivedName(), Process: t.Process, Weight: t.Weight, Quorum: t.Quorum, Delay: t.Delay})
	}
	for _, n := range slices.Sorted(maps.Keys(files)) {
		t := b.cfg.TrackFiles[n]
		if _, err := keepalivedWord("track_file file", t.File); err != nil {
			return err
		}
		fv := trackFileView{Name: t.KeepalivedName(), File: t.File, Weight: t.Weight}
		if t.InitValue != nil {
			fv.InitFile = strconv.Itoa(*t.InitValue)
		}
		view.TrackFiles = append(view.TrackFiles, fv)
	}
	return nil
}

// vipWords renders one virtual_ipaddress line: the address and the
// options its virtual_ip block sets, in keepalived's order.
func vipWords(v *config.VRRPInstance, p netip.Prefix) (string, error) {
	w := p.String()
	o, ok := v.VIPOptions[p.Addr()]
	if !ok {
		return w, nil
	}
	for _, kv := range [][2]string{{"dev", o.Dev}, {"scope", o.Scope}, {"label", o.Label}} {
		if kv[1] == "" {
			continue
		}
		if _, err := keepalivedWord("virtual_ip "+kv[0], kv[1]); err != nil {
			return "", err
		}
		w += " " + kv[0] + " " + kv[1]
	}
	return w, nil
}

// unicast returns this host's source address for the instance's adverts
// and the other members' addresses on the same subnet. The source is the
// address of the instance's interface whose subnet holds the first VIP,
// else the interface's first address.
func (b *hostBuilder) unicast(v *config.VRRPInstance) (string, []string, error) {
	var src netip.Prefix
	for _, i := range b.host.Interfaces {
		if i.Name != v.Interface || len(i.Addresses) == 0 {
			continue
		}
		src = i.Addresses[0]
		for _, p := range i.Addresses {
			if p.Masked().Contains(v.VirtualIPs[0].Addr()) {
				src = p
				break
			}
		}
	}
	if !src.IsValid() {
		return "", nil, fmt.Errorf("unicast: host %s has no address on interface %s", b.host.Name, v.Interface)
	}
	var peers []netip.Addr
	for _, m := range v.Members {
		if m.Host == b.host.Name {
			continue
		}
		peer, _, ok := hostAddrOn(b.cfg.Hosts[m.Host], src.Addr())
		if !ok || !src.Masked().Contains(peer) {
			return "", nil, fmt.Errorf("unicast: member %s has no address on %s", m.Host, src.Masked())
		}
		peers = append(peers, peer)
	}
	sort.Slice(peers, func(i, j int) bool { return peers[i].Less(peers[j]) })
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = p.String()
	}
	return src.Addr().String(), out, nil
}

// lbKind is keepalived's lb_kind for a mode; FULLNAT is IPVS NAT plus an
// SNAT rule that clusterctl adds itself.
func lbKind(mode config.Mode) (string, error) {
	switch mode {
	case config.ModeNAT, config.ModeFullNAT:
		return "NAT", nil
	case config.ModeDR:
		return "DR", nil
	case config.ModeTUN:
		return "TUN", nil
	}
	return "", fmt.Errorf("unknown mode %q", mode)
}

func keepalivedServerView(vs *config.VirtualServer, weight func(*config.RealServer) int, version keepalived.Version) (keepalivedVSView, error) {
	kind, err := lbKind(vs.Mode)
	if err != nil {
		return keepalivedVSView{}, err
	}
	v := keepalivedVSView{
		DelayLoop:   vs.DelayLoop,
		Scheduler:   vs.Scheduler,
		Kind:        kind,
		Flags:       vs.SchedulerFlags,
		OnePacket:   vs.OnePacket,
		Persistence: vs.Persistence,
		Protocol:    strings.ToUpper(string(vs.Protocol)),
		Raw:         rawLines(vs.Raw, 1),
	}
	if vs.Persistence > 0 {
		v.PE = vs.PersistenceEngine
	}
	if vs.Mode == config.ModeTUN && vs.TunType != "" && vs.TunType != "ipip" {
		// keepalived 2.2.7: lb_kind TUN type {gue port N|gre} [csum|remcsum|nocsum].
		v.Kind += " type " + vs.TunType
		if vs.TunPort != 0 {
			v.Kind += " port " + strconv.Itoa(int(vs.TunPort))
		}
		if vs.TunChecksum != "" {
			v.Kind += " " + vs.TunChecksum
		}
	}
	v.Alpha, v.Omega = vs.Alpha, vs.Omega
	switch {
	case vs.Group != nil:
		v.Selector = "group " + vs.Group.Name
	case vs.FWMark != 0:
		v.Selector = "fwmark " + strconv.FormatUint(uint64(vs.FWMark), 10)
	case vs.Address.IsValid():
		v.Selector = vs.Address.Addr().String() + " " + strconv.Itoa(int(vs.Address.Port()))
	default:
		return v, fmt.Errorf("neither address nor fwmark is set")
	}
	if v.Protocol == "" {
		v.Protocol = "TCP"
	}
	if v.Protocol != "TCP" && v.Protocol != "UDP" {
		return v, fmt.Errorf("unknown protocol %q", vs.Protocol)
	}
	if vs.Group != nil && vs.Group.FWMarks {
		// keepalived 2.2.7 warns "protocol specified for fwmark".
		v.Protocol = ""
	}
	if vs.Persistence > 0 && vs.PersistenceNetmask.IsValid() {
		v.Granularity = vs.PersistenceNetmask.String()
	}
	if vs.SorryServer.IsValid() {
		v.SorryServer = vs.SorryServer.Addr().String() + " " + strconv.Itoa(int(vs.SorryServer.Port()))
	}
	for _, rs := range sortedRealServers(vs.RealServers) {
		rv := keepalivedRSView{
			Address: rs.Address.String(),
			Port:    rs.Port,
			Weight:  weight(rs),
			Inhibit: rs.InhibitOnFailure,
			Upper:   rs.UpperThreshold,
			Lower:   rs.LowerThreshold,
		}
		if rs.Check != nil {
			cv, err := checkView(rs.Check, version)
			if err != nil {
				return v, fmt.Errorf("real server %s: %w", rs.AddrPort(), err)
			}
			rv.Check = cv
		}
		v.RealServers = append(v.RealServers, rv)
	}
	return v, nil
}

func checkView(c *config.RealServerCheck, version keepalived.Version) (*keepalivedCheckView, error) {
	cv := &keepalivedCheckView{
		Keyword:          config.CheckKeywords[c.Type],
		ConnectTimeout:   c.ConnectTimeout,
		Retry:            c.Retry,
		RetryKeyword:     "retry",
		DelayBeforeRetry: c.DelayBeforeRetry,
		Warmup:           c.Warmup,
		ConnectPort:      int(c.ConnectPort),
		BindPort:         int(c.BindPort),
	}
	if cv.Keyword == "" {
		return nil, fmt.Errorf("unknown check type %q", c.Type)
	}
	if c.ConnectIP.IsValid() {
		cv.ConnectIP = c.ConnectIP.String()
	}
	if c.BindTo.IsValid() {
		cv.BindTo = c.BindTo.String()
	}
	var err error
	switch c.Type {
	case config.CheckHTTP, config.CheckSSL:
		cv.URL = true
		cv.RetryKeyword = keepalived.HTTPGetRetry(version)
		cv.Path = c.Path
		if cv.Path == "" {
			cv.Path = "/"
		}
		if _, err := keepalivedWord(cv.Keyword+" path", cv.Path); err != nil {
			return nil, err
		}
		cv.StatusCode = c.StatusCode
		cv.Digest = c.Digest
	case config.CheckDNS:
		cv.DNSType, cv.DNSName = c.DNSType, c.DNSName
		if c.DNSName != "" {
			if _, err := keepalivedWord("DNS_CHECK name", c.DNSName); err != nil {
				return nil, err
			}
		}
	case config.CheckSMTP:
		cv.HeloName = c.HeloName
		if c.HeloName != "" {
			if _, err := keepalivedWord("SMTP_CHECK helo_name", c.HeloName); err != nil {
				return nil, err
			}
		}
	case config.CheckUDP:
		cv.Payload = c.Payload
		if c.RequireReply {
			cv.RequireReply = strings.TrimSpace("require_reply " + c.Reply)
		}
	case config.CheckFile:
		cv.TrackFile = (&config.TrackFile{Name: c.TrackFile}).KeepalivedName()
		if c.HasFileWeight {
			cv.FileWeight = "weight " + strconv.Itoa(c.FileWeight)
			if c.FileReverse {
				cv.FileWeight += " reverse"
			}
		}
	case config.CheckBFD:
		cv.BFD = c.BFD
	case config.CheckMisc:
		if cv.MiscPath, err = keepalivedQuote("misc_path", c.MiscPath); err != nil {
			return nil, err
		}
	}
	return cv, nil
}

// sortedRealServers returns a copy of rs ordered by address and port.
func sortedRealServers(rs []*config.RealServer) []*config.RealServer {
	out := append([]*config.RealServer(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].AddrPort().Compare(out[j].AddrPort()) < 0 })
	return out
}
