package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/views"
)

type applyFlags struct {
	conn          connFlags
	maxDisruption disruptionFlag
	AutoApprove   bool
	JSON          bool
	DrainTimeout  time.Duration
	GateTimeout   time.Duration
	NoRollback    bool
}

func (a *app) applyCommand() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply [PATH | PLANFILE]",
		Short: "Make every host match the configuration",
		Long: `Gather facts and plan; when there is nothing to do, stop there (nothing is
locked). Otherwise lock the cluster, plan again under the lock, show the
plan and, after you answer "yes" (or with -auto-approve), apply it: real servers first (in parallel), then
BACKUP directors one at a time, then the MASTER; after each director,
keepalived must be running and every VIP held by exactly one node before
the next host is touched. Within a host: packages, modules, sysctls,
addresses and routes, files (validated on the host before they replace the
old ones), iptables, IPVS (minimal edits, never a flush), services.

With a PLANFILE saved by "plan -out", apply executes exactly that plan and
refuses when the configuration or any host's live state changed since.

When a director's gate fails (keepalived not running, a VIP held by no
member or by two, or not by the member the plan expects), apply restores
that director's previous files from the backups it keeps, reloads
keepalived, waits for the cluster to be as before, stops and reports what
it rolled back; --no-rollback leaves it as the gate found it.

With --max-disruption CLASS, a plan more disruptive than CLASS is refused
(exit status 4) before anything is changed.

Ends with a fresh plan that must be empty: "Apply complete!".`,
		Example: `  clusterctl apply examples/lab-19.x/ha-nginx
  clusterctl plan -out cluster.plan && clusterctl apply cluster.plan
  clusterctl apply -auto-approve -drain-timeout 30s
  clusterctl apply -auto-approve --max-disruption reload`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runApply(cmd, f, configPath(args))
		},
	}
	fl := cmd.Flags()
	f.conn.register(fl, true)
	f.maxDisruption.register(fl)
	fl.BoolVar(&f.AutoApprove, "auto-approve", false, "apply without asking for confirmation")
	fl.BoolVar(&f.JSON, "json", false, "stream progress and the result as JSON lines (implies -auto-approve)")
	fl.DurationVar(&f.DrainTimeout, "drain-timeout", 0, "drain a real server (weight 0) up to this long before removing it")
	fl.DurationVar(&f.GateTimeout, "gate-timeout", 30*time.Second, "how long a director may take to settle after its apply")
	fl.BoolVar(&f.NoRollback, "no-rollback", false, "leave a director whose gate failed as it is (by default its files are restored from the backups and keepalived reloaded)")
	return cmd
}

// savedPlan reads path as a saved plan when it is a file that is not HCL
// (a plan file is JSON: its first non-blank byte is '{'). isPlan is false
// for configurations; err says why a plan file cannot be used.
func savedPlan(path string) (p *plan.Plan, isPlan bool, err error) {
	st, err := os.Stat(path)
	if err != nil || st.IsDir() || strings.HasSuffix(path, config.Extension) {
		return nil, false, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, nil
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false, nil
	}
	p, err = plan.Load(bytes.NewReader(data))
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", path, err)
	}
	return p, true, nil
}

// applyUI is the apply pipeline's UI with the final outcome.
type applyUI interface {
	pipeline.ApplyUI
	Outcome(pipeline.ApplyOutcome, error)
}

func (a *app) runApply(cmd *cobra.Command, f applyFlags, path string) error {
	planPath := path
	saved, isPlan, err := savedPlan(path)
	if err != nil {
		return err
	}
	if isPlan {
		if saved.ConfigPath == "" {
			return errors.New("the saved plan does not say which configuration it was made from")
		}
		// Before anything is dialled: a plan made in a lab is applied in
		// that lab only.
		if err := saved.Origin.CheckLab(labHere(f.conn.Lab)); err != nil {
			return fmt.Errorf("%s: %w", planPath, err)
		}
		path = saved.ConfigPath
		if len(saved.Targets) > 0 && len(f.conn.Targets) == 0 {
			f.conn.Targets = saved.Targets
		}
	}
	cfg, err := a.loadConfig(path)
	if err != nil {
		return err
	}
	c, err := a.openCluster(cfg, &f.conn, !f.JSON)
	if err != nil {
		return err
	}
	defer c.Close()
	if isPlan {
		if err := pipeline.CheckOrigin(cmd.Context(), c, saved, labHere(f.conn.Lab)); err != nil {
			return fmt.Errorf("%s: %w", planPath, err)
		}
	}
	var ui applyUI = &views.ApplyHuman{Out: a.out, Err: a.errOut, In: a.streams.In, Color: a.color(a.out)}
	if f.JSON {
		ui = &views.ApplyJSON{W: a.out, Err: a.errOut, Color: a.color(a.errOut)}
	}
	req := pipeline.ApplyRequest{
		Saved:         saved,
		AutoApprove:   f.AutoApprove || f.JSON,
		MaxDisruption: f.maxDisruption.class,
		Apply:         apply.Options{DrainTimeout: f.DrainTimeout, GateTimeout: f.GateTimeout, NoRollback: f.NoRollback},
	}
	if a.clock != nil {
		req.Apply.Now, req.Apply.Sleep = a.clock.Now, a.clock.Sleep
	}
	out, err := pipeline.Apply(cmd.Context(), c, req, ui)
	if out.UnlockErr != nil {
		fmt.Fprintf(a.errOut, "Warning: could not release the lock: %s\n", out.UnlockErr)
	}
	switch {
	case err == nil:
		ui.Outcome(out, nil)
		return nil
	case errors.Is(err, pipeline.ErrTooDisruptive):
		ui.Outcome(out, err)
		return exitError{exitTooDisruptive}
	case out.Ran, errors.Is(err, pipeline.ErrCancelled), errors.Is(err, pipeline.ErrUnapplyable):
		ui.Outcome(out, err)
		return exitError{1}
	}
	return err
}

type unlockFlags struct {
	conn  connFlags
	Force bool
}

func (a *app) forceUnlockCommand() *cobra.Command {
	var f unlockFlags
	cmd := &cobra.Command{
		Use:   "force-unlock [PATH]",
		Short: "Remove a stale apply lock from every host",
		Long: `Remove the apply lock (` + resource.LockPath + `) from every host of the
cluster, whoever holds it. Use it only when the apply that took the lock is
dead (its holder, pid and start time are printed). Asks for confirmation
unless -force is given.`,
		Example: `  clusterctl force-unlock -force examples/lab-19.x/ha-nginx`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(configPath(args))
			if err != nil {
				return err
			}
			if !f.Force {
				fmt.Fprint(a.out, "Remove the apply lock from every host? Only 'yes' will be accepted: ")
				answer, _ := bufio.NewReader(a.streams.In).ReadString('\n')
				if strings.TrimSpace(answer) != "yes" {
					fmt.Fprintln(a.out, "\nCancelled: no lock removed.")
					return exitError{1}
				}
			}
			c, err := a.openCluster(cfg, &f.conn, false)
			if err != nil {
				return err
			}
			defer c.Close()
			held, err := pipeline.ForceUnlock(cmd.Context(), c)
			views.Unlocked(a.out, c.AllHosts(), held, err)
			return err
		},
	}
	f.conn.register(cmd.Flags(), true)
	cmd.Flags().BoolVar(&f.Force, "force", false, "do not ask for confirmation")
	return cmd
}
