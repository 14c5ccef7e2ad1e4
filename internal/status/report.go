package status

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Report is the observed health of a cluster. Its JSON form (WriteJSON)
// uses the field names in the struct tags; they are part of clusterctl's
// interface and documented here.
type Report struct {
	// Healthy is true when Problems is empty.
	Healthy bool `json:"healthy"`
	// Problems make the cluster degraded (exit status 2): a split brain,
	// a VIP that no member holds, an unreachable host. Each is one line
	// naming the instance or host.
	Problems []string `json:"problems"`
	// Warnings are worth a look but do not degrade the cluster: a member
	// whose keepalived is down, a VIP away from the expected master, a
	// virtual service missing from a director's IPVS table, IPVS not
	// available on a director.
	Warnings []string `json:"warnings"`
	// Instances are the VRRP instances, sorted by name.
	Instances []Instance `json:"vrrp_instances"`
	// VirtualServers are the LVS virtual services, sorted by name.
	VirtualServers []VirtualServer `json:"virtual_servers"`
	// Hosts are every host of the configuration, sorted by name.
	Hosts []Host `json:"hosts"`
}

// Role is a VRRP member's role as observed from outside keepalived.
type Role string

// Roles. They are inferred from the member's addresses and processes, not
// read from keepalived: a member holding any of the instance's VIPs on the
// instance's interface is MASTER; one running keepalived without them is
// BACKUP (keepalived's own FAULT state — a tracked interface or script
// failing — looks the same from outside); one not running keepalived is
// DOWN; one whose facts could not be gathered is UNKNOWN. keepalived
// counts as running when a keepalived process exists or systemctl says the
// unit is active.
const (
	RoleMaster  Role = "MASTER"
	RoleBackup  Role = "BACKUP"
	RoleDown    Role = "DOWN"
	RoleUnknown Role = "UNKNOWN"
)

// Instance is the state of one VRRP instance.
type Instance struct {
	Name string `json:"name"`
	// ExpectedMaster is the highest-priority member: the one that holds
	// the VIPs when every member is up (with preemption).
	ExpectedMaster string `json:"expected_master"`
	// Nopreempt is the instance's nopreempt setting: with it, any single
	// holder is as expected.
	Nopreempt bool `json:"nopreempt"`
	// Members in priority order, highest first.
	Members []Member `json:"members"`
	// VIPs in configuration order.
	VIPs []VIP `json:"vips"`
}

// Member is one member of a VRRP instance as observed.
type Member struct {
	Host     string `json:"host"`
	Priority int    `json:"priority"`
	Role     Role   `json:"role"`
	// Keepalived is "running", "stopped" or "unknown" (host unreachable).
	Keepalived string `json:"keepalived"`
	// Note explains an unusual role, e.g. a stale VIP on a node whose
	// keepalived is not running (left behind by a crash).
	Note string `json:"note,omitempty"`
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
	Timeout     int          `json:"persistence_timeout,omitempty"`
	RealServers []RealServer `json:"real_servers,omitempty"`
	// StatsError says why connection counts are missing, if they are.
	StatsError string `json:"stats_error,omitempty"`
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
}

// Host is the state of one host.
type Host struct {
	Name      string `json:"name"`
	Reachable bool   `json:"reachable"`
	// Error says why the host's facts could not be gathered.
	Error string `json:"error,omitempty"`
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

// BuildReport builds the report from the configuration and what was
// gathered: hostFacts holds the facts of every host that answered, errs the
// error of every host that did not. A host in neither is reported
// unreachable with "not gathered".
func BuildReport(cfg *config.Config, hostFacts map[string]*facts.Host, errs map[string]error) Report {
	b := builder{cfg: cfg, facts: hostFacts, errs: errs}
	r := Report{Problems: []string{}, Warnings: []string{}}
	for _, name := range cfg.HostNames() {
		r.Hosts = append(r.Hosts, b.host(name, &r))
	}
	for _, name := range cfg.VRRPInstanceNames() {
		r.Instances = append(r.Instances, b.instance(cfg.VRRPInstances[name], &r))
	}
	for _, name := range cfg.VirtualServerNames() {
		r.VirtualServers = append(r.VirtualServers, b.virtualServer(cfg.VirtualServers[name], &r))
	}
	r.Healthy = len(r.Problems) == 0
	return r
}

type builder struct {
	cfg   *config.Config
	facts map[string]*facts.Host
	errs  map[string]error
}

// observed returns the host's facts, or nil when it was not reached.
func (b builder) observed(host string) *facts.Host {
	if b.errs[host] != nil {
		return nil
	}
	return b.facts[host]
}

func (b builder) host(name string, r *Report) Host {
	h := Host{Name: name}
	f := b.observed(name)
	if f == nil {
		h.Error = "not gathered"
		if err := b.errs[name]; err != nil {
			h.Error = err.Error()
		}
		r.Problems = append(r.Problems, fmt.Sprintf("%s: unreachable: %s", name, h.Error))
		return h
	}
	h.Reachable = true
	names := make([]string, 0, len(f.Services))
	for s := range f.Services {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		st := f.Services[s]
		svc := Service{Name: s, Active: "unknown", Enabled: "unknown"}
		if st.Known {
			svc.Active, svc.Enabled = orWord(st.ActiveState, st.Active, "active"), orWord(st.EnabledState, st.Enabled, "enabled")
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

// keepalivedRunning reports whether keepalived runs on a host.
func keepalivedRunning(f *facts.Host) bool {
	return f.Processes["keepalived"] > 0 || f.Services["keepalived"].Active
}

func (b builder) instance(inst *config.VRRPInstance, r *Report) Instance {
	out := Instance{Name: inst.Name, Nopreempt: inst.Nopreempt}
	if m := inst.Master(); m != nil {
		out.ExpectedMaster = m.Host
	}
	unreachable := false
	holders := make([][]string, len(inst.VirtualIPs))
	for _, m := range inst.Members {
		mem := Member{Host: m.Host, Priority: m.Priority, Role: RoleUnknown, Keepalived: "unknown"}
		f := b.observed(m.Host)
		if f == nil {
			unreachable = true
			out.Members = append(out.Members, mem)
			continue
		}
		running := keepalivedRunning(f)
		mem.Keepalived = "stopped"
		if running {
			mem.Keepalived = "running"
		}
		held := 0
		for i, vip := range inst.VirtualIPs {
			if resource.HoldsVIP(f.Addresses, inst.Interface, vip.Addr()) {
				holders[i] = append(holders[i], m.Host)
				held++
			}
		}
		switch {
		case held > 0:
			mem.Role = RoleMaster
			if held < len(inst.VirtualIPs) {
				mem.Note = fmt.Sprintf("holds %d of %d VIPs", held, len(inst.VirtualIPs))
			}
			if !running {
				mem.Note = joinNote(mem.Note, "stale VIP: keepalived is not running")
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %s holds a VIP but keepalived is not running there (stale address after a crash?)", inst.Name, m.Host))
			}
		case running:
			mem.Role = RoleBackup
		default:
			mem.Role = RoleDown
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: keepalived is not running on %s", inst.Name, m.Host))
		}
		out.Members = append(out.Members, mem)
	}
	for i, vip := range inst.VirtualIPs {
		hs := holders[i]
		sort.Strings(hs)
		v := VIP{Address: vip.String(), Holders: append([]string{}, hs...)}
		switch {
		case len(hs) == 1:
			v.State = VIPOK
			if !inst.Nopreempt && hs[0] != out.ExpectedMaster {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %s is held by %s, not by the expected master %s", inst.Name, vip.Addr(), hs[0], out.ExpectedMaster))
			}
		case len(hs) > 1:
			v.State = VIPSplitBrain
			r.Problems = append(r.Problems, fmt.Sprintf("%s: split brain: %s is held by %s", inst.Name, vip.Addr(), joinAnd(hs)))
		case unreachable:
			v.State = VIPUnknown
		default:
			v.State = VIPDown
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %s is down: no member holds it", inst.Name, vip.Addr()))
		}
		out.VIPs = append(out.VIPs, v)
	}
	return out
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

func (b builder) virtualServer(vs *config.VirtualServer, r *Report) VirtualServer {
	out := VirtualServer{Name: vs.Name, Service: vs.AddressString(), Mode: string(vs.Mode), ManagedBy: vs.ManagedBy}
	key, keyErr := vs.IPVSKey()
	keyOK := keyErr == nil
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
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: IPVS is not available on %s (%s)", vs.Name, d, dir.Reason))
		default:
			dir.Available = true
			if keyOK {
				fillDirector(&dir, vs, key, f)
			}
			if !dir.Present {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %s is not in the IPVS table of %s", vs.Name, out.Service, d))
			}
		}
		out.Directors = append(out.Directors, dir)
	}
	return out
}

// fillDirector copies the service's live entry and counters into dir and
// adds the configured real servers missing from the table.
func fillDirector(dir *Director, vs *config.VirtualServer, key ipvs.ServiceKey, f *facts.Host) {
	svc := f.IPVS.Service(key)
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
		dir.RealServers = append(dir.RealServers, RealServer{
			Address: d.Addr.String(), InTable: true, Configured: configured[d.Addr],
			Forward: d.Forward, Weight: d.Weight, ActiveConn: c.ActiveConn, InActConn: c.InActConn,
		})
	}
	for _, rs := range vs.RealServers {
		if !inTable[rs.AddrPort()] {
			dir.RealServers = append(dir.RealServers, RealServer{Address: rs.AddrPort().String(), Configured: true, Weight: rs.Weight})
		}
	}
}
