package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/graph"
	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/status"
)

type graphFlags struct {
	conn   connFlags
	Format string
	Out    string
	Live   bool
}

func (a *app) graphCommand() *cobra.Command {
	var f graphFlags
	cmd := &cobra.Command{
		Use:   "graph [PATH]",
		Short: "Draw the cluster's topology (terminal, DOT or SVG), optionally live",
		Long: `Draw the topology of the configuration: VRRP instances with their VIPs and
members (with priorities), virtual services with their directors, address,
forwarding mode and scheduler, and their real servers with weights.

  --format text  a compact drawing for the terminal (default)
  --format dot   Graphviz DOT (render with: dot -Tpng)
  --format svg   a standalone SVG, laid out by clusterctl (no Graphviz needed)

Offline by default: nothing is dialled. With --live, clusterctl gathers
the cluster's state as status does (keepalived's own view on every node)
and overlays it: each member's state, who holds the VIPs, which real
servers can take traffic (in a director's table with a weight above 0 and
not failed by keepalived's checker).`,
		Example: `  clusterctl graph examples/lab-19.x/ha-lvs
  clusterctl graph examples/lab-19.x/lvs-nat --format svg -o lvs-nat.svg
  clusterctl graph --lab ccl examples/lab-19.x/ha-nginx --live`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var draw func(graph.Graph) string
			switch f.Format {
			case "text":
				draw = graph.Text
			case "dot":
				draw = graph.DOT
			case "svg":
				draw = graph.SVG
			default:
				return fmt.Errorf("--format %q: want text, dot or svg", f.Format)
			}
			cfg, err := a.loadConfig(configPath(args))
			if err != nil {
				return err
			}
			var report *status.Report
			if f.Live {
				c, err := a.openCluster(cfg, &f.conn, false)
				if err != nil {
					return err
				}
				defer c.Close()
				r := pipeline.Status(cmd.Context(), c, time.Now)
				if err := cmd.Context().Err(); err != nil {
					return err
				}
				report = &r
			}
			out := draw(graph.Build(cfg, report))
			if f.Out != "" {
				if err := os.WriteFile(f.Out, []byte(out), 0o644); err != nil {
					return fmt.Errorf("write %s: %w", f.Out, err)
				}
				return nil
			}
			_, err = a.out.Write([]byte(out))
			return err
		},
	}
	fl := cmd.Flags()
	f.conn.register(fl, false)
	_ = fl.MarkHidden("parallelism")
	fl.StringVar(&f.Format, "format", "text", "text, dot or svg")
	fl.StringVarP(&f.Out, "output", "o", "", "write the drawing to FILE instead of standard output")
	fl.BoolVar(&f.Live, "live", false, "overlay the live state (gathers facts over SSH, as status does)")
	return cmd
}
