package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/views"
)

type planFlags struct {
	conn             connFlags
	maxDisruption    disruptionFlag
	Out              string
	JSON             bool
	DetailedExitCode bool
	Compact          bool
}

func (a *app) planCommand() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan [PATH]",
		Short: "Show what apply would change on every host",
		Long: `Gather the live state of every host over SSH (one connection and one remote
script per host, in parallel) and show, host by host in apply order, what
apply would change: packages, modules, sysctls, addresses, routes, files
(as unified diffs), iptables rules, IPVS services and real servers, and
services, with the reloads they cause. Secrets are masked.

Every change shows its disruption class (none, reload, vip-move,
vip-outage, restart, drops-connections; see docs/apply.md), each host and
the plan their worst. With --max-disruption CLASS, a plan above CLASS
exits 4 (after printing it), so a pipeline can apply only hitless changes.

Exit status: 0 success; 1 error; 4 above --max-disruption. With
-detailed-exitcode: 0 no changes, 1 error, 2 changes present.`,
		Example: `  clusterctl plan examples/lab-19.x/ha-nginx
  clusterctl plan -out cluster.plan
  clusterctl plan -json -detailed-exitcode
  clusterctl plan -compact
  clusterctl plan -target web1
  clusterctl plan --max-disruption reload`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(configPath(args))
			if err != nil {
				return err
			}
			c, err := a.openCluster(cfg, &f.conn, !f.JSON)
			if err != nil {
				return err
			}
			defer c.Close()
			p, err := c.Plan(cmd.Context(), nil)
			if err != nil {
				return err
			}
			if f.JSON {
				err = views.PlanMachine(a.out, p)
			} else if f.Compact {
				err = views.PlanCompact(a.out, p, a.color(a.out))
			} else {
				err = views.PlanHuman(a.out, p, a.color(a.out))
			}
			if err != nil {
				return err
			}
			if !p.Applyable() {
				return exitError{1}
			}
			if f.maxDisruption.class != nil {
				if err := pipeline.CheckDisruption(p, *f.maxDisruption.class); err != nil {
					fmt.Fprintf(a.errOut, "\nError: %s\n", err)
					return exitError{exitTooDisruptive}
				}
			}
			if f.Out != "" {
				p.ConfigPath = absPath(configPath(args))
				p.Origin = pipeline.PlanOrigin(c, labHere(f.conn.Lab))
				data, err := plan.Marshal(p)
				if err != nil {
					return err
				}
				if err := os.WriteFile(f.Out, data, 0o600); err != nil {
					return fmt.Errorf("save plan: %w", err)
				}
				if !f.JSON {
					views.PlanSaved(a.out, f.Out, p.Origin.Lab)
				}
			}
			if f.DetailedExitCode && !p.Empty() {
				return exitError{2}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	f.conn.register(fl, true)
	f.maxDisruption.register(fl)
	fl.StringVar(&f.Out, "out", "", "save the plan to FILE for a later apply")
	fl.BoolVar(&f.JSON, "json", false, "print the plan as JSON (see docs/plan.md)")
	fl.BoolVar(&f.DetailedExitCode, "detailed-exitcode", false, "exit 0 no changes, 1 error, 2 changes")
	fl.BoolVar(&f.Compact, "compact", false, "shorter output: created files in one line, a diff shown once for all hosts that share it")
	return cmd
}

// absPath makes a configuration path absolute for saved plans.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
