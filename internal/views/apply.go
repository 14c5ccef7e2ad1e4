package views

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/plan"
)

// ApplyHuman is the apply pipeline's UI for people: the plan and the
// confirmation on Out, one progress line per finished step prefixed with
// its host, and the result. Unapplyable plans and errors go to Err.
type ApplyHuman struct {
	Out, Err io.Writer
	In       io.Reader
	Color    bool
	// Operation names a day-2 command run through the apply pipeline
	// ("Rollback", "Destroy"); "" is apply itself.
	Operation string
}

// verb is what the outcome calls the run: "Apply" or the operation.
func (v *ApplyHuman) verb() string {
	if v.Operation == "" {
		return "Apply"
	}
	return v.Operation
}

var _ pipeline.ApplyUI = (*ApplyHuman)(nil)

// ShowPlan implements pipeline.ApplyUI.
func (v *ApplyHuman) ShowPlan(p *plan.Plan) error {
	if v.Operation != "" && p.Empty() && len(p.Errors) == 0 {
		// "matches the configuration" would not be true of an operation.
		var b strings.Builder
		c := newPalette(v.Color)
		for _, h := range p.Hosts {
			writeNotes(&b, c, h)
		}
		fmt.Fprintf(&b, "%sNo changes.%s Nothing to %s.\n", c.bold+c.green, c.reset, strings.ToLower(v.Operation))
		_, err := io.WriteString(v.Out, b.String())
		return err
	}
	return PlanHuman(v.Out, p, v.Color)
}

// ShowUnapplyable implements pipeline.ApplyUI.
func (v *ApplyHuman) ShowUnapplyable(p *plan.Plan) error { return PlanHuman(v.Err, p, v.Color) }

// Confirm implements pipeline.ApplyUI: only "yes" approves.
func (v *ApplyHuman) Confirm(context.Context) (bool, error) {
	fmt.Fprint(v.Out, "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
	answer, _ := bufio.NewReader(v.In).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		fmt.Fprintf(v.Out, "\n%s cancelled.\n", v.verb())
		return false, nil
	}
	fmt.Fprintln(v.Out)
	return true, nil
}

// Report implements apply.Reporter.
func (v *ApplyHuman) Report(e apply.Event) {
	var line string
	switch e.Status {
	case apply.StatusStart:
		switch e.Step {
		case apply.StepApply:
			line = fmt.Sprintf("%s: applying (%s)\n", e.Host, e.Message)
		case apply.StepGate:
			line = fmt.Sprintf("%s: waiting for keepalived and the VIPs to settle...\n", e.Host)
		case apply.StepWave:
			line = fmt.Sprintf("%s\n", e.Message)
		}
	case apply.StatusDone:
		switch e.Step {
		case apply.StepApply:
			line = fmt.Sprintf("%s: done [%s]\n", e.Host, e.Elapsed.Round(time.Millisecond))
		case apply.StepGate:
			line = fmt.Sprintf("%s: %s [%s]\n", e.Host, e.Message, e.Elapsed.Round(time.Millisecond))
		case apply.StepWave:
			line = fmt.Sprintf("%s [%s]\n", e.Message, e.Elapsed.Round(time.Millisecond))
		default:
			line = fmt.Sprintf("%s: %s: %d change(s) [%s]\n", e.Host, e.Step, e.Count, e.Elapsed.Round(time.Millisecond))
		}
	case apply.StatusFailed:
		if e.Step == apply.StepWave {
			line = fmt.Sprintf("%s [%s]\n", e.Message, e.Elapsed.Round(time.Millisecond))
			break
		}
		line = fmt.Sprintf("%s: %s FAILED [%s]: %s\n", e.Host, e.Step, e.Elapsed.Round(time.Millisecond), e.Message)
	case apply.StatusInfo:
		line = fmt.Sprintf("%s: %s: %s\n", e.Host, e.Step, e.Message)
	}
	if line != "" {
		io.WriteString(v.Out, line)
	}
}

// Outcome prints how the apply ended: "Apply complete!" with the counts;
// the plan that remains when the cluster did not converge; or the error
// with which hosts were applied, which failed and which were not touched.
func (v *ApplyHuman) Outcome(out pipeline.ApplyOutcome, err error) {
	switch {
	case err == nil:
		s := out.Result.Summary
		fmt.Fprintf(v.Out, "\n%s complete! Resources: %d added, %d changed, %d destroyed.\n", v.verb(), s.Add, s.Change, s.Destroy)
	case errors.Is(err, pipeline.ErrNotConverged) && out.After != nil:
		what := "the configuration"
		if v.Operation != "" {
			what = "what " + strings.ToLower(v.Operation) + " planned"
		}
		fmt.Fprintf(v.Out, "\n%s finished, but the cluster still differs from %s:\n", v.verb(), what)
		_ = PlanHuman(v.Out, out.After, v.Color)
	case errors.Is(err, pipeline.ErrCancelled), errors.Is(err, pipeline.ErrUnapplyable):
		// Already said: "Apply cancelled." or the plan with its errors.
	default:
		res := out.Result
		fmt.Fprintf(v.Err, "\nError: %s\n", err)
		if len(res.Done) > 0 {
			fmt.Fprintf(v.Err, "  applied:     %s\n", strings.Join(res.Done, ", "))
		}
		if res.Failed != "" {
			fmt.Fprintf(v.Err, "  failed:      %s (its changes up to the failing step were made; run plan to see what remains)\n", res.Failed)
		}
		if len(res.NotStarted) > 0 {
			fmt.Fprintf(v.Err, "  not touched: %s\n", strings.Join(res.NotStarted, ", "))
		}
		if len(res.RolledBack) > 0 {
			state := "the cluster is as before"
			if !res.RollbackSettled {
				state = "the cluster did NOT settle afterwards: run clusterctl status"
			}
			fmt.Fprintf(v.Err, "  rolled back: %s (%s)\n", strings.Join(res.RolledBack, ", "), state)
		}
	}
}

// ApplyJSON is the apply pipeline's UI for programs: progress events and
// the result as JSON lines on W (documented in docs/apply.md). It shows
// no plan and asks nothing (the CLI sets -auto-approve with -json).
type ApplyJSON struct {
	W io.Writer
	// Err receives an unapplyable plan, for people.
	Err   io.Writer
	Color bool
}

var _ pipeline.ApplyUI = (*ApplyJSON)(nil)

// ShowPlan implements pipeline.ApplyUI: nothing.
func (v *ApplyJSON) ShowPlan(*plan.Plan) error { return nil }

// ShowUnapplyable implements pipeline.ApplyUI.
func (v *ApplyJSON) ShowUnapplyable(p *plan.Plan) error { return PlanHuman(v.Err, p, v.Color) }

// Confirm implements pipeline.ApplyUI; it is never asked.
func (v *ApplyJSON) Confirm(context.Context) (bool, error) {
	return false, errors.New("cannot ask for confirmation with -json")
}

// Report implements apply.Reporter: {"type":"progress", ...event}.
func (v *ApplyJSON) Report(e apply.Event) {
	v.line(struct {
		Type string `json:"type"`
		apply.Event
	}{"progress", e})
}

// Outcome prints the result line:
// {"type":"result","ok":…,"summary":…,"done":…,"failed":…,"not_started":…[,"error":…]}.
func (v *ApplyJSON) Outcome(out pipeline.ApplyOutcome, err error) {
	res := out.Result
	o := map[string]any{"type": "result", "ok": err == nil, "summary": res.Summary, "done": res.Done, "failed": res.Failed, "not_started": res.NotStarted}
	if len(res.RolledBack) > 0 {
		o["rolled_back"], o["rollback_settled"] = res.RolledBack, res.RollbackSettled
	}
	if err != nil {
		o["error"] = err.Error()
	}
	v.line(o)
}

func (v *ApplyJSON) line(x any) {
	b, err := json.Marshal(x)
	if err != nil {
		return // the values above always marshal
	}
	v.W.Write(append(b, '\n'))
}

// Unlocked reports force-unlock: the lock each host held, in host order,
// or that none was locked.
func Unlocked(w io.Writer, hosts []string, held map[string]string, err error) {
	for _, h := range hosts {
		if l, ok := held[h]; ok {
			fmt.Fprintf(w, "%s: removed lock (%s)\n", h, l)
		}
	}
	if len(held) == 0 && err == nil {
		fmt.Fprintln(w, "No host was locked.")
	}
}

// DrainProgress prints one look at a drained real server on each
// director (clusterctl drain --wait).
func DrainProgress(w io.Writer, key string, looks []pipeline.DrainProgress) {
	for _, p := range looks {
		line := fmt.Sprintf("%s: %s: %d active, %d inactive connections", p.Host, key, p.Active, p.Inactive)
		if p.Active+p.Inactive == 0 && p.Persists > 0 {
			line += fmt.Sprintf("; idle for %s of the %s persistence timeout", p.QuietFor.Round(time.Second), p.Persists)
		}
		fmt.Fprintln(w, line)
	}
}
