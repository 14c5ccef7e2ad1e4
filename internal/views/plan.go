package views

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/hashicorp/hcl/v2"
)

// PlanHuman prints a plan the way Terraform does: per host in apply order,
// each change with its mark, file diffs, effects and notes, then a summary.
func PlanHuman(w io.Writer, p *plan.Plan, color bool) error {
	return planHuman(w, p, color, false)
}

// PlanCompact prints a plan as PlanHuman does, shorter: a created file is
// one line (its size, mode and owner, no content), and a file diff that
// is the same as one already shown for an earlier host is not repeated
// ("same diff as on web2").
func PlanCompact(w io.Writer, p *plan.Plan, color bool) error {
	return planHuman(w, p, color, true)
}

func planHuman(w io.Writer, p *plan.Plan, color, compact bool) error {
	c := newPalette(color)
	shown := map[string]string{} // "path\x00diff" → first host that showed it
	var b strings.Builder
	if len(p.Targets) > 0 {
		fmt.Fprintf(&b, "%sWarning:%s resource targeting is in effect: only %s planned.\n", c.yellow, c.reset, strings.Join(p.Targets, ", "))
		b.WriteString("  The plan may be incomplete; use -target for exceptional situations, not routine changes.\n\n")
	}
	if p.Empty() {
		for _, h := range p.Hosts {
			writeNotes(&b, c, h)
		}
		if len(p.Errors) == 0 {
			fmt.Fprintf(&b, "%sNo changes.%s The cluster matches the configuration.\n", c.bold+c.green, c.reset)
		}
	} else {
		b.WriteString("clusterctl will perform the following actions, host by host in apply order:\n")
		for _, h := range p.Hosts {
			if len(h.Changes) == 0 && len(h.Effects) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n%s# %s%s (%s)", c.bold, h.Host, c.reset, h.Role)
			if h.Disruption.Class > plan.DisruptionNone {
				fmt.Fprintf(&b, " — disruption: %s", disruptionWord(c, h.Disruption))
			}
			b.WriteString("\n")
			for _, ch := range h.Changes {
				if compact {
					ch = compactChange(ch, h.Host, shown)
				}
				writeChange(&b, c, ch)
				if ch.Impact.Class > plan.DisruptionReload || ch.Impact.Class > plan.DisruptionNone && ch.Impact.Reason != "" {
					fmt.Fprintf(&b, "      %sdisruption: %s%s\n", c.dim, ch.Impact, c.reset)
				}
			}
			for _, e := range h.Effects {
				together := ""
				if len(e.With) > 0 {
					together = " together with " + strings.Join(e.With, ", ")
				}
				fmt.Fprintf(&b, "  %s↻ service %s: %s%s%s (%s)\n", c.cyan, e.Service, e.Action, together, c.reset, e.Reason)
			}
			writeNotes(&b, c, h)
		}
		s := p.Summary()
		fmt.Fprintf(&b, "\n%sPlan:%s %d to add, %d to change, %d to destroy.\n", c.bold, c.reset, s.Add, s.Change, s.Destroy)
		worst := p.Disruption()
		fmt.Fprintf(&b, "%sDisruption:%s %s", c.bold, c.reset, disruptionWord(c, worst))
		if worst.Reason != "" {
			fmt.Fprintf(&b, " (%s)", worst.Reason)
		}
		b.WriteString(".\n")
		writeWaves(&b, c, p.Waves, p.DirectorsFirst)
	}
	if n := len(p.Errors); n > 0 {
		hosts := "hosts"
		if n == 1 {
			hosts = "host"
		}
		if p.Empty() && len(p.Hosts) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%sThis plan is incomplete:%s %d %s could not be planned (see below), and it cannot be applied.\n", c.red+c.bold, c.reset, n, hosts)
	}
	for _, e := range p.Errors {
		fmt.Fprintf(&b, "\n%sError:%s %s: %s\n", c.red+c.bold, c.reset, e.Host, e.Error)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeWaves prints the director rollout: which directors go at the same
// time (a step's hosts joined by "+" are reloaded or started together).
func writeWaves(b *strings.Builder, c palette, waves []plan.Wave, directorsFirst bool) {
	if len(waves) == 0 {
		return
	}
	n := "1 wave"
	if len(waves) > 1 {
		n = fmt.Sprintf("%d waves", len(waves))
	}
	when := "after"
	if directorsFirst {
		when = "before"
	}
	fmt.Fprintf(b, "%sRollout:%s the directors in %s %s the other hosts; the steps of a wave run at the same time, each gated:\n", c.bold, c.reset, n, when)
	for k, w := range waves {
		steps := make([]string, len(w.Steps))
		for i, s := range w.Steps {
			steps[i] = s.String()
		}
		fmt.Fprintf(b, "  wave %d: %s\n", k+1, strings.Join(steps, ", "))
	}
}

// disruptionWord is an impact's class, coloured by how bad it is, with
// its bound.
func disruptionWord(c palette, i plan.Impact) string {
	col := c.green
	switch {
	case i.Class >= plan.DisruptionVIPOutage:
		col = c.red
	case i.Class >= plan.DisruptionVIPMove:
		col = c.yellow
	}
	s := col + i.Class.String() + c.reset
	if i.Seconds > 0 {
		s += fmt.Sprintf(" (≤ %.1f s)", i.Seconds)
	}
	return s
}

func writeNotes(b *strings.Builder, c palette, h plan.HostPlan) {
	for _, n := range h.Notes {
		fmt.Fprintf(b, "  %snote (%s): %s%s\n", c.dim, h.Host, n, c.reset)
	}
}

func actionColor(c palette, a plan.Action) string {
	switch a {
	case plan.Create:
		return c.green
	case plan.Update:
		return c.yellow
	case plan.Delete:
		return c.red
	}
	return ""
}

func writeChange(b *strings.Builder, c palette, ch plan.Change) {
	col := actionColor(c, ch.Action)
	fmt.Fprintf(b, "  %s%-3s %s %s%s", col, ch.Action.Symbol(), ch.Kind, ch.Key, c.reset)
	switch {
	case ch.Kind == plan.KindFile:
		if ch.After != "" {
			fmt.Fprintf(b, " (%s)", ch.After)
		}
		if ch.Before != "" {
			fmt.Fprintf(b, " (%s)", ch.Before)
		}
		if ch.Detail != "" {
			fmt.Fprintf(b, " (%s)", ch.Detail)
		}
		b.WriteString("\n")
		if ch.Diff != "" {
			for _, line := range strings.SplitAfter(ch.Diff, "\n") {
				if line == "" {
					continue
				}
				lc := ""
				switch {
				case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
					lc = c.bold
				case strings.HasPrefix(line, "+"):
					lc = c.green
				case strings.HasPrefix(line, "-"):
					lc = c.red
				case strings.HasPrefix(line, "@@"):
					lc = c.cyan
				}
				fmt.Fprintf(b, "      %s%s%s\n", lc, strings.TrimSuffix(line, "\n"), c.reset)
			}
		}
	case ch.Before != "" && ch.After != "" && !strings.Contains(ch.Before+ch.After, "\n"):
		fmt.Fprintf(b, ": %s → %s\n", ch.Before, ch.After)
	case strings.Contains(ch.Before+ch.After, "\n"):
		b.WriteString("\n")
		for _, l := range splitNonEmpty(ch.Before) {
			fmt.Fprintf(b, "      %s- %s%s\n", c.red, l, c.reset)
		}
		for _, l := range splitNonEmpty(ch.After) {
			fmt.Fprintf(b, "      %s+ %s%s\n", c.green, l, c.reset)
		}
	case ch.After != "":
		fmt.Fprintf(b, ": %s\n", ch.After)
	case ch.Before != "":
		fmt.Fprintf(b, ": %s\n", ch.Before)
	default:
		b.WriteString("\n")
	}
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// PlanJSON is the machine-readable plan (documented in docs/plan.md).
type PlanJSON struct {
	*plan.Plan
	Summary plan.Summary `json:"summary"`
	// Disruption is the worst impact of the plan's changes.
	Disruption plan.Impact `json:"disruption"`
	Empty      bool        `json:"no_changes"`
	// Applyable is false when some host could not be planned (errors).
	Applyable bool `json:"applyable"`
}

// PlanMachine prints the plan as one JSON document.
func PlanMachine(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(PlanJSON{Plan: p, Summary: p.Summary(), Disruption: p.Disruption(), Empty: p.Empty(), Applyable: p.Applyable()})
}

// GatherProgress returns a callback that prints one line per host whose
// facts were gathered: "web1: facts gathered [212ms]".
func GatherProgress(w io.Writer) func(host string, took time.Duration) {
	return func(host string, took time.Duration) {
		fmt.Fprintf(w, "%s: facts gathered [%s]\n", host, took.Round(time.Millisecond))
	}
}

// PlanSaved tells how to apply a saved plan; lab is the --lab the plan was
// made with ("" for none).
func PlanSaved(w io.Writer, file, lab string) {
	if lab != "" {
		lab = "--lab " + lab + " "
	}
	fmt.Fprintf(w, "\nSaved the plan to %s. To apply exactly these changes, run:\n  clusterctl apply %s%s\n", file, lab, file)
}

// Diagnostics prints configuration diagnostics with file:line:column and
// a source snippet from files (whose secrets the loader has blanked).
func Diagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, color bool) {
	if len(diags) == 0 {
		return
	}
	_ = hcl.NewDiagnosticTextWriter(w, files, 78, color).WriteDiagnostics(diags)
}
