// Package state holds the typed, per-host state that clusterctl manages.
// The renderer produces the desired state of every host as a Host; the facts
// parser produces the observed state in the same types; the planner diffs
// the two. Every type here is plain data with no behaviour beyond
// normalisation and ordering, so it can be compared with == or cmp.
package resource

import (
	"net/netip"
	"sort"

	"github.com/clusterctl/clusterctl/internal/ipvs"
)

// Host is everything clusterctl manages on one machine.
type Host struct {
	Name string
	// Packages that must be installed (distribution-neutral names:
	// keepalived, ipvsadm, nginx, iptables), sorted.
	Packages []string
	// Modules are kernel modules that must be loaded, sorted.
	Modules []string
	// Sysctls are runtime kernel settings, sorted by key.
	Sysctls []Sysctl
	// Addresses are addresses that must be present, sorted.
	Addresses []Address
	// Routes are routes that must be present, sorted.
	Routes []Route
	// Files are managed files, sorted by path.
	Files []File
	// NATRules are the rules of the nat-table chain clusterctl owns
	// (NATChain), in order. Order matters for iptables.
	NATRules []string
	// Firewall is what clusterctl opens in the host's firewall; nil when
	// it leaves the firewall alone (the default).
	Firewall *Firewall `json:",omitempty"`
	// IPVS is the table clusterctl manages on this host directly
	// (services it does not own are not in here and are never touched).
	IPVS ipvs.Table
	// Services are system services that must be enabled and running.
	Services []Service
	// Marks are the operator's marks in force on the host (drain,
	// failover; see ManifestDrain): render applied them, and the
	// manifest keeps them.
	Marks []ManifestEntry `json:",omitempty"`
}

// NATChain is the nat-table chain clusterctl owns; it is jumped to from
// POSTROUTING. Rules outside it are never touched.
const NATChain = "CLUSTERCTL-POSTROUTING"

// Firewall backends of a rendered host (config.Firewall's backend once
// resolved on the host).
const (
	FirewallIPTables  = "iptables"
	FirewallFirewalld = "firewalld"
	FirewallNFTables  = "nftables"
)

// FirewallInputChain and FirewallForwardChain are the filter-table chains
// clusterctl owns with the iptables backend; INPUT and FORWARD jump to
// them first. Rules outside them are never touched.
const (
	FirewallInputChain   = "CLUSTERCTL-INPUT"
	FirewallForwardChain = "CLUSTERCTL-FORWARD"
)

// NFTInputChain and NFTForwardChain are the chains clusterctl adds to the
// host's own nftables table with the nftables backend; the table's input
// and forward base chains jump to them first.
const (
	NFTInputChain   = "clusterctl-input"
	NFTForwardChain = "clusterctl-forward"
)

// Firewall is the part of the host's firewall clusterctl owns: the
// accept rules for what the cluster needs, in the backend's own form.
type Firewall struct {
	// Backend is FirewallIPTables, FirewallFirewalld or FirewallNFTables.
	Backend string
	// Input and Forward are the rules of FirewallInputChain and
	// FirewallForwardChain as iptables-save prints them after
	// "-A CHAIN " (iptables backend), or of NFTInputChain and
	// NFTForwardChain as `nft list chain` prints them (nftables backend),
	// in order.
	Input, Forward []string
	// NFTTable is the host's table ("inet filter") and NFTInput,
	// NFTForward its base chains that jump to clusterctl's (nftables
	// backend).
	NFTTable, NFTInput, NFTForward string `json:",omitempty"`
	// RichRules are firewalld rich rules as firewall-cmd --list-rich-rules
	// prints them, sorted (firewalld backend); added to Zone ("": the
	// default zone), runtime and permanent.
	RichRules []string
	Zone      string `json:",omitempty"`
}

// Sysctl is a runtime kernel parameter, e.g. net.ipv4.ip_forward = 1.
type Sysctl struct {
	Key   string // dotted form, e.g. net.ipv4.conf.all.send_redirects
	Value string // as sysctl prints it, whitespace-normalised
}

// Address is an IP address assigned to a device.
type Address struct {
	Dev    string
	Prefix netip.Prefix // address with its prefix length, e.g. 192.168.19.100/32
}

// Key identifies the address on its host: "DEV PREFIX", as the manifest
// records it.
func (a Address) Key() string { return a.Dev + " " + a.Prefix.String() }

// HoldsVIP reports whether a host whose addresses (ip -o addr) are addrs
// holds vip as a VRRP holder of an instance on interface iface. keepalived
// puts an instance's VIPs on the instance's interface, so only that device
// counts, whatever the prefix length; a DR or TUN real server's copy of a
// VIP on lo or tunl0 is therefore not a holder. With no interface (""),
// any device but lo counts. apply's gates, status and verify all decide
// who holds a VIP here.
func HoldsVIP(addrs []Address, iface string, vip netip.Addr) bool {
	for _, a := range addrs {
		if a.Prefix.Addr() != vip {
			continue
		}
		if iface != "" && a.Dev == iface {
			return true
		}
		if iface == "" && a.Dev != "lo" {
			return true
		}
	}
	return false
}

// Route is a routing table entry. The default route has Dst 0.0.0.0/0.
type Route struct {
	Dst netip.Prefix
	Via netip.Addr // invalid for on-link routes
	Dev string     // "" to let the kernel choose
}

// File is a managed file with its full content.
type File struct {
	Path    string
	Content []byte
	Mode    uint32 // permission bits
	Owner   string
	Group   string
	// Sensitive files (keepalived.conf with auth_pass, user files built
	// from sensitive variables) are never shown in plans or logs.
	Sensitive bool
	// HideContent files are built from a sensitive value as a whole (a
	// user's file whose content refers to a sensitive variable): plans
	// never show their content, not even masked.
	HideContent bool
	// Validate names a host-side validator run on the uploaded temporary
	// file before it replaces the old one: "" or ValidateKeepalived.
	Validate string
}

// ValidateKeepalived runs `keepalived -t -f FILE` on the host.
const ValidateKeepalived = "keepalived"

// KeepalivedConfPath is keepalived's configuration file.
const KeepalivedConfPath = "/etc/keepalived/keepalived.conf"

// Service is a system service clusterctl keeps enabled and running.
type Service struct {
	Name string
	// ReloadOn lists managed file paths whose change needs a reload
	// (keepalived rereads its config on SIGHUP / systemctl reload).
	ReloadOn []string
	// RestartOn lists managed file paths whose change needs a restart.
	RestartOn []string
	// EnableOnly services (oneshot boot units) are enabled but not kept
	// running.
	EnableOnly bool
}

// Sort puts every list of h in its canonical order.
func (h *Host) Sort() {
	sort.Strings(h.Packages)
	sort.Strings(h.Modules)
	sort.Slice(h.Sysctls, func(i, j int) bool { return h.Sysctls[i].Key < h.Sysctls[j].Key })
	sort.Slice(h.Addresses, func(i, j int) bool { return AddressLess(h.Addresses[i], h.Addresses[j]) })
	sort.Slice(h.Routes, func(i, j int) bool { return RouteLess(h.Routes[i], h.Routes[j]) })
	sort.Slice(h.Files, func(i, j int) bool { return h.Files[i].Path < h.Files[j].Path })
	sort.Slice(h.Services, func(i, j int) bool { return h.Services[i].Name < h.Services[j].Name })
	h.IPVS.Sort()
}

// AddressLess orders addresses by device, then prefix.
func AddressLess(a, b Address) bool {
	if a.Dev != b.Dev {
		return a.Dev < b.Dev
	}
	if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
		return c < 0
	}
	return a.Prefix.Bits() < b.Prefix.Bits()
}

// RouteLess orders routes by destination, then gateway, then device.
func RouteLess(a, b Route) bool {
	if c := a.Dst.Addr().Compare(b.Dst.Addr()); c != 0 {
		return c < 0
	}
	if a.Dst.Bits() != b.Dst.Bits() {
		return a.Dst.Bits() < b.Dst.Bits()
	}
	if c := a.Via.Compare(b.Via); c != 0 {
		return c < 0
	}
	return a.Dev < b.Dev
}

// File returns the managed file at path, or nil.
func (h *Host) File(path string) *File {
	for i := range h.Files {
		if h.Files[i].Path == path {
			return &h.Files[i]
		}
	}
	return nil
}
