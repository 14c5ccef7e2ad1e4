package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
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
// op makes the operation from the configuration (and may set the
// targets); after, when set, runs once the operation succeeded.
func (a *app) runOperation(cmd *cobra.Command, f *opFlags, path, verb string, op func(cfg *config.Config) (*pipeline.Operation, error), after func(c *pipeline.Cluster) error) error {
	cfg, err := a.loadConfig(path)
	if err != nil {
		return err
	}
	o, err := op(cfg)
	if err != nil {
		return err
	}
	c, err := a.openCluster(cfg, &f.conn, true)
	if err != nil {
		return err
	}
	defer c.Close()
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
		if after != nil {
			return after(c)
		}
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
			return a.runOperation(cmd, &f, f.Config, "Rollback", func(*config.Config) (*pipeline.Operation, error) {
				return pipeline.Rollback(generation), nil
			}, nil)
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
			return a.runOperation(cmd, &f, configPath(args), "Destroy", func(*config.Config) (*pipeline.Operation, error) {
				return pipeline.Destroy(), nil
			}, nil)
		},
	}
	f.register(cmd.Flags(), true, false)
	return cmd
}

func (a *app) drainCommand(drain bool) *cobra.Command {
	var f opFlags
	var wait bool
	var timeout time.Duration
	use, short, verb := "drain HOST|RS", "Take a real server out of service: weight 0 on every director that carries it", "Drain"
	long := `Set the real server's weight to 0 on every director whose virtual servers
include it — in keepalived.conf where keepalived manages the table, in the
IPVS table (and its persisted rules) where clusterctl does — so it gets no
new connections while the established ones finish. Name a host that is a
real server, or a real server's address.

The drain is recorded in each director's manifest ("drain NAME"): every
later plan shows it as a note on those directors, JSON lists it in the
host's "marks", and apply keeps the weight at 0 until "clusterctl undrain".

It runs like apply: lock, plan, confirm ("yes" or -auto-approve), the
directors in apply's order with a gate after each (a keepalived reload
keeps the VRRP state). With --wait it then polls the directors every
second until the real server has no active or inactive connection and,
where the virtual server has persistence, none for its persistence
timeout (its templates have then expired), printing the counts; after
--timeout it stops with exit status 1 (the real server stays drained).`
	if !drain {
		use, short, verb = "undrain HOST|RS", "Put a drained real server back: its configured weight on every director", "Undrain"
		long = `Remove the drain mark "clusterctl drain" left on every director that carries
the real server and give it its configured weight again, through the same
lock, plan, confirmation and gated rollout as apply.`
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Example: `  clusterctl drain -c examples/lab-19.x/ha-lvs rs1 --wait --timeout 5m
  clusterctl undrain -c examples/lab-19.x/ha-lvs rs1 -auto-approve
  clusterctl drain -c examples/lab-19.x/lvs-nat 192.168.19.103 -auto-approve`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var key string
			var directors []string
			var vss []*config.VirtualServer
			var after func(c *pipeline.Cluster) error
			if drain && wait {
				after = func(c *pipeline.Cluster) error {
					now, sleep := time.Now, func(ctx context.Context, d time.Duration) { sleepCtx(ctx, d) }
					if a.clock != nil {
						now, sleep = a.clock.Now, a.clock.Sleep
					}
					fmt.Fprintf(a.out, "\nWaiting up to %s for %s to have no connections...\n", timeout, key)
					err := pipeline.WaitDrained(cmd.Context(), c, key, directors, vss, timeout, now, sleep, func(looks []pipeline.DrainProgress) {
						views.DrainProgress(a.out, key, looks)
					})
					if err != nil {
						return err
					}
					fmt.Fprintf(a.out, "%s is drained: no connection left on %s.\n", key, strings.Join(directors, ", "))
					return nil
				}
			}
			return a.runOperation(cmd, &f, f.Config, verb, func(cfg *config.Config) (*pipeline.Operation, error) {
				var err error
				key, directors, vss, err = pipeline.DrainTarget(cfg, args[0])
				if err != nil {
					return nil, err
				}
				f.conn.Targets = directors
				return pipeline.Drain(cfg, key, drain), nil
			}, after)
		},
	}
	f.register(cmd.Flags(), false, true)
	if drain {
		cmd.Flags().BoolVar(&wait, "wait", false, "then wait until the real server has no connection left (and its persistence templates expired)")
		cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long --wait waits")
	}
	return cmd
}

func (a *app) failoverCommand() *cobra.Command {
	var f opFlags
	var to string
	var release bool
	cmd := &cobra.Command{
		Use:   "failover INSTANCE [--to HOST | --release]",
		Short: "Move a VRRP instance's VIPs to another member on purpose, or give them back",
		Long: `Move the VIPs of a VRRP instance to another member (--to, by default the
member of highest priority after the configured master) by raising that
member's priority in its keepalived.conf one above its peers' and
reloading its keepalived: a graceful handover (vip-move), like a priority
change in the configuration.

The failover is recorded in that member's manifest ("failover INSTANCE"):
every later plan shows it as a note, JSON lists it in the host's "marks",
and apply keeps the raised priority, so an apply during maintenance does
not move the VIPs back. "clusterctl failover INSTANCE --release" removes
the mark and the configured master takes the VIPs back.

It runs like apply: lock, plan, confirmation ("yes" or -auto-approve), and
a gate that waits until the VIPs are on the member the files make highest.
Instances with nopreempt or preempt_delay are refused: a higher priority
does not take their VIPs over.`,
		Example: `  clusterctl failover -c examples/lab-19.x/ha-nginx VI_1 --to web2
  clusterctl failover -c examples/lab-19.x/ha-nginx VI_1 --release -auto-approve`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if release && to != "" {
				return errors.New("--to and --release exclude each other")
			}
			verb := "Failover"
			return a.runOperation(cmd, &f, f.Config, verb, func(cfg *config.Config) (*pipeline.Operation, error) {
				target, members, err := pipeline.FailoverTarget(cfg, args[0], to)
				if err != nil {
					return nil, err
				}
				f.conn.Targets = members
				if release {
					target = ""
				}
				return pipeline.Failover(cfg, args[0], target), nil
			}, nil)
		},
	}
	f.register(cmd.Flags(), false, true)
	cmd.Flags().StringVar(&to, "to", "", "the member to move the VIPs to")
	cmd.Flags().BoolVar(&release, "release", false, "undo a failover: the configured priorities again")
	return cmd
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
