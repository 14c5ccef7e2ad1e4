package cli

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/status"
	"github.com/clusterctl/clusterctl/internal/views"
)

type statusFlags struct {
	conn     connFlags
	JSON     bool
	Watch    bool
	Interval time.Duration
	Count    int
}

func (a *app) statusCommand() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status [PATH]",
		Short: "Show keepalived's own view of every node, who holds each VIP and the IPVS tables",
		Long: `Gather the live state of every host (one SSH connection and one script per
host, in parallel) and judge the cluster's health. On every host that runs
keepalived, the script asks keepalived itself for its state: it signals it
to write its JSON and data dumps (keepalived --signum=JSON / DATA) and reads
them, with the VRRP password blanked on the host. Nothing clusterctl
manages is changed. It shows:

  - per VRRP instance, each member's state as keepalived holds it (MASTER,
    BACKUP, FAULT, INIT; STOP when keepalived is not running; UNKNOWN when
    it cannot be learned), its effective priority, when it last changed
    state, every tracked script and interface with keepalived's verdict,
    and who holds each virtual IP: exactly one member is "ok", two or more
    is a "split-brain", none is "down".
  - per virtual server and director, the IPVS service with each real
    server's weight, connection counts and traffic counters, and, where
    keepalived manages it, the health its checkers see.
  - per host, whether it was reachable, keepalived's pid and which dumps
    it answered, and the state of the services clusterctl manages.

Then the findings and one verdict (see docs/status.md for every rule):

  healthy   exit 0  nothing at all to report
  degraded  exit 2  still serving, redundancy lost or something to look
                    at (a member in FAULT or STOP, a failing tracked script,
                    a VIP away from its expected master, a real server
                    down, an unreachable host)
  broken    exit 3  not serving or not safely: a VIP no member holds, a
                    split brain, a MASTER without its VIPs, a virtual
                    service with no real server left

Exit status 1 means the command itself failed. With -json the report is
one JSON object (docs/status.md). -watch refreshes the report in place
every --interval until Ctrl-C (on a terminal; otherwise reports follow
one another) and exits with the last verdict's status. Secrets are masked.`,
		Example: `  clusterctl status examples/lab-19.x/ha-nginx
  clusterctl status --lab ccl examples/lab-19.x/ha-nginx -watch
  clusterctl status -json | jq '.vrrp_instances[].members[] | {host, state}'
  clusterctl status; case $? in 0) echo healthy;; 2) echo degraded;; 3) echo broken;; esac`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Interval < 200*time.Millisecond {
				return errors.New("--interval must be at least 200ms")
			}
			if f.Count < 0 {
				return errors.New("--count must not be negative")
			}
			cfg, err := a.loadConfig(configPath(args))
			if err != nil {
				return err
			}
			c, err := a.openCluster(cfg, &f.conn, false)
			if err != nil {
				return err
			}
			defer c.Close()
			if f.Watch {
				return a.statusWatch(cmd.Context(), c, &f)
			}
			r := pipeline.Status(cmd.Context(), c, time.Now)
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			if f.JSON {
				err = views.StatusJSON(a.out, r)
			} else {
				err = views.StatusHuman(a.out, r)
			}
			if err != nil {
				return err
			}
			return verdictExit(r)
		},
	}
	fl := cmd.Flags()
	f.conn.register(fl, false)
	// status changes nothing: the flag of how many hosts are changed at
	// once does not apply (facts are read --gather-parallelism at once).
	_ = fl.MarkHidden("parallelism")
	fl.BoolVar(&f.JSON, "json", false, "print the report as JSON (with -watch: one line per refresh)")
	fl.BoolVar(&f.Watch, "watch", false, "refresh the report in place every --interval until Ctrl-C")
	fl.DurationVar(&f.Interval, "interval", 2*time.Second, "time between refreshes with -watch")
	fl.IntVar(&f.Count, "count", 0, "with -watch, stop after this many reports (0: until Ctrl-C)")
	return cmd
}

// verdictExit turns a verdict into the command's exit.
func verdictExit(r status.Report) error {
	if r.ExitCode != 0 {
		return exitError{r.ExitCode}
	}
	return nil
}

// statusWatch gathers and prints the report every f.Interval until ctx
// ends (Ctrl-C) or f.Count reports were printed; it exits with the last
// report's verdict.
func (a *app) statusWatch(ctx context.Context, c *pipeline.Cluster, f *statusFlags) error {
	clear := false
	if o, ok := a.out.Underlying().(*os.File); ok && !f.JSON {
		clear = term.IsTerminal(int(o.Fd()))
	}
	var last *status.Report
	for n := 1; ; n++ {
		r := pipeline.Status(ctx, c, time.Now)
		if ctx.Err() != nil {
			break
		}
		last = &r
		var err error
		if f.JSON {
			err = views.StatusJSONLine(a.out, r)
		} else {
			err = views.StatusWatchFrame(a.out, r, f.Interval, clear)
		}
		if err != nil {
			return err
		}
		if f.Count > 0 && n >= f.Count {
			break
		}
		t := time.NewTimer(f.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	if last == nil {
		return ctx.Err()
	}
	return verdictExit(*last)
}
