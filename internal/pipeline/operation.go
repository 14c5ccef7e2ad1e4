package pipeline

import (
	"context"
	"crypto/rand"
	"maps"
	"slices"
	"sync"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// Operation is a day-2 command (rollback, destroy, drain, failover) run
// through the apply pipeline. Instead of the configuration's rendered
// state, each planned host is brought to a state the operation derives
// from the configuration and the host's live state; the pipeline then
// locks, plans, shows, confirms, rolls out with apply's order and gates,
// and converges exactly as apply does. The derived states are fixed by
// the first plan: the converging plan compares the hosts with them, not
// with what the operation would derive from the changed hosts.
type Operation struct {
	// Name is the command ("rollback"), for messages.
	Name string
	// Prepare, when set, runs once per planned host before facts are
	// gathered (in parallel) and returns files to gather besides the
	// configuration's (a rollback's backups).
	Prepare func(ctx context.Context, host string, ops hostops.Host) ([]string, error)
	// Desired derives a host's state from the configuration's (rendered)
	// and the host's live state; notes are shown with the host's plan.
	// An error makes the host a plan error (nothing is changed).
	Desired func(host string, rendered *resource.Host, observed *plan.Observed) (desired *resource.Host, notes []string, err error)
	// GateOnFiles gates on the VRRP instances the derived keepalived.conf
	// files describe (plan.InstancesOf) instead of the configuration's:
	// for operations that write keepalived.conf themselves.
	GateOnFiles bool
	// DirectorsFirst rolls the directors out before the real servers
	// (destroy: traffic stops at the directors before the real servers
	// lose what serves it).
	DirectorsFirst bool
}

// opState is an operation's state within one apply pipeline.
type opState struct {
	op      *Operation
	extra   map[string][]string
	desired map[string]*resource.Host
	notes   map[string][]string
	errs    map[string]error
}

// prepare runs the operation's Prepare on every planned host.
func (c *Cluster) prepare(ctx context.Context, op *Operation) *opState {
	st := &opState{op: op, extra: map[string][]string{}, errs: map[string]error{}}
	if op.Prepare == nil {
		return st
	}
	hosts := c.Hosts()
	var mu sync.Mutex
	_ = remote.ForEach(ctx, hosts, c.opts.GatherParallelism+c.opts.Parallelism, func(ctx context.Context, i int) error {
		ops, err := c.Open(ctx, hosts[i])
		var files []string
		if err == nil {
			files, err = op.Prepare(ctx, hosts[i], ops)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			st.errs[hosts[i]] = err
		}
		st.extra[hosts[i]] = files
		return err
	})
	return st
}

// planOperation gathers facts (with the operation's extra files) and
// plans the operation; the first call derives and fixes each host's
// state, later calls (the converging plan) reuse it.
func (c *Cluster) planOperation(ctx context.Context, st *opState, salt []byte) (*plan.Plan, error) {
	if salt == nil {
		salt = make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
	}
	gathered := c.gather(ctx, func(host string) facts.Request {
		req := facts.RequestFor(c.Desired[host])
		if st.desired != nil && st.desired[host] != nil {
			more := facts.RequestFor(st.desired[host])
			req.Services = appendNew(req.Services, more.Services...)
			req.Files = appendNew(req.Files, more.Files...)
		}
		req.Files = appendNew(req.Files, st.extra[host]...)
		return req
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	first := st.desired == nil
	if first {
		st.desired, st.notes = map[string]*resource.Host{}, map[string][]string{}
	}
	marked, err := c.markedDesired(gathered)
	if err != nil {
		return nil, err
	}
	inputs := map[string]plan.Input{}
	for _, h := range c.Hosts() {
		g := gathered[h]
		if g.Err == nil && st.errs[h] != nil {
			g.Err = st.errs[h]
		}
		if first && g.Err == nil {
			d, notes, err := st.op.Desired(h, marked[h], plan.FromFacts(g.Facts))
			if err != nil {
				g.Err = err
			} else {
				st.desired[h], st.notes[h] = d, notes
			}
		}
		desired := st.desired[h]
		if desired == nil {
			desired = marked[h]
		}
		inputs[h] = inputOf(desired, g)
	}
	topo := c.Topology
	if st.op.GateOnFiles {
		all := maps.Clone(c.Desired)
		for h, d := range st.desired {
			all[h] = d
		}
		topo.Instances = plan.InstancesOf(all)
		topo = plan.OrderByInstances(topo)
	}
	p, err := c.build(topo, inputs, salt)
	if err != nil {
		return nil, err
	}
	p.DirectorsFirst = st.op.DirectorsFirst
	for i := range p.Hosts {
		hp := &p.Hosts[i]
		hp.Notes = append(slices.Clone(st.notes[hp.Host]), hp.Notes...)
	}
	return p, nil
}

func appendNew(list []string, add ...string) []string {
	for _, s := range add {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}
