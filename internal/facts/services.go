package facts

import (
	"fmt"
	"strings"
)

// interpretServices reads the services' states: from the blocks of the
// one `systemctl show` call, mapped in order to the services the header
// names, or, where show failed (no systemd running), from the per-service
// is-active and is-enabled the script then ran. Without systemctl every
// service is unknown.
func interpretServices(h *Host, hdr *section, cmds map[string]*command) error {
	if hdr == nil || len(hdr.args) == 0 {
		return nil
	}
	c := cmds["services"]
	if c == nil || c.missing {
		for _, name := range hdr.args {
			h.Services[name] = ServiceState{}
		}
		return nil
	}
	var blocks []map[string]string
	if c.rc == 0 {
		for _, block := range strings.Split(strings.TrimSpace(string(c.stdout)), "\n\n") {
			props := map[string]string{}
			for _, line := range strings.Split(block, "\n") {
				if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
					props[k] = v
				}
			}
			blocks = append(blocks, props)
		}
		if len(blocks) != len(hdr.args) {
			return &ParseError{Section: "cmd services", Msg: fmt.Sprintf("systemctl show printed %d blocks for %d services", len(blocks), len(hdr.args))}
		}
	}
	for i, name := range hdr.args {
		var st ServiceState
		if blocks != nil {
			st = ServiceState{Known: true, ActiveState: blocks[i]["ActiveState"], EnabledState: blocks[i]["UnitFileState"]}
			if blocks[i]["LoadState"] == "not-found" && st.EnabledState == "" {
				st.EnabledState = "not-found"
			}
		} else if a := cmds["svc-active:"+name]; a != nil && !a.missing {
			st = ServiceState{Known: true, ActiveState: firstLine(a.stdout)}
			if e := cmds["svc-enabled:"+name]; e != nil && !e.missing {
				st.EnabledState = firstLine(e.stdout)
			}
		}
		st.Active = st.ActiveState == "active"
		switch st.EnabledState {
		case "enabled", "enabled-runtime", "static", "alias", "generated":
			st.Enabled = true
		}
		h.Services[name] = st
	}
	return nil
}
