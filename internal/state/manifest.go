package state

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// ManifestPath is where apply records, on each host, what clusterctl
// manages there, so that a later plan can delete what the configuration
// no longer asks for without touching anything clusterctl never created.
const ManifestPath = "/var/lib/clusterctl/manifest"

// Manifest entry kinds.
const (
	ManifestFile    = "file"    // key: absolute path
	ManifestAddress = "address" // key: "DEV PREFIX"
	ManifestIPVS    = "ipvs"    // key: ServiceKey.String(), e.g. "-t 192.168.47.128:80"
	ManifestNAT     = "nat"     // key: chain name
	ManifestService = "service" // key: service name
)

// ManifestEntry is one managed resource: a kind and a key.
type ManifestEntry struct {
	Kind string
	Key  string
}

// Manifest lists what h manages, sorted.
func Manifest(h *Host) []ManifestEntry {
	var out []ManifestEntry
	for _, f := range h.Files {
		out = append(out, ManifestEntry{ManifestFile, f.Path})
	}
	for _, a := range h.Addresses {
		out = append(out, ManifestEntry{ManifestAddress, a.Dev + " " + a.Prefix.String()})
	}
	for _, s := range h.IPVS.Services {
		out = append(out, ManifestEntry{ManifestIPVS, s.Key.String()})
	}
	if len(h.NATRules) > 0 {
		out = append(out, ManifestEntry{ManifestNAT, NATChain})
	}
	for _, s := range h.Services {
		out = append(out, ManifestEntry{ManifestService, s.Name})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Key < out[j].Key
	})
	return out
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

// ParseManifest reads a manifest; unknown kinds and malformed lines are
// skipped (the file is read from a host and not trusted).
func ParseManifest(data []byte) []ManifestEntry {
	var out []ManifestEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, key, ok := strings.Cut(line, " ")
		if !ok || key == "" {
			continue
		}
		switch kind {
		case ManifestFile, ManifestAddress, ManifestIPVS, ManifestNAT, ManifestService:
			out = append(out, ManifestEntry{kind, strings.TrimSpace(key)})
		}
	}
	return out
}
