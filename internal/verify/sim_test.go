package verify

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/remote"
)

// sim is a stateful fake of a keepalived pair (and any other hosts): each
// host is a remote.Fake whose handlers keep the sim's state, so stopping
// keepalived on the holder moves the VIP to the best running member, like
// keepalived's priority-0 advert does.
type sim struct {
	mu    sync.Mutex
	inst  *config.VRRPInstance
	fakes map[string]*remote.Fake
	addr  map[string]string // host → its own address
	// keepalived and nginx are each host's running processes.
	keepalived map[string]bool
	nginx      map[string]int
	// holders hold the instance's VIP.
	holders []string
	// moveOnStop: stopping keepalived on a holder hands the VIP over
	// (false: it never moves, as when the backup does not hear it).
	moveOnStop bool
	// nginxRestartAfter is how many probes after `systemctl stop nginx`
	// the health check starts nginx again; 0 never.
	nginxRestartAfter int
	nginxPending      map[string]int
	// onCommand, when set, is called with each command before it runs
	// (without the check of its outcome hostops adds).
	onCommand func(host, cmd string)
	// bodies answer curl: called with the request count so far.
	bodies   func(n int) string
	requests int
	// facts answer GatherHost.
	facts func(host string, requests int) (*facts.Host, error)
}

func newSim(inst *config.VRRPInstance, hosts map[string]string) *sim {
	s := &sim{
		inst: inst, fakes: map[string]*remote.Fake{}, addr: hosts,
		keepalived: map[string]bool{}, nginx: map[string]int{}, nginxPending: map[string]int{},
		moveOnStop: true, nginxRestartAfter: 2,
	}
	for h := range hosts {
		f := remote.NewFake(h)
		s.fakes[h] = f
		if inst.MemberFor(h) != nil {
			s.keepalived[h] = true
			s.nginx[h] = 2
		}
		f.Handle("ip -o addr show", s.wrap(h, s.probe))
		f.Handle("systemctl stop keepalived", s.wrap(h, s.stopKeepalived))
		f.Handle("systemctl start keepalived", s.wrap(h, s.startKeepalived))
		f.Handle("systemctl stop nginx", s.wrap(h, func(h string) remote.Result {
			s.nginx[h] = 0
			s.nginxPending[h] = s.nginxRestartAfter
			return remote.Result{}
		}))
		f.Handle("systemctl start nginx", s.wrap(h, func(h string) remote.Result {
			s.nginx[h] = 2
			return remote.Result{}
		}))
		f.Handle("curl -s -m ", s.wrap(h, func(string) remote.Result {
			s.requests++
			if s.bodies == nil {
				return remote.Result{ExitCode: 7}
			}
			return remote.Result{Stdout: []byte(s.bodies(s.requests) + "\n")}
		}))
	}
	if m := inst.Master(); m != nil {
		s.holders = []string{m.Host}
	}
	return s
}

func (s *sim) wrap(host string, fn func(host string) remote.Result) remote.Handler {
	return func(cmd remote.Cmd) (remote.Result, error) {
		if s.onCommand != nil {
			c, _, _ := strings.Cut(cmd.Command, " && ")
			s.onCommand(host, c)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return fn(host), nil
	}
}

func (s *sim) probe(h string) remote.Result {
	if n, ok := s.nginxPending[h]; ok {
		if n == 1 {
			s.nginx[h] = 2
			delete(s.nginxPending, h)
		} else if n > 1 {
			s.nginxPending[h] = n - 1
		}
	}
	var b strings.Builder
	b.WriteString("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n")
	fmt.Fprintf(&b, "2: ens33    inet %s/24 brd 192.168.19.255 scope global ens33\\       valid_lft forever preferred_lft forever\n", s.addr[h])
	for _, x := range s.holders {
		if x == h {
			for _, vip := range s.inst.VirtualIPs {
				fmt.Fprintf(&b, "2: ens33    inet %s scope global secondary ens33\\       valid_lft forever preferred_lft forever\n", vip)
			}
		}
	}
	k := map[bool]string{true: "active", false: "inactive"}[s.keepalived[h]]
	fmt.Fprintf(&b, "%s keepalived %s\n", probeMarker, k)
	fmt.Fprintf(&b, "%s proc keepalived %d\n%s proc nginx %d\n", probeMarker, map[bool]int{true: 3}[s.keepalived[h]], probeMarker, s.nginx[h])
	return remote.Result{Stdout: []byte(b.String())}
}

func (s *sim) stopKeepalived(h string) remote.Result {
	s.keepalived[h] = false
	if !s.moveOnStop || !slices.Contains(s.holders, h) {
		return remote.Result{}
	}
	s.holders = nil
	for _, m := range s.inst.Members { // priority order
		if s.keepalived[m.Host] {
			s.holders = []string{m.Host}
			break
		}
	}
	return remote.Result{}
}

func (s *sim) startKeepalived(h string) remote.Result {
	s.keepalived[h] = true
	if len(s.holders) == 0 || (!s.inst.Nopreempt && s.inst.Master().Host == h) {
		s.holders = []string{h}
	}
	return remote.Result{}
}

// mutations returns the commands run on host other than probes, each
// without the check of its outcome hostops adds ("systemctl stop nginx").
func (s *sim) mutations(host string) []string {
	var out []string
	for _, c := range s.fakes[host].Commands() {
		if !strings.HasPrefix(c, "ip -o addr show") {
			c, _, _ = strings.Cut(c, " && ")
			out = append(out, c)
		}
	}
	return out
}

// Conn implements Cluster.
func (s *sim) Conn(_ context.Context, host string) (remote.Conn, error) {
	f, ok := s.fakes[host]
	if !ok {
		return nil, fmt.Errorf("no host %s", host)
	}
	return f, nil
}

// Open implements Cluster.
func (s *sim) Open(ctx context.Context, host string) (hostops.Host, error) {
	c, err := s.Conn(ctx, host)
	if err != nil {
		return nil, err
	}
	return hostops.New(c), nil
}

// GatherHost implements Cluster.
func (s *sim) GatherHost(_ context.Context, host string) (*facts.Host, error) {
	s.mu.Lock()
	n := s.requests
	s.mu.Unlock()
	if s.facts == nil {
		return nil, errors.New("no facts in this test")
	}
	return s.facts(host, n)
}

var _ Cluster = (*sim)(nil)

// recorder is a Reporter that keeps what it was told.
type recorder struct {
	begun []string
	steps []Step
}

func (r *recorder) Begin(name string) { r.begun = append(r.begun, name) }
func (r *recorder) End(s Step)        { r.steps = append(r.steps, s) }

// summary lists "status name" per step.
func summary(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, string(s.Status)+" "+s.Name)
	}
	return out
}

// fastOptions shrink the bounds: one "second" is 20 ms.
func fastOptions() Options {
	return Options{TimeUnit: 20 * time.Millisecond, PollInterval: time.Millisecond, Requests: 4, CleanupTimeout: 5 * time.Second}
}

// haConfig is lab A: web1 (100) and web2 (90) share 192.168.19.100, with
// the nginx health check; "client" is a third host requests come from.
func haConfig() *config.Config {
	inst := &config.VRRPInstance{
		Name: "VI_1", Interface: "ens33", AdvertInt: 1, VirtualRouterID: 51,
		VirtualIPs:   []netip.Prefix{netip.MustParsePrefix("192.168.19.100/32")},
		Members:      []*config.Member{{Host: "web1", Priority: 100}, {Host: "web2", Priority: 90}},
		TrackScripts: []string{"nginx"},
	}
	return &config.Config{
		Hosts: map[string]*config.Host{
			"web1": {Name: "web1"}, "web2": {Name: "web2"}, "client": {Name: "client"},
		},
		VRRPInstances:  map[string]*config.VRRPInstance{"VI_1": inst},
		HealthChecks:   map[string]*config.HealthCheck{"nginx": {Name: "nginx", Process: "nginx", Restart: true, Interval: 3}},
		VirtualServers: map[string]*config.VirtualServer{},
	}
}

func haSim(cfg *config.Config) *sim {
	return newSim(cfg.VRRPInstances["VI_1"], map[string]string{"web1": "192.168.19.101", "web2": "192.168.19.102", "client": "192.168.19.200"})
}
