package pipeline

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// Options configure a run against a cluster.
type Options struct {
	Remote remote.Options
	// Dial opens connections; remote.Dial when nil (tests pass fakes).
	Dial remote.DialFunc
	// OpenHost, when set, replaces the host operations over the
	// connections (tests pass typed fakes; see hostopstest).
	OpenHost func(ctx context.Context, host string) (hostops.Host, error)
	// Identity is the private key for hosts whose configuration names
	// none (-i); "" leaves it to ssh_config and the default keys.
	Identity string
	// Parallelism is how many hosts are changed at once;
	// remote.DefaultParallelism when 0.
	Parallelism int
	// GatherParallelism is how many hosts facts are gathered from at
	// once (read-only, a few ms of client CPU per host); Parallelism when 0.
	GatherParallelism int
	// Targets limits planning and applying to these hosts (-target); all
	// when empty. Locks and gates still cover the whole cluster.
	Targets []string
	// Gathered, when set, is told each host whose facts were gathered.
	Gathered func(host string, took time.Duration)
	// FoundSecrets, when set, is told the secrets a plan found on the
	// hosts that the configuration may not hold (an old auth_pass in a
	// live keepalived.conf), so that output masks them too.
	FoundSecrets func(secrets []string)
}

// Cluster is one run's view of a cluster. Nothing is dialled until an
// operation needs a host; Close closes every connection.
type Cluster struct {
	Config *config.Config
	// Desired is every host's desired state, targeted or not.
	Desired  map[string]*resource.Host
	Topology plan.Topology
	// Masker knows every secret of the configuration.
	Masker secret.Masker
	// KeepalivedUses are, per host, the features of its keepalived.conf
	// that need a minimum keepalived release (render.KeepalivedUses).
	KeepalivedUses map[string][]keepalived.Use

	opts Options
	pool *remote.Pool
}

// Open renders cfg and prepares a run. A -target that names no host is an
// error.
func Open(cfg *config.Config, opts Options) (*Cluster, error) {
	desired, uses, err := render.RenderWithUses(cfg)
	if err != nil {
		return nil, err
	}
	topo, err := plan.TopologyOf(cfg, opts.Targets)
	if err != nil {
		return nil, err
	}
	targets := map[string]remote.Target{}
	for name, h := range cfg.Hosts {
		t := Target(h)
		if t.IdentityFile == "" {
			t.IdentityFile = opts.Identity
		}
		targets[name] = t
	}
	return &Cluster{
		Config: cfg, Desired: desired, Topology: topo, KeepalivedUses: uses,
		Masker: secret.New(cfg.Secrets()...),
		opts:   opts, pool: remote.NewPool(targets, opts.Dial, opts.Remote),
	}, nil
}

// Target returns how to reach host h.
func Target(h *config.Host) remote.Target {
	return remote.Target{
		Name: h.Name, Address: h.Connection.Address, Port: h.Connection.Port, User: h.Connection.User,
		IdentityFile: h.Connection.IdentityFile, Sudo: h.Connection.Sudo, Bastion: h.Connection.Bastion,
	}
}

// Close closes every connection of the run.
func (c *Cluster) Close() error { return c.pool.Close() }

// Conn returns the run's connection to host (verify.Cluster).
func (c *Cluster) Conn(ctx context.Context, host string) (remote.Conn, error) {
	return c.pool.Conn(ctx, host)
}

// Open returns the operations of host over the run's connection to it
// (apply.Hosts).
func (c *Cluster) Open(ctx context.Context, host string) (hostops.Host, error) {
	if c.opts.OpenHost != nil {
		return c.opts.OpenHost(ctx, host)
	}
	conn, err := c.pool.Conn(ctx, host)
	if err != nil {
		return nil, err
	}
	return hostops.New(conn), nil
}

// Hosts returns the planned hosts (all, or the -target ones) in apply
// order.
func (c *Cluster) Hosts() []string {
	out := make([]string, len(c.Topology.Hosts))
	for i, st := range c.Topology.Hosts {
		out[i] = st.Host
	}
	return out
}

// AllHosts returns every host of the configuration in apply order,
// whatever -target selected: the apply lock covers the whole cluster.
func (c *Cluster) AllHosts() []string {
	steps := plan.Order(c.Config)
	out := make([]string, len(steps))
	for i, st := range steps {
		out[i] = st.Host
	}
	return out
}

// Parallelism is how many hosts are changed at once.
func (c *Cluster) Parallelism() int { return c.opts.Parallelism }

// Gathered is the outcome of gathering one host's facts.
type Gathered struct {
	Facts *facts.Host
	Err   error
	Took  time.Duration
}

// GatherParallelism is how many hosts facts are gathered from at once.
func (c *Cluster) GatherParallelism() int {
	if c.opts.GatherParallelism > 0 {
		return c.opts.GatherParallelism
	}
	return c.opts.Parallelism
}

// Gather collects the facts of every planned host in parallel, one
// connection and one remote script each. It does not fail: a host that
// could not be gathered has Err set.
func (c *Cluster) Gather(ctx context.Context) map[string]Gathered {
	return c.gather(ctx, c.FactsRequest)
}

// gather collects the facts of every planned host, asking each what req
// returns for it.
func (c *Cluster) gather(ctx context.Context, req func(host string) facts.Request) map[string]Gathered {
	hosts := c.Hosts()
	out := make([]Gathered, len(hosts))
	_ = remote.ForEach(ctx, hosts, c.GatherParallelism(), func(ctx context.Context, i int) error {
		start := time.Now()
		var f *facts.Host
		ops, err := c.Open(ctx, hosts[i])
		if err == nil {
			f, err = ops.Facts(ctx, req(hosts[i]))
		}
		out[i] = Gathered{Facts: f, Err: err, Took: time.Since(start)}
		if err == nil && c.opts.Gathered != nil {
			c.opts.Gathered(hosts[i], out[i].Took)
		}
		return err
	})
	m := make(map[string]Gathered, len(hosts))
	for i, h := range hosts {
		m[h] = out[i]
	}
	return m
}

// GatherHost collects one host's facts (verify.Cluster).
func (c *Cluster) GatherHost(ctx context.Context, host string) (*facts.Host, error) {
	ops, err := c.Open(ctx, host)
	if err != nil {
		return nil, err
	}
	return ops.Facts(ctx, c.FactsRequest(host))
}

// FactsRequest is what the plan needs to know of host.
func (c *Cluster) FactsRequest(host string) facts.Request {
	return facts.RequestFor(c.Desired[host])
}

// Plan gathers facts and builds the plan, with a fresh random salt for
// its configuration digest, or with salt when it is not nil (apply of a
// saved plan uses the saved plan's salt, so the digests compare).
func (c *Cluster) Plan(ctx context.Context, salt []byte) (*plan.Plan, error) {
	gathered := c.Gather(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Build(gathered, salt)
}

// Build builds the plan of the planned hosts from their gathered facts
// (a host missing from gathered is an error of the plan), with salt as
// Plan takes it.
func (c *Cluster) Build(gathered map[string]Gathered, salt []byte) (*plan.Plan, error) {
	if salt == nil {
		salt = make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
	}
	desired, err := c.markedDesired(gathered)
	if err != nil {
		return nil, err
	}
	inputs := map[string]plan.Input{}
	for _, h := range c.Hosts() {
		g, ok := gathered[h]
		if !ok {
			g.Err = errors.New("no facts gathered")
		}
		inputs[h] = withKeepalivedUses(inputOf(desired[h], g), c.KeepalivedUses[h])
	}
	p, err := c.build(c.Topology, inputs, salt)
	if err != nil {
		return nil, err
	}
	// The digest names the configuration, not the marks (they are the
	// hosts' state, covered by their fingerprints), so that a saved plan
	// is checked against the configuration alone.
	unmarked := map[string]*resource.Host{}
	for _, h := range c.Hosts() {
		unmarked[h] = c.Desired[h]
	}
	if p.ConfigDigest, err = plan.ConfigDigest(unmarked, salt); err != nil {
		return nil, err
	}
	return p, nil
}

// markedDesired is the configuration's state with the operator's marks
// (drain, failover) the hosts' manifests hold in force, and each host's
// keepalived.conf written for its installed keepalived release
// (render.RenderFor); c.Desired when there are no marks and no release
// is known.
func (c *Cluster) markedDesired(gathered map[string]Gathered) (map[string]*resource.Host, error) {
	marks := map[string][]resource.ManifestEntry{}
	env := map[string]render.HostEnv{}
	for h, g := range gathered {
		if g.Err == nil {
			if m := resource.Marks(g.Facts.Manifest); len(m) > 0 {
				marks[h] = m
			}
			e := render.HostEnv{Firewall: FirewallBackend(c.Config, h, g.Facts.Firewalld)}
			e.Keepalived, _ = keepalived.ParseVersion(g.Facts.KeepalivedVersion)
			if e != (render.HostEnv{}) {
				env[h] = e
			}
		}
	}
	if len(marks) == 0 && len(env) == 0 {
		return c.Desired, nil
	}
	return render.RenderEnv(c.Config, marks, env)
}

// FirewallBackend resolves host's firewall backend: the one the
// configuration names, or with "auto" firewalld where it answered the
// facts script and iptables otherwise; "" when clusterctl does not manage
// the host's firewall.
func FirewallBackend(cfg *config.Config, host string, firewalld bool) string {
	manage, backend := cfg.FirewallFor(host)
	switch {
	case !manage:
		return ""
	case backend != config.FirewallAuto:
		return backend
	case firewalld:
		return config.FirewallFirewalld
	}
	return config.FirewallIPTables
}

// withKeepalivedUses adds to in the features the host's keepalived.conf
// needs, for plan.Build to check against its keepalived release. Only
// plans of the configuration pass them: a day-2 operation's desired
// state (a rollback's old files) is not what the configuration renders.
func withKeepalivedUses(in plan.Input, uses []keepalived.Use) plan.Input {
	in.KeepalivedUses = uses
	return in
}

// inputOf is the planner's input for a host from its desired state and
// gathered facts.
func inputOf(desired *resource.Host, g Gathered) plan.Input {
	in := plan.Input{Desired: desired, Err: g.Err}
	if g.Err == nil {
		in.Observed = plan.FromFacts(g.Facts)
		in.Fingerprint = facts.Fingerprint(g.Facts)
	}
	return in
}

// build builds the plan from inputs and tells FoundSecrets what it found.
func (c *Cluster) build(topo plan.Topology, inputs map[string]plan.Input, salt []byte) (*plan.Plan, error) {
	p, err := plan.Build(topo, inputs, c.Masker, salt)
	if err != nil {
		return nil, err
	}
	p.Targets = c.opts.Targets
	if c.opts.FoundSecrets != nil {
		var found []string
		for _, hp := range p.Hosts {
			found = append(found, hp.Secrets...)
		}
		c.opts.FoundSecrets(found)
	}
	return p, nil
}
