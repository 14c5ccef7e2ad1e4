package adopt

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Check loads the configuration written at dir with the live values of
// its variables, renders it, and compares every host's rendered files
// with what was read from it: keepalived's configuration must be the
// same (keepalived.Same), every adopted file the same bytes and mode.
// It returns a finding for each difference, and a Change finding for
// each file the first plan will add (clusterctl's own scripts,
// persistence files). A configuration that does not load is a Lost
// finding with the loader's diagnostics.
func Check(dir string, hosts []*Host, values map[string]string) []Finding {
	var vars []string
	for _, k := range slices.Sorted(maps.Keys(values)) {
		vars = append(vars, k+"="+values[k])
	}
	cfg, diags := config.NewLoader().Load(dir, config.LoadOptions{Vars: vars})
	if diags.HasErrors() {
		var msgs []string
		for _, d := range diags.Errs() {
			msgs = append(msgs, d.Error())
		}
		return []Finding{{Level: Lost, Msg: "the imported configuration does not validate: " + strings.Join(msgs, "; ")}}
	}
	desired, err := render.Render(cfg)
	if err != nil {
		return []Finding{{Level: Lost, Msg: "the imported configuration does not render: " + err.Error()}}
	}
	var out []Finding
	for _, h := range hosts {
		d := desired[h.Name]
		if d == nil {
			continue
		}
		for _, f := range d.Files {
			out = append(out, checkFile(h, f)...)
		}
		if h.ConfPath != "" && h.ConfPath != resource.KeepalivedConfPath {
			out = append(out, Finding{Level: Change, Host: h.Name, Pos: h.ConfPath,
				Msg: fmt.Sprintf("keepalived reads %s here; clusterctl writes %s: point keepalived at it before applying", h.ConfPath, resource.KeepalivedConfPath)})
		}
	}
	return out
}

func checkFile(h *Host, f resource.File) []Finding {
	if f.Path == resource.KeepalivedConfPath && h.ConfPath != "" {
		live, err := keepalived.Load(h.Files, h.ConfPath)
		if err != nil {
			return nil // reported by Build
		}
		rendered, err := keepalived.Parse(f.Path, f.Content)
		if err != nil {
			return []Finding{{Level: Lost, Host: h.Name, Pos: f.Path, Msg: "the rendered keepalived.conf does not parse: " + err.Error()}}
		}
		var out []Finding
		if same, diff := keepalived.Same(live.Nodes, rendered, 20); !same {
			out = append(out, Finding{Level: Lost, Host: h.Name, Pos: h.ConfPath,
				Msg: "the rendered keepalived.conf is not the same configuration (- live only, + rendered only): " + maskAuth(strings.Join(diff, " | "))})
		}
		if m, ok := h.Meta[h.ConfPath]; ok && m.Mode != f.Mode {
			out = append(out, Finding{Level: Change, Host: h.Name, Pos: h.ConfPath, Msg: fmt.Sprintf("the first plan changes keepalived.conf's mode %04o → %04o", m.Mode, f.Mode)})
		}
		return out
	}
	live, ok := h.Files[f.Path]
	if !ok {
		return []Finding{{Level: Change, Host: h.Name, Pos: f.Path, Msg: fmt.Sprintf("the first plan adds %s (clusterctl's own file)", f.Path)}}
	}
	var out []Finding
	if !bytes.Equal(live, f.Content) {
		out = append(out, Finding{Level: Lost, Host: h.Name, Pos: f.Path, Msg: "the rendered content differs from the host's"})
	}
	if m, ok := h.Meta[f.Path]; ok && m.Mode != f.Mode {
		out = append(out, Finding{Level: Change, Host: h.Name, Pos: f.Path, Msg: fmt.Sprintf("the first plan changes its mode %04o → %04o", m.Mode, f.Mode)})
	}
	return out
}

// maskAuth hides auth_pass values in canonical lines.
func maskAuth(s string) string {
	words := strings.Fields(s)
	for i := 1; i < len(words); i++ {
		if words[i-1] == "auth_pass" {
			words[i] = "(sensitive)"
		}
	}
	return strings.Join(words, " ")
}
