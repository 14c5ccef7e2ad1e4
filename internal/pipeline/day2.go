package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Rollback is `clusterctl rollback`: each planned host goes back to the
// files of its newest generation of backups (or the one named suffix),
// as plan.RollbackDesired says.
func Rollback(suffix string) *Operation {
	var mu sync.Mutex
	gens := map[string]plan.Generation{}
	return &Operation{
		Name: "rollback",
		Prepare: func(ctx context.Context, host string, ops hostops.Host) ([]string, error) {
			backups, err := ops.Backups(ctx)
			if err != nil {
				return nil, err
			}
			g, ok := plan.Pick(plan.Generations(backups), suffix)
			switch {
			case !ok && suffix != "":
				return nil, fmt.Errorf("no generation %s in %s", suffix, resource.BackupDir)
			case !ok:
				return nil, fmt.Errorf("nothing to roll back: no backups in %s", resource.BackupDir)
			}
			mu.Lock()
			gens[host] = g
			mu.Unlock()
			return g.BackupFiles(), nil
		},
		Desired: func(host string, rendered *resource.Host, observed *plan.Observed) (*resource.Host, []string, error) {
			mu.Lock()
			g := gens[host]
			mu.Unlock()
			return plan.RollbackDesired(rendered, observed, g)
		},
		GateOnFiles: true,
	}
}

// Destroy is `clusterctl destroy`: each planned host is brought to
// plan.DestroyDesired, directors first.
func Destroy() *Operation {
	return &Operation{
		Name: "destroy",
		Desired: func(host string, _ *resource.Host, _ *plan.Observed) (*resource.Host, []string, error) {
			return plan.DestroyDesired(host), nil, nil
		},
		GateOnFiles:    true,
		DirectorsFirst: true,
	}
}
