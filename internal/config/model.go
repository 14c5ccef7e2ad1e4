package config

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"

	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/hashicorp/hcl/v2"
)

// Config is a fully decoded, evaluated and validated cluster configuration.
// Every value a user wrote is resolved here (variables, locals and
// references are gone); the ranges point back at the HCL source so later
// stages can still report file:line.
//
// Maps are keyed by the block label; use the sorted accessors (HostNames,
// ...) wherever output order matters, so that rendering is deterministic.
type Config struct {
	// Dir is the directory the configuration was loaded from.
	Dir string
	// Files are the HCL files that were read, in load order.
	Files []string

	Hosts          map[string]*Host
	Keepalived     Keepalived
	IPVS           IPVS
	Firewall       Firewall
	VRRPInstances  map[string]*VRRPInstance
	SyncGroups     map[string]*SyncGroup
	TrackProcesses map[string]*TrackProcess
	TrackFiles     map[string]*TrackFile
	HealthChecks   map[string]*HealthCheck
	VirtualServers map[string]*VirtualServer
	// ServerGroups are the virtual_server_group blocks: sets of virtual
	// addresses and firewall marks that one virtual_server serves.
	ServerGroups map[string]*ServerGroup
	// BFDInstances are the bfd_instance blocks BFD checks name.
	BFDInstances    map[string]*BFDInstance
	SensitiveValues []string // values of sensitive variables, for masking output
}

// Secrets returns every value of the configuration that must never be
// printed: the values of sensitive variables and every VRRP password.
func (c *Config) Secrets() []string {
	out := append([]string{}, c.SensitiveValues...)
	for _, name := range c.VRRPInstanceNames() {
		if p := c.VRRPInstances[name].AuthPass; p != "" {
			out = append(out, p)
		}
	}
	return out
}

// HostNames returns the host names sorted.
func (c *Config) HostNames() []string { return slices.Sorted(maps.Keys(c.Hosts)) }

// VRRPInstanceNames returns the VRRP instance names sorted.
func (c *Config) VRRPInstanceNames() []string { return slices.Sorted(maps.Keys(c.VRRPInstances)) }

// HealthCheckNames returns the health check names sorted.
func (c *Config) HealthCheckNames() []string { return slices.Sorted(maps.Keys(c.HealthChecks)) }

// VirtualServerNames returns the virtual server names sorted.
func (c *Config) VirtualServerNames() []string { return slices.Sorted(maps.Keys(c.VirtualServers)) }

// Ranges maps an attribute name to where it was written, so checks that
// span several blocks can point at the exact attribute.
type Ranges map[string]hcl.Range

// At returns the range of attribute name, or fallback when it was not set.
func (r Ranges) At(name string, fallback hcl.Range) hcl.Range {
	if rng, ok := r[name]; ok {
		return rng
	}
	return fallback
}

// Connection says how to reach a host over SSH. Zero values mean "not set":
// the transport then falls back to ~/.ssh/config and OpenSSH's defaults.
type Connection struct {
	Address      string // host name or IP that SSH dials; may be an ssh_config alias
	Port         int    // 0: from ssh_config, else 22
	User         string // "": from ssh_config, else the local user
	IdentityFile string // "": agent, ssh_config IdentityFile, default keys
	Sudo         bool   // run privileged commands through `sudo -n`
	Bastion      string // jump host as [user@]host[:port]; "" for none
}

// Host is one machine of the cluster.
type Host struct {
	Name       string
	Connection Connection
	// Interfaces are the host's network interfaces with the addresses
	// clusterctl manages on them, sorted by name.
	Interfaces []Interface
	// Gateway is the default route's next hop, if the user set one or a
	// mode requires one (NAT real servers route via their director).
	Gateway netip.Addr
	// Packages the user asked for explicitly; the renderer adds those the
	// cluster's roles imply (keepalived, ipvsadm, iptables).
	Packages []string
	// Services the user wants enabled and running (e.g. "nginx").
	Services []string
	// Files are generic managed files, keyed by absolute path.
	Files map[string]*File
	// Firewall is the host's firewall block; nil when it has none.
	Firewall *HostFirewall

	DeclRange hcl.Range
	Ranges    Ranges
}

// Interface is a network interface of a host and its managed addresses.
type Interface struct {
	Name      string
	Addresses []netip.Prefix
	DeclRange hcl.Range
	Ranges    Ranges
}

// Addrs returns every address of every interface of h.
func (h *Host) Addrs() []netip.Prefix {
	var out []netip.Prefix
	for _, i := range h.Interfaces {
		out = append(out, i.Addresses...)
	}
	return out
}

// InterfaceFor returns the interface whose subnet contains a, if any.
func (h *Host) InterfaceFor(a netip.Addr) (Interface, netip.Prefix, bool) {
	for _, i := range h.Interfaces {
		for _, p := range i.Addresses {
			if p.Masked().Contains(a) {
				return i, p, true
			}
		}
	}
	return Interface{}, netip.Prefix{}, false
}

// File is a generic managed file on a host.
type File struct {
	Path      string
	Content   string
	Mode      uint32 // permission bits, e.g. 0o644
	Owner     string
	Group     string
	Sensitive bool // content came from a sensitive value: never show it
	DeclRange hcl.Range
	Ranges    Ranges
}

// Keepalived holds keepalived's global_defs.
type Keepalived struct {
	RouterID              string // "" → the host's name
	NotificationEmail     []string
	NotificationEmailFrom string
	SMTPServer            string
	SMTPConnectTimeout    int // seconds; 0 → not rendered
	// EnableScriptSecurity and ScriptUser render the matching global_defs
	// keywords. Both default on ("root"): keepalived 2.x's own check
	// (keepalived -t) fails with exit 6 when scripts run as root without
	// script security.
	EnableScriptSecurity bool
	ScriptUser           string
	// ConfigMode is keepalived.conf's mode (0640 unless set: it holds
	// auth_pass); import keeps the mode an adopted host's file has.
	ConfigMode uint32
	// VRRPStrict renders vrrp_strict: keepalived follows RFC 5798
	// strictly (no authentication, no preempt_delay) and, unless an
	// instance sets accept, drops traffic addressed to its VIPs.
	VRRPStrict bool
	// Raw is keepalived lines rendered verbatim (re-indented) at the
	// end of global_defs, and RawBlocks whole blocks rendered at the end
	// of keepalived.conf; "" for none. Neither is checked beyond raw.go's
	// rules: keepalived -t on the host decides.
	Raw       string
	RawBlocks string
	// NotifyFIFO is the FIFO keepalived writes every state change to
	// (notify_fifo), and NotifyFIFOScript the command it starts to read
	// it (notify_fifo_script); "" for none.
	NotifyFIFO       string
	NotifyFIFOScript string
	DeclRange        hcl.Range
	Ranges           Ranges
}

// VRRP states as keepalived spells them.
const (
	StateMaster = "MASTER"
	StateBackup = "BACKUP"
)

// VRRPInstance is one vrrp_instance, shared by its members.
type VRRPInstance struct {
	Name            string
	Interface       string
	VirtualRouterID int
	AdvertInt       int    // seconds
	AuthPass        string // "" for no authentication; always secret
	VirtualIPs      []netip.Prefix
	Members         []*Member // sorted by priority, highest first
	Nopreempt       bool
	PreemptDelay    int  // seconds; 0 → not rendered
	Unicast         bool // send adverts unicast to the other members
	NotifyMaster    string
	NotifyBackup    string
	NotifyFault     string
	// Notify runs on every state change with the type ("INSTANCE"), the
	// name, the new state and the priority as arguments; NotifyStop when
	// keepalived stops the instance.
	Notify     string
	NotifyStop string
	// VIPOptions are per-address settings of VirtualIPs and ExcludedIPs
	// (keyed by address): dev, label, scope.
	VIPOptions map[netip.Addr]VIPOption
	// ExcludedIPs are addresses the master adds like VIPs but that are not
	// in the adverts (virtual_ipaddress_excluded); they may be of the
	// other address family.
	ExcludedIPs []netip.Prefix
	// UseVMAC runs the instance on a macvlan interface with the VRRP
	// virtual MAC (use_vmac); VMACInterface names it ("" → keepalived's
	// vrrp.VRID).
	UseVMAC       bool
	VMACInterface string
	// Version is the VRRP version rendered (2 or 3); 0 renders none:
	// keepalived then runs version 2 for IPv4 and 3 for IPv6.
	Version int
	// Accept renders accept: the master accepts packets addressed to the
	// VIPs even in strict mode.
	Accept       bool
	TrackScripts []string // health_check names
	// TrackProcesses and TrackFiles name the track_process and track_file
	// blocks the instance tracks.
	TrackProcesses  []string
	TrackFiles      []string
	TrackInterfaces []string
	// GarpMasterDelay is keepalived's garp_master_delay; 0 → not rendered.
	GarpMasterDelay int
	// Raw is keepalived lines rendered verbatim (re-indented) at the end
	// of the vrrp_instance block on every member; "" for none.
	Raw string
	// Routes and Rules are keepalived's virtual_routes and virtual_rules:
	// routes and policy-routing rules the master adds with the VIPs and
	// removes when it leaves MASTER.
	Routes []*VirtualRoute
	Rules  []*VirtualRule
	// LVSSync runs the IPVS connection sync daemon with this instance's
	// state (keepalived's global lvs_sync_daemon): the master sends its
	// connections, the backups take them in, so a taken-over director
	// already knows the established connections. nil: none.
	LVSSync *LVSSyncDaemon

	DeclRange hcl.Range
	Ranges    Ranges
}

// VirtualRoute is one line of virtual_routes: a route the master adds
// (ip route's arguments, the common ones).
type VirtualRoute struct {
	To     netip.Prefix // destination (a bare address is /32 or /128)
	Type   string       // "" (unicast) or blackhole, unreachable, prohibit, throw
	Via    netip.Addr   // next hop; invalid → none
	Dev    string       // output interface; "" → none
	Src    netip.Addr   // preferred source; invalid → none
	Table  int          // routing table number; 0 → main
	Metric int          // 0 → not rendered
	Scope  string       // "" → keepalived's (global; link without via)

	DeclRange hcl.Range
	Ranges    Ranges
}

// VirtualRule is one line of virtual_rules: a policy-routing rule the
// master adds (ip rule's selectors, and a table to look up).
type VirtualRule struct {
	From, To netip.Prefix // invalid → any
	FWMark   int          // 0 → none
	Priority int          // 0 → not rendered (the kernel picks one)
	Table    int          // required

	DeclRange hcl.Range
	Ranges    Ranges
}

// LVSSyncDaemon is keepalived's lvs_sync_daemon for one instance: the
// kernel's IPVS sync daemon runs as master on the instance's master and as
// backup on the others, on Interface. Zero fields are not rendered
// (keepalived's and the kernel's defaults).
type LVSSyncDaemon struct {
	Interface string // "" → the instance's interface
	// SyncID is the sync id (0-255) both ends must share; -1 → not
	// rendered (keepalived then uses the instance's virtual_router_id).
	SyncID int
	MaxLen int        // largest sync packet (maxlen); 0 → the kernel's
	Port   int        // UDP port; 0 → the kernel's, 8848
	TTL    int        // multicast TTL; 0 → the kernel's, 1
	Group  netip.Addr // multicast group; invalid → the kernel's, 224.0.0.81

	DeclRange hcl.Range
	Ranges    Ranges
}

// VIPOption is how keepalived adds one virtual address: on Dev (""
// → the instance's interface), with Label (an interface alias "DEV:x")
// and Scope ("" → global).
type VIPOption struct {
	Dev, Label, Scope string
}

// SyncGroup is a vrrp_sync_group: instances that change state together
// (when one goes to FAULT or BACKUP, all do), so that e.g. the external
// and internal VIPs of a NAT director pair stay on the same node.
type SyncGroup struct {
	Name string
	// Instances are the names of the grouped instances, as written.
	Instances []string
	// TrackingWeight renders sync_group_tracking_weight: the weights of
	// the instances' tracked scripts, processes and files apply (without
	// it keepalived ignores them and sends the group to FAULT instead).
	TrackingWeight bool
	NotifyMaster   string
	NotifyBackup   string
	NotifyFault    string
	Notify         string
	NotifyStop     string
	DeclRange      hcl.Range
	Ranges         Ranges
}

// SyncGroupNames returns the sync group names sorted.
func (c *Config) SyncGroupNames() []string { return slices.Sorted(maps.Keys(c.SyncGroups)) }

// Member is a host taking part in a VRRP instance.
type Member struct {
	Host     string
	Priority int
	// State is the initial state rendered into keepalived.conf: the
	// highest priority member is MASTER unless nopreempt forces every
	// member to BACKUP or the user set it explicitly.
	State     string
	DeclRange hcl.Range
	Ranges    Ranges
}

// Master returns the member expected to hold the VIPs when all are up.
func (v *VRRPInstance) Master() *Member {
	if len(v.Members) == 0 {
		return nil
	}
	return v.Members[0]
}

// MemberFor returns the member for host, or nil.
func (v *VRRPInstance) MemberFor(host string) *Member {
	for _, m := range v.Members {
		if m.Host == host {
			return m
		}
	}
	return nil
}

// HealthCheck is a vrrp_script. Either it is generated (Process set: count
// processes, try to start the service, stop keepalived when that fails —
// the lab's check_ng.sh) or it runs a user's script (Script set).
type HealthCheck struct {
	Name string
	// Process is the process name counted with `ps -C`.
	Process string
	// Service is started through the service manager when the process is
	// missing and Restart is set; defaults to Process.
	Service string
	Restart bool
	// StopKeepalived stops keepalived on this node when the process is
	// still missing after a restart attempt, so the peer takes the VIPs.
	StopKeepalived bool
	// LogFile receives a line each time the check gives up.
	LogFile string
	// ScriptPath is where the generated script is written.
	ScriptPath string
	// Script is a user-provided command run as the check instead of a
	// generated one. Exactly one of Process and Script is set.
	Script string

	Interval int // seconds
	Weight   int // 0 → not rendered; keepalived range -253..253
	Fall     int
	Rise     int
	Timeout  int

	DeclRange hcl.Range
	Ranges    Ranges
}

// VRRPScriptName is the vrrp_script name rendered for the check.
func (h *HealthCheck) VRRPScriptName() string { return "chk_" + h.Name }

// Mode is an LVS forwarding mode.
type Mode string

// LVS forwarding modes.
const (
	ModeNAT     Mode = "nat"
	ModeDR      Mode = "dr"
	ModeTUN     Mode = "tun"
	ModeFullNAT Mode = "fullnat"
)

// Protocol is a virtual service's transport protocol.
type Protocol string

// Protocols of virtual services ("" means tcp).
const (
	ProtocolTCP Protocol = "tcp"
	ProtocolUDP Protocol = "udp"
)

// Who owns a virtual server's IPVS entries.
const (
	ManagedByClusterctl = "clusterctl" // ipvsadm rules applied by clusterctl
	ManagedByKeepalived = "keepalived" // virtual_server blocks in keepalived.conf
)

// VirtualServer is one LVS virtual service.
type VirtualServer struct {
	Name string
	// Address is the virtual address and port; invalid when FWMark or
	// Group is set.
	Address  netip.AddrPort
	FWMark   uint32
	Protocol Protocol // ProtocolTCP or ProtocolUDP ("" before defaults)
	Mode     Mode
	// Scheduler is the IPVS scheduler name (rr, wlc, ...).
	Scheduler string
	// Persistence is the persistence timeout in seconds; 0 = none.
	Persistence        int
	PersistenceNetmask netip.Addr // invalid → not set (255.255.255.255)
	// PersistenceEngine is the IPVS persistence engine ("sip"); "" none.
	PersistenceEngine string
	// SchedulerFlags are the scheduler's flags (ipvsadm -b) as ipvsadm
	// names them for Scheduler: sh-fallback, sh-port, mh-fallback,
	// mh-port, flag-1..3; in flag order.
	SchedulerFlags []string
	// OnePacket is one-packet scheduling (ipvsadm -o, keepalived ops).
	OnePacket bool
	// TunType, TunPort and TunChecksum are the encapsulation of a tun
	// mode service: TunType "ipip" (default), "gue" or "gre"; TunPort the
	// GUE port; TunChecksum "", "csum" or "remcsum".
	TunType     string
	TunPort     uint16
	TunChecksum string
	Directors   []string // host names, sorted
	ManagedBy   string
	// SNATAddress is the FULLNAT source address; invalid → MASQUERADE.
	SNATAddress netip.Addr
	SorryServer netip.AddrPort // keepalived only; invalid → none
	DelayLoop   int            // keepalived health check period; 0 → default
	// Group is the virtual_server_group the service is, instead of an
	// address or a mark (keepalived only); nil → none.
	Group *ServerGroup
	// Alpha starts every real server as failed until its check first
	// succeeds (keepalived's alpha); Omega runs the quorum-down command
	// and clears the service when keepalived stops (omega).
	Alpha       bool
	Omega       bool
	RealServers []*RealServer // sorted by address
	// Raw is keepalived lines rendered verbatim (re-indented) at the end
	// of the keepalived virtual_server block; "" for none. Only with
	// ManagedBy keepalived.
	Raw string

	DeclRange hcl.Range
	Ranges    Ranges
}

// BFDInstance is a keepalived bfd_instance: a BFD session (RFC 5880)
// with NeighborIP, which a BFD check of a real server follows (the real
// server is down while the session is). Times are milliseconds; 0 →
// keepalived's default.
type BFDInstance struct {
	Name       string
	NeighborIP netip.Addr
	SourceIP   netip.Addr // invalid → not rendered
	MinRx      int
	MinTx      int
	IdleTx     int
	Multiplier int
	Passive    bool
	DeclRange  hcl.Range
	Ranges     Ranges
}

// BFDInstanceNames returns the bfd_instance names sorted.
func (c *Config) BFDInstanceNames() []string { return slices.Sorted(maps.Keys(c.BFDInstances)) }

// ServerGroup is a keepalived virtual_server_group: the virtual
// addresses (single, or a range of the last IPv4 octet) and the firewall
// marks a virtual_server serves as one service.
type ServerGroup struct {
	Name    string
	Entries []GroupEntry
	// FWMarks reports whether the entries are marks (else addresses):
	// a group is one or the other.
	FWMarks   bool
	DeclRange hcl.Range
	Ranges    Ranges
}

// GroupEntry is one line of a virtual_server_group: an address and port
// (Last valid: the range Addr..Last), or a firewall mark.
type GroupEntry struct {
	Addr   netip.Addr
	Last   netip.Addr // invalid → a single address
	Port   uint16
	FWMark uint32
}

// Addrs returns every address the entry covers (none for a mark).
func (e GroupEntry) Addrs() []netip.Addr {
	if !e.Addr.IsValid() {
		return nil
	}
	out := []netip.Addr{e.Addr}
	if !e.Last.IsValid() {
		return out
	}
	for a := e.Addr; a.Less(e.Last); {
		a = a.Next()
		out = append(out, a)
	}
	return out
}

// Keepalived returns the entry as keepalived's virtual_server_group
// line: "192.168.47.128 80", "192.168.47.130-135 80", "fwmark 7".
func (e GroupEntry) Keepalived() string {
	if e.FWMark != 0 {
		return "fwmark " + strconv.FormatUint(uint64(e.FWMark), 10)
	}
	a := e.Addr.String()
	if e.Last.IsValid() {
		a += "-" + strconv.Itoa(int(e.Last.As4()[3]))
	}
	return a + " " + strconv.Itoa(int(e.Port))
}

// String returns the entry as the configuration writes it:
// "192.168.47.128:80", "192.168.47.130-135:80", "[2001:db8::1]:80".
func (e GroupEntry) String() string {
	if e.FWMark != 0 {
		return "fwmark " + strconv.FormatUint(uint64(e.FWMark), 10)
	}
	if e.Last.IsValid() {
		return e.Addr.String() + "-" + strconv.Itoa(int(e.Last.As4()[3])) + ":" + strconv.Itoa(int(e.Port))
	}
	return netip.AddrPortFrom(e.Addr, e.Port).String()
}

// Family6 reports whether the group's addresses are IPv6 (marks: IPv4).
func (g *ServerGroup) Family6() bool {
	return len(g.Entries) > 0 && g.Entries[0].Addr.Is6()
}

// VirtualAddrs returns the virtual addresses of vs: its address, every
// address of its group, or none (a firewall mark service).
func (vs *VirtualServer) VirtualAddrs() []netip.Addr {
	if vs.Group != nil {
		var out []netip.Addr
		for _, e := range vs.Group.Entries {
			out = append(out, e.Addrs()...)
		}
		return out
	}
	if vs.FWMark != 0 || !vs.Address.IsValid() {
		return nil
	}
	return []netip.Addr{vs.Address.Addr()}
}

// ServerGroupNames returns the virtual_server_group names sorted.
func (c *Config) ServerGroupNames() []string { return slices.Sorted(maps.Keys(c.ServerGroups)) }

// IPVSKey returns the key of vs's service in the IPVS table, as ipvsadm
// lists it: fwmark with the mark, else tcp or udp with the address. It is
// the one place that derives it (render, status and verify all ask here).
// An error means validation let through a virtual server with neither an
// address nor a mark, or an unknown protocol.
func (vs *VirtualServer) IPVSKey() (ipvs.ServiceKey, error) {
	switch {
	case vs.Group != nil:
		return ipvs.ServiceKey{}, fmt.Errorf("virtual_server %s is virtual_server_group %s: one IPVS service per entry, not one key", vs.Name, vs.Group.Name)
	case vs.FWMark != 0:
		return ipvs.ServiceKey{Protocol: ipvs.FWMark, Mark: vs.FWMark}, nil
	case !vs.Address.IsValid():
		return ipvs.ServiceKey{}, fmt.Errorf("virtual_server %s: neither address nor fwmark is set", vs.Name)
	case vs.Protocol == ProtocolTCP || vs.Protocol == "":
		return ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: vs.Address}, nil
	case vs.Protocol == ProtocolUDP:
		return ipvs.ServiceKey{Protocol: ipvs.UDP, Addr: vs.Address}, nil
	}
	return ipvs.ServiceKey{}, fmt.Errorf("virtual_server %s: unknown protocol %q", vs.Name, vs.Protocol)
}

// IPVSKeys returns the keys of every IPVS service vs is: its IPVSKey,
// or for a virtual_server_group one per mark, or per address of each
// entry with the service's protocol (keepalived creates one service for
// each).
func (vs *VirtualServer) IPVSKeys() ([]ipvs.ServiceKey, error) {
	if vs.Group == nil {
		k, err := vs.IPVSKey()
		if err != nil {
			return nil, err
		}
		return []ipvs.ServiceKey{k}, nil
	}
	proto := ipvs.TCP
	if vs.Protocol == ProtocolUDP {
		proto = ipvs.UDP
	}
	var out []ipvs.ServiceKey
	for _, e := range vs.Group.Entries {
		if e.FWMark != 0 {
			out = append(out, ipvs.ServiceKey{Protocol: ipvs.FWMark, Mark: e.FWMark})
			continue
		}
		for _, a := range e.Addrs() {
			out = append(out, ipvs.ServiceKey{Protocol: proto, Addr: netip.AddrPortFrom(a, e.Port)})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("virtual_server %s: virtual_server_group %s has no entry", vs.Name, vs.Group.Name)
	}
	return out, nil
}

// AddressString returns how vs's address is shown to people:
// "tcp 192.168.47.128:80" or "fwmark 1".
func (vs *VirtualServer) AddressString() string {
	if vs.Group != nil {
		return "group " + vs.Group.Name
	}
	if vs.FWMark != 0 {
		return "fwmark " + strconv.FormatUint(uint64(vs.FWMark), 10)
	}
	p := vs.Protocol
	if p == "" {
		p = ProtocolTCP
	}
	return string(p) + " " + vs.Address.String()
}

// Family6 reports whether the virtual server is an IPv6 service. A
// firewall-mark service is IPv4: clusterctl and keepalived render it
// without an address family.
func (vs *VirtualServer) Family6() bool {
	if vs.Group != nil {
		return vs.Group.Family6()
	}
	return vs.FWMark == 0 && vs.Address.Addr().Is6()
}

// RealServer is a destination of a virtual server.
type RealServer struct {
	// Host is the config host this real server is, or "" for a bare address.
	Host           string
	Address        netip.Addr
	Port           uint16
	Weight         int
	UpperThreshold int // 0 = unlimited
	LowerThreshold int
	Check          *RealServerCheck // keepalived-managed only; nil = none
	// InhibitOnFailure sets the real server's weight to 0 when its check
	// fails instead of removing it (inhibit_on_failure), so that
	// established connections are kept.
	InhibitOnFailure bool

	DeclRange hcl.Range
	Ranges    Ranges
}

// AddrPort returns the real server's address and port.
func (r *RealServer) AddrPort() netip.AddrPort { return netip.AddrPortFrom(r.Address, r.Port) }

// Real server health check kinds (keepalived's checkers).
const (
	CheckTCP  = "tcp"  // TCP_CHECK
	CheckHTTP = "http" // HTTP_GET
	CheckSSL  = "ssl"  // SSL_GET
	CheckDNS  = "dns"  // DNS_CHECK
	CheckSMTP = "smtp" // SMTP_CHECK
	CheckPing = "ping" // PING_CHECK
	CheckUDP  = "udp"  // UDP_CHECK
	CheckFile = "file" // FILE_CHECK
	CheckMisc = "misc" // MISC_CHECK
	CheckBFD  = "bfd"  // BFD_CHECK
)

// CheckKeywords maps each check type to its keepalived checker keyword.
var CheckKeywords = map[string]string{
	CheckTCP: "TCP_CHECK", CheckHTTP: "HTTP_GET", CheckSSL: "SSL_GET", CheckDNS: "DNS_CHECK",
	CheckSMTP: "SMTP_CHECK", CheckPing: "PING_CHECK", CheckUDP: "UDP_CHECK", CheckFile: "FILE_CHECK",
	CheckMisc: "MISC_CHECK", CheckBFD: "BFD_CHECK",
}

// RealServerCheck is a keepalived checker for one real server.
type RealServerCheck struct {
	Type             string
	ConnectTimeout   int    // seconds; 0 → keepalived's default
	Retry            int    // 0 → default
	DelayBeforeRetry int    // 0 → default
	Warmup           int    // seconds; 0 → not rendered
	Path             string // HTTP_GET/SSL_GET url path
	StatusCode       int    // HTTP_GET/SSL_GET expected status
	Digest           string // HTTP_GET/SSL_GET MD5 of the body (32 hex digits); "" none
	MiscPath         string // MISC_CHECK command
	// ConnectIP, ConnectPort, BindTo and BindPort are where a connecting
	// checker connects (default: the real server's address and port) and
	// from where; invalid/0 → not rendered.
	ConnectIP   netip.Addr
	ConnectPort uint16
	BindTo      netip.Addr
	BindPort    uint16
	// DNSType and DNSName are DNS_CHECK's query ("" → keepalived's SOA
	// of ".").
	DNSType, DNSName string
	// HeloName is SMTP_CHECK's HELO name ("" → keepalived's default).
	HeloName string
	// Payload is UDP_CHECK's datagram and Reply the reply it requires,
	// both as hex ("" → none); RequireReply fails the check when no
	// reply comes.
	Payload      string
	RequireReply bool
	Reply        string
	// TrackFile names the track_file block a FILE_CHECK reads;
	// FileWeight (set when HasFileWeight) and FileReverse override its
	// weight.
	TrackFile     string
	FileWeight    int
	HasFileWeight bool
	FileReverse   bool
	// BFD names the bfd_instance block a BFD_CHECK follows.
	BFD       string
	DeclRange hcl.Range
	Ranges    Ranges
}

// Roles of hosts, derived from the configuration.

// IsDirector reports whether host directs at least one virtual server.
func (c *Config) IsDirector(host string) bool {
	for _, vs := range c.VirtualServers {
		for _, d := range vs.Directors {
			if d == host {
				return true
			}
		}
	}
	return false
}

// VRRPMember reports whether host is a member of any VRRP instance.
func (c *Config) VRRPMember(host string) bool {
	for _, v := range c.VRRPInstances {
		if v.MemberFor(host) != nil {
			return true
		}
	}
	return false
}

// RealServerOf returns the virtual servers that host is a real server of.
func (c *Config) RealServerOf(host string) []*VirtualServer {
	var out []*VirtualServer
	for _, name := range c.VirtualServerNames() {
		vs := c.VirtualServers[name]
		for _, rs := range vs.RealServers {
			if rs.Host == host {
				out = append(out, vs)
				break
			}
		}
	}
	return out
}
