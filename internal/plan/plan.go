package plan

import (
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// FormatVersion is the version of the saved plan and JSON formats.
const FormatVersion = 1

// Action is what a change does to a resource.
type Action string

// Actions. For each, Before and After of a Change mean:
//   - Create: Before is empty; After is the new value.
//   - Update: Before is the live value; After is the desired value.
//   - Delete: Before is the live value; After is empty.
//   - Replace: the resource is deleted and created again (an IPVS
//     service whose identity cannot be edited); Before and After as Update.
const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace"
)

// Symbol returns the mark printed before a change: + ~ - -/+.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Delete:
		return "-"
	case Replace:
		return "-/+"
	}
	return "?"
}

// Kind is the type of a managed resource. The order of the constants is
// the order in which apply handles them on a host.
type Kind string

// Resource kinds, in apply order.
const (
	KindPackage Kind = "package"
	KindModule  Kind = "module"
	KindSysctl  Kind = "sysctl"
	KindAddress Kind = "address"
	KindRoute   Kind = "route"
	KindFile    Kind = "file"
	KindNAT     Kind = "iptables"
	KindIPVS    Kind = "ipvs"
	KindService Kind = "service"
)

// KindOrder lists the kinds in apply order.
var KindOrder = []Kind{KindPackage, KindModule, KindSysctl, KindAddress, KindRoute, KindFile, KindNAT, KindIPVS, KindService}

// Change is one change to one resource of one host. The string fields are
// what a person reads (sensitive values masked); the typed payloads below
// are what apply executes and are never serialised.
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

	// Payloads for apply (desired values; Delete uses the live ones).
	Package  string            `json:"-"`
	Module   string            `json:"-"`
	Sysctl   *resource.Sysctl  `json:"-"`
	Address  *resource.Address `json:"-"`
	Route    *resource.Route   `json:"-"`
	OldRoute *resource.Route   `json:"-"`
	File     *resource.File    `json:"-"`
	NAT      []string          `json:"-"` // the whole desired chain
	IPVS     *ipvs.Edit        `json:"-"`
	Service  *ServiceChange    `json:"-"`
}

// Ref returns "host: kind key", the change's address in the plan.
func (c Change) Ref(host string) string { return host + ": " + string(c.Kind) + " " + c.Key }

// ServiceChange says what must happen to a service: for a desired one,
// to be enabled and running; for one clusterctl managed and no longer
// manages (Delete), to be stopped and disabled.
type ServiceChange struct {
	Name    string
	Enable  bool // enable at boot
	Start   bool // start now
	Stop    bool // stop now (Delete)
	Disable bool // disable at boot (Delete)
}

// Effect is a consequence of changes that is not itself a resource: a
// service reloaded or restarted because its configuration changed.
type Effect struct {
	Service string `json:"service"`
	Action  string `json:"action"` // "reload" or "restart"
	Reason  string `json:"reason"`
}

// HostPlan is the plan for one host.
type HostPlan struct {
	Host string `json:"host"`
	// Role says where the host sits in the rollout: "real server",
	// "backup director" or "master director" (or "host").
	Role string `json:"role"`
	// Fingerprint identifies the live state the plan was made from; apply
	// of a saved plan refuses to run when it differs.
	Fingerprint string   `json:"fingerprint"`
	Changes     []Change `json:"changes"`
	Effects     []Effect `json:"effects,omitempty"`
	// Notes are things a person should know that are not changes, e.g. an
	// IPVS service clusterctl does not manage and leaves alone.
	Notes []string `json:"notes,omitempty"`
	// Blockers are conflicts on the host that apply could not resolve
	// (a directory where a managed file goes); Build turns them into the
	// host's error, so the plan is not applyable and nothing is changed.
	Blockers []string `json:"-"`
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
	ConfigPath string     `json:"config_path,omitempty"`
	ConfigSalt string     `json:"config_salt"`
	Targets    []string   `json:"targets,omitempty"` // -target hosts; empty = all
	Hosts      []HostPlan `json:"hosts"`
	// Errors are hosts that could not be planned (unreachable, bad facts,
	// a conflict apply could not resolve: HostPlan.Blockers); a plan with
	// errors is not applyable.
	Errors []HostError `json:"errors,omitempty"`
}

// HostError is a host that could not be planned.
type HostError struct {
	Host  string `json:"host"`
	Error string `json:"error"`
}

// Summary counts a plan's changes the way Terraform does.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// Summary counts the plan's changes; a replace counts as one add and one
// destroy.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, h := range p.Hosts {
		for _, c := range h.Changes {
			switch c.Action {
			case Create:
				s.Add++
			case Update:
				s.Change++
			case Delete:
				s.Destroy++
			case Replace:
				s.Add++
				s.Destroy++
			}
		}
	}
	return s
}

// Empty reports whether the plan has no changes.
func (p *Plan) Empty() bool {
	for _, h := range p.Hosts {
		if len(h.Changes) > 0 || len(h.Effects) > 0 {
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
