package status

import (
	"context"

	"github.com/clusterctl/clusterctl/internal/engine"
	"github.com/clusterctl/clusterctl/internal/facts"
)

// Collect gathers the facts of every host of s (one connection and one
// remote script per host, in parallel) and builds the report. It does not
// fail: hosts that could not be gathered are reported unreachable. The
// caller checks ctx for cancellation.
func Collect(ctx context.Context, s *engine.Session) Report {
	gathered := s.Gather(ctx)
	hostFacts := make(map[string]*facts.Host, len(gathered))
	errs := map[string]error{}
	for h, g := range gathered {
		if g.Err != nil {
			errs[h] = g.Err
			continue
		}
		hostFacts[h] = g.Facts
	}
	return BuildReport(s.Config, hostFacts, errs)
}
