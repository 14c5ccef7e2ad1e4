package kastate

import (
	"net/netip"
	"time"

	"github.com/clusterctl/clusterctl/internal/ipvs"
)

// State is a VRRP instance's state as keepalived holds it.
type State string

// States. keepalived's JSON dump gives numbers (vrrp.h: INIT 0, BACKUP 1,
// MASTER 2, FAULT 3, DELETED 97, STOP 98); its data dump gives words, and
// "unknown" for DELETED and STOP. STOP is also what clusterctl reports
// for a member whose keepalived is not running.
const (
	StateInit    State = "INIT"
	StateBackup  State = "BACKUP"
	StateMaster  State = "MASTER"
	StateFault   State = "FAULT"
	StateStop    State = "STOP"
	StateDeleted State = "DELETED"
	// StateUnknown is a number or word this package does not know.
	StateUnknown State = "UNKNOWN"
)

// stateFromNumber maps the JSON dump's numbers.
func stateFromNumber(n int) State {
	switch n {
	case 0:
		return StateInit
	case 1:
		return StateBackup
	case 2:
		return StateMaster
	case 3:
		return StateFault
	case 97:
		return StateDeleted
	case 98:
		return StateStop
	}
	return StateUnknown
}

// stateFromWord maps the data dump's words.
func stateFromWord(s string) State {
	switch st := State(s); st {
	case StateInit, StateBackup, StateMaster, StateFault, StateStop, StateDeleted:
		return st
	}
	return StateUnknown
}

// View is what one keepalived reported about itself. Sources says which
// dumps it was built from; a field a missing dump would have filled is
// zero.
type View struct {
	// Sources lists the dumps read: "json", "data", "check".
	Sources []string
	// Instances are the VRRP instances in keepalived's order.
	Instances []Instance
	// Scripts are the vrrp_scripts by name.
	Scripts map[string]Script
	// Interfaces are the interfaces keepalived watches, by name.
	Interfaces map[string]Interface
	// VirtualServers are the checker's virtual servers in its order.
	VirtualServers []VirtualServer
}

// Instance is one VRRP instance.
type Instance struct {
	Name string
	// State is the instance's state; WantState the one it moves to.
	State, WantState State
	VRID             int
	Interface        string
	// BasePriority is the configured priority; EffectivePriority the
	// priority after tracked scripts' and interfaces' weights.
	BasePriority, EffectivePriority int
	// MasterPriority is the priority of the master this instance last
	// heard (0 when it has heard none, or is the master itself).
	MasterPriority int
	// LastTransition is when State last changed (zero when unknown).
	LastTransition time.Time
	// VIPs are the virtual addresses (address only, as keepalived prints
	// them first on each line).
	VIPs []string
	// TrackScripts and TrackInterfaces are what the instance tracks, with
	// their weights (from the data dump).
	TrackScripts    []Tracked
	TrackInterfaces []Tracked
	// Faults is keepalived's "Number of interface and track script
	// faults": how many tracked objects hold the instance in FAULT.
	Faults int
	// Stats are the advert counters (JSON dump only; nil otherwise).
	Stats *Stats
}

// Tracked is one tracked object of an instance and its weight.
type Tracked struct {
	Name   string
	Weight int
}

// Stats are an instance's counters.
type Stats struct {
	AdvertRcvd    uint64 `json:"advert_rcvd"`
	AdvertSent    uint64 `json:"advert_sent"`
	BecomeMaster  uint64 `json:"become_master"`
	ReleaseMaster uint64 `json:"release_master"`
	AddrListErr   uint64 `json:"addr_list_err"`
	AuthFailure   uint64 `json:"auth_failure"`
	PriZeroRcvd   uint64 `json:"pri_zero_rcvd"`
	PriZeroSent   uint64 `json:"pri_zero_sent"`
}

// Script is one vrrp_script.
type Script struct {
	Name string
	// Good is keepalived's Status: GOOD (result at or above rise) or BAD.
	Good   bool
	Weight int
	// Init is keepalived's init state ("INIT" until the first result).
	Init string
}

// Interface is one interface as keepalived sees it.
type Interface struct {
	Name string
	// Up and Running are the IFF_UP and IFF_RUNNING flags.
	Up, Running bool
}

// VirtualServer is one virtual server of keepalived's checker.
type VirtualServer struct {
	// Key identifies the service as IPVS does (a virtual server group
	// has Group set and a zero Key).
	Key   ipvs.ServiceKey
	Group string
	// Alive is keepalived's flag: the service is in IPVS; QuorumUp that
	// enough real servers are alive.
	Alive, QuorumUp bool
	RealServers     []RealServer
}

// RealServer is one real server as keepalived's checkers see it.
type RealServer struct {
	Addr netip.AddrPort
	// Weight is the configured weight; EffectiveWeight includes the
	// checkers' adjustments.
	Weight, EffectiveWeight int
	// Alive is false when a checker failed it (it is out of IPVS, or at
	// weight 0 with inhibit_on_failure).
	Alive          bool
	FailedCheckers int
}

// Instance returns the instance named name, or nil.
func (v *View) Instance(name string) *Instance {
	for i := range v.Instances {
		if v.Instances[i].Name == name {
			return &v.Instances[i]
		}
	}
	return nil
}

// VirtualServer returns the virtual server with key k, or nil.
func (v *View) VirtualServer(k ipvs.ServiceKey) *VirtualServer {
	for i := range v.VirtualServers {
		if v.VirtualServers[i].Group == "" && v.VirtualServers[i].Key == k {
			return &v.VirtualServers[i]
		}
	}
	return nil
}

// Merge builds a View from the JSON dump's instances, the data dump and
// the check dump; any of them may be missing (nil). The JSON dump's
// numbers win over the data dump's words for the fields both carry (its
// state tells STOP and DELETED apart); the data dump adds tracking and
// fills everything when the JSON dump is missing.
func Merge(jsonInst []Instance, data *View, check []VirtualServer) View {
	out := View{Scripts: map[string]Script{}, Interfaces: map[string]Interface{}}
	if jsonInst != nil {
		out.Sources = append(out.Sources, "json")
	}
	if data != nil {
		out.Sources = append(out.Sources, "data")
		out.Scripts, out.Interfaces = data.Scripts, data.Interfaces
	}
	if check != nil {
		out.Sources = append(out.Sources, "check")
		out.VirtualServers = check
	}
	switch {
	case jsonInst == nil && data != nil:
		out.Instances = data.Instances
	case jsonInst != nil:
		for _, in := range jsonInst {
			if data != nil {
				if d := data.Instance(in.Name); d != nil {
					in.TrackScripts, in.TrackInterfaces, in.Faults = d.TrackScripts, d.TrackInterfaces, d.Faults
				}
			}
			out.Instances = append(out.Instances, in)
		}
	}
	return out
}
