package facts

import (
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Host is the observed state of one machine, as gathered by Script.
type Host struct {
	// OSID and OSVersion are ID and VERSION_ID of /etc/os-release
	// (e.g. "debian", "12"); empty when unknown.
	OSID, OSVersion string
	Hostname        string
	// PackageManager is "apt", "dnf" or "yum", or "" when none was found.
	PackageManager string
	// Packages maps each requested package that is installed to its
	// version; a package that is absent is not installed.
	Packages map[string]string
	// KeepalivedVersion is the upstream version of the keepalived package,
	// e.g. "2.2.7"; empty when no package of it is installed (a keepalived
	// built from source is not asked: running `keepalived -v` would cost
	// every host more than the rest of the script's commands together).
	KeepalivedVersion string
	// Services holds the state of every requested service.
	Services map[string]ServiceState
	// Addresses are the addresses of all interfaces (ip -o addr), sorted.
	// IPv6 link-local addresses (fe80::/10) are left out: clusterctl never
	// manages them and they differ on every host.
	Addresses []resource.Address
	// Links are the interfaces (ip -o link), sorted by name.
	Links []Link
	// Routes are the unicast routes of the main table, IPv4 and IPv6,
	// sorted; the default route has Dst 0.0.0.0/0 (::/0). Routes of other
	// types (local, broadcast, blackhole, ...), IPv6 link-local routes
	// (fe80::/64) and multipath next hops are left out.
	Routes []resource.Route
	// Sysctls maps each requested key that could be read to its value,
	// whitespace-normalised; MissingSysctls holds the keys that could not.
	Sysctls        map[string]string
	MissingSysctls map[string]bool
	// Modules are the kernel modules in /sys/module: every loaded module
	// and the built-in ones that have parameters.
	Modules map[string]bool
	// IPVS is the whole kernel IPVS table (empty unless IPVSStatus.State
	// is IPVSOK); IPVSStats its statistics (ipvsadm -L -n and --stats).
	// A statistics listing that does not parse is not fatal: IPVSStatsError
	// says why and IPVSStats is empty.
	IPVS           ipvs.Table
	IPVSStatus     Status
	IPVSStats      ipvs.Stats
	IPVSStatsError string
	// NAT is the nat table from iptables-save -t nat (empty unless
	// NATStatus.State is StatusOK).
	NAT       netfilter.Table
	NATStatus Status
	// Filter is the filter table from iptables-save -t filter, gathered
	// only when Request.Firewall is set (FilterStatus.State is "" when it
	// was not asked for).
	Filter       netfilter.Table
	FilterStatus Status
	// NFTTable is the table read ("inet filter") and NFT its chains with
	// their rules (nft list table), when NFTStatus.State is StatusOK; a missing table is a
	// StatusError whose message nft gave.
	NFTTable  string
	NFT       map[string][]string
	NFTStatus Status
	// Firewalld reports whether firewalld answered (Request.Firewall
	// only); RichRules and PermanentRichRules are its default zone's rich
	// rules, one a line as firewall-cmd prints them.
	Firewalld          bool
	RichRules          []string
	PermanentRichRules []string
	// Files maps every requested and every manifest-listed path to what
	// was found there.
	Files map[string]FileFact
	// Manifest is the host's clusterctl manifest, in file order; nil when
	// the host has none.
	Manifest []resource.ManifestEntry
	// Lock is the raw content of the apply lock file, "" when absent.
	Lock string
	// LockPresent reports whether the lock file exists.
	LockPresent bool
	// Processes counts running processes by name (keepalived, nginx and
	// Request.Processes).
	Processes map[string]int
	// Keepalived is keepalived's own view of itself, gathered only when
	// Request.Keepalived is set (status); nil otherwise.
	Keepalived *Keepalived
}

// ServiceState is what `systemctl show` says about a service.
type ServiceState struct {
	// Known is false when systemctl is missing; the other fields are then
	// zero.
	Known bool
	// Active is true when ActiveState is "active"; ActiveState is the
	// unit's (active, inactive, failed, ...), as `systemctl is-active`
	// prints it.
	Active      bool
	ActiveState string
	// Enabled is true when EnabledState is enabled, enabled-runtime,
	// static, alias or generated; EnabledState is the unit's
	// UnitFileState (disabled, masked, ...), or not-found.
	Enabled      bool
	EnabledState string
}

// Link is a network interface.
type Link struct {
	Name string
	// Up is the administrative state (flag UP); LowerUp the carrier.
	Up, LowerUp bool
	// OperState is ip's "state" (UP, DOWN, UNKNOWN, ...).
	OperState string
}

// State classifies whether a tool could report its table.
type State string

// States of Status.
const (
	StatusOK              State = "ok"
	StatusNotInstalled    State = "not-installed"     // the command is missing
	StatusNotLoaded       State = "not-loaded"        // IPVS: module available but not loaded (table empty)
	StatusNoKernelSupport State = "no-kernel-support" // IPVS: the kernel has no ip_vs
	StatusError           State = "error"             // the command failed; Message says how
)

// Status is the outcome of reading IPVS or NAT state.
type Status struct {
	State   State
	Message string // stderr or a description; empty when OK
}

// FileFact is what was found at a path.
type FileFact struct {
	Exists bool
	// Other is true when the path exists but is not a regular file (or
	// a symlink to one); Error when it could not be read. No metadata is
	// known in either case.
	Other, Error bool
	Mode         uint32 // permission bits (and setuid/setgid/sticky)
	Owner, Group string
	Size         int64
	Content      []byte
	// TooLarge is true when the file is larger than MaxFileSize; Content
	// is then nil.
	TooLarge bool
}
