package resource

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Paths of clusterctl's own bookkeeping on every host.
const (
	// ManifestPath is where apply records what clusterctl manages on the
	// host, so that a later plan can delete what the configuration no
	// longer asks for without touching anything clusterctl never made.
	ManifestPath = "/var/lib/clusterctl/manifest"
	// LockPath is the apply lock. /run is a tmpfs, so a reboot clears a
	// lock left by a crashed apply.
	LockPath = "/run/lock/clusterctl.lock"
	// BackupDir keeps the previous version of every replaced or deleted
	// managed file, under its absolute path plus a timestamp suffix.
	BackupDir = "/var/lib/clusterctl/backup"
)

// ManifestKind is the kind of a managed resource as the manifest records
// it.
type ManifestKind string

// Manifest entry kinds.
const (
	ManifestFile    ManifestKind = "file"    // key: absolute path
	ManifestAddress ManifestKind = "address" // key: "DEV PREFIX" (Address.Key)
	ManifestIPVS    ManifestKind = "ipvs"    // key: ServiceKey.String(), e.g. "-t 192.168.47.128:80"
	ManifestNAT     ManifestKind = "nat"     // key: chain name
	ManifestService ManifestKind = "service" // key: service name
	// ManifestFirewall is a filter chain clusterctl owns (iptables
	// backend; key: the chain; nftables backend: "FAMILY TABLE CHAIN"),
	// ManifestRichRule a firewalld rich rule it
	// added to the default zone (key: the rule). Only these are ever
	// removed from the host's firewall.
	ManifestFirewall ManifestKind = "firewall"
	ManifestRichRule ManifestKind = "firewalld-rule"
	// ManifestSecretFile marks a managed file whose content is built from
	// a sensitive value (File.HideContent): a later plan never shows its
	// live content, even when the configuration no longer makes it secret.
	ManifestSecretFile ManifestKind = "secret-file" // key: absolute path
	// ManifestPending records a reload or restart an apply owes a service
	// (key: "reload keepalived"): written before the files it follows from
	// change, removed once it ran. A plan that finds one plans it again,
	// so an apply cut off between a file and its reload never leaves the
	// service running the old configuration unnoticed.
	ManifestPending ManifestKind = "pending"
	// ManifestDrain marks a real server drained on this director by
	// `clusterctl drain` (key: the real server as named: a host name or
	// an address). While the mark is there, every plan renders the real
	// server with weight 0 on this director, and keeps the mark.
	ManifestDrain ManifestKind = "drain"
	// ManifestFailover marks this host as the one `clusterctl failover`
	// moved a VRRP instance to (key: the instance's name). While the mark
	// is there, every plan renders this member's priority above its
	// peers', and keeps the mark.
	ManifestFailover ManifestKind = "failover"
)

// IsMark reports whether k is an operator's mark (drain, failover): a
// state a day-2 command set on purpose, which plan and apply keep
// rather than undo.
func (k ManifestKind) IsMark() bool { return k == ManifestDrain || k == ManifestFailover }

// Marks returns the operator's marks among entries (IsMark), sorted;
// status and plan read drain and failover state here.
func Marks(entries []ManifestEntry) []ManifestEntry {
	var out []ManifestEntry
	for _, e := range entries {
		if e.Kind.IsMark() && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	SortManifest(out)
	return out
}

// ManifestEntry is one managed resource: a kind and a key. Entries of a
// kind this version does not know (written by a newer clusterctl) are
// kept when read, and ignored by the planner.
type ManifestEntry struct {
	Kind ManifestKind
	Key  string
}

// Manifest lists what h manages, sorted.
func Manifest(h *Host) []ManifestEntry {
	var out []ManifestEntry
	for _, f := range h.Files {
		out = append(out, ManifestEntry{ManifestFile, f.Path})
		if f.HideContent {
			out = append(out, ManifestEntry{ManifestSecretFile, f.Path})
		}
	}
	for _, a := range h.Addresses {
		out = append(out, ManifestEntry{ManifestAddress, a.Key()})
	}
	for _, s := range h.IPVS.Services {
		out = append(out, ManifestEntry{ManifestIPVS, s.Key.String()})
	}
	if len(h.NATRules) > 0 {
		out = append(out, ManifestEntry{ManifestNAT, NATChain})
	}
	if fw := h.Firewall; fw != nil {
		in, fwd := FirewallInputChain, FirewallForwardChain
		if fw.Backend == FirewallNFTables {
			in, fwd = fw.NFTTable+" "+NFTInputChain, fw.NFTTable+" "+NFTForwardChain
		}
		for _, c := range []struct {
			chain string
			rules []string
		}{{in, fw.Input}, {fwd, fw.Forward}} {
			if len(c.rules) > 0 {
				out = append(out, ManifestEntry{ManifestFirewall, c.chain})
			}
		}
		for _, r := range fw.RichRules {
			out = append(out, ManifestEntry{ManifestRichRule, r})
		}
	}
	for _, s := range h.Services {
		out = append(out, ManifestEntry{ManifestService, s.Name})
	}
	out = append(out, h.Marks...)
	SortManifest(out)
	return out
}

// SortManifest orders entries by kind, then key.
func SortManifest(entries []ManifestEntry) {
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Kind != entries[j].Kind {
			return entries[i].Kind < entries[j].Kind
		}
		return entries[i].Key < entries[j].Key
	})
}

// FormatManifest renders entries as the manifest file's content.
func FormatManifest(entries []ManifestEntry) []byte {
	var b bytes.Buffer
	b.WriteString("# Managed by clusterctl: what it manages on this host. Do not edit.\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "%s %s\n", e.Kind, e.Key)
	}
	return b.Bytes()
}

// ManifestError is a malformed manifest line.
type ManifestError struct {
	Line int // 1-based
	Text string
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("line %d: want KIND KEY, got %.80q", e.Line, e.Text)
}

// ParseManifest reads a manifest: "KIND KEY" lines, blank lines and #
// comments skipped. The file comes from a host and is not trusted: a
// malformed line is a *ManifestError, never skipped, because a manifest
// read wrong would make a plan delete or keep the wrong things. An empty
// manifest gives an empty, non-nil list.
func ParseManifest(data []byte) ([]ManifestEntry, error) {
	out := []ManifestEntry{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		kind, key, ok := strings.Cut(line, " ")
		key = strings.TrimSpace(key)
		if !ok || kind == "" || key == "" {
			return nil, &ManifestError{Line: i + 1, Text: line}
		}
		out = append(out, ManifestEntry{Kind: ManifestKind(kind), Key: key})
	}
	return out, nil
}
