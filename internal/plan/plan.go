package plan

import (
	"net/netip"

	"github.com/clusterctl/clusterctl/internal/resource"
)

// FormatVersion is the version of the saved plan and JSON formats.
const FormatVersion = 1

// Action is what a change does to a resource.
type Action string

// Actions. What Before and After mean for each is written on Change.
const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// Symbol returns the mark printed before a change: + ~ -.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Delete:
		return "-"
	}
	return "?"
}

// Kind is the type of a managed resource.
type Kind string

// Resource kinds.
const (
	KindPackage Kind = "package"
	KindModule  Kind = "module"
	KindSysctl  Kind = "sysctl"
	KindAddress Kind = "address"
	KindRoute   Kind = "route"
	KindFile    Kind = "file"
	KindNAT     Kind = "iptables"
	// KindFirewall is the host firewall's part clusterctl owns.
	KindFirewall Kind = "firewall"
	KindIPVS     Kind = "ipvs"
	KindService  Kind = "service"
)

// Kinds lists every kind, in the order Diff compares them.
var Kinds = []Kind{KindPackage, KindModule, KindSysctl, KindAddress, KindRoute, KindFile, KindNAT, KindFirewall, KindIPVS, KindService}

// Step is one step of a host's apply; its value is how progress names it.
type Step string

// The steps of a host's apply.
const (
	StepPackages  Step = "packages"
	StepModules   Step = "kernel modules"
	StepSysctls   Step = "sysctls"
	StepAddresses Step = "addresses"
	StepRoutes    Step = "routes"
	// StepStopServices stops and disables the services clusterctl no
	// longer manages, before the files step removes what their stop may
	// need (Debian's keepalived init script silently does nothing without
	// its configuration file).
	StepStopServices Step = "stop services"
	StepFiles        Step = "files"
	StepNAT          Step = "iptables"
	StepFirewall     Step = "firewall"
	StepIPVS         Step = "ipvs"
	StepServices     Step = "services"
)

// Steps lists the steps in the one order in which a host plan lists its
// changes, views print them and apply executes them: packages → modules →
// sysctls → addresses → routes → stopping services no longer managed →
// files → iptables → firewall → IPVS → services (and the reloads files cause).
// Packages come first because later steps use what they install; files
// before services, which read them; keepalived.conf's scripts before
// keepalived.conf (apply orders files within their step).
var Steps = []Step{StepPackages, StepModules, StepSysctls, StepAddresses, StepRoutes, StepStopServices, StepFiles, StepNAT, StepFirewall, StepIPVS, StepServices}

// Step returns the step of a host's apply that makes the change.
func (c Change) Step() Step {
	switch c.Kind {
	case KindPackage:
		return StepPackages
	case KindModule:
		return StepModules
	case KindSysctl:
		return StepSysctls
	case KindAddress:
		return StepAddresses
	case KindRoute:
		return StepRoutes
	case KindFile:
		return StepFiles
	case KindNAT:
		return StepNAT
	case KindFirewall:
		return StepFirewall
	case KindIPVS:
		return StepIPVS
	case KindService:
		if c.Action == Delete {
			return StepStopServices
		}
		return StepServices
	}
	return ""
}

// Change is one change to one resource of one host. The string fields
// are what a person reads, secrets masked; Op is the typed change that
// apply executes, and is never serialised (a saved plan holds no secret).
//
// Before and After per action:
//   - Create: Before is empty; After is the new value.
//   - Update: Before is the live value; After is the desired value.
//   - Delete: Before is the live value; After is empty (for a service,
//     the state it is brought to: "inactive, disabled").
type Change struct {
	Kind   Kind   `json:"kind"`
	Key    string `json:"key"` // stable address within the host, e.g. "/etc/keepalived/keepalived.conf"
	Action Action `json:"action"`
	// Before and After are short human forms of the values ("0" → "1",
	// an IPVS rule); files use Diff instead.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Diff is a unified diff of a file's content, secrets masked.
	Diff string `json:"diff,omitempty"`
	// Detail explains a change a diff cannot show (mode, owner, a
	// sensitive value that changed).
	Detail    string `json:"detail,omitempty"`
	Sensitive bool   `json:"sensitive,omitempty"`
	// Impact is what the change does to clients while it is applied.
	Impact Impact `json:"disruption"`
	// Op is what apply executes; its type matches Kind (see Op). It is
	// nil in a plan read from a file.
	Op Op `json:"-"`
}

// Ref returns "host: kind key", the change's address in the plan.
func (c Change) Ref(host string) string { return host + ": " + string(c.Kind) + " " + c.Key }

// Effect is a consequence of changes that is not itself a resource: a
// service reloaded or restarted because its configuration changed.
type Effect struct {
	Service string `json:"service"`
	Action  string `json:"action"` // "reload" or "restart"
	Reason  string `json:"reason"`
	// With are the other hosts whose service does the same at the same
	// moment: the members of a VRRP instance whose adverts change are
	// reloaded together, once all their files are in place (a member
	// reloaded alone would disagree with its peers about the adverts and
	// take the VIPs too, or give them up).
	With   []string `json:"with,omitempty"`
	Impact Impact   `json:"disruption"`
}

// Effect actions.
const (
	EffectReload  = "reload"
	EffectRestart = "restart"
)

// Role says where a host sits in the rollout.
type Role string

// Roles, in rollout order: plain hosts and real servers first (in
// parallel), then BACKUP directors one at a time, then MASTERs.
const (
	RoleHost           Role = "host"
	RoleRealServer     Role = "real server"
	RoleBackupDirector Role = "backup director"
	RoleMasterDirector Role = "master director"
)

// Director reports whether hosts of this role are rolled out one at a
// time, each followed by a gate.
func (r Role) Director() bool { return r == RoleBackupDirector || r == RoleMasterDirector }

// HostPlan is the plan for one host: its changes and everything apply
// needs to execute them (the fields that are not serialised).
type HostPlan struct {
	Host string `json:"host"`
	Role Role   `json:"role"`
	// Fingerprint identifies the live state the plan was made from; apply
	// of a saved plan refuses to run when it differs.
	Fingerprint string   `json:"fingerprint"`
	Changes     []Change `json:"changes"`
	Effects     []Effect `json:"effects,omitempty"`
	// Disruption is the worst impact of the host's changes and effects.
	Disruption Impact `json:"disruption"`
	// Marks are the operator's marks in force on the host after the
	// plan ("drain rs1", "failover VI_1"; resource.ManifestDrain): states
	// a day-2 command set that plan and apply keep.
	Marks []string `json:"marks,omitempty"`
	// Notes are things a person should know that are not changes, e.g. an
	// IPVS service clusterctl does not manage and leaves alone.
	Notes []string `json:"notes,omitempty"`
	// Blockers are conflicts on the host that apply could not resolve
	// (a directory where a managed file goes); Build turns them into the
	// host's error, so the plan is not applyable and nothing is changed.
	Blockers []string `json:"-"`

	// PackageManager is the host's ("apt", "dnf", "yum"; "" for none).
	PackageManager string `json:"-"`
	// ManifestBefore is the host's manifest as found (nil: none);
	// Manifest is what it must say after the apply.
	ManifestBefore []resource.ManifestEntry `json:"-"`
	Manifest       []resource.ManifestEntry `json:"-"`
	// RunsKeepalived is true when keepalived is one of the host's
	// services: its gate checks that keepalived is active.
	RunsKeepalived bool `json:"-"`
	// Bootstrap, when set, is a keepalived.conf apply writes and reloads
	// (with the host's peers) before the planned one: the planned file
	// with this host's priority raised to 255 in the instances whose
	// identity (VRID, unicast, interface, version) changes and which it
	// holds, so that it takes each new instance at once instead of every
	// member waiting out a master-down interval. It holds secrets: never
	// serialised.
	Bootstrap []byte `json:"-"`
	// Secrets are secrets found on the host that the configuration may
	// not hold (LiveSecrets); the plan's strings are masked with them,
	// and output layers mask them too.
	Secrets []string `json:"-"`
}

// Pending returns the manifest entries that record the host's effects as
// owed (resource.ManifestPending).
func (h *HostPlan) Pending() []resource.ManifestEntry {
	var out []resource.ManifestEntry
	for _, e := range h.Effects {
		out = append(out, resource.ManifestEntry{Kind: resource.ManifestPending, Key: e.Action + " " + e.Service})
	}
	return out
}

// HasWork reports whether the host has changes or effects.
func (h *HostPlan) HasWork() bool { return len(h.Changes) > 0 || len(h.Effects) > 0 }

// Instance is a VRRP instance as the rollout's gates see it.
type Instance struct {
	Name string
	// Interface carries the VIPs on the holder ("" when the configuration
	// names none; see resource.HoldsVIP).
	Interface string
	VIPs      []netip.Addr
	// Members are the hosts of the instance, highest priority first.
	Members []string
	// Priorities are the members' priorities, in the same order (set by
	// InstancesOf; nil from the configuration).
	Priorities []int
	// Preempt is true when the highest-priority member takes the VIPs
	// back as soon as it runs (no nopreempt, no preempt_delay).
	Preempt bool
	// AdvertInt is the advert interval in seconds; MinPriority the lowest
	// member priority. They bound how long after a reload a transition
	// may still start (SettleSeconds).
	AdvertInt   float64
	MinPriority int
}

// SettleSeconds is how long after a reload of its members a gate must
// watch the instance before its state proves anything: a transition
// starts at most one master-down interval of its lowest-priority member
// after the reload, plus an advert interval and some slack (measured with
// keepalived 2.2.7: jitter 10-110 ms; docs/apply.md).
func (i Instance) SettleSeconds() float64 {
	a := i.AdvertInt
	if a <= 0 {
		a = 1
	}
	p := i.MinPriority
	if p <= 0 {
		p = 1
	}
	return masterDownSeconds(a, p) + a + 0.5
}

// HasMember reports whether host is a member of the instance.
func (i Instance) HasMember(host string) bool {
	for _, m := range i.Members {
		if m == host {
			return true
		}
	}
	return false
}

// Plan is the plan for a cluster, hosts in apply order.
type Plan struct {
	FormatVersion int `json:"format_version"`
	// ConfigDigest identifies the rendered configuration (argon2id with
	// ConfigSalt; see the function ConfigDigest); apply of a saved plan
	// refuses to run when the configuration changed since.
	ConfigDigest string `json:"config_digest"`
	// ConfigPath is the configuration the plan was made from, so that
	// `apply PLANFILE` can find it.
	ConfigPath string `json:"config_path,omitempty"`
	ConfigSalt string `json:"config_salt"`
	// Origin is where a saved plan was made (set when it is saved; see
	// Origin); apply refuses to run it anywhere else.
	Origin  *Origin    `json:"origin,omitempty"`
	Targets []string   `json:"targets,omitempty"` // -target hosts; empty = all
	Hosts   []HostPlan `json:"hosts"`
	// Errors are hosts that could not be planned (unreachable, bad facts,
	// a conflict apply could not resolve: HostPlan.Blockers); a plan with
	// errors is not applyable.
	Errors []HostError `json:"errors,omitempty"`
	// Instances are every VRRP instance of the cluster (targeted hosts or
	// not), for the gates.
	Instances []Instance `json:"-"`
	// Waves are the director rollout after the real servers and plain
	// hosts (which go first, in parallel): the steps of a wave run at the
	// same time, the waves one after the other.
	Waves []Wave `json:"waves,omitempty"`
	// DirectorsFirst says the waves go before the other hosts (destroy).
	DirectorsFirst bool `json:"directors_first,omitempty"`
}

// HostError is a host that could not be planned.
type HostError struct {
	Host  string `json:"host"`
	Error string `json:"error"`
}

// Summary counts changes the way Terraform does.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// Count adds one change with action a.
func (s *Summary) Count(a Action) {
	switch a {
	case Create:
		s.Add++
	case Update:
		s.Change++
	case Delete:
		s.Destroy++
	}
}

// Plus returns the sum of s and o.
func (s Summary) Plus(o Summary) Summary {
	return Summary{Add: s.Add + o.Add, Change: s.Change + o.Change, Destroy: s.Destroy + o.Destroy}
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, h := range p.Hosts {
		for _, c := range h.Changes {
			s.Count(c.Action)
		}
	}
	return s
}

// Empty reports whether the plan has no changes.
func (p *Plan) Empty() bool {
	for i := range p.Hosts {
		if p.Hosts[i].HasWork() {
			return false
		}
	}
	return true
}

// Applyable reports whether apply may execute the plan.
func (p *Plan) Applyable() bool { return len(p.Errors) == 0 }

// Host returns the plan of host name, or nil.
func (p *Plan) Host(name string) *HostPlan {
	for i := range p.Hosts {
		if p.Hosts[i].Host == name {
			return &p.Hosts[i]
		}
	}
	return nil
}
