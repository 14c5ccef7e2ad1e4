package status

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/kastate"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Report is the observed health of a cluster. Its JSON form uses the
// field names in the struct tags; they are part of clusterctl's interface
// and documented in docs/status.md.
type Report struct {
	// GatheredAt is when the facts were gathered (UTC).
	GatheredAt time.Time `json:"gathered_at"`
	// Verdict is the worst severity among Findings, or Healthy when there
	// are none; ExitCode is its exit status.
	Verdict  Verdict `json:"verdict"`
	ExitCode int     `json:"exit_code"`
	// Findings are what keeps the cluster from being healthy, broken
	// ones first, then in the order of the sections below.
	Findings []Finding `json:"findings"`
	// Instances are the VRRP instances, sorted by name.
	Instances []Instance `json:"vrrp_instances"`
	// VirtualServers are the LVS virtual services, sorted by name.
	VirtualServers []VirtualServer `json:"virtual_servers"`
	// Hosts are every host of the configuration, sorted by name.
	Hosts []Host `json:"hosts"`
}

// Sources of a member's state.
const (
	// SourceKeepalived: keepalived's own dump (JSON and/or data).
	SourceKeepalived = "keepalived"
	// SourceProcess: no keepalived process runs (state STOP).
	SourceProcess = "process"
	// SourceNone: the state is unknown (host unreachable, or keepalived
	// runs but did not report the instance).
	SourceNone = "none"
)

// StateUnknown is a member whose state could not be learned.
const StateUnknown = "UNKNOWN"

// Instance is the state of one VRRP instance.
type Instance struct {
	Name string `json:"name"`
	VRID int    `json:"virtual_router_id"`
	// ExpectedMaster is the highest-priority member: the one that holds
	// the VIPs when every member is up (with preemption).
	ExpectedMaster string `json:"expected_master"`
	// Nopreempt is the instance's nopreempt setting: with it, any single
	// holder is as expected.
	Nopreempt bool `json:"nopreempt"`
	// Members in configured priority order, highest first.
	Members []Member `json:"members"`
	// VIPs in configuration order.
	VIPs []VIP `json:"vips"`
}

// Member is one member of a VRRP instance as observed.
type Member struct {
	Host string `json:"host"`
	// Priority is the configured priority.
	Priority int `json:"priority"`
	// State is keepalived's state for the instance on this host: MASTER,
	// BACKUP, FAULT, INIT, STOP (keepalived not running), or UNKNOWN;
	// Source says where it comes from (keepalived, process, none).
	State  string `json:"state"`
	Source string `json:"source"`
	// EffectivePriority is keepalived's priority after the weights of
	// tracked scripts and interfaces (0 when not reported).
	EffectivePriority int `json:"effective_priority,omitempty"`
	// MasterPriority is the priority of the master a BACKUP hears.
	MasterPriority int `json:"master_priority,omitempty"`
	// LastTransition is when keepalived last changed the state.
	LastTransition *time.Time `json:"last_transition,omitempty"`
	// HoldsVIPs counts the instance's VIPs on the member's interface.
	HoldsVIPs int `json:"holds_vips"`
	// Keepalived is "running", "stopped" or "unknown" (host unreachable).
	Keepalived string `json:"keepalived"`
	// TrackScripts and TrackInterfaces are what keepalived tracks for
	// the instance, with their weights and whether each is good.
	TrackScripts    []Track `json:"track_scripts,omitempty"`
	TrackInterfaces []Track `json:"track_interfaces,omitempty"`
	// Adverts are keepalived's advert counters (JSON dump only).
	Adverts *Adverts `json:"adverts,omitempty"`
	// Note explains an unusual state in a few words.
	Note string `json:"note,omitempty"`
}

// Track is one tracked script or interface.
type Track struct {
	Name   string `json:"name"`
	Weight int    `json:"weight"`
	// OK is keepalived's verdict: a script's status GOOD, an interface
	// UP and RUNNING.
	OK bool `json:"ok"`
}

// Adverts are keepalived's VRRP counters for an instance.
type Adverts struct {
	Sent           uint64 `json:"sent"`
	Received       uint64 `json:"received"`
	BecameMaster   uint64 `json:"became_master"`
	ReleasedMaster uint64 `json:"released_master"`
}

// VIPState summarises who holds a VIP.
type VIPState string

// VIP states.
const (
	VIPOK         VIPState = "ok"          // exactly one member holds it
	VIPSplitBrain VIPState = "split-brain" // two or more members hold it
	VIPDown       VIPState = "down"        // no member holds it, all were reachable
	VIPUnknown    VIPState = "unknown"     // no reachable member holds it, some were unreachable
)

// VIP is who holds one virtual IP.
type VIP struct {
	// Address is the VIP as configured, e.g. "192.168.19.100/32".
	Address string   `json:"address"`
	State   VIPState `json:"state"`
	// Holders are the members holding it, sorted.
	Holders []string `json:"holders"`
}

// VirtualServer is the IPVS state of one virtual server on its directors.
type VirtualServer struct {
	Name string `json:"name"`
	// Service is "tcp ADDR:PORT", "udp ADDR:PORT" or "fwmark N".
	Service   string     `json:"service"`
	Mode      string     `json:"mode"`
	ManagedBy string     `json:"managed_by"`
	Directors []Director `json:"directors"`
}

// Director is one director's IPVS entry for a virtual server.
type Director struct {
	Host string `json:"host"`
	// Available is false when the table could not be read; Reason then
	// says why: "unreachable", "no-kernel-support: …", "not-installed:
	// ipvsadm not found", "not-loaded: …" or "error: …".
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	// Present is true when the virtual service is in the director's table;
	// the fields below are set only then.
	Present    bool   `json:"present"`
	Scheduler  string `json:"scheduler,omitempty"`
	Persistent bool   `json:"persistent,omitempty"`
	// Timeout is the persistence timeout in seconds.
	Timeout int `json:"persistence_timeout,omitempty"`
	// Counters are the service's cumulative traffic counters.
	Counters    *ipvs.Counters `json:"counters,omitempty"`
	RealServers []RealServer   `json:"real_servers,omitempty"`
	// StatsError says why connection counts are missing, if they are.
	StatsError string `json:"stats_error,omitempty"`
	// Checker says whether keepalived's checker reported the service
	// (keepalived-managed services only): "reported", or why not.
	Checker string `json:"checker,omitempty"`
}

// RealServer is one destination in a director's table, or a configured
// real server missing from it (InTable false: keepalived's health checker
// removed it, or the table is out of date).
type RealServer struct {
	Address    string `json:"address"` // ADDR:PORT
	InTable    bool   `json:"in_table"`
	Configured bool   `json:"configured"`
	Forward    string `json:"forward,omitempty"` // masq, route, tunnel
	Weight     int    `json:"weight"`
	ActiveConn uint64 `json:"active_conn"`
	InActConn  uint64 `json:"inact_conn"`
	// Conns, InPkts, OutPkts, InBytes, OutBytes: cumulative counters.
	Counters ipvs.Counters `json:"counters"`
	// Health is keepalived's checker's view: "alive", "failed" (with
	// FailedCheckers), or "" when keepalived does not check it.
	Health         string `json:"health,omitempty"`
	FailedCheckers int    `json:"failed_checkers,omitempty"`
}

// Host is the state of one host.
type Host struct {
	Name      string `json:"name"`
	Reachable bool   `json:"reachable"`
	// Error says why the host's facts could not be gathered.
	Error string `json:"error,omitempty"`
	// Keepalived is "running (pid N)", "stopped", or "" when the host
	// runs no keepalived in the configuration.
	Keepalived string `json:"keepalived,omitempty"`
	// KeepalivedSources are the dumps keepalived answered with (json,
	// data, check).
	KeepalivedSources []string `json:"keepalived_sources,omitempty"`
	// Services are keepalived and the services clusterctl manages on the
	// host (those whose state was gathered), sorted by name.
	Services []Service `json:"services,omitempty"`
}

// Service is what systemctl says about one unit.
type Service struct {
	Name string `json:"name"`
	// Active is systemctl is-active's word (active, inactive, failed, …)
	// and Enabled is-enabled's (enabled, disabled, …); "unknown" when
	// systemctl is missing.
	Active  string `json:"active"`
	Enabled string `json:"enabled"`
}

// KeepalivedRequest says which of keepalived's dumps status asks host for:
// VRRP when it is a member of an instance, Checker when it directs a
// virtual server keepalived manages.
func KeepalivedRequest(cfg *config.Config, host string) *facts.KeepalivedRequest {
	r := &facts.KeepalivedRequest{}
	for _, v := range cfg.VRRPInstances {
		if v.MemberFor(host) != nil {
			r.VRRP = true
		}
	}
	for _, vs := range cfg.VirtualServers {
		if vs.ManagedBy == config.ManagedByKeepalived && slices.Contains(vs.Directors, host) {
			r.Checker = true
		}
	}
	return r
}

// BuildReport builds the report from the configuration and what was
// gathered at time at: hostFacts holds the facts of every host that
// answered, errs the error of every host that did not. A host in neither
// is reported unreachable with "not gathered".
func BuildReport(cfg *config.Config, hostFacts map[string]*facts.Host, errs map[string]error, at time.Time) Report {
	b := &builder{cfg: cfg, facts: hostFacts, errs: errs}
	// Lists are [] rather than null in JSON when empty.
	r := Report{GatheredAt: at.UTC(), Instances: []Instance{}, VirtualServers: []VirtualServer{}, Hosts: []Host{}}
	for _, name := range cfg.HostNames() {
		r.Hosts = append(r.Hosts, b.host(name))
	}
	for _, name := range cfg.VRRPInstanceNames() {
		r.Instances = append(r.Instances, b.instance(cfg.VRRPInstances[name]))
	}
	for _, name := range cfg.VirtualServerNames() {
		r.VirtualServers = append(r.VirtualServers, b.virtualServer(cfg.VirtualServers[name]))
	}
	r.Findings = append(r.Findings, b.findings...)
	sort.SliceStable(r.Findings, func(i, j int) bool { return r.Findings[i].Severity.worse(r.Findings[j].Severity) })
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	r.Verdict = Healthy
	for _, f := range r.Findings {
		if f.Severity.worse(r.Verdict) {
			r.Verdict = f.Severity
		}
	}
	r.ExitCode = r.Verdict.ExitCode()
	return r
}

type builder struct {
	cfg      *config.Config
	facts    map[string]*facts.Host
	errs     map[string]error
	findings []Finding
}

func (b *builder) add(sev Verdict, subject, format string, a ...any) {
	b.findings = append(b.findings, Finding{Severity: sev, Subject: subject, Message: fmt.Sprintf(format, a...)})
}

// observed returns the host's facts, or nil when it was not reached.
func (b *builder) observed(host string) *facts.Host {
	if b.errs[host] != nil {
		return nil
	}
	return b.facts[host]
}

// runsKeepalived reports whether the configuration has keepalived on host.
func (b *builder) runsKeepalived(host string) bool {
	r := KeepalivedRequest(b.cfg, host)
	return r.VRRP || r.Checker
}

func (b *builder) host(name string) Host {
	h := Host{Name: name}
	f := b.observed(name)
	if f == nil {
		h.Error = "not gathered"
		if err := b.errs[name]; err != nil {
			h.Error = err.Error()
		}
		b.add(Degraded, name, "unreachable: %s", h.Error)
		return h
	}
	h.Reachable = true
	if b.runsKeepalived(name) {
		switch {
		case keepalivedRunning(f):
			h.Keepalived = "running"
			if k := f.Keepalived; k != nil && k.Running {
				h.Keepalived = fmt.Sprintf("running (pid %d)", k.PID)
				h.KeepalivedSources = k.View.Sources
				for _, p := range k.Problems {
					b.add(Degraded, name, "keepalived's own view is incomplete: %s", p)
				}
			}
		default:
			h.Keepalived = "stopped"
			if !KeepalivedRequest(b.cfg, name).VRRP {
				// A VRRP member's instances say it (STOP).
				b.add(Degraded, name, "keepalived is not running")
			}
		}
	}
	names := make([]string, 0, len(f.Services))
	for s := range f.Services {
		names = append(names, s)
	}
	sort.Strings(names)
	wanted := map[string]bool{}
	if ch := b.cfg.Hosts[name]; ch != nil {
		for _, s := range ch.Services {
			wanted[s] = true
		}
	}
	for _, s := range names {
		st := f.Services[s]
		svc := Service{Name: s, Active: "unknown", Enabled: "unknown"}
		if st.Known {
			svc.Active, svc.Enabled = orWord(st.ActiveState, st.Active, "active"), orWord(st.EnabledState, st.Enabled, "enabled")
			if wanted[s] && !st.Active {
				b.add(Degraded, name, "service %s is %s", s, svc.Active)
			}
		}
		h.Services = append(h.Services, svc)
	}
	return h
}

// orWord returns word, or a word derived from ok when systemctl printed
// nothing.
func orWord(word string, ok bool, yes string) string {
	switch {
	case word != "":
		return word
	case ok:
		return yes
	}
	return "no"
}

// keepalivedRunning reports whether keepalived runs on a host: its own
// answer when it was asked (a pid file naming a live keepalived), else a
// keepalived process or an active unit.
func keepalivedRunning(f *facts.Host) bool {
	if f.Keepalived != nil && f.Keepalived.Running {
		return true
	}
	return f.Processes["keepalived"] > 0 || f.Services["keepalived"].Active
}

func (b *builder) instance(inst *config.VRRPInstance) Instance {
	out := Instance{Name: inst.Name, VRID: inst.VirtualRouterID, Nopreempt: inst.Nopreempt}
	if m := inst.Master(); m != nil {
		out.ExpectedMaster = m.Host
	}
	unreachable := false
	holders := make([][]string, len(inst.VirtualIPs))
	var masters []string
	for _, m := range inst.Members {
		mem := b.member(inst, m)
		f := b.observed(m.Host)
		if f == nil {
			unreachable = true
			out.Members = append(out.Members, mem)
			continue
		}
		for i, vip := range inst.VirtualIPs {
			if resource.HoldsVIP(f.Addresses, inst.Interface, vip.Addr()) {
				holders[i] = append(holders[i], m.Host)
				mem.HoldsVIPs++
			}
		}
		switch {
		case mem.State == string(kastate.StateMaster):
			masters = append(masters, m.Host)
			if mem.HoldsVIPs < len(inst.VirtualIPs) {
				mem.Note = joinNote(mem.Note, fmt.Sprintf("MASTER holding %d of %d VIPs", mem.HoldsVIPs, len(inst.VirtualIPs)))
				b.add(Broken, inst.Name, "%s is MASTER but holds %d of its %d VIPs on %s", m.Host, mem.HoldsVIPs, len(inst.VirtualIPs), inst.Interface)
			}
		case mem.HoldsVIPs > 0 && mem.Keepalived == "stopped":
			mem.Note = joinNote(mem.Note, "stale VIP: keepalived is not running")
			b.add(Degraded, inst.Name, "%s holds a VIP but keepalived is not running there (stale address after a crash?)", m.Host)
		case mem.HoldsVIPs > 0 && mem.Source == SourceKeepalived:
			mem.Note = joinNote(mem.Note, "holds a VIP while "+mem.State)
			b.add(Degraded, inst.Name, "%s holds a VIP while keepalived says %s", m.Host, mem.State)
		}
		switch mem.State {
		case string(kastate.StateMaster), string(kastate.StateBackup):
		case string(kastate.StateFault):
			b.add(Degraded, inst.Name, "%s is in FAULT%s", m.Host, faultCause(mem))
		case string(kastate.StateStop):
			b.add(Degraded, inst.Name, "%s is STOP: keepalived is not running there", m.Host)
		case StateUnknown:
			// Said where it was learned (the host's findings).
		default:
			b.add(Degraded, inst.Name, "%s is %s", m.Host, mem.State)
		}
		if mem.State != string(kastate.StateFault) {
			for _, t := range mem.TrackScripts {
				if !t.OK {
					b.add(Degraded, inst.Name, "%s: tracked script %s is failing (weight %d, priority %d of %d)", m.Host, t.Name, t.Weight, mem.EffectivePriority, m.Priority)
				}
			}
			for _, t := range mem.TrackInterfaces {
				if !t.OK {
					b.add(Degraded, inst.Name, "%s: tracked interface %s is down (weight %d)", m.Host, t.Name, t.Weight)
				}
			}
		}
		out.Members = append(out.Members, mem)
	}
	if len(masters) > 1 {
		b.add(Broken, inst.Name, "split brain: keepalived is MASTER on %s", joinAnd(masters))
	}
	for i, vip := range inst.VirtualIPs {
		hs := holders[i]
		sort.Strings(hs)
		v := VIP{Address: vip.String(), Holders: append([]string{}, hs...)}
		switch {
		case len(hs) == 1:
			v.State = VIPOK
			if !inst.Nopreempt && hs[0] != out.ExpectedMaster {
				b.add(Degraded, inst.Name, "%s is held by %s, not by the expected master %s", vip.Addr(), hs[0], out.ExpectedMaster)
			}
		case len(hs) > 1:
			v.State = VIPSplitBrain
			b.add(Broken, inst.Name, "split brain: %s is held by %s", vip.Addr(), joinAnd(hs))
		case unreachable:
			v.State = VIPUnknown
			b.add(Broken, inst.Name, "%s is not held by any member that could be reached", vip.Addr())
		default:
			v.State = VIPDown
			b.add(Broken, inst.Name, "%s is down: no member holds it", vip.Addr())
		}
		out.VIPs = append(out.VIPs, v)
	}
	return out
}

// member reads one member's state: keepalived's own view when it
// answered, STOP when it does not run, UNKNOWN otherwise.
func (b *builder) member(inst *config.VRRPInstance, m *config.Member) Member {
	mem := Member{Host: m.Host, Priority: m.Priority, State: StateUnknown, Source: SourceNone, Keepalived: "unknown"}
	f := b.observed(m.Host)
	if f == nil {
		mem.Note = "unreachable"
		return mem
	}
	if !keepalivedRunning(f) {
		mem.Keepalived, mem.State, mem.Source = "stopped", string(kastate.StateStop), SourceProcess
		return mem
	}
	mem.Keepalived = "running"
	k := f.Keepalived
	if k == nil || !k.Running {
		mem.Note = "keepalived's own view was not read"
		return mem
	}
	in := k.View.Instance(inst.Name)
	if in == nil {
		if len(k.View.Sources) > 0 {
			mem.Note = "keepalived does not run this instance"
			b.add(Degraded, inst.Name, "keepalived on %s does not run the instance (configuration not applied or not loaded?)", m.Host)
		} else {
			mem.Note = "keepalived did not report its state"
		}
		return mem
	}
	mem.State, mem.Source = string(in.State), SourceKeepalived
	mem.EffectivePriority = in.EffectivePriority
	if in.State == kastate.StateBackup {
		mem.MasterPriority = in.MasterPriority
	}
	if !in.LastTransition.IsZero() {
		t := in.LastTransition
		mem.LastTransition = &t
	}
	if in.Stats != nil {
		mem.Adverts = &Adverts{Sent: in.Stats.AdvertSent, Received: in.Stats.AdvertRcvd, BecameMaster: in.Stats.BecomeMaster, ReleasedMaster: in.Stats.ReleaseMaster}
	}
	for _, t := range in.TrackScripts {
		s, ok := k.View.Scripts[t.Name]
		mem.TrackScripts = append(mem.TrackScripts, Track{Name: t.Name, Weight: t.Weight, OK: ok && s.Good})
	}
	for _, t := range in.TrackInterfaces {
		i, ok := k.View.Interfaces[t.Name]
		mem.TrackInterfaces = append(mem.TrackInterfaces, Track{Name: t.Name, Weight: t.Weight, OK: ok && i.Up && i.Running})
	}
	return mem
}

// faultCause names what holds a member in FAULT, e.g. ": tracked script
// chk_nginx is failing".
func faultCause(m Member) string {
	var causes []string
	for _, t := range m.TrackScripts {
		if !t.OK {
			causes = append(causes, "tracked script "+t.Name+" is failing")
		}
	}
	for _, t := range m.TrackInterfaces {
		if !t.OK {
			causes = append(causes, "tracked interface "+t.Name+" is down")
		}
	}
	if len(causes) == 0 {
		return ""
	}
	return ": " + strings.Join(causes, ", ")
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// joinAnd joins names as "a and b" or "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func (b *builder) virtualServer(vs *config.VirtualServer) VirtualServer {
	out := VirtualServer{Name: vs.Name, Service: vs.AddressString(), Mode: string(vs.Mode), ManagedBy: vs.ManagedBy}
	// A virtual_server_group is one IPVS service per entry, with the
	// same real servers: the first is reported in full, the others
	// only when missing.
	keys, keyErr := vs.IPVSKeys()
	keyOK := keyErr == nil
	var key ipvs.ServiceKey
	if keyOK {
		key = keys[0]
	}
	present, serving := 0, 0
	for _, d := range vs.Directors {
		dir := Director{Host: d}
		f := b.observed(d)
		switch {
		case f == nil:
			dir.Reason = "unreachable"
		case f.IPVSStatus.State != facts.StatusOK:
			dir.Reason = string(f.IPVSStatus.State)
			if f.IPVSStatus.Message != "" {
				dir.Reason += ": " + f.IPVSStatus.Message
			}
			b.add(Degraded, vs.Name, "IPVS is not available on %s (%s)", d, dir.Reason)
		default:
			dir.Available = true
			if keyOK {
				fillDirector(&dir, vs, key, f)
			}
			if !dir.Present {
				b.add(Degraded, vs.Name, "%s is not in the IPVS table of %s", out.Service, d)
				break
			}
			if len(keys) > 1 {
				for _, k := range keys[1:] {
					if f.IPVS.Service(k) == nil {
						b.add(Degraded, vs.Name, "%s of %s is not in the IPVS table of %s", k, out.Service, d)
					}
				}
			}
			present++
			up := 0
			for _, rs := range dir.RealServers {
				switch {
				case rs.Configured && !rs.InTable:
					b.add(Degraded, vs.Name, "real server %s is not in %s's table%s", rs.Address, d, healthNote(rs))
				case rs.Health == "failed":
					b.add(Degraded, vs.Name, "real server %s failed keepalived's check on %s (%d checkers failing)", rs.Address, d, rs.FailedCheckers)
				case rs.InTable && !rs.Configured:
					b.add(Degraded, vs.Name, "real server %s is in %s's table but not in the configuration", rs.Address, d)
				}
				if rs.InTable && rs.Weight > 0 && rs.Health != "failed" {
					up++
				}
			}
			if up == 0 {
				b.add(Broken, vs.Name, "no real server can take traffic on %s", d)
			} else {
				serving++
			}
		}
		out.Directors = append(out.Directors, dir)
	}
	if len(vs.Directors) > 0 && present == 0 && serving == 0 {
		b.add(Broken, vs.Name, "%s is not served by any director", out.Service)
	}
	return out
}

func healthNote(rs RealServer) string {
	if rs.Health == "failed" {
		return fmt.Sprintf(" (keepalived's check failed it: %d checkers failing)", rs.FailedCheckers)
	}
	return ""
}

// fillDirector copies the service's live entry and counters into dir,
// adds the configured real servers missing from the table, and keepalived's
// checker's verdict on each real server when keepalived manages it.
func fillDirector(dir *Director, vs *config.VirtualServer, key ipvs.ServiceKey, f *facts.Host) {
	svc := f.IPVS.Service(key)
	var kv *kastate.VirtualServer
	if vs.ManagedBy == config.ManagedByKeepalived {
		switch k := f.Keepalived; {
		case k == nil || !k.Running:
			dir.Checker = "keepalived is not running"
		case !slices.Contains(k.View.Sources, "check"):
			dir.Checker = "keepalived's checker did not report"
		default:
			if kv = k.View.VirtualServer(key); kv == nil {
				dir.Checker = "keepalived's checker does not have the service"
			} else {
				dir.Checker = "reported"
			}
		}
	}
	health := func(a netip.AddrPort) (string, int) {
		if kv == nil {
			return "", 0
		}
		for _, rs := range kv.RealServers {
			if rs.Addr == a {
				if rs.Alive {
					return "alive", 0
				}
				return "failed", rs.FailedCheckers
			}
		}
		return "", 0
	}
	if svc == nil {
		return
	}
	dir.Present = true
	dir.Scheduler = svc.Scheduler
	dir.Persistent = svc.Persistent
	dir.Timeout = svc.Timeout
	dir.StatsError = f.IPVSStatsError
	counts := map[netip.AddrPort]ipvs.DestStats{}
	if st := f.IPVSStats.Service(key); st != nil {
		c := st.Counters
		dir.Counters = &c
		for _, d := range st.Destinations {
			counts[d.Addr] = d
		}
	}
	configured := map[netip.AddrPort]bool{}
	for _, rs := range vs.RealServers {
		configured[rs.AddrPort()] = true
	}
	inTable := map[netip.AddrPort]bool{}
	for _, d := range svc.Destinations {
		inTable[d.Addr] = true
		c := counts[d.Addr]
		h, failed := health(d.Addr)
		dir.RealServers = append(dir.RealServers, RealServer{
			Address: d.Addr.String(), InTable: true, Configured: configured[d.Addr],
			Forward: d.Forward, Weight: d.Weight, ActiveConn: c.ActiveConn, InActConn: c.InActConn,
			Counters: c.Counters, Health: h, FailedCheckers: failed,
		})
	}
	for _, rs := range vs.RealServers {
		if !inTable[rs.AddrPort()] {
			h, failed := health(rs.AddrPort())
			dir.RealServers = append(dir.RealServers, RealServer{Address: rs.AddrPort().String(), Configured: true, Weight: rs.Weight, Health: h, FailedCheckers: failed})
		}
	}
}
