package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/engine"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/views"
)

type applyFlags struct {
	conn         connFlags
	AutoApprove  bool
	JSON         bool
	DrainTimeout time.Duration
	GateTimeout  time.Duration
}

func (a *app) applyCommand() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply [PATH | PLANFILE]",
		Short: "Make every host match the configuration",
		Long: `Lock the cluster, gather facts, show the plan and, after you answer "yes"
(or with -auto-approve), apply it: real servers first (in parallel), then
BACKUP directors one at a time, then the MASTER; after each director,
keepalived must be running and every VIP held by exactly one node before
the next host is touched. Within a host: packages, modules, sysctls,
addresses and routes, files (validated on the host before they replace the
old ones), iptables, IPVS (minimal edits, never a flush), services.

With a PLANFILE saved by "plan -out", apply executes exactly that plan and
refuses when the configuration or any host's live state changed since.

Ends with a fresh plan that must be empty: "Apply complete!".`,
		Example: `  clusterctl apply examples/lab-19.x/ha-nginx
  clusterctl plan -out cluster.plan && clusterctl apply cluster.plan
  clusterctl apply -auto-approve -drain-timeout 30s`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runApply(cmd.Context(), f, configPath(args))
		},
	}
	fl := cmd.Flags()
	f.conn.register(fl, true)
	fl.BoolVar(&f.AutoApprove, "auto-approve", false, "apply without asking for confirmation")
	fl.BoolVar(&f.JSON, "json", false, "stream progress and the result as JSON lines (implies -auto-approve)")
	fl.DurationVar(&f.DrainTimeout, "drain-timeout", 0, "drain a real server (weight 0) up to this long before removing it")
	fl.DurationVar(&f.GateTimeout, "gate-timeout", 30*time.Second, "how long a director may take to settle after its apply")
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

func (a *app) runApply(ctx context.Context, f applyFlags, path string) error {
	saved, isPlan, err := savedPlan(path)
	if err != nil {
		return err
	}
	if isPlan {
		if saved.ConfigPath == "" {
			return errors.New("the saved plan does not say which configuration it was made from")
		}
		path = saved.ConfigPath
	}
	cfg, err := a.loadConfig(path)
	if err != nil {
		return err
	}
	a.setSecrets(cfg)
	opts := f.conn.options(a)
	var reporter apply.Reporter = &apply.HumanReporter{W: a.streams.Out}
	if f.JSON {
		reporter = &apply.JSONReporter{W: a.streams.Out}
	} else {
		opts.Progress = a.streams.Err
	}
	if isPlan && len(saved.Targets) > 0 && len(opts.Targets) == 0 {
		opts.Targets = saved.Targets
	}
	s, err := engine.NewSession(cfg, opts)
	if err != nil {
		return err
	}
	defer s.Close()

	var salt []byte
	if isPlan {
		// The configuration check needs no host: do it before locking.
		if salt, err = hex.DecodeString(saved.ConfigSalt); err != nil || len(salt) == 0 {
			return errors.New("the saved plan has no valid config_salt")
		}
		if err := checkSavedConfig(s, saved, salt); err != nil {
			return err
		}
	}

	unlock, err := apply.Lock(ctx, s, apply.NewLockInfo(time.Now()))
	if err != nil {
		return err
	}
	defer func() {
		if err := unlock(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(a.streams.Err, "Warning: could not release the lock: %s\n", a.mask(err.Error()))
		}
	}()

	var p *plan.Plan
	var gathered map[string]engine.HostFacts
	if isPlan {
		p, gathered, err = s.PlanWithSalt(ctx, salt)
		if err != nil {
			return err
		}
	} else if p, gathered, err = s.Plan(ctx); err != nil {
		return err
	}
	if !p.Applyable() {
		_ = views.PlanHuman(a.streams.Err, p, a.color(a.streams.Err))
		return exitError{1}
	}
	if isPlan {
		if err := plan.CheckFresh(saved, p); err != nil {
			return err
		}
	}
	if !f.JSON {
		if err := views.PlanHuman(a.streams.Out, p, a.color(a.streams.Out)); err != nil {
			return err
		}
	}
	if p.Empty() {
		a.applyResult(f, apply.Result{}, nil)
		return nil
	}
	if !f.AutoApprove && !f.JSON && !isPlan {
		fmt.Fprint(a.streams.Out, "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
		answer, _ := bufio.NewReader(a.streams.In).ReadString('\n')
		if strings.TrimSpace(answer) != "yes" {
			fmt.Fprintln(a.streams.Out, "\nApply cancelled.")
			return exitError{1}
		}
	}
	if !f.JSON {
		fmt.Fprintln(a.streams.Out)
	}
	res, runErr := apply.Run(ctx, s, p, gathered, apply.Options{Reporter: reporter, DrainTimeout: f.DrainTimeout, GateTimeout: f.GateTimeout})
	if runErr != nil {
		a.applyResult(f, res, runErr)
		return exitError{1}
	}
	// Converged? A fresh plan must be empty.
	after, _, err := s.Plan(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	if !after.Empty() || !after.Applyable() {
		fmt.Fprintln(a.streams.Out, "\nApply finished, but the cluster still differs from the configuration:")
		_ = views.PlanHuman(a.streams.Out, after, a.color(a.streams.Out))
		return exitError{1}
	}
	a.applyResult(f, res, nil)
	return nil
}

func (a *app) applyResult(f applyFlags, res apply.Result, err error) {
	if f.JSON {
		out := map[string]any{"type": "result", "ok": err == nil, "summary": res.Summary, "done": res.Done, "failed": res.Failed, "not_started": res.NotStarted}
		if err != nil {
			out["error"] = a.mask(err.Error())
		}
		b, _ := json.Marshal(out)
		fmt.Fprintln(a.streams.Out, string(b))
		return
	}
	if err != nil {
		fmt.Fprintf(a.streams.Err, "\nError: %s\n", a.mask(err.Error()))
		if len(res.Done) > 0 {
			fmt.Fprintf(a.streams.Err, "  applied:     %s\n", strings.Join(res.Done, ", "))
		}
		if res.Failed != "" {
			fmt.Fprintf(a.streams.Err, "  failed:      %s (its changes up to the failing step were made; run plan to see what remains)\n", res.Failed)
		}
		if len(res.NotStarted) > 0 {
			fmt.Fprintf(a.streams.Err, "  not touched: %s\n", strings.Join(res.NotStarted, ", "))
		}
		return
	}
	fmt.Fprintf(a.streams.Out, "\nApply complete! Resources: %d added, %d changed, %d destroyed.\n", res.Summary.Add, res.Summary.Change, res.Summary.Destroy)
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
			a.setSecrets(cfg)
			if !f.Force {
				fmt.Fprint(a.streams.Out, "Remove the apply lock from every host? Only 'yes' will be accepted: ")
				answer, _ := bufio.NewReader(a.streams.In).ReadString('\n')
				if strings.TrimSpace(answer) != "yes" {
					fmt.Fprintln(a.streams.Out, "\nCancelled: no lock removed.")
					return exitError{1}
				}
			}
			s, err := engine.NewSession(cfg, f.conn.options(a))
			if err != nil {
				return err
			}
			defer s.Close()
			held, err := apply.ForceUnlock(cmd.Context(), s)
			for _, h := range s.Hosts() {
				if l, ok := held[h]; ok {
					fmt.Fprintf(a.streams.Out, "%s: removed lock (%s)\n", h, l)
				}
			}
			if len(held) == 0 && err == nil {
				fmt.Fprintln(a.streams.Out, "No host was locked.")
			}
			return err
		},
	}
	f.conn.register(cmd.Flags(), true)
	cmd.Flags().BoolVar(&f.Force, "force", false, "do not ask for confirmation")
	return cmd
}

// checkSavedConfig compares the saved plan's configuration digest with
// the configuration as loaded now (with this run's -var values).
func checkSavedConfig(s *engine.Session, saved *plan.Plan, salt []byte) error {
	desired := map[string]*resource.Host{}
	for _, h := range s.Hosts() {
		desired[h] = s.Desired[h]
	}
	digest, err := plan.ConfigDigest(desired, salt)
	if err != nil {
		return err
	}
	if digest != saved.ConfigDigest {
		return fmt.Errorf("%w: the configuration at %s, or a value given with -var, -var-file or CLUSTERCTL_VAR_*, differs from when the plan was made (variable values are not saved in plans: pass the same ones); run plan again", plan.ErrStalePlan, saved.ConfigPath)
	}
	return nil
}
