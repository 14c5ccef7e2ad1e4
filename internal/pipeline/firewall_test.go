package pipeline

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// A managed firewall with backend "auto" over simulated hosts: web1 runs
// firewalld and gets rich rules, web2 does not and gets the iptables
// chain; apply converges, the next plan is empty, a rule clusterctl did
// not write stays, and destroy removes exactly what clusterctl wrote.
func TestApplyFirewallAuto(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{})
	cfg.Firewall = config.Firewall{Manage: true, Backend: config.FirewallAuto}
	sim := hostopstest.New(cfg)
	foreign := `rule family="ipv4" source address="10.9.9.9" accept`
	w1 := sim.Host("web1")
	w1.Firewalld, w1.RichRules, w1.PermanentRichRules = true, []string{foreign}, []string{foreign}

	out, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), &testUI{approve: true})
	if err != nil || !out.Ran || out.After == nil || !out.After.Empty() {
		t.Fatalf("apply: err %v, outcome %+v", err, out)
	}
	vrrp1 := `rule family="ipv4" source address="192.168.19.102" destination address="224.0.0.18" protocol value="vrrp" accept`
	for _, list := range [][]string{w1.RichRules, w1.PermanentRichRules} {
		if !slices.Contains(list, vrrp1) || !slices.Contains(list, foreign) {
			t.Errorf("web1 rich rules = %q", list)
		}
	}
	if len(w1.Filter) != 0 {
		t.Errorf("web1 (firewalld) got iptables chains %v", w1.Filter)
	}
	w2 := sim.Host("web2")
	in := w2.Filter[resource.FirewallInputChain]
	if !w2.FilterJumps["INPUT "+resource.FirewallInputChain] || len(in) != 2 || !strings.Contains(in[1], "-s 192.168.19.101/32 -d 224.0.0.18/32 -p vrrp") {
		t.Errorf("web2 chain %q, jumps %v", in, w2.FilterJumps)
	}
	if _, ok := w2.Files[render.FilterRulesPath]; !ok {
		t.Errorf("web2 has no %s", render.FilterRulesPath)
	}
	if _, ok := w1.Files[render.FilterRulesPath]; ok {
		t.Errorf("web1 (firewalld) has %s", render.FilterRulesPath)
	}

	out, err = Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{Operation: Destroy()}), &testUI{approve: true})
	if err != nil || !out.Ran {
		t.Fatalf("destroy: err %v, outcome %+v", err, out)
	}
	if !slices.Equal(w1.RichRules, []string{foreign}) || !slices.Equal(w1.PermanentRichRules, []string{foreign}) {
		t.Errorf("web1 rich rules after destroy = %q / %q, want only the foreign one", w1.RichRules, w1.PermanentRichRules)
	}
	if len(w2.Filter) != 0 || len(w2.FilterJumps) != 0 {
		t.Errorf("web2 after destroy: chains %v, jumps %v", w2.Filter, w2.FilterJumps)
	}
}

// The nftables backend over simulated hosts: the chain goes into the
// host's own table with a jump first in its input chain; a host without
// the table gets a note and nothing; destroy takes the chain and the jump
// out again and leaves the host's rules.
func TestApplyFirewallNFTables(t *testing.T) {
	cfg := load(t, "ha-nginx", config.LoadOptions{})
	cfg.Firewall = config.Firewall{Manage: true, Backend: config.FirewallNFTables, NFTTable: "inet filter", NFTInput: "input", NFTForward: "forward"}
	sim := hostopstest.New(cfg)
	own := []string{`iif "lo" accept`, "tcp dport 22 accept"}
	w1 := sim.Host("web1")
	w1.NFT = map[string][]string{"input": slices.Clone(own), "forward": {}}

	p, err := simCluster(t, cfg, sim).Plan(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, hp := range p.Hosts {
		notes = append(notes, hp.Notes...)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "table inet filter could not be read") }) {
		t.Errorf("web2 (no table) has no note: %q", notes)
	}
	// web2 gets its table before the apply (its nftables.service).
	sim.Host("web2").NFT = map[string][]string{"input": slices.Clone(own)}
	out, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{}), &testUI{approve: true})
	if err != nil || !out.Ran || out.After == nil || !out.After.Empty() {
		t.Fatalf("apply: err %v, outcome %+v", err, out)
	}
	if in := w1.NFT["input"]; !slices.Equal(in, append([]string{"jump clusterctl-input"}, own...)) {
		t.Errorf("web1 input chain = %q", in)
	}
	if c := w1.NFT[resource.NFTInputChain]; len(c) != 2 || !strings.Contains(c[1], "ip saddr 192.168.19.102 ip daddr 224.0.0.18 ip protocol vrrp accept") {
		t.Errorf("web1 clusterctl-input = %q", c)
	}
	if _, ok := w1.Files[render.NFTRulesPath]; !ok {
		t.Errorf("web1 has no %s", render.NFTRulesPath)
	}
	if _, err := Apply(context.Background(), simCluster(t, cfg, sim), quick(ApplyRequest{Operation: Destroy()}), &testUI{approve: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := w1.NFT[resource.NFTInputChain]; ok || !slices.Equal(w1.NFT["input"], own) {
		t.Errorf("web1 after destroy: %q", w1.NFT)
	}
}
