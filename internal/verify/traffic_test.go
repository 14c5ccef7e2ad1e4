package verify

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
)

var (
	vsAddr = netip.MustParseAddrPort("192.168.47.128:80")
	rs1    = netip.MustParseAddrPort("192.168.19.102:80")
	rs2    = netip.MustParseAddrPort("192.168.19.103:80")
)

// natConfig is lab B: director dir, real servers rs1 and rs2 serving
// "RS1------RS1" and "RS2------RS2", and a client host.
func natConfig(persistence int) *config.Config {
	page := func(body string) map[string]*config.File {
		return map[string]*config.File{"/var/www/html/index.html": {Path: "/var/www/html/index.html", Content: body + "\n"}}
	}
	return &config.Config{
		Hosts: map[string]*config.Host{
			"dir": {Name: "dir"}, "client": {Name: "client"},
			"rs1": {Name: "rs1", Files: page("RS1------RS1")},
			"rs2": {Name: "rs2", Files: page("RS2------RS2")},
		},
		VRRPInstances: map[string]*config.VRRPInstance{},
		VirtualServers: map[string]*config.VirtualServer{
			"web": {
				Name: "web", Address: vsAddr, Protocol: "tcp", Mode: config.ModeNAT, Scheduler: "wlc",
				Persistence: persistence, ManagedBy: config.ManagedByClusterctl, Directors: []string{"dir"},
				RealServers: []*config.RealServer{
					{Host: "rs1", Address: rs1.Addr(), Port: 80, Weight: 1},
					{Host: "rs2", Address: rs2.Addr(), Port: 80, Weight: 1},
				},
			},
		},
	}
}

// directorFacts returns a director's facts whose counters grew by the
// given connections per real server once the requests were sent.
func directorFacts(state facts.State, after map[netip.AddrPort]uint64) func(string, int) (*facts.Host, error) {
	return func(_ string, requests int) (*facts.Host, error) {
		f := &facts.Host{IPVSStatus: facts.Status{State: state}}
		if state != facts.StatusOK {
			f.IPVSStatus.Message = "no /proc/net/ip_vs and no ip_vs module"
			return f, nil
		}
		key := ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: vsAddr}
		var ds []ipvs.DestStats
		for _, a := range []netip.AddrPort{rs1, rs2} {
			conns := uint64(100)
			if requests > 0 {
				conns += after[a]
			}
			ds = append(ds, ipvs.DestStats{Addr: a, Forward: ipvs.Masq, Weight: 1, Counters: ipvs.Counters{Conns: conns}})
		}
		f.IPVSStats = ipvs.Stats{Services: []ipvs.ServiceStats{{Key: key, Scheduler: "wlc", Destinations: ds}}}
		return f, nil
	}
}

func alternate(n int) string {
	if n%2 == 1 {
		return "RS1------RS1"
	}
	return "RS2------RS2"
}

func TestVirtualServerTraffic(t *testing.T) {
	both := map[netip.AddrPort]uint64{rs1: 2, rs2: 2}
	cases := []struct {
		name        string
		persistence int
		kernel      facts.State
		bodies      func(int) string
		after       map[netip.AddrPort]uint64
		status      Status
		detail      string
	}{
		{name: "bodies tell rs1 and rs2", kernel: facts.StatusOK, bodies: alternate, status: Pass, detail: "rs2 (192.168.19.103:80) answered 2"},
		{name: "only rs1 answers", kernel: facts.StatusOK, bodies: func(int) string { return "RS1------RS1" }, after: map[netip.AddrPort]uint64{rs1: 4}, status: Fail, detail: "no answer from rs2 (192.168.19.103:80)"},
		{name: "equal bodies, counters tell", kernel: facts.StatusOK, bodies: func(int) string { return "Welcome to nginx!" }, after: both, status: Pass, detail: "told apart by the directors' IPVS connection counters"},
		{name: "equal bodies, counters show one", kernel: facts.StatusOK, bodies: func(int) string { return "Welcome to nginx!" }, after: map[netip.AddrPort]uint64{rs2: 4}, status: Fail, detail: "no answer from rs1 (192.168.19.102:80)"},
		{name: "persistence sticks", persistence: 3, kernel: facts.StatusOK, bodies: func(int) string { return "RS2------RS2" }, status: Pass, detail: "the sticky destination is rs2 (192.168.19.103:80)"},
		{name: "persistence broken", persistence: 3, kernel: facts.StatusOK, bodies: alternate, status: Fail, detail: "one client should stick to one real server, but 2 answered"},
		{name: "persistence, equal bodies", persistence: 3, kernel: facts.StatusOK, bodies: func(int) string { return "same" }, after: map[netip.AddrPort]uint64{rs1: 4}, status: Pass, detail: "the sticky destination is rs1"},
		{name: "no IPVS in the kernel", kernel: facts.StatusNoKernelSupport, bodies: alternate, status: Skip, detail: "no director's kernel supports IPVS"},
		{name: "requests fail", kernel: facts.StatusOK, status: Fail, detail: "4 requests failed; first: curl on client: exit 7: could not connect"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := natConfig(tc.persistence)
			s := newSim(&config.VRRPInstance{}, map[string]string{"dir": "192.168.19.101", "client": "192.168.47.1"})
			s.bodies = tc.bodies
			s.facts = directorFacts(tc.kernel, tc.after)
			opts := fastOptions()
			opts.Client = "client"
			opts.SkipFailover = true
			res, err := Run(context.Background(), cfg, s, opts, &recorder{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Steps) != 1 {
				t.Fatalf("steps = %q, want one", summary(res.Steps))
			}
			st := res.Steps[0]
			if st.Name != "traffic web: tcp 192.168.47.128:80" || st.Status != tc.status {
				t.Errorf("step = %s %s, want %s", st.Status, st.Name, tc.status)
			}
			if d := strings.Join(st.Details, "\n"); !strings.Contains(d, tc.detail) {
				t.Errorf("details:\n%s\nwant %q", d, tc.detail)
			}
			if tc.kernel != facts.StatusOK && s.requests != 0 {
				t.Errorf("%d requests sent to a virtual server that cannot work", s.requests)
			}
		})
	}
}

func TestTrafficSkips(t *testing.T) {
	cfg := natConfig(0)
	cfg.VirtualServers["web"].FWMark = 1
	cfg.VirtualServers["dns"] = &config.VirtualServer{Name: "dns", Address: netip.MustParseAddrPort("192.168.47.128:53"), Protocol: "udp"}
	s := newSim(&config.VRRPInstance{}, map[string]string{"dir": "192.168.19.101"})
	res, err := Run(context.Background(), cfg, s, Options{SkipFailover: true}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"skip traffic dns: udp 192.168.47.128:53", "skip traffic web: fwmark 1"}
	if diff := cmp.Diff(want, summary(res.Steps)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

// TestLocalClient sends the requests from this process to a server on
// loopback standing in for the virtual server, and checks that each
// request used a new connection.
func TestLocalClient(t *testing.T) {
	var n, conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, alternate(int(n.Add(1))))
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	addr := netip.MustParseAddrPort(srv.Listener.Addr().String())
	if !addr.Addr().IsLoopback() {
		t.Fatalf("test server on %s, not loopback", addr)
	}
	cfg := natConfig(0)
	cfg.VirtualServers["web"].Address = addr
	s := newSim(&config.VRRPInstance{}, map[string]string{"dir": "192.168.19.101"})
	s.facts = directorFacts(facts.StatusOK, nil)
	opts := fastOptions()
	opts.SkipFailover = true
	res, err := Run(context.Background(), cfg, s, opts, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		t.Errorf("steps failed: %+v", res.Steps)
	}
	if got := conns.Load(); got != int32(opts.Requests) {
		t.Errorf("%d connections for %d requests, want one each", got, opts.Requests)
	}
}

// Without counters from before the requests, the totals would credit old
// connections: the step fails instead of guessing.
func TestTrafficNoCountersBefore(t *testing.T) {
	cfg := natConfig(0)
	s := newSim(&config.VRRPInstance{}, map[string]string{"dir": "192.168.19.101", "client": "192.168.47.1"})
	s.bodies = func(int) string { return "same" }
	s.facts = func(string, int) (*facts.Host, error) {
		return &facts.Host{IPVSStatus: facts.Status{State: facts.StatusOK}}, nil
	}
	opts := fastOptions()
	opts.Client, opts.SkipFailover = "client", true
	res, err := Run(context.Background(), cfg, s, opts, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if st := res.Steps[0]; st.Status != Fail || !strings.Contains(strings.Join(st.Details, "\n"), "no director listed the service's IPVS counters") {
		t.Errorf("step = %+v", st)
	}
}
