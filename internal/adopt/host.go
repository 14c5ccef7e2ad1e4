package adopt

import (
	"fmt"
	"net/netip"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Host is what import read from one host.
type Host struct {
	// Name is the host's name in the configuration.
	Name string
	// Address is how SSH reaches it; "" uses the first address of its
	// interfaces. User and Port are written when set.
	Address string
	User    string
	Port    int
	// ConfPath is the keepalived configuration the service uses; "" when
	// the host runs no keepalived (a real server).
	ConfPath string
	// Files holds every file read, by absolute path: the configuration,
	// its includes and the scripts it names.
	Files keepalived.MapFS
	// Meta is the mode and owner of the files in Files, where known.
	Meta map[string]FileMeta
	// Addrs are the host's addresses; AddrsKnown is false when they
	// were not read (a directory copy without ip-addr.txt).
	Addrs      []resource.Address
	AddrsKnown bool
	// Gateway is the default route's next hop, if any.
	Gateway netip.Addr
	// IPVS is the live IPVS table; nil when it could not be read
	// (IPVSNote says why).
	IPVS     *ipvs.Table
	IPVSNote string
	// Services are the states of the services import looks at.
	Services map[string]Service
}

// FileMeta is a file's mode and owner.
type FileMeta struct {
	Mode         uint32
	Owner, Group string
}

// Service is a service's state on a host.
type Service struct{ Active, Enabled bool }

// Level says how a finding bears on the guarantee that the first plan
// after import is empty.
type Level int

const (
	// Info findings do not affect the guarantee (how to pass a
	// password, a note on layout).
	Info Level = iota
	// Change findings are differences the first plan will show: the
	// model holds them, clusterctl would change them on apply.
	Change
	// Lost findings are things the model cannot express: they are not
	// in the configuration, and a later apply may remove them.
	Lost
	// Conflict findings are disagreements between hosts that one
	// configuration cannot hold (the same VRID with different VIPs).
	Conflict
)

func (l Level) String() string {
	return [...]string{"info", "change", "not expressible", "conflict"}[l]
}

// Finding is one line of the import report.
type Finding struct {
	Level Level
	Host  string
	// Pos is "file:line" on the host, when the finding has a place.
	Pos     string
	Keyword string
	Msg     string
}

func (f Finding) String() string {
	s := f.Host
	if f.Pos != "" {
		s += " " + f.Pos
	}
	if s != "" {
		s += ": "
	}
	return fmt.Sprintf("%-15s %s%s", f.Level.String(), s, f.Msg)
}

// Partial reports whether findings hold anything that makes the import
// partial: something lost, a conflict, or a change the first plan shows.
func Partial(fs []Finding) bool {
	for _, f := range fs {
		if f.Level != Info {
			return true
		}
	}
	return false
}
