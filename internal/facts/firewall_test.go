package facts

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clusterctl/clusterctl/internal/resource"
)

func TestScriptFirewallOnlyWhenAsked(t *testing.T) {
	plain, err := Script(sampleRequest(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "iptables-save -t filter") || strings.Contains(plain, "firewall-cmd") {
		t.Errorf("the script reads the firewall without Request.Firewall")
	}
	req := sampleRequest()
	req.Firewall = true
	got, err := Script(req, testToken)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"run iptables-filter iptables-save -t filter\n",
		"firewall-cmd --state >/dev/null 2>&1; then\n",
		"run firewalld-runtime firewall-cmd --list-rich-rules\n",
		"run firewalld-permanent firewall-cmd --permanent --list-rich-rules\n",
	} {
		if !strings.Contains(got, s) {
			t.Errorf("script lacks %q", s)
		}
	}
	for _, sh := range shells(t) {
		argv := append(strings.Fields(sh), "-n")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin = strings.NewReader(got)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, out)
		}
	}
}

const filterOut = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:CLUSTERCTL-INPUT - [0:0]
-A INPUT -j CLUSTERCTL-INPUT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A CLUSTERCTL-INPUT -p tcp -m tcp --dport 80 -j ACCEPT
COMMIT
`

func TestParseFirewall(t *testing.T) {
	rich := `rule family="ipv4" port port="80" protocol="tcp" accept`
	h, err := Parse(doc("out iptables-filter", "="+filterOut, "cmd iptables-filter rc=0",
		"out firewalld-runtime", "="+rich+"\n", "cmd firewalld-runtime rc=0",
		"out firewalld-permanent", "cmd firewalld-permanent rc=0"), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if h.FilterStatus.State != StatusOK || !h.Filter.Jumps("INPUT", resource.FirewallInputChain) {
		t.Errorf("filter %+v %+v", h.FilterStatus, h.Filter)
	}
	if d := cmp.Diff([]string{"-p tcp -m tcp --dport 80 -j ACCEPT"}, h.Filter.Chain(resource.FirewallInputChain)); d != "" {
		t.Errorf("chain (-want +got):\n%s", d)
	}
	if !h.Firewalld || !cmp.Equal(h.RichRules, []string{rich}) || len(h.PermanentRichRules) != 0 {
		t.Errorf("firewalld %v %q %q", h.Firewalld, h.RichRules, h.PermanentRichRules)
	}

	// Not asked: nothing known, no error.
	h, err = Parse(doc(), testToken)
	if err != nil {
		t.Fatal(err)
	}
	if h.FilterStatus.State != "" || h.Firewalld {
		t.Errorf("unasked firewall facts: %+v %v", h.FilterStatus, h.Firewalld)
	}
	// A filter table that does not parse is an error, not an empty table.
	if _, err := Parse(doc("out iptables-filter", "=-A INPUT -j X\n", "cmd iptables-filter rc=0"), testToken); err == nil || !strings.Contains(err.Error(), "iptables-filter") {
		t.Errorf("bad filter table: err = %v", err)
	}
	// firewall-cmd failing on the permanent list is an error too.
	if _, err := Parse(doc("out firewalld-runtime", "cmd firewalld-runtime rc=0", "out firewalld-permanent", "cmd firewalld-permanent rc=1"), testToken); err == nil {
		t.Errorf("failed firewall-cmd --permanent: no error")
	}
}

func TestFingerprintFirewall(t *testing.T) {
	parse := func() *Host {
		h, err := Parse(doc("out iptables-filter", "="+filterOut, "cmd iptables-filter rc=0"), testToken)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := Fingerprint(parse())
	h := parse()
	h.Filter.Chains[3].Rules = nil
	if Fingerprint(h) == base {
		t.Errorf("a rule of clusterctl's chain did not change the fingerprint")
	}
	h = parse()
	h.Filter.Chains[0].Rules = h.Filter.Chains[0].Rules[1:]
	if Fingerprint(h) == base {
		t.Errorf("the jump did not change the fingerprint")
	}
	h = parse()
	h.Filter.Chains[0].Rules[1] = "-p tcp -m tcp --dport 23 -j ACCEPT"
	if Fingerprint(h) != base {
		t.Errorf("a rule clusterctl does not own changed the fingerprint")
	}
	h = parse()
	h.RichRules = []string{"rule x"}
	if Fingerprint(h) == base {
		t.Errorf("a rich rule did not change the fingerprint")
	}
}

func TestFirewallNFTTable(t *testing.T) {
	req := sampleRequest()
	req.Firewall, req.NFTTable = true, "inet filter"
	got, err := Script(req, testToken)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "run nft-table nft list table inet filter\n") {
		t.Errorf("script does not list the table")
	}
	req.FirewalldZone = "internal"
	if got, err = Script(req, testToken); err != nil || !strings.Contains(got, "run firewalld-runtime firewall-cmd --zone=internal --list-rich-rules\n") ||
		!strings.Contains(got, "run firewalld-permanent firewall-cmd --permanent --zone=internal --list-rich-rules\n") {
		t.Errorf("zone not read: %v", err)
	}
	req.FirewalldZone = "a;b"
	if _, err := Script(req, testToken); err == nil {
		t.Errorf("zone %q accepted", req.FirewalldZone)
	}
	req.FirewalldZone = ""
	for _, bad := range []string{"inet filter; reboot", "bridge filter", "inet", "inet $(x)"} {
		req.NFTTable = bad
		if _, err := Script(req, testToken); err == nil {
			t.Errorf("NFTTable %q accepted", bad)
		}
	}

	list := "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tjump clusterctl-input\n\t}\n\tchain clusterctl-input {\n\t\ttcp dport 80 accept\n\t}\n}\n"
	h, err := Parse(doc("out nft-table", "="+list, "cmd nft-table rc=0"), testToken)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"input": {"jump clusterctl-input"}, "clusterctl-input": {"tcp dport 80 accept"}}
	if h.NFTStatus.State != StatusOK || !cmp.Equal(h.NFT, want) {
		t.Errorf("nft %+v %v", h.NFTStatus, h.NFT)
	}
	base := Fingerprint(h)
	h.NFT["clusterctl-input"] = nil
	if Fingerprint(h) == base {
		t.Errorf("clusterctl's nft chain did not change the fingerprint")
	}
	h, err = Parse(doc("out nft-table", "cmd nft-table rc=1", "=Error: No such file or directory\nlist table inet filter"), testToken)
	if err != nil || h.NFTStatus.State != StatusError || !strings.Contains(h.NFTStatus.Message, "No such file") {
		t.Errorf("missing table: %+v, %v", h.NFTStatus, err)
	}
	if _, err := Parse(doc("out nft-table", "=table inet filter {\n", "cmd nft-table rc=0"), testToken); err == nil {
		t.Errorf("unbalanced nft output: no error")
	}
}
