package netfilter

import (
	"fmt"
	"strings"
)

// RestoreChain returns input for `iptables-restore --noflush` (or
// `iptables-restore -n`) that atomically replaces the rules of chain in
// table with rules, creating the chain if needed, and touches no other
// chain:
//
//	*nat
//	:CLUSTERCTL-POSTROUTING - [0:0]
//	-F CLUSTERCTL-POSTROUTING
//	-A CLUSTERCTL-POSTROUTING <rule>
//	[-A POSTROUTING -j CLUSTERCTL-POSTROUTING]
//	COMMIT
//
// With --noflush, declaring a user chain creates it or (when it exists)
// flushes it; the explicit -F makes the flush independent of the iptables
// backend. The whole stream is one transaction.
//
// The jump: jumpFrom, when not empty, adds "-A JUMPFROM -j CHAIN". That line
// is not idempotent (a second restore appends a second jump), so the caller
// passes jumpFrom only when the observed table lacks the jump
// (!observed.Jumps(jumpFrom, chain)); otherwise "". A plan made from stale
// facts is refused by the facts fingerprint, which covers the jump. A
// caller that prefers commands can use JumpArgs instead.
//
// Rules are written verbatim after "-A CHAIN "; a rule containing a line
// break or NUL (which could smuggle other commands into the stream), or an
// invalid table or chain name, is an error.
func RestoreChain(table, chain string, rules []string, jumpFrom string) (string, error) {
	for _, n := range []string{table, chain} {
		if !validName(n) {
			return "", fmt.Errorf("invalid table or chain name %q", n)
		}
	}
	if jumpFrom != "" && !validName(jumpFrom) {
		return "", fmt.Errorf("invalid chain name %q", jumpFrom)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%s\n:%s - [0:0]\n-F %s\n", table, chain, chain)
	for _, r := range rules {
		if strings.ContainsAny(r, "\n\r\x00") {
			return "", fmt.Errorf("rule %q contains a line break", r)
		}
		r = strings.TrimSpace(r)
		if r == "" {
			return "", fmt.Errorf("empty rule")
		}
		fmt.Fprintf(&b, "-A %s %s\n", chain, r)
	}
	if jumpFrom != "" {
		fmt.Fprintf(&b, "-A %s -j %s\n", jumpFrom, chain)
	}
	b.WriteString("COMMIT\n")
	return b.String(), nil
}

// RemoveChain returns `iptables-restore --noflush` input that deletes the
// jump from jumpFrom (when jumpFrom is not empty; pass it only when the
// observed table has the jump, as -D fails otherwise) and then flushes and
// deletes chain.
func RemoveChain(table, chain, jumpFrom string) (string, error) {
	for _, n := range []string{table, chain} {
		if !validName(n) {
			return "", fmt.Errorf("invalid table or chain name %q", n)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%s\n", table)
	if jumpFrom != "" {
		if !validName(jumpFrom) {
			return "", fmt.Errorf("invalid chain name %q", jumpFrom)
		}
		fmt.Fprintf(&b, "-D %s -j %s\n", jumpFrom, chain)
	}
	fmt.Fprintf(&b, "-F %s\n-X %s\nCOMMIT\n", chain, chain)
	return b.String(), nil
}

// JumpArgs returns iptables argument vectors that make from jump to chain
// idempotently when run as `iptables CHECK || iptables INSERT`: check is
// `-t TABLE -C FROM -j CHAIN` (exit 0 when present), insert is
// `-t TABLE -I FROM 1 -j CHAIN`.
func JumpArgs(table, from, chain string) (check, insert []string) {
	return []string{"-t", table, "-C", from, "-j", chain},
		[]string{"-t", table, "-I", from, "1", "-j", chain}
}
