package pipeline

import (
	"context"
	"time"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/status"
	"github.com/clusterctl/clusterctl/internal/verify"
)

// Status runs `clusterctl status`: gather every host's facts, with
// keepalived's own view where the configuration runs keepalived (one
// connection and one script per host, in parallel; the script changes
// nothing clusterctl manages, but signals keepalived to write its state
// dumps) → build the report. It does not fail: hosts that could not be
// gathered are reported unreachable; the caller checks ctx for
// cancellation. now stamps the report.
func Status(ctx context.Context, c *Cluster, now func() time.Time) status.Report {
	hosts := c.Hosts()
	got := make([]*facts.Host, len(hosts))
	gotErr := make([]error, len(hosts))
	par := c.opts.GatherParallelism
	if par <= 0 {
		par = c.opts.Parallelism
	}
	at := now()
	_ = remote.ForEach(ctx, hosts, par, func(ctx context.Context, i int) error {
		ops, err := c.Open(ctx, hosts[i])
		if err == nil {
			req := facts.RequestFor(c.Desired[hosts[i]])
			if kr := status.KeepalivedRequest(c.Config, hosts[i]); kr.VRRP || kr.Checker {
				req.Keepalived = kr
			}
			got[i], err = ops.Facts(ctx, req)
		}
		gotErr[i] = err
		return err
	})
	hostFacts := make(map[string]*facts.Host, len(hosts))
	errs := map[string]error{}
	for i, h := range hosts {
		if gotErr[i] != nil {
			errs[h] = gotErr[i]
			continue
		}
		hostFacts[h] = got[i]
	}
	return status.BuildReport(c.Config, hostFacts, errs, at)
}

// Verify runs `clusterctl verify`: the lab's failover and traffic tests
// (package verify), over the run's connections.
func Verify(ctx context.Context, c *Cluster, opts verify.Options, rep verify.Reporter) (verify.Result, error) {
	return verify.Run(ctx, c.Config, c, opts, rep)
}

// ForceUnlock runs `clusterctl force-unlock`: remove the apply lock on
// every host of the cluster, whoever holds it; it returns what each held.
func ForceUnlock(ctx context.Context, c *Cluster) (map[string]string, error) {
	return apply.ForceUnlock(ctx, c.AllHosts(), c, c.Parallelism())
}
