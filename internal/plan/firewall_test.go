package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/secret"
)

const (
	vrrpRule = `-s 192.168.19.102/32 -d 224.0.0.18/32 -p vrrp -m comment --comment "clusterctl: vrrp VI_1 from web2" -j ACCEPT`
	portRule = `-p tcp -m tcp --dport 80 -m comment --comment "clusterctl: port 80/tcp" -j ACCEPT`
	fwdRule  = `-s 192.168.19.102/32 -p tcp -m tcp --sport 80 -m comment --comment "clusterctl: virtual_server web replies" -j ACCEPT`
	richVRRP = `rule family="ipv4" source address="192.168.19.102" destination address="224.0.0.18" protocol value="vrrp" accept`
	richPort = `rule family="ipv4" port port="80" protocol="tcp" accept`
)

func firewallChanges(hp HostPlan) []Change {
	var out []Change
	for _, c := range hp.Changes {
		if c.Kind == KindFirewall {
			out = append(out, c)
		}
	}
	return out
}

func TestDiffFirewallIPTables(t *testing.T) {
	want := &resource.Host{Name: "web1", Firewall: &resource.Firewall{Backend: resource.FirewallIPTables, Input: []string{vrrpRule, portRule}}}
	owned := []resource.ManifestEntry{{Kind: resource.ManifestFirewall, Key: resource.FirewallInputChain}, {Kind: resource.ManifestFirewall, Key: resource.FirewallForwardChain}}
	for _, tt := range []struct {
		name    string
		desired *resource.Host
		have    Observed
		want    []string // action chain
		op      *FirewallChainOp
	}{
		{
			name: "fresh host", desired: want,
			have: Observed{FilterOK: true},
			want: []string{"+ iptables CLUSTERCTL-INPUT"},
			op:   &FirewallChainOp{Chain: resource.FirewallInputChain, From: "INPUT", After: []string{vrrpRule, portRule}},
		},
		{
			name: "converged", desired: want,
			have: Observed{FilterOK: true, FilterChains: map[string][]string{resource.FirewallInputChain: {vrrpRule, portRule}}, FilterJumps: map[string]bool{"INPUT " + resource.FirewallInputChain: true}},
		},
		{
			name: "jump missing", desired: want,
			have: Observed{FilterOK: true, FilterChains: map[string][]string{resource.FirewallInputChain: {vrrpRule, portRule}}},
			want: []string{"~ iptables CLUSTERCTL-INPUT"},
			op:   &FirewallChainOp{Chain: resource.FirewallInputChain, From: "INPUT", Before: []string{vrrpRule, portRule}, After: []string{vrrpRule, portRule}},
		},
		{
			name: "a rule changed", desired: want,
			have: Observed{FilterOK: true, FilterChains: map[string][]string{resource.FirewallInputChain: {vrrpRule}}, FilterJumps: map[string]bool{"INPUT " + resource.FirewallInputChain: true}},
			want: []string{"~ iptables CLUSTERCTL-INPUT"},
			op:   &FirewallChainOp{Chain: resource.FirewallInputChain, From: "INPUT", Before: []string{vrrpRule}, After: []string{vrrpRule, portRule}, Jumped: true},
		},
		{
			name:    "no longer wanted, owned",
			desired: &resource.Host{Name: "web1", Firewall: &resource.Firewall{Backend: resource.FirewallIPTables, Input: []string{vrrpRule, portRule}}},
			have: Observed{FilterOK: true, Manifest: owned,
				FilterChains: map[string][]string{resource.FirewallInputChain: {vrrpRule, portRule}, resource.FirewallForwardChain: {fwdRule}},
				FilterJumps:  map[string]bool{"INPUT " + resource.FirewallInputChain: true, "FORWARD " + resource.FirewallForwardChain: true}},
			want: []string{"- iptables CLUSTERCTL-FORWARD"},
			op:   &FirewallChainOp{Chain: resource.FirewallForwardChain, From: "FORWARD", Before: []string{fwdRule}, Jumped: true},
		},
		{
			name:    "not owned: left alone",
			desired: want,
			have: Observed{FilterOK: true,
				FilterChains: map[string][]string{resource.FirewallInputChain: {vrrpRule, portRule}, resource.FirewallForwardChain: {fwdRule}},
				FilterJumps:  map[string]bool{"INPUT " + resource.FirewallInputChain: true, "FORWARD " + resource.FirewallForwardChain: true}},
		},
		{
			name:    "firewall left alone: nothing planned",
			desired: &resource.Host{Name: "web1"},
			have:    Observed{FilterOK: false},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hp := checkFirewallDiff(t, tt.desired, tt.have, tt.want, tt.op)
			if slices.Contains(tt.want, "+ iptables CLUSTERCTL-INPUT") {
				if after := firewallChanges(hp)[0].After; !strings.Contains(after, vrrpRule) || !strings.Contains(after, "(jumped to first from INPUT)") {
					t.Errorf("the plan does not show the rules: %q", after)
				}
			}
			if i, j := stepIndex(hp, KindFile), stepIndex(hp, KindFirewall); i >= 0 && j >= 0 && i > j {
				t.Errorf("firewall before files")
			}
		})
	}
}

func stepIndex(hp HostPlan, k Kind) int {
	return slices.IndexFunc(hp.Changes, func(c Change) bool { return c.Kind == k })
}

// The live rules come back from iptables-save in the host's spelling
// (protocol numbers where /etc/protocols lacks the name): FromFacts
// normalises them, so a converged host plans nothing.
func TestFromFactsFilterNormalised(t *testing.T) {
	save := "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:CLUSTERCTL-INPUT - [0:0]\n" +
		"-A INPUT -j CLUSTERCTL-INPUT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n" +
		"-A CLUSTERCTL-INPUT " + strings.Replace(vrrpRule, "-p vrrp", "-p 112", 1) + "\nCOMMIT\n"
	ts, err := netfilter.ParseSave([]byte(save))
	if err != nil {
		t.Fatal(err)
	}
	f := &facts.Host{Filter: *ts.Get("filter"), FilterStatus: facts.Status{State: facts.StatusOK}}
	o := FromFacts(f)
	if d := cmp.Diff(map[string][]string{resource.FirewallInputChain: {vrrpRule}}, o.FilterChains); d != "" {
		t.Errorf("FilterChains (-want +got):\n%s", d)
	}
	if !o.FilterJumps["INPUT "+resource.FirewallInputChain] || o.FilterJumps["FORWARD "+resource.FirewallForwardChain] {
		t.Errorf("FilterJumps = %v", o.FilterJumps)
	}
	o.Services = map[string]ServiceState{}
	hp := Diff(&resource.Host{Name: "h", Firewall: &resource.Firewall{Backend: resource.FirewallIPTables, Input: []string{vrrpRule}}}, o, secret.Masker{})
	if c := firewallChanges(hp); len(c) != 0 {
		t.Errorf("converged host plans %q", lines(hp))
	}
}

func TestDiffFirewalldRichRules(t *testing.T) {
	want := &resource.Host{Name: "web1", Firewall: &resource.Firewall{Backend: resource.FirewallFirewalld, RichRules: []string{richPort, richVRRP}}}
	foreign := `rule family="ipv4" source address="10.9.9.9" accept`
	oldOwned := `rule family="ipv4" port port="8080" protocol="tcp" accept`
	for _, tt := range []struct {
		name                string
		have                Observed
		add, remove         []string
		action              Action
		noChange, wantNotes bool
	}{
		{name: "fresh", have: Observed{Firewalld: true}, add: []string{richPort, richVRRP}, action: Create},
		{name: "converged, a foreign rule stays", have: Observed{Firewalld: true, RichRules: []string{foreign, richPort, richVRRP}, PermanentRichRules: []string{richVRRP, richPort, foreign}}, noChange: true},
		{name: "runtime only (lost on reload)", have: Observed{Firewalld: true, RichRules: []string{richPort, richVRRP}, PermanentRichRules: []string{richPort}}, add: []string{richVRRP}, action: Update},
		{name: "an owned rule no longer wanted", have: Observed{Firewalld: true,
			RichRules: []string{richPort, richVRRP, oldOwned, foreign}, PermanentRichRules: []string{richPort, richVRRP, oldOwned, foreign},
			Manifest: []resource.ManifestEntry{{Kind: resource.ManifestRichRule, Key: oldOwned}}}, remove: []string{oldOwned}, action: Update},
		{name: "firewalld not answering", have: Observed{}, noChange: true, wantNotes: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.have.Services = map[string]ServiceState{}
			hp := Diff(want, &tt.have, secret.Masker{})
			cs := firewallChanges(hp)
			if tt.noChange {
				if len(cs) != 0 {
					t.Fatalf("changes %q", lines(hp))
				}
			} else {
				if len(cs) != 1 {
					t.Fatalf("changes %q, want one", lines(hp))
				}
				op := cs[0].Op.(*RichRulesOp)
				if d := cmp.Diff(&RichRulesOp{Add: tt.add, Remove: tt.remove}, op); d != "" {
					t.Errorf("op (-want +got):\n%s", d)
				}
				if cs[0].Action != tt.action || !strings.Contains(cs[0].After, richVRRP) {
					t.Errorf("change %s", line(cs[0]))
				}
			}
			noted := slices.ContainsFunc(hp.Notes, func(n string) bool { return strings.Contains(n, "firewalld does not answer") })
			if noted != tt.wantNotes {
				t.Errorf("notes %q", hp.Notes)
			}
		})
	}
}

func TestDiffFirewalldZone(t *testing.T) {
	h := &resource.Host{Name: "web1", Firewall: &resource.Firewall{Backend: resource.FirewallFirewalld, Zone: "internal", RichRules: []string{richVRRP}}}
	hp := Diff(h, &Observed{Services: map[string]ServiceState{}, Firewalld: true}, secret.Masker{})
	cs := firewallChanges(hp)
	if len(cs) != 1 || cs[0].Key != "firewalld rich rules (zone internal)" || cs[0].Op.(*RichRulesOp).Zone != "internal" {
		t.Errorf("changes %q", lines(hp))
	}
}

// Adding firewall rules disrupts nothing; removing one may drop what only
// it let in.
func TestFirewallImpact(t *testing.T) {
	for _, tt := range []struct {
		name string
		op   Op
		want Disruption
	}{
		{"chain created", &FirewallChainOp{After: []string{vrrpRule}}, DisruptionNone},
		{"rule added", &FirewallChainOp{Before: []string{vrrpRule}, After: []string{vrrpRule, portRule}}, DisruptionNone},
		{"jump added", &FirewallChainOp{Before: []string{vrrpRule}, After: []string{vrrpRule}}, DisruptionNone},
		{"rule removed", &FirewallChainOp{Before: []string{vrrpRule, portRule}, After: []string{vrrpRule}}, DisruptionDropsConnections},
		{"chain deleted", &FirewallChainOp{Before: []string{vrrpRule}}, DisruptionDropsConnections},
		{"rich rules added", &RichRulesOp{Add: []string{richVRRP}}, DisruptionNone},
		{"rich rule removed", &RichRulesOp{Remove: []string{richPort}}, DisruptionDropsConnections},
	} {
		if got := baseImpact(Change{Op: tt.op}); got.Class != tt.want {
			t.Errorf("%s: impact %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A managed firewall replaces the note that firewalld runs unmanaged.
func TestDiffManagedFirewallNoFirewalldNote(t *testing.T) {
	h := &resource.Host{Name: "web1", Services: []resource.Service{{Name: "keepalived"}}, Firewall: &resource.Firewall{Backend: resource.FirewallFirewalld, RichRules: []string{richVRRP}}}
	hp := Diff(h, &Observed{Services: map[string]ServiceState{}, FirewalldRunning: true, Firewalld: true}, secret.Masker{})
	for _, n := range hp.Notes {
		if strings.Contains(n, "does not manage the firewall") {
			t.Errorf("note %q with a managed firewall", n)
		}
	}
}

func TestDiffFirewallNFTables(t *testing.T) {
	nftVRRP := `ip saddr 192.168.19.102 ip daddr 224.0.0.18 ip protocol vrrp accept comment "clusterctl: vrrp VI_1 from web2"`
	nftFwd := `ip saddr 192.168.19.102 tcp sport 80 accept comment "clusterctl: virtual_server web replies"`
	fw := func(in ...string) *resource.Host {
		return &resource.Host{Name: "web1", Firewall: &resource.Firewall{Backend: resource.FirewallNFTables, NFTTable: "inet filter", NFTInput: "input", NFTForward: "forward", Input: in}}
	}
	hostTable := func(extra map[string][]string) map[string][]string {
		t := map[string][]string{"input": {`iif "lo" accept`, "tcp dport 22 accept"}, "forward": {}}
		for k, v := range extra {
			t[k] = v
		}
		return t
	}
	for _, tt := range []struct {
		name    string
		desired *resource.Host
		have    Observed
		want    []string
		note    string
		op      *FirewallChainOp
	}{
		{
			name: "fresh", desired: fw(nftVRRP), have: Observed{FilterOK: true, NFTOK: true, NFTChains: hostTable(nil)},
			want: []string{"+ nftables inet filter clusterctl-input"},
			op:   &FirewallChainOp{NFTTable: "inet filter", Chain: resource.NFTInputChain, From: "input", After: []string{nftVRRP}},
		},
		{
			name: "converged", desired: fw(nftVRRP),
			have: Observed{FilterOK: true, NFTOK: true, NFTChains: hostTable(map[string][]string{"input": {"jump clusterctl-input", `iif "lo" accept`}, resource.NFTInputChain: {nftVRRP}})},
		},
		{
			name: "jump missing", desired: fw(nftVRRP),
			have: Observed{NFTOK: true, NFTChains: hostTable(map[string][]string{resource.NFTInputChain: {nftVRRP}})},
			want: []string{"~ nftables inet filter clusterctl-input"},
			op:   &FirewallChainOp{NFTTable: "inet filter", Chain: resource.NFTInputChain, From: "input", Before: []string{nftVRRP}, After: []string{nftVRRP}},
		},
		{
			name: "owned forward chain no longer wanted", desired: fw(nftVRRP),
			have: Observed{NFTOK: true, Manifest: []resource.ManifestEntry{{Kind: resource.ManifestFirewall, Key: "inet filter " + resource.NFTForwardChain}},
				NFTChains: hostTable(map[string][]string{"input": {"jump clusterctl-input"}, resource.NFTInputChain: {nftVRRP}, "forward": {"jump clusterctl-forward"}, resource.NFTForwardChain: {nftFwd}})},
			want: []string{"- nftables inet filter clusterctl-forward"},
			op:   &FirewallChainOp{NFTTable: "inet filter", Chain: resource.NFTForwardChain, From: "forward", Before: []string{nftFwd}, Jumped: true},
		},
		{
			name: "no table", desired: fw(nftVRRP), have: Observed{NFTError: "error: Error: No such file or directory"},
			note: "table inet filter could not be read (error: Error: No such file or directory)",
		},
		{
			name: "no base chain", desired: fw(nftVRRP), have: Observed{NFTOK: true, NFTChains: map[string][]string{"output": {}}},
			note: "table inet filter has no chain input to jump from",
		},
		{
			// iptables chains of an earlier backend the manifest lists go.
			name: "switched from iptables", desired: fw(nftVRRP),
			have: Observed{FilterOK: true, Manifest: []resource.ManifestEntry{{Kind: resource.ManifestFirewall, Key: resource.FirewallInputChain}},
				FilterChains: map[string][]string{resource.FirewallInputChain: {vrrpRule}}, FilterJumps: map[string]bool{"INPUT " + resource.FirewallInputChain: true},
				NFTOK: true, NFTChains: hostTable(map[string][]string{"input": {"jump clusterctl-input"}, resource.NFTInputChain: {nftVRRP}})},
			want: []string{"- iptables CLUSTERCTL-INPUT"},
			op:   &FirewallChainOp{Chain: resource.FirewallInputChain, From: "INPUT", Before: []string{vrrpRule}, Jumped: true},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hp := checkFirewallDiff(t, tt.desired, tt.have, tt.want, tt.op)
			noted := slices.ContainsFunc(hp.Notes, func(n string) bool { return tt.note != "" && strings.Contains(n, tt.note) })
			if noted != (tt.note != "") {
				t.Errorf("notes %q, want one with %q", hp.Notes, tt.note)
			}
		})
	}
}

// Destroy (no firewall desired) removes the nftables chains the manifest
// lists in the table that was read, with the jumps to them, and nothing
// else; a chain in another table is not touched.
func TestDiffNFTLeftovers(t *testing.T) {
	have := &Observed{Services: map[string]ServiceState{}, NFTOK: true, NFTTable: "inet filter",
		Manifest: []resource.ManifestEntry{
			{Kind: resource.ManifestFirewall, Key: "inet filter " + resource.NFTInputChain},
			{Kind: resource.ManifestFirewall, Key: "inet filter " + resource.NFTForwardChain},
			{Kind: resource.ManifestFirewall, Key: "ip other " + resource.NFTInputChain},
		},
		NFTChains: map[string][]string{
			"input":                  {"jump clusterctl-input", "tcp dport 22 accept"},
			resource.NFTInputChain:   {"tcp dport 80 accept"},
			resource.NFTForwardChain: {"ip saddr 10.0.0.2 tcp sport 80 accept"},
			"forward":                {},
		}}
	hp := Diff(&resource.Host{Name: "web1"}, have, secret.Masker{})
	cs := firewallChanges(hp)
	var got []string
	for _, c := range cs {
		got = append(got, line(c))
	}
	want := []string{
		"- firewall nftables inet filter clusterctl-forward [ip saddr 10.0.0.2 tcp sport 80 accept => ]",
		"- firewall nftables inet filter clusterctl-input [tcp dport 80 accept => ]",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("changes (-want +got):\n%s", d)
	}
	if d := cmp.Diff(&FirewallChainOp{NFTTable: "inet filter", Chain: resource.NFTInputChain, From: "input", Before: []string{"tcp dport 80 accept"}, Jumped: true}, cs[1].Op); d != "" {
		t.Errorf("op (-want +got):\n%s", d)
	}
	if op := cs[0].Op.(*FirewallChainOp); op.From != "" || op.Jumped {
		t.Errorf("forward chain nobody jumps to: %+v", op)
	}
}

// A rollback keeps the firewall rules clusterctl wrote as they are (like
// addresses, IPVS and NAT): keepLive takes them from the live state, per
// backend, and only those the manifest lists.
func TestKeepLiveFirewall(t *testing.T) {
	entry := func(k resource.ManifestKind, key string) resource.ManifestEntry {
		return resource.ManifestEntry{Kind: k, Key: key}
	}
	for _, tt := range []struct {
		name    string
		have    Observed
		managed []resource.ManifestEntry
		want    *resource.Firewall
	}{
		{
			name:    "iptables",
			have:    Observed{FilterOK: true, FilterChains: map[string][]string{resource.FirewallInputChain: {vrrpRule}, resource.FirewallForwardChain: {fwdRule}}, FilterJumps: map[string]bool{"INPUT " + resource.FirewallInputChain: true}},
			managed: []resource.ManifestEntry{entry(resource.ManifestFirewall, resource.FirewallInputChain)},
			want:    &resource.Firewall{Backend: resource.FirewallIPTables, Input: []string{vrrpRule}},
		},
		{
			name:    "firewalld: owned rules",
			have:    Observed{Firewalld: true, RichRules: []string{richVRRP, richPort, "rule x"}, PermanentRichRules: []string{richVRRP, richPort, "rule x"}},
			managed: []resource.ManifestEntry{entry(resource.ManifestRichRule, richVRRP), entry(resource.ManifestRichRule, richPort)},
			want:    &resource.Firewall{Backend: resource.FirewallFirewalld, RichRules: []string{richPort, richVRRP}},
		},
		{
			name:    "nftables",
			have:    Observed{NFTOK: true, NFTTable: "inet filter", NFTChains: map[string][]string{"in": {"jump clusterctl-input"}, resource.NFTInputChain: {"tcp dport 80 accept"}}},
			managed: []resource.ManifestEntry{entry(resource.ManifestFirewall, "inet filter "+resource.NFTInputChain)},
			want:    &resource.Firewall{Backend: resource.FirewallNFTables, NFTTable: "inet filter", NFTInput: "in", NFTForward: "forward", Input: []string{"tcp dport 80 accept"}},
		},
		{
			name: "not clusterctl's",
			have: Observed{FilterOK: true, FilterChains: map[string][]string{resource.FirewallInputChain: {vrrpRule}}, Firewalld: true, RichRules: []string{richVRRP}, PermanentRichRules: []string{richVRRP}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &resource.Host{Name: "web1"}
			keepLive(h, &tt.have, tt.managed)
			if d := cmp.Diff(tt.want, h.Firewall); d != "" {
				t.Errorf("firewall (-want +got):\n%s", d)
			}
			tt.have.Services, tt.have.Manifest = map[string]ServiceState{}, tt.managed
			if hp := Diff(h, &tt.have, secret.Masker{}); len(firewallChanges(hp)) != 0 {
				t.Errorf("a rollback would change the firewall: %q", lines(hp))
			}
		})
	}
}

// A firewall opened through iptables or nftables does not get past a
// running firewalld's zone: the plan says so.
func TestDiffNotesFirewalldBesideOtherBackend(t *testing.T) {
	for _, backend := range []string{resource.FirewallIPTables, resource.FirewallNFTables} {
		h := &resource.Host{Name: "web1", Firewall: &resource.Firewall{Backend: backend, NFTTable: "inet filter", Input: []string{portRule}}}
		hp := Diff(h, &Observed{Services: map[string]ServiceState{}, FirewalldRunning: true, FilterOK: true}, secret.Masker{})
		if !slices.ContainsFunc(hp.Notes, func(n string) bool {
			return strings.Contains(n, "firewalld is running, and clusterctl opens the firewall through "+backend)
		}) {
			t.Errorf("%s: notes %q", backend, hp.Notes)
		}
	}
}

// checkFirewallDiff diffs desired against have and checks the firewall
// changes (symbol and key, in order) and, when op is set, the first
// change's operation; it returns the host plan.
func checkFirewallDiff(t *testing.T, desired *resource.Host, have Observed, want []string, op *FirewallChainOp) HostPlan {
	t.Helper()
	have.Services = map[string]ServiceState{}
	hp := Diff(desired, &have, secret.Masker{})
	var got []string
	for _, c := range firewallChanges(hp) {
		got = append(got, c.Action.Symbol()+" "+c.Key)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("changes (-want +got):\n%s\n%q", d, lines(hp))
	}
	if op != nil {
		if d := cmp.Diff(op, firewallChanges(hp)[0].Op); d != "" {
			t.Errorf("op (-want +got):\n%s", d)
		}
	}
	return hp
}
