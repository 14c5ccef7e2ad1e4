package render

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/resource"
)

func managedFirewall(c *config.Config, backend string) *config.Config {
	c.Firewall = config.Firewall{Manage: true, Backend: backend}
	return c
}

func TestFirewallUnmanagedByDefault(t *testing.T) {
	for name, cfg := range map[string]*config.Config{"labA": labA(), "labB": labB(), "labDR": labDR()} {
		for h, host := range mustRender(t, cfg) {
			if host.Firewall != nil || host.File(FilterRulesPath) != nil {
				t.Errorf("%s %s: firewall rendered without firewall { manage = true }: %+v", name, h, host.Firewall)
			}
		}
	}
}

func TestFirewallLabAIPTables(t *testing.T) {
	cfg := managedFirewall(labA(), config.FirewallAuto)
	cfg.Hosts["web1"].Firewall = &config.HostFirewall{Ports: []config.Port{{Number: 80, Proto: "tcp"}}}
	hosts := mustRender(t, cfg)
	web1 := hosts["web1"]
	want := &resource.Firewall{Backend: resource.FirewallIPTables, Input: []string{
		`-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "clusterctl: replies" -j ACCEPT`,
		`-s 192.168.19.102/32 -d 224.0.0.18/32 -p vrrp -m comment --comment "clusterctl: vrrp VI_1 from web2" -j ACCEPT`,
		`-p tcp -m tcp --dport 80 -m comment --comment "clusterctl: port 80/tcp" -j ACCEPT`,
	}}
	if d := cmp.Diff(want, web1.Firewall); d != "" {
		t.Errorf("web1 firewall (-want +got):\n%s", d)
	}
	if got := hosts["web2"].Firewall.Input[1]; got != `-s 192.168.19.101/32 -d 224.0.0.18/32 -p vrrp -m comment --comment "clusterctl: vrrp VI_1 from web1" -j ACCEPT` {
		t.Errorf("web2 VRRP rule = %s", got)
	}
	if len(hosts["web2"].Firewall.Input) != 2 {
		t.Errorf("web2 (no ports listed) opens %v", hosts["web2"].Firewall.Input)
	}
	f := web1.File(FilterRulesPath)
	if f == nil {
		t.Fatalf("no %s", FilterRulesPath)
	}
	body := string(f.Content)
	for _, l := range []string{"*filter\n:CLUSTERCTL-INPUT - [0:0]\n-F CLUSTERCTL-INPUT\n", "-A CLUSTERCTL-INPUT " + want.Input[1] + "\n", "COMMIT\n"} {
		if !strings.Contains(body, l) {
			t.Errorf("%s lacks %q:\n%s", FilterRulesPath, l, body)
		}
	}
	if strings.Contains(body, ":"+resource.FirewallForwardChain) {
		t.Errorf("lab A's rules file declares a FORWARD chain:\n%s", body)
	}
	restore := string(web1.File(RestoreScriptPath).Content)
	for _, l := range []string{
		"iptables-restore --noflush < /etc/clusterctl/iptables-filter.rules || rc=1",
		"iptables -C INPUT -j CLUSTERCTL-INPUT 2>/dev/null ||\n    iptables -I INPUT 1 -j CLUSTERCTL-INPUT || rc=1",
	} {
		if !strings.Contains(restore, l) {
			t.Errorf("restore script lacks %q:\n%s", l, restore)
		}
	}
	if strings.Contains(restore, "FORWARD") {
		t.Errorf("restore script jumps from FORWARD without a forward chain:\n%s", restore)
	}
	if unit := string(web1.File(RestoreUnitPath).Content); !strings.Contains(unit, "After=network-online.target netfilter-persistent.service") {
		t.Errorf("restore unit does not order itself after the host's own rules:\n%s", unit)
	}
	if !contains(web1.Packages, "iptables") {
		t.Errorf("packages %v lack iptables", web1.Packages)
	}
	m := resource.Manifest(web1)
	if !contains(manifestKeys(m, resource.ManifestFirewall), resource.FirewallInputChain) || contains(manifestKeys(m, resource.ManifestFirewall), resource.FirewallForwardChain) {
		t.Errorf("manifest firewall entries = %v", manifestKeys(m, resource.ManifestFirewall))
	}
}

func TestFirewallLabAFirewalld(t *testing.T) {
	for _, tc := range []struct{ backend, env string }{
		{config.FirewallFirewalld, ""},
		{config.FirewallAuto, config.FirewallFirewalld},
	} {
		cfg := managedFirewall(labA(), tc.backend)
		cfg.Hosts["web1"].Firewall = &config.HostFirewall{Ports: []config.Port{{Number: 80, Proto: "tcp"}}}
		cfg.Firewall.FirewalldZone = "internal"
		hosts, err := RenderEnv(cfg, nil, map[string]HostEnv{"web1": {Firewall: tc.env}})
		if err != nil {
			t.Fatal(err)
		}
		want := &resource.Firewall{Backend: resource.FirewallFirewalld, Zone: "internal", RichRules: []string{
			`rule family="ipv4" port port="80" protocol="tcp" accept`,
			`rule family="ipv4" source address="192.168.19.102" destination address="224.0.0.18" protocol value="vrrp" accept`,
		}}
		if d := cmp.Diff(want, hosts["web1"].Firewall); d != "" {
			t.Errorf("backend %q env %q: web1 firewall (-want +got):\n%s", tc.backend, tc.env, d)
		}
		if hosts["web1"].File(FilterRulesPath) != nil {
			t.Errorf("firewalld host gets %s", FilterRulesPath)
		}
		if got := manifestKeys(resource.Manifest(hosts["web1"]), resource.ManifestRichRule); !cmp.Equal(got, want.RichRules) {
			t.Errorf("manifest rich rules = %v", got)
		}
	}
}

func TestFirewallPerHostOverride(t *testing.T) {
	cfg := managedFirewall(labA(), config.FirewallAuto)
	off := false
	cfg.Hosts["web2"].Firewall = &config.HostFirewall{Manage: &off}
	hosts := mustRender(t, cfg)
	if hosts["web2"].Firewall != nil {
		t.Errorf("web2 has manage = false but gets %+v", hosts["web2"].Firewall)
	}
	if hosts["web1"].Firewall == nil {
		t.Errorf("web1 lost its firewall")
	}
	cfg = labA()
	on := true
	cfg.Hosts["web2"].Firewall = &config.HostFirewall{Manage: &on, Backend: config.FirewallFirewalld}
	hosts = mustRender(t, cfg)
	if hosts["web1"].Firewall != nil || hosts["web2"].Firewall == nil || hosts["web2"].Firewall.Backend != resource.FirewallFirewalld {
		t.Errorf("per-host manage: web1 %+v web2 %+v", hosts["web1"].Firewall, hosts["web2"].Firewall)
	}
}

func TestFirewallLabBNAT(t *testing.T) {
	hosts := mustRender(t, managedFirewall(labB(), config.FirewallIPTables))
	dir := hosts["dir"].Firewall
	want := &resource.Firewall{Backend: resource.FirewallIPTables,
		Input: []string{
			`-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "clusterctl: replies" -j ACCEPT`,
			`-d 192.168.47.128/32 -p tcp -m tcp --dport 80 -m comment --comment "clusterctl: virtual_server web" -j ACCEPT`,
		},
		Forward: []string{
			`-s 192.168.19.102/32 -p tcp -m tcp --sport 80 -m comment --comment "clusterctl: virtual_server web replies" -j ACCEPT`,
			`-s 192.168.19.103/32 -p tcp -m tcp --sport 80 -m comment --comment "clusterctl: virtual_server web replies" -j ACCEPT`,
		},
	}
	if d := cmp.Diff(want, dir); d != "" {
		t.Errorf("director firewall (-want +got):\n%s", d)
	}
	if got := hosts["rs1"].Firewall.Input[1:]; !cmp.Equal(got, []string{`-d 192.168.19.102/32 -p tcp -m tcp --dport 80 -m comment --comment "clusterctl: real server of web" -j ACCEPT`}) {
		t.Errorf("rs1 rules = %v", got)
	}
	restore := string(hosts["dir"].File(RestoreScriptPath).Content)
	if !strings.Contains(restore, "iptables -I FORWARD 1 -j CLUSTERCTL-FORWARD") {
		t.Errorf("director's restore script does not jump to its FORWARD chain:\n%s", restore)
	}
}

func TestFirewallDRRealServer(t *testing.T) {
	hosts := mustRender(t, managedFirewall(labDR(), config.FirewallIPTables))
	got := hosts["rs1"].Firewall.Input[1:]
	want := []string{
		`-d 10.0.0.101/32 -p udp -m udp --dport 53 -m comment --comment "clusterctl: real server of dns" -j ACCEPT`,
		`-s 10.0.0.10/32 -d 10.0.0.11/32 -p udp -m udp --dport 53 -m comment --comment "clusterctl: real server of dns checks from dir" -j ACCEPT`,
		`-d 10.0.0.100/32 -p tcp -m tcp --dport 80 -m comment --comment "clusterctl: real server of web" -j ACCEPT`,
		`-s 10.0.0.10/32 -d 10.0.0.11/32 -p tcp -m tcp --dport 80 -m comment --comment "clusterctl: real server of web checks from dir" -j ACCEPT`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DR real server rules (-want +got):\n%s", d)
	}
	if f := hosts["dir"].Firewall; len(f.Forward) != 0 {
		t.Errorf("DR director forwards nothing, got %v", f.Forward)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func manifestKeys(m []resource.ManifestEntry, kind resource.ManifestKind) []string {
	var out []string
	for _, e := range m {
		if e.Kind == kind {
			out = append(out, e.Key)
		}
	}
	return out
}

func TestFirewallLabANFTables(t *testing.T) {
	cfg := managedFirewall(labA(), config.FirewallNFTables)
	cfg.Firewall.NFTTable, cfg.Firewall.NFTInput, cfg.Firewall.NFTForward = "inet filter", "input", "forward"
	cfg.Hosts["web1"].Firewall = &config.HostFirewall{Ports: []config.Port{{Number: 80, Proto: "tcp"}}}
	web1 := mustRender(t, cfg)["web1"]
	want := &resource.Firewall{Backend: resource.FirewallNFTables, NFTTable: "inet filter", NFTInput: "input", NFTForward: "forward", Input: []string{
		`ct state established,related accept comment "clusterctl: replies"`,
		`ip saddr 192.168.19.102 ip daddr 224.0.0.18 ip protocol vrrp accept comment "clusterctl: vrrp VI_1 from web2"`,
		`tcp dport 80 accept comment "clusterctl: port 80/tcp"`,
	}}
	if d := cmp.Diff(want, web1.Firewall); d != "" {
		t.Errorf("web1 firewall (-want +got):\n%s", d)
	}
	f := web1.File(NFTRulesPath)
	if f == nil || web1.File(FilterRulesPath) != nil {
		t.Fatalf("files: nftables %v, iptables %v", f != nil, web1.File(FilterRulesPath) != nil)
	}
	for _, l := range []string{
		"\nadd chain inet filter clusterctl-input\nflush chain inet filter clusterctl-input\n",
		"\nadd rule inet filter clusterctl-input " + want.Input[1] + "\n",
	} {
		if !strings.Contains(string(f.Content), l) {
			t.Errorf("%s lacks %q:\n%s", NFTRulesPath, l, f.Content)
		}
	}
	restore := string(web1.File(RestoreScriptPath).Content)
	for _, l := range []string{
		"nft -f /etc/clusterctl/nftables.rules || rc=1",
		"{ nft list chain inet filter input | grep -q -e 'jump clusterctl-input\\( \\|$\\)' || nft insert rule inet filter input jump clusterctl-input; } || rc=1",
	} {
		if !strings.Contains(restore, l) {
			t.Errorf("restore script lacks %q:\n%s", l, restore)
		}
	}
	if !contains(web1.Packages, "nftables") || contains(web1.Packages, "iptables") {
		t.Errorf("packages %v", web1.Packages)
	}
	if got := manifestKeys(resource.Manifest(web1), resource.ManifestFirewall); !cmp.Equal(got, []string{"inet filter clusterctl-input"}) {
		t.Errorf("manifest firewall entries = %v", got)
	}
	// NAT's forward rules go to clusterctl-forward.
	dir := mustRender(t, managedFirewall(labB(), config.FirewallNFTables))["dir"].Firewall
	if len(dir.Forward) != 2 || dir.Forward[0] != `ip saddr 192.168.19.102 tcp sport 80 accept comment "clusterctl: virtual_server web replies"` || dir.NFTTable != "inet filter" {
		t.Errorf("lab B director: %+v", dir)
	}
}
