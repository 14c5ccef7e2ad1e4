package graph

import (
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/status"
)

func load(t *testing.T, example string) *config.Config {
	t.Helper()
	cfg, diags := config.NewLoader().Load(filepath.Join("..", "..", "examples", "lab-19.x", example), config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// TestPicturesAreCurrent: docs/img has one picture per lab-19.x example,
// and each is what graph --format svg draws today.
func TestPicturesAreCurrent(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "..", "examples", "lab-19.x"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		want := SVG(Build(load(t, e.Name()), nil))
		path := filepath.Join("..", "..", "docs", "img", "lab-19.x-"+e.Name()+".svg")
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (regenerate: clusterctl graph examples/lab-19.x/%s --format svg -o docs/img/lab-19.x-%s.svg)", e.Name(), err, e.Name(), e.Name())
			continue
		}
		if string(got) != want {
			t.Errorf("%s is out of date (regenerate it with clusterctl graph --format svg)", path)
		}
		wellFormed(t, want)
	}
	if n < 6 {
		t.Errorf("%d examples, want the six of lab-19.x", n)
	}
}

func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("SVG not well formed: %v", err)
		}
	}
}

func TestDrawings(t *testing.T) {
	g := Build(load(t, "ha-lvs"), nil)
	text := Text(g)
	for _, want := range []string{"VRRP VI_LVS  VRID 54 on ens33  VIP 192.168.19.100", "├─ lb1 prio 100", "└─ lb2 prio 90",
		"LVS web: tcp 192.168.19.100:80 dr/wlc  (managed by keepalived)", "directors: lb1, lb2", "├─▶ rs1 192.168.19.102:80 w1", "└─▶ rs2 192.168.19.103:80 w1"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	dot := DOT(g)
	for _, want := range []string{"digraph cluster {", `subgraph "cluster_vrrp_VI_LVS"`, `"vip:VI_LVS:192.168.19.100" -> "host:lb1"`, `"host:lb1" -> "svc:web" [label="director"]`, `"svc:web" -> "host:rs1" [label="dr 192.168.19.102:80 w1"]`} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot)
		}
	}
	if strings.Count(dot, "\n  \"host:lb1\" [label=") != 1 {
		t.Errorf("lb1 declared more than once:\n%s", dot)
	}
}

// TestLiveOverlay: the holder, the states and the real servers' health of
// a status report show in every drawing.
func TestLiveOverlay(t *testing.T) {
	cfg := load(t, "ha-lvs")
	r := &status.Report{
		GatheredAt: time.Now(), Verdict: status.Degraded,
		Instances: []status.Instance{{Name: "VI_LVS", Members: []status.Member{
			{Host: "lb1", State: "FAULT"}, {Host: "lb2", State: "MASTER", HoldsVIPs: 1},
		}}},
		VirtualServers: []status.VirtualServer{{Name: "web", Directors: []status.Director{{
			Host: "lb2", Available: true, Present: true,
			RealServers: []status.RealServer{
				{Address: "192.168.19.102:80", InTable: true, Configured: true, Weight: 1, Health: "alive"},
				{Address: "192.168.19.103:80", Configured: true, Weight: 1, Health: "failed"},
			},
		}}}},
	}
	g := Build(cfg, r)
	text := Text(g)
	for _, want := range []string{"lb1 prio 100 FAULT", "lb2 prio 90 MASTER  ◀ holds the VIPs", "rs1 192.168.19.102:80 w1  up", "rs2 192.168.19.103:80 w1  DOWN", "(live: degraded)"} {
		if !strings.Contains(text, want) {
			t.Errorf("live text lacks %q:\n%s", want, text)
		}
	}
	dot := DOT(g)
	if !strings.Contains(dot, `"host:lb1" [label="lb1", color=red]`) || !strings.Contains(dot, `-> "host:lb2" [label="prio 90 MASTER", style=bold]`) ||
		!strings.Contains(dot, `color=red, style=dashed`) {
		t.Errorf("live DOT:\n%s", dot)
	}
	svg := SVG(g)
	wellFormed(t, svg)
	if !strings.Contains(svg, "live: degraded") || !strings.Contains(svg, `stroke="red"`) {
		t.Errorf("live SVG lacks the overlay")
	}
}
