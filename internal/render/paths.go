package render

import "github.com/clusterctl/clusterctl/internal/resource"

// Paths of the files the renderer manages on hosts, and the boot unit that
// re-creates runtime state. The applier and the facts script use the same
// paths.
const (
	// KeepalivedConfPath is keepalived's configuration file.
	KeepalivedConfPath = resource.KeepalivedConfPath
	// SysctlDropInPath persists the host's managed sysctls.
	SysctlDropInPath = "/etc/sysctl.d/90-clusterctl.conf"
	// ModulesLoadPath lists the kernel modules loaded at boot.
	ModulesLoadPath = "/etc/modules-load.d/clusterctl.conf"
	// IPVSRulesPath holds the clusterctl-managed IPVS services in
	// ipvsadm-save -n form.
	IPVSRulesPath = "/etc/clusterctl/ipvs.rules"
	// NATRulesPath is iptables-restore --noflush input that declares and
	// fills resource.NATChain; see the file's header for how it is loaded.
	NATRulesPath = "/etc/clusterctl/iptables-nat.rules"
	// FilterRulesPath is iptables-restore --noflush input that declares
	// and fills the firewall's chains (resource.FirewallInputChain,
	// FirewallForwardChain) with the iptables backend.
	FilterRulesPath = "/etc/clusterctl/iptables-filter.rules"
	// NFTRulesPath is `nft -f` input that adds and fills clusterctl's
	// chains in the host's own nftables table (nftables backend).
	NFTRulesPath = "/etc/clusterctl/nftables.rules"
	// RestoreScriptPath re-creates addresses, routes, NAT rules and IPVS
	// services at boot.
	RestoreScriptPath = "/usr/local/sbin/clusterctl-restore"
	// RestoreUnitPath is the systemd unit running RestoreScriptPath.
	RestoreUnitPath = "/etc/systemd/system/clusterctl-restore.service"
	// RestoreServiceName is the name of that unit as a resource.Service.
	RestoreServiceName = "clusterctl-restore"
)
