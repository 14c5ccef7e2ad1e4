package facts

import (
	"strings"

	"github.com/clusterctl/clusterctl/internal/ipvs"
)

// interpretIPVS classifies IPVS availability and reads the table. Kernel
// support is judged first (nothing can be fixed by installing a package
// there), then the ipvsadm command, then the module being loaded.
func interpretIPVS(h *Host, cmds map[string]*command, hdr *section) error {
	if hdr == nil {
		h.IPVSStatus = Status{State: StatusError, Message: "no ipvs section"}
		return nil
	}
	flags := map[string]string{}
	for _, a := range hdr.args {
		k, v, _ := strings.Cut(a, "=")
		flags[k] = v
	}
	switch {
	case flags["proc"] != "1" && flags["moddir"] != "1":
		h.IPVSStatus = Status{State: StatusNoKernelSupport, Message: "no /proc/net/ip_vs and no ip_vs module"}
		return nil
	case flags["ipvsadm"] != "1":
		h.IPVSStatus = Status{State: StatusNotInstalled, Message: "ipvsadm not found"}
		return nil
	case flags["proc"] != "1":
		h.IPVSStatus = Status{State: StatusNotLoaded, Message: "ip_vs module not loaded"}
		return nil
	}
	c := cmds["ipvsadm-save"]
	switch {
	case c == nil || c.missing:
		h.IPVSStatus = Status{State: StatusNotInstalled, Message: "ipvsadm not found"}
		return nil
	case c.rc != 0:
		msg := strings.TrimSpace(string(c.stderr))
		state := StatusError
		if strings.Contains(msg, "Can't initialize ipvs") || strings.Contains(msg, "Protocol not available") {
			state = StatusNoKernelSupport
		}
		if len(msg) > 80 {
			msg = msg[:80] + "..."
		}
		h.IPVSStatus = Status{State: state, Message: msg}
		return nil
	}
	t, err := ipvs.ParseSave(c.stdout)
	if err != nil {
		return &ParseError{Section: "cmd ipvsadm-save", Msg: err.Error()}
	}
	// ipvsadm-save leaves out the destinations' thresholds and the
	// timeouts; two listings give them.
	if c := cmds["ipvsadm-thresholds"]; c != nil && !c.missing && c.rc == 0 {
		th, err := ipvs.ParseThresholds(c.stdout)
		if err != nil {
			return &ParseError{Section: "cmd ipvsadm-thresholds", Msg: err.Error()}
		}
		t.SetThresholds(th)
	}
	if c := cmds["ipvsadm-timeout"]; c != nil && !c.missing && c.rc == 0 {
		to, err := ipvs.ParseTimeouts(c.stdout)
		if err != nil {
			return &ParseError{Section: "cmd ipvsadm-timeout", Msg: err.Error()}
		}
		t.Timeouts = to
	}
	h.IPVS = t
	h.IPVSStatus = Status{State: StatusOK}
	var list []byte
	for _, name := range []string{"ipvsadm-list", "ipvsadm-stats"} {
		if c := cmds[name]; c != nil && !c.missing && c.rc == 0 {
			list = append(list, c.stdout...)
		}
	}
	if st, err := ipvs.ParseList(list); err != nil {
		h.IPVSStatsError = err.Error()
	} else {
		h.IPVSStats = st
	}
	return nil
}
