package pipeline

import (
	"context"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/status"
	"github.com/clusterctl/clusterctl/internal/verify"
)

// Status runs `clusterctl status`: gather every host's facts (one
// connection and one read-only script per host, in parallel) → build the
// report. It does not fail: hosts that could not be gathered are
// reported unreachable; the caller checks ctx for cancellation.
func Status(ctx context.Context, c *Cluster) status.Report {
	gathered := c.Gather(ctx)
	hostFacts := make(map[string]*facts.Host, len(gathered))
	errs := map[string]error{}
	for h, g := range gathered {
		if g.Err != nil {
			errs[h] = g.Err
			continue
		}
		hostFacts[h] = g.Facts
	}
	return status.BuildReport(c.Config, hostFacts, errs)
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
