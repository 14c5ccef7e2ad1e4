package plan

import (
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Op is the typed content of a change: what apply executes. Its concrete
// type is fixed by the change's kind:
//
//	KindPackage *PackageOp   KindAddress *AddressOp   KindNAT     *NATOp
//	KindModule  *ModuleOp    KindRoute   *RouteOp     KindIPVS    *IPVSOp
//	KindSysctl  *SysctlOp    KindFile    *FileOp      KindService *ServiceOp
//	KindFirewall *FirewallChainOp or *RichRulesOp
//
// Each type says what its Before and After hold per action.
type Op interface {
	Kind() Kind
}

// PackageOp installs a package (Create).
type PackageOp struct{ Name string }

// ModuleOp loads a kernel module (Create).
type ModuleOp struct{ Name string }

// SysctlOp sets a runtime kernel parameter (Update). Before is the live
// value; Present is false when the key did not exist.
type SysctlOp struct {
	Key     string
	Before  string
	Present bool
	After   string
}

// AddressOp adds (Create) or removes (Delete) an address.
type AddressOp struct{ Address resource.Address }

// RouteOp adds (Create) or replaces (Update) the route to After.Dst;
// Before is the live route of an Update, nil for a Create.
type RouteOp struct {
	Before *resource.Route
	After  resource.Route
}

// FileOp writes (Create, Update) or removes (Delete) a managed file.
// After is the desired file (nil for Delete); Before the file as found
// (nil for Create).
type FileOp struct {
	Path   string
	Before *ObservedFile
	After  *resource.File
}

// NATOp makes clusterctl's nat chain hold exactly After (Create, Update)
// or deletes it (Delete). Before are its live rules; Jumped says whether
// POSTROUTING jumps to it now.
type NATOp struct {
	Chain  string
	Before []string
	After  []string
	Jumped bool
}

// FirewallChainOp makes one chain clusterctl owns hold exactly After,
// first jumped to from From (Create, Update), or deletes it and its jump
// (Delete): a filter-table chain with the iptables backend (NFTTable
// ""), a chain of the host's table NFTTable ("inet filter") with the
// nftables backend. Before are its live rules; Jumped says whether From
// jumps to it now.
type FirewallChainOp struct {
	NFTTable string `json:",omitempty"`
	Chain    string
	From     string
	Before   []string
	After    []string
	Jumped   bool
}

// RichRulesOp adds rich rules to firewalld's default zone and removes
// others clusterctl added (firewalld backend), each runtime and
// permanent, so the zone holds them now and after a reload or reboot.
type RichRulesOp struct {
	// Zone is the zone ("": firewalld's default zone).
	Zone        string `json:",omitempty"`
	Add, Remove []string
}

// IPVSOp is one minimal IPVS edit (ipvs.Diff); the edit's Op says which,
// and an edit of a service or destination carries the live settings in
// its Before fields.
type IPVSOp struct{ Edit ipvs.Edit }

// ServiceOp brings a service to a state: a desired one enabled and (unless
// enable-only) running; one clusterctl no longer manages (Delete) stopped
// and disabled. Before is its live state; the flags say which systemctl
// verbs it takes, in the order Stop, Disable, Enable, Start.
type ServiceOp struct {
	Name                         string
	Before                       ServiceState
	Stop, Disable, Enable, Start bool
	// StartAfter are hosts whose keepalived reload, done together, this
	// start follows at once: a member joining a unicast instance must not
	// start before its peers know its address (it would hear no advert
	// and take the VIPs too).
	StartAfter []string
	// StartWith are hosts whose keepalived starts at the same moment as
	// this one: the members of an instance none of them runs yet
	// (Plan.Waves).
	StartWith []string
}

// Kind implements Op.
func (*PackageOp) Kind() Kind { return KindPackage }

// Kind implements Op.
func (*ModuleOp) Kind() Kind { return KindModule }

// Kind implements Op.
func (*SysctlOp) Kind() Kind { return KindSysctl }

// Kind implements Op.
func (*AddressOp) Kind() Kind { return KindAddress }

// Kind implements Op.
func (*RouteOp) Kind() Kind { return KindRoute }

// Kind implements Op.
func (*FileOp) Kind() Kind { return KindFile }

// Kind implements Op.
func (*NATOp) Kind() Kind { return KindNAT }

// Kind implements Op.
func (*FirewallChainOp) Kind() Kind { return KindFirewall }

// Kind implements Op.
func (*RichRulesOp) Kind() Kind { return KindFirewall }

// Kind implements Op.
func (*IPVSOp) Kind() Kind { return KindIPVS }

// Kind implements Op.
func (*ServiceOp) Kind() Kind { return KindService }
