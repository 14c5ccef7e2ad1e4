package cli

import (
	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/verify"
	"github.com/clusterctl/clusterctl/internal/views"
)

type verifyFlags struct {
	conn         connFlags
	JSON         bool
	Client       string
	SkipFailover bool
	Requests     int
}

func (a *app) verifyCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify [PATH]",
		Short: "Run the lab's failover and load-balancing tests against the cluster",
		Long: `Run the lab's tests against the live cluster, printing each step with its
result, timing and findings:

  0. precondition: every VIP held by exactly one member (the highest
     priority one unless nopreempt) and keepalived running on every member.
     When it fails, nothing is stopped.
  1. for each health_check with process and restart = true tracked by an
     instance: stop the service on the MASTER; the check must start it
     again within 3 × interval + 5 s while the VIPs stay on the MASTER.
  2. stop keepalived on the MASTER: the next-priority BACKUP must hold
     every VIP, alone, within 3 × advert_int + 3 s (a graceful stop takes
     about 1 s). The time taken is reported.
  3. start keepalived on the MASTER: the VIPs must return within
     3 × advert_int + 8 s + preempt_delay (about 4 s); with nopreempt they
     must stay on the BACKUP for that long (and are left there).
  4. for each virtual server: send -requests requests, each on a new TCP
     connection, to its address and check that every real server with a
     weight answered (told apart by response body, or else by the
     directors' IPVS connection counters); with persistence, that all went
     to one real server. Skipped when no director's kernel has IPVS. For
     a cluster without virtual servers, each VIP is requested on port 80
     when the instance's members serve nginx (a tracked health_check or a
     host service named nginx).

Everything stopped is started again, even when a step fails or verify is
interrupted (Ctrl-C). Use --skip-failover to run only step 4, which stops
nothing (suitable for production).

-client says where requests come from: "local" (this process; in a
clusterctl lab, verify runs inside the lab) or a host of the configuration
(curl runs there). With -json, each step is a JSON line
{"type":"step","name","status","duration_seconds","details"} and the last
line is {"type":"summary","result","passed","failed","skipped",
"duration_seconds"}. Secrets are masked.

Exit status: 0 every step passed or was skipped; 1 a step failed or an
error occurred.`,
		Example: `  clusterctl verify examples/lab-19.x/ha-nginx
  clusterctl verify --skip-failover -client rs1 examples/lab-19.x/lvs-nat
  clusterctl verify -json -requests 20`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(configPath(args))
			if err != nil {
				return err
			}
			c, err := a.openCluster(cfg, &f.conn, false)
			if err != nil {
				return err
			}
			defer c.Close()
			var rep interface {
				verify.Reporter
				Finish(verify.Result)
			}
			if f.JSON {
				rep = &views.VerifyJSON{W: a.out}
			} else {
				rep = &views.VerifyHuman{W: a.out}
			}
			opts := verify.Options{Client: f.Client, SkipFailover: f.SkipFailover, Requests: f.Requests}
			res, err := pipeline.Verify(cmd.Context(), c, opts, rep)
			if len(res.Steps) > 0 {
				rep.Finish(res)
			}
			if err != nil {
				return err
			}
			if res.Failed() {
				return exitError{1}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	f.conn.register(fl, false)
	fl.BoolVar(&f.JSON, "json", false, "print each step and the summary as JSON lines")
	fl.StringVar(&f.Client, "client", verify.ClientLocal, `where requests come from: "local" or a host name of the configuration`)
	fl.BoolVar(&f.SkipFailover, "skip-failover", false, "run only the traffic test: stop nothing")
	fl.IntVar(&f.Requests, "requests", 10, "requests per virtual server or VIP")
	return cmd
}
