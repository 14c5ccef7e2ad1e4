package cli

import (
	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/views"
)

type statusFlags struct {
	conn connFlags
	JSON bool
}

func (a *app) statusCommand() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status [PATH]",
		Short: "Show who holds each VIP, keepalived per node and the IPVS tables",
		Long: `Gather the live state of every host (one SSH connection and one read-only
remote script per host, in parallel) and show:

  - per VRRP instance, each member's role as observed and who holds each
    virtual IP: exactly one member is "ok", two or more is a "split-brain"
    (the holders are named), none is "down". A member holding a VIP on the
    instance's interface is MASTER; one running keepalived without it is
    BACKUP (keepalived's FAULT state looks the same from outside); one not
    running keepalived is DOWN; an unreachable one is UNKNOWN.
  - per virtual server and director, the IPVS service (scheduler,
    persistence) with each real server's forwarding method, weight and
    ActiveConn/InActConn counts, or why the table is unavailable (no
    ipvsadm, no IPVS in the kernel, module not loaded).
  - per host, whether it was reachable and the active/enabled state of
    keepalived and the services clusterctl manages there.

With -json the report is one JSON object (fields: healthy, problems,
warnings, vrrp_instances, virtual_servers, hosts; see internal/status).
Secrets are masked.

Exit status: 0 healthy; 1 error; 2 degraded (a split brain, a VIP that no
member holds, or an unreachable host).`,
		Example: `  clusterctl status examples/lab-19.x/ha-nginx
  clusterctl status -json | jq '.vrrp_instances[].vips'
  clusterctl status || echo "exit $?: degraded or failed"`,
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
			r := pipeline.Status(cmd.Context(), c)
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
			if !r.Healthy {
				return exitError{2}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	f.conn.register(fl, false)
	fl.BoolVar(&f.JSON, "json", false, "print the report as JSON")
	return cmd
}
