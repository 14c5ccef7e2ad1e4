package plan

import (
	"fmt"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Observed is the live state of a host as far as the planner needs it.
// FromFacts builds it from the facts a host reported; tests build it
// directly.
type Observed struct {
	// PackageManager is "apt", "dnf" or "yum"; "" when none was found.
	PackageManager string
	// KeepalivedVersion is the installed keepalived's upstream version
	// ("2.2.7"); "" when keepalived is not installed.
	KeepalivedVersion string
	// Packages installed, by distribution-neutral name.
	Packages map[string]bool
	// Modules loaded (or built into the kernel).
	Modules map[string]bool
	// Sysctls by key; a key absent from the map does not exist.
	Sysctls   map[string]string
	Addresses []resource.Address
	Routes    []resource.Route
	Files     map[string]ObservedFile
	// NAT is the state of clusterctl's nat chain.
	NATChainExists bool
	NATJump        bool // POSTROUTING jumps to the chain
	NATRules       []string
	// Filter is the filter table's part the firewall step reads:
	// FilterOK says it was read (iptables-save -t filter), FilterChains
	// holds the rules of clusterctl's chains that exist (normalised,
	// netfilter.NormalizeRule) and FilterJumps the built-in chains that
	// jump to them ("INPUT CLUSTERCTL-INPUT").
	FilterOK     bool
	FilterChains map[string][]string
	FilterJumps  map[string]bool
	// NFTOK says the nftables table of the firewall was read (NFTError
	// says why not); NFTChains are its chains (all of them, with their
	// rules as nft prints them).
	NFTOK     bool
	NFTError  string
	NFTTable  string
	NFTChains map[string][]string
	// Firewalld says firewalld answered the facts script; RichRules and
	// PermanentRichRules are its default zone's rules.
	Firewalld          bool
	RichRules          []string
	PermanentRichRules []string
	// IPVS is the whole live table; IPVSError says why it could not be
	// read ("" when it could).
	IPVS      ipvs.Table
	IPVSError string
	Services  map[string]ServiceState
	// Manifest is the host's manifest; nil when it has none.
	Manifest []resource.ManifestEntry
	// FirewalldRunning is true when a firewalld process runs: clusterctl
	// does not manage the firewall, so the plan notes what must be open.
	FirewalldRunning bool
}

// ObservedFile is a file as it is on the host.
type ObservedFile struct {
	Exists  bool
	Content []byte
	Mode    uint32
	Owner   string
	Group   string
	Size    int64
	// Unread says why Content is not known ("" when it is): the file is
	// too large to gather, or could not be read. NoMetadata is true when
	// Mode, Owner, Group and Size are not known either.
	Unread     string
	NoMetadata bool
	// NotRegular is true when something other than a regular file (a
	// directory, a device) is at the path; Exists is then false.
	NotRegular bool
}

// ServiceState is a service's live state.
type ServiceState struct {
	Active  bool
	Enabled bool
}

// FromFacts converts a host's facts into what the planner compares.
func FromFacts(f *facts.Host) *Observed {
	o := &Observed{
		PackageManager:    f.PackageManager,
		KeepalivedVersion: f.KeepalivedVersion,
		Packages:          map[string]bool{},
		Modules:           f.Modules,
		Sysctls:           f.Sysctls,
		Addresses:         f.Addresses,
		Routes:            f.Routes,
		Files:             map[string]ObservedFile{},
		Services:          map[string]ServiceState{},
		IPVS:              f.IPVS,
		Manifest:          f.Manifest,

		FirewalldRunning: f.Processes["firewalld"] > 0,
	}
	for p := range f.Packages {
		o.Packages[p] = true
	}
	for path, ff := range f.Files {
		of := ObservedFile{Exists: ff.Exists && !ff.Other, NotRegular: ff.Other, Content: ff.Content, Mode: ff.Mode & 0o7777, Owner: ff.Owner, Group: ff.Group, Size: ff.Size}
		switch {
		case ff.TooLarge:
			of.Unread = fmt.Sprintf("larger than %d bytes", facts.MaxFileSize)
		case ff.Error:
			of.Unread, of.NoMetadata = "could not be read", true
		}
		o.Files[path] = of
	}
	for name, s := range f.Services {
		o.Services[name] = ServiceState{Active: s.Active, Enabled: s.Enabled}
	}
	switch f.IPVSStatus.State {
	case facts.StatusOK, facts.StatusNotLoaded:
	default:
		o.IPVSError = string(f.IPVSStatus.State)
		if f.IPVSStatus.Message != "" {
			o.IPVSError += ": " + f.IPVSStatus.Message
		}
	}
	if f.FilterStatus.State == facts.StatusOK {
		o.FilterOK = true
		o.FilterChains = map[string][]string{}
		o.FilterJumps = map[string]bool{}
		for _, c := range []struct{ from, chain string }{{"INPUT", resource.FirewallInputChain}, {"FORWARD", resource.FirewallForwardChain}} {
			if f.Filter.Exists(c.chain) {
				var rules []string
				for _, r := range f.Filter.Chain(c.chain) {
					rules = append(rules, netfilter.NormalizeRule(r))
				}
				o.FilterChains[c.chain] = rules
			}
			if f.Filter.Jumps(c.from, c.chain) {
				o.FilterJumps[c.from+" "+c.chain] = true
			}
		}
	}
	o.Firewalld, o.RichRules, o.PermanentRichRules = f.Firewalld, f.RichRules, f.PermanentRichRules
	switch f.NFTStatus.State {
	case facts.StatusOK:
		o.NFTOK, o.NFTTable, o.NFTChains = true, f.NFTTable, f.NFT
	case "":
	default:
		o.NFTError = string(f.NFTStatus.State)
		if f.NFTStatus.Message != "" {
			o.NFTError += ": " + f.NFTStatus.Message
		}
	}
	if f.NATStatus.State == facts.StatusOK {
		nat := &f.NAT
		o.NATChainExists = nat.Exists(resource.NATChain)
		o.NATRules = nat.Chain(resource.NATChain)
		o.NATJump = nat.Jumps("POSTROUTING", resource.NATChain)
	}
	return o
}
