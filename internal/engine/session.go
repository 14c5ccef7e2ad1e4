package engine

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

// DialFunc opens a connection to a host; remote.Dial in production, a
// fake in tests.
type DialFunc func(ctx context.Context, t remote.Target, o remote.Options) (remote.Conn, error)

// Options configure a Session.
type Options struct {
	Remote      remote.Options
	Parallelism int // hosts changed at once; remote.DefaultParallelism when 0
	// GatherParallelism is how many hosts facts are gathered from at
	// once (read-only, ~6 ms of client CPU per host); Parallelism when 0.
	GatherParallelism int
	Targets           []string // limit to these hosts (-target); all when empty
	Dial              DialFunc // remote.Dial when nil
	// Identity is the private key for hosts whose configuration names
	// none (-i); "" leaves it to ssh_config and the default keys.
	Identity string
	// Progress receives one line per step per host; nil discards.
	Progress io.Writer
}

// Session is one run of clusterctl against a cluster.
type Session struct {
	Config  *config.Config
	Desired map[string]*resource.Host
	Steps   []plan.Step // hosts in apply order, filtered by Targets
	Masker  secret.Masker
	opts    Options

	mu    sync.Mutex
	conns map[string]remote.Conn
	log   sync.Mutex
}

// NewSession renders cfg and prepares a session. Nothing is dialled yet.
func NewSession(cfg *config.Config, opts Options) (*Session, error) {
	desired, err := render.Render(cfg)
	if err != nil {
		return nil, err
	}
	if opts.Dial == nil {
		opts.Dial = remote.Dial
	}
	s := &Session{Config: cfg, Desired: desired, Masker: MaskerFor(cfg), opts: opts, conns: map[string]remote.Conn{}}
	steps := plan.Order(cfg)
	if len(opts.Targets) > 0 {
		want := map[string]bool{}
		for _, t := range opts.Targets {
			if _, ok := cfg.Hosts[t]; !ok {
				return nil, fmt.Errorf("-target %s: no such host in the configuration", t)
			}
			want[t] = true
		}
		var kept []plan.Step
		for _, st := range steps {
			if want[st.Host] {
				kept = append(kept, st)
			}
		}
		steps = kept
	}
	s.Steps = steps
	return s, nil
}

// MaskerFor returns a masker for every secret of cfg: sensitive variables
// and VRRP passwords.
func MaskerFor(cfg *config.Config) secret.Masker {
	secrets := append([]string{}, cfg.SensitiveValues...)
	for _, v := range cfg.VRRPInstances {
		secrets = append(secrets, v.AuthPass)
	}
	return secret.New(secrets...)
}

// Parallelism is the number of hosts worked on at once.
func (s *Session) Parallelism() int { return s.opts.Parallelism }

// ClusterHosts returns every host of the configuration in apply order,
// whatever -target selected: the apply lock covers the whole cluster, so
// that two applies targeting different hosts cannot run at once.
func (s *Session) ClusterHosts() []string {
	steps := plan.Order(s.Config)
	out := make([]string, len(steps))
	for i, st := range steps {
		out[i] = st.Host
	}
	return out
}

// Hosts returns the session's host names in apply order.
func (s *Session) Hosts() []string {
	out := make([]string, len(s.Steps))
	for i, st := range s.Steps {
		out[i] = st.Host
	}
	return out
}

// Progressf prints one progress line prefixed with the host name.
func (s *Session) Progressf(host, format string, args ...any) {
	if s.opts.Progress == nil {
		return
	}
	s.log.Lock()
	defer s.log.Unlock()
	fmt.Fprintf(s.opts.Progress, "%s: %s\n", host, s.Masker.String(fmt.Sprintf(format, args...)))
}

// Target returns how to reach host.
func Target(h *config.Host) remote.Target {
	return remote.Target{
		Name: h.Name, Address: h.Connection.Address, Port: h.Connection.Port, User: h.Connection.User,
		IdentityFile: h.Connection.IdentityFile, Sudo: h.Connection.Sudo, Bastion: h.Connection.Bastion,
	}
}

// Conn returns the session's connection to host, dialling it once.
func (s *Session) Conn(ctx context.Context, host string) (remote.Conn, error) {
	s.mu.Lock()
	c, ok := s.conns[host]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	h, ok := s.Config.Hosts[host]
	if !ok {
		return nil, fmt.Errorf("no host %s", host)
	}
	t := Target(h)
	if t.IdentityFile == "" {
		t.IdentityFile = s.opts.Identity
	}
	c, err := s.opts.Dial(ctx, t, s.opts.Remote)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.conns[host]; ok {
		c.Close()
		return prev, nil
	}
	s.conns[host] = c
	return c, nil
}

// Close closes every connection.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.conns {
		c.Close()
		delete(s.conns, h)
	}
	return nil
}

// HostFacts is the result of gathering one host.
type HostFacts struct {
	Facts *facts.Host
	Err   error
	Took  time.Duration
}

// Gather collects the facts of every session host in parallel, one SSH
// connection and one remote script each.
func (s *Session) Gather(ctx context.Context) map[string]HostFacts {
	hosts := s.Hosts()
	out := make([]HostFacts, len(hosts))
	par := s.opts.GatherParallelism
	if par <= 0 {
		par = s.opts.Parallelism
	}
	_ = remote.ForEach(ctx, hosts, par, func(ctx context.Context, i int) error {
		start := time.Now()
		f, err := s.GatherHost(ctx, hosts[i])
		out[i] = HostFacts{Facts: f, Err: err, Took: time.Since(start)}
		if err == nil {
			s.Progressf(hosts[i], "facts gathered [%s]", out[i].Took.Round(time.Millisecond))
		}
		return err
	})
	m := make(map[string]HostFacts, len(hosts))
	for i, h := range hosts {
		m[h] = out[i]
	}
	return m
}

// GatherHost collects one host's facts.
func (s *Session) GatherHost(ctx context.Context, host string) (*facts.Host, error) {
	conn, err := s.Conn(ctx, host)
	if err != nil {
		return nil, err
	}
	token, err := facts.NewToken()
	if err != nil {
		return nil, err
	}
	script, err := facts.Script(Request(s.Desired[host]), token)
	if err != nil {
		return nil, err
	}
	res, err := conn.Run(ctx, remote.Cmd{Command: "sh -s", Stdin: []byte(script), Sudo: true})
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("gather facts: script exited %d: %s", res.ExitCode, firstLine(res.Stderr))
	}
	f, err := facts.Parse(res.Stdout, token)
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	return f, nil
}

func firstLine(b []byte) string {
	for i, c := range b {
		if c == '\n' {
			return string(b[:i])
		}
	}
	return string(b)
}

// Plan gathers facts and builds the plan. The facts are returned too, so
// apply can work from the same observation.
func (s *Session) Plan(ctx context.Context) (*plan.Plan, map[string]HostFacts, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, err
	}
	return s.PlanWithSalt(ctx, salt)
}

// PlanWithSalt is Plan with a given configuration digest salt: apply of a
// saved plan uses the saved plan's salt, so the digests compare.
func (s *Session) PlanWithSalt(ctx context.Context, salt []byte) (*plan.Plan, map[string]HostFacts, error) {
	gathered := s.Gather(ctx)
	if err := ctx.Err(); err != nil {
		return nil, gathered, err
	}
	inputs := map[string]plan.Input{}
	for _, h := range s.Hosts() {
		g := gathered[h]
		in := plan.Input{Desired: s.Desired[h], Err: g.Err}
		if g.Err == nil {
			in.Observed = Observed(g.Facts)
			in.Fingerprint = facts.Fingerprint(g.Facts)
		}
		inputs[h] = in
	}
	p, err := plan.Build(s.Steps, inputs, s.Masker, salt)
	if err != nil {
		return nil, gathered, err
	}
	p.Targets = s.opts.Targets
	return p, gathered, nil
}
