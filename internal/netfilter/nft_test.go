package netfilter

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nftList is `nft list table inet filter` (nftables 1.0.6) on a host with
// a default-deny input chain, clusterctl's chain and a set.
const nftList = `table inet filter {
	set admins {
		type ipv4_addr
		elements = { 10.0.0.1, 10.0.0.2,
			     10.0.0.3 }
	}

	chain input {
		type filter hook input priority filter; policy drop;
		jump clusterctl-input
		iif "lo" accept
		tcp dport { 22, 2222 } accept
	}

	chain clusterctl-input {
		ct state established,related accept comment "clusterctl: replies"
		ip saddr 192.168.19.102 ip daddr 224.0.0.18 ip protocol vrrp accept comment "clusterctl: vrrp VI_1 from web2"
	}

	chain empty {
	}
}
`

func TestNFTChains(t *testing.T) {
	table, got, err := NFTChains([]byte(nftList))
	if err != nil || table != "inet filter" {
		t.Fatal(table, err)
	}
	want := map[string][]string{
		"input": {"jump clusterctl-input", `iif "lo" accept`, "tcp dport { 22, 2222 } accept"},
		"clusterctl-input": {
			`ct state established,related accept comment "clusterctl: replies"`,
			`ip saddr 192.168.19.102 ip daddr 224.0.0.18 ip protocol vrrp accept comment "clusterctl: vrrp VI_1 from web2"`,
		},
		"empty": {},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("NFTChains (-want +got):\n%s", d)
	}
	// Handles (nft -a) are dropped.
	_, got, err = NFTChains([]byte("table inet filter { # handle 3\n\tchain input { # handle 1\n\t\tjump clusterctl-input # handle 9\n\t}\n}\n"))
	if err != nil || !cmp.Equal(got["input"], []string{"jump clusterctl-input"}) {
		t.Errorf("with handles: %v, %v", got, err)
	}
	for _, bad := range []string{"table inet filter {\n", "}\n", "hello\n", "table ip a {\n}\ntable ip b {\n}\n"} {
		if _, _, err := NFTChains([]byte(bad)); err == nil {
			t.Errorf("NFTChains(%q): no error", bad)
		}
	}
}

func TestNFTRestoreChain(t *testing.T) {
	got, err := NFTRestoreChain("inet filter", "clusterctl-input", []string{"tcp dport 80 accept"})
	if err != nil {
		t.Fatal(err)
	}
	want := "add chain inet filter clusterctl-input\nflush chain inet filter clusterctl-input\nadd rule inet filter clusterctl-input tcp dport 80 accept\n"
	if got != want {
		t.Errorf("got %q", got)
	}
	for _, tc := range []struct{ table, chain, rule string }{
		{"inet filter; flush ruleset", "c", "accept"},
		{"inet filter", "c d", "accept"},
		{"inet filter", "c", "accept; flush ruleset"},
		{"inet filter", "c", "accept\nflush ruleset"},
		{"inet filter", "c", "accept # x"},
	} {
		if _, err := NFTRestoreChain(tc.table, tc.chain, []string{tc.rule}); err == nil {
			t.Errorf("NFTRestoreChain(%q, %q, %q): no error", tc.table, tc.chain, tc.rule)
		}
	}
}

// The jump and removal scripts are valid sh and find the jump by its
// handle in `nft -a` output.
func TestNFTScripts(t *testing.T) {
	jump, err := NFTJumpScript("inet filter", "input", "clusterctl-input")
	if err != nil {
		t.Fatal(err)
	}
	rm, err := NFTRemoveScript("inet filter", "input", "clusterctl-input")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NFTJumpScript("inet filter", "input;x", "c"); err == nil {
		t.Errorf("invalid chain accepted")
	}
	if s, err := NFTRemoveScript("inet filter", "", "clusterctl-input"); err != nil || s != "nft flush chain inet filter clusterctl-input && nft delete chain inet filter clusterctl-input" {
		t.Errorf("without a jump: %q, %v", s, err)
	}
	dir := t.TempDir()
	// A fake nft: "list chain" prints a chain with the jump; "delete
	// rule" records its handle.
	fake := `#!/bin/sh
case "$*" in
"-a list chain inet filter input"|"list chain inet filter input") printf '%s\n' 'table inet filter {' '	chain input { # handle 1' '		type filter hook input priority filter; policy drop;' '		jump clusterctl-input # handle 7' '		jump clusterctl-input-x # handle 8' '	}' '}' ;;
*) echo "$*" >>"$LOG" ;;
esac
`
	if err := os.WriteFile(dir+"/nft", []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ script, want string }{
		{jump, ""},
		{rm, "delete rule inet filter input handle 7\nflush chain inet filter clusterctl-input\ndelete chain inet filter clusterctl-input\n"},
	} {
		log := dir + "/log"
		os.Remove(log)
		cmd := exec.Command("sh", "-c", tc.script)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "LOG="+log)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", tc.script, err, out)
		}
		b, _ := os.ReadFile(log)
		if string(b) != tc.want {
			t.Errorf("%s ran %q, want %q", strings.Fields(tc.script)[0], b, tc.want)
		}
	}
}
