package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/views"
)

// opFlags are the flags of the day-2 commands that change hosts through
// the apply pipeline (rollback, destroy, drain, undrain, failover).
type opFlags struct {
	conn          connFlags
	maxDisruption disruptionFlag
	Config        string
	AutoApprove   bool
	GateTimeout   time.Duration
	NoRollback    bool
}

// register adds the flags; withConfig adds --config (for commands whose
// arguments are names, not the configuration's path).
func (f *opFlags) register(fs *pflag.FlagSet, withTarget, withConfig bool) {
	f.conn.register(fs, withTarget)
	f.maxDisruption.register(fs)
	if withConfig {
		fs.StringVarP(&f.Config, "config", "c", ".", "the configuration (a directory of .hcl files, or one file)")
	}
	fs.BoolVar(&f.AutoApprove, "auto-approve", false, "do it without asking for confirmation")
	fs.DurationVar(&f.GateTimeout, "gate-timeout", 30*time.Second, "how long a director may take to settle after its change")
	fs.BoolVar(&f.NoRollback, "no-rollback", false, "leave a director whose gate failed as it is (by default its files are restored and keepalived reloaded)")
}

// runOperation loads the configuration at path, plans op on the targeted
// hosts, shows the plan, asks, rolls it out with apply's order and gates
// and checks that the hosts converged; verb names it in the outcome
// ("Rollback").
func (a *app) runOperation(cmd *cobra.Command, f *opFlags, path, verb string, op func(c *pipeline.Cluster) (*pipeline.Operation, error)) error {
	cfg, err := a.loadConfig(path)
	if err != nil {
		return err
	}
	c, err := a.openCluster(cfg, &f.conn, true)
	if err != nil {
		return err
	}
	defer c.Close()
	o, err := op(c)
	if err != nil {
		return err
	}
	ui := &views.ApplyHuman{Out: a.out, Err: a.errOut, In: a.streams.In, Color: a.color(a.out), Operation: verb}
	req := pipeline.ApplyRequest{
		AutoApprove:   f.AutoApprove,
		MaxDisruption: f.maxDisruption.class,
		Apply:         apply.Options{GateTimeout: f.GateTimeout, NoRollback: f.NoRollback},
		Operation:     o,
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

func (a *app) rollbackCommand() *cobra.Command {
	var f opFlags
	var all bool
	var generation string
	cmd := &cobra.Command{
		Use:   "rollback (HOST... | --all)",
		Short: "Restore the files the last apply replaced, from the backups on the hosts",
		Long: `Every apply keeps the previous version of each file it replaces or removes,
and the manifest it found, under /var/lib/clusterctl/backup with one suffix
per apply (its start time, UTC): a generation. rollback restores, on each
named host, the newest generation (or --generation SUFFIX): the files it
kept go back, files that apply created are removed, services it started
are stopped, and keepalived is reloaded where its configuration changes.

It runs like apply: it locks the cluster, shows a plan of what it would
change (file diffs included) and asks; then it goes host by host in
apply's order (real servers, BACKUP directors, the MASTER), with members
of a VRRP instance whose adverts change reloaded together, and a gate
after each director (keepalived running, each VIP held by exactly one
member, the highest-priority member as the restored files say). A failed
gate puts that director back as it was.

Addresses, NAT rules, IPVS tables and sysctls are not changed: rollback
restores files (and their effects). The configuration is not changed
either, so the next plan shows the way back to it. A rollback is itself
an apply with its own generation: rolling back twice returns to where you
were.`,
		Example: `  clusterctl rollback -c examples/lab-19.x/ha-nginx web1 web2
  clusterctl rollback -c examples/lab-19.x/ha-nginx --all -auto-approve
  clusterctl rollback -c . web2 --generation 20261201T081500Z`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return errors.New("name the hosts to roll back, or pass --all")
			}
			f.conn.Targets = args
			return a.runOperation(cmd, &f, f.Config, "Rollback", func(*pipeline.Cluster) (*pipeline.Operation, error) {
				return pipeline.Rollback(generation), nil
			})
		},
	}
	f.register(cmd.Flags(), false, true)
	cmd.Flags().BoolVar(&all, "all", false, "roll back every host of the configuration")
	cmd.Flags().StringVar(&generation, "generation", "", "roll back to this generation (a backup suffix such as 20261201T081500Z) instead of the newest")
	return cmd
}

func (a *app) destroyCommand() *cobra.Command {
	var f opFlags
	cmd := &cobra.Command{
		Use:   "destroy [PATH]",
		Short: "Remove everything clusterctl installed and manages from the hosts",
		Long: `Remove what clusterctl manages on every host (or the -target ones), as each
host's manifest (/var/lib/clusterctl/manifest) lists it: keepalived and
the other services it enabled are stopped and disabled, its files
(keepalived.conf, check scripts, the sysctl.d and modules-load.d drop-ins,
the persisted IPVS and NAT rules, the restore unit) are removed, the IPVS
services and the NAT chain it created are deleted, the addresses it added
(a DR or TUN real server's VIP) are removed, and the manifest last.
Nothing clusterctl did not create is touched.

Like apply, it locks the cluster, shows the plan and asks for "yes"
(the VIPs are no longer served afterwards). Directors go first, BACKUPs
before the MASTER, so traffic stops at the directors before the real
servers lose what serves it; then the real servers.

Packages, loaded kernel modules, runtime sysctls and routes are left as
they are. Every removed file is kept under /var/lib/clusterctl/backup, so
"clusterctl rollback HOST" brings a destroyed host back.

A host deleted from the configuration can no longer be reached by name:
destroy it (-target HOST) before deleting its block (docs/operations.md).`,
		Example: `  clusterctl destroy examples/lab-19.x/ha-nginx
  clusterctl destroy -target rs2 -auto-approve examples/lab-19.x/lvs-nat`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runOperation(cmd, &f, configPath(args), "Destroy", func(*pipeline.Cluster) (*pipeline.Operation, error) {
				return pipeline.Destroy(), nil
			})
		},
	}
	f.register(cmd.Flags(), true, false)
	return cmd
}
