package netfilter

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	nftTableRE = regexp.MustCompile(`^(ip|ip6|inet) [A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
	nftChainRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
)

func validNFT(table string, chains ...string) error {
	if !nftTableRE.MatchString(table) {
		return fmt.Errorf("invalid nftables table %q", table)
	}
	for _, c := range chains {
		if !nftChainRE.MatchString(c) {
			return fmt.Errorf("invalid nftables chain %q", c)
		}
	}
	return nil
}

// NFTRestoreChain returns `nft -f -` input that makes chain of table
// ("inet filter") hold exactly rules, creating it if needed, in one
// transaction that touches nothing else:
//
//	add chain inet filter clusterctl-input
//	flush chain inet filter clusterctl-input
//	add rule inet filter clusterctl-input RULE
//
// The table must exist. A rule containing a line break or NUL, a ';'
// (which would end the statement) or a '#', or an invalid table or chain
// name, is an error.
func NFTRestoreChain(table, chain string, rules []string) (string, error) {
	if err := validNFT(table, chain); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "add chain %s %s\nflush chain %s %s\n", table, chain, table, chain)
	for _, r := range rules {
		r = strings.TrimSpace(r)
		if r == "" || strings.ContainsAny(r, "\n\r\x00;#") {
			return "", fmt.Errorf("invalid nftables rule %q", r)
		}
		fmt.Fprintf(&b, "add rule %s %s %s\n", table, chain, r)
	}
	return b.String(), nil
}

// NFTJumpScript returns a shell command that makes base chain from of
// table jump to chain first, once: `nft list chain` is searched for the
// jump, and `nft insert rule` adds it at the top when it is missing.
func NFTJumpScript(table, from, chain string) (string, error) {
	if err := validNFT(table, from, chain); err != nil {
		return "", err
	}
	return fmt.Sprintf("nft list chain %s %s | grep -q -e 'jump %s\\( \\|$\\)' || nft insert rule %s %s jump %s", table, from, chain, table, from, chain), nil
}

// NFTRemoveScript returns a shell command that deletes every jump from
// base chain from of table to chain (by handle), then flushes and deletes
// chain. With from "", no chain jumps to it: only the chain goes.
func NFTRemoveScript(table, from, chain string) (string, error) {
	if from == "" {
		if err := validNFT(table, chain); err != nil {
			return "", err
		}
		return fmt.Sprintf("nft flush chain %s %s && nft delete chain %s %s", table, chain, table, chain), nil
	}
	if err := validNFT(table, from, chain); err != nil {
		return "", err
	}
	return fmt.Sprintf("for h in $(nft -a list chain %s %s | sed -n 's/.*jump %s .*# handle \\([0-9][0-9]*\\)$/\\1/p'); do nft delete rule %s %s handle \"$h\" || exit 1; done && nft flush chain %s %s && nft delete chain %s %s",
		table, from, chain, table, from, table, chain, table, chain), nil
}

// NFTChains reads `nft list table FAMILY NAME` output: the table
// ("inet filter") and the rules of every chain, in order, without a base
// chain's "type … hook …" line. Sets, maps and other objects are skipped;
// braces are counted so that their elements are never taken for rules.
func NFTChains(out []byte) (string, map[string][]string, error) {
	chains := map[string][]string{}
	table := ""
	depth := 0
	cur := ""
	for i, raw := range strings.Split(string(out), "\n") {
		line := strings.TrimSpace(raw)
		if j := strings.Index(line, " # handle "); j >= 0 {
			line = line[:j]
		}
		opens, closes := strings.Count(line, "{"), strings.Count(line, "}")
		switch {
		case line == "":
		case depth == 0:
			if !strings.HasPrefix(line, "table ") || opens != 1 || table != "" {
				return "", nil, fmt.Errorf("line %d: want one table, got %.80q", i+1, line)
			}
			table = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "table "), "{"))
		case depth == 1 && strings.HasPrefix(line, "chain ") && opens == 1 && closes == 0:
			cur = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "chain "), "{"))
			chains[cur] = []string{}
		case depth == 2 && cur != "" && line != "}":
			if !strings.HasPrefix(line, "type ") && !strings.HasPrefix(line, "policy ") {
				chains[cur] = append(chains[cur], line)
			}
		}
		depth += opens - closes
		if depth < 0 {
			return "", nil, fmt.Errorf("line %d: unbalanced '}'", i+1)
		}
		if depth < 2 {
			cur = ""
		}
	}
	if depth != 0 {
		return "", nil, fmt.Errorf("unbalanced '{'")
	}
	return table, chains, nil
}
