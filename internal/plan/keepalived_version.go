package plan

import (
	"fmt"

	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// configTestSince is the first keepalived release with a configuration
// test (keepalived -t, --config-test). Older releases exit 0 on the
// unknown option without reading the file, so apply's check of a new
// keepalived.conf before the swap checks nothing there.
var configTestSince = keepalived.V(2, 0, 4)

// checkKeepalivedVersion compares the features the host's desired
// keepalived.conf needs (uses) with the host's keepalived release. It
// returns one blocker per feature the release lacks, and notes when the
// release is not known (nothing was checked) or has no configuration
// test.
//
// When keepalived is not installed, apply installs the distribution's
// package, whose version the facts do not hold: the features are then
// not checked, and the plan says so; keepalived -t on the host still
// checks the file before it is swapped in.
func checkKeepalivedVersion(desired *resource.Host, observed *Observed, uses []keepalived.Use) (blockers, notes []string) {
	if !writesKeepalivedConf(desired) {
		return nil, nil
	}
	raw := ""
	if observed != nil {
		raw = observed.KeepalivedVersion
	}
	if raw == "" {
		if len(uses) > 0 {
			notes = append(notes, "keepalived is not installed: the keepalived.conf features that need a minimum keepalived release were not checked against the release apply will install (keepalived -t checks the file on the host before it is swapped in)")
		}
		return nil, notes
	}
	v, ok := keepalived.ParseVersion(raw)
	if !ok {
		return nil, []string{fmt.Sprintf("keepalived version %q is not understood: the keepalived.conf features that need a minimum keepalived release were not checked", raw)}
	}
	for _, u := range keepalived.Unsupported(v, uses) {
		blockers = append(blockers, u.Describe(v)+"; upgrade keepalived or remove the setting")
	}
	if v.Less(configTestSince) {
		notes = append(notes, fmt.Sprintf("keepalived %s has no configuration test (keepalived -t came in %s): apply cannot check the new keepalived.conf on this host before swapping it in", v, configTestSince))
	}
	return blockers, notes
}

// writesKeepalivedConf reports whether the host's desired state holds a
// keepalived configuration.
func writesKeepalivedConf(h *resource.Host) bool {
	if h == nil {
		return false
	}
	for _, f := range h.Files {
		if f.Validate == resource.ValidateKeepalived {
			return true
		}
	}
	return false
}
