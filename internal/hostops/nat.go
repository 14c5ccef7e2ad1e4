package hostops

import (
	"context"
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/netfilter"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// RestoreNATChain implements Host: iptables-restore --noflush, then the
// jump from POSTROUTING inserted unless it is there (-C first).
func (s *Shell) RestoreNATChain(ctx context.Context, chain string, rules []string) error {
	input, err := netfilter.RestoreChain("nat", chain, rules, "")
	if err != nil {
		return err
	}
	if _, err := s.sh(ctx, []byte(input), "iptables-restore --noflush"); err != nil {
		return err
	}
	check, insert := netfilter.JumpArgs("nat", "POSTROUTING", chain)
	_, err = s.sh(ctx, nil, "iptables "+shell.Join(check...)+" 2>/dev/null || iptables "+shell.Join(insert...))
	return err
}

// RemoveNATChain implements Host in one iptables-restore transaction.
func (s *Shell) RemoveNATChain(ctx context.Context, chain string, jumped bool) error {
	from := ""
	if jumped {
		from = "POSTROUTING"
	}
	input, err := netfilter.RemoveChain("nat", chain, from)
	if err != nil {
		return err
	}
	_, err = s.sh(ctx, []byte(input), "iptables-restore --noflush")
	return err
}

// RestoreFilterChain implements Host: iptables-restore --noflush of the
// filter chain, then the jump from `from` inserted first unless it is
// there (-C first).
func (s *Shell) RestoreFilterChain(ctx context.Context, from, chain string, rules []string) error {
	input, err := netfilter.RestoreChain("filter", chain, rules, "")
	if err != nil {
		return err
	}
	if _, err := s.sh(ctx, []byte(input), "iptables-restore --noflush"); err != nil {
		return err
	}
	check, insert := netfilter.JumpArgs("filter", from, chain)
	_, err = s.sh(ctx, nil, "iptables "+shell.Join(check...)+" 2>/dev/null || iptables "+shell.Join(insert...))
	return err
}

// RemoveFilterChain implements Host in one iptables-restore transaction.
func (s *Shell) RemoveFilterChain(ctx context.Context, from, chain string, jumped bool) error {
	if !jumped {
		from = ""
	}
	input, err := netfilter.RemoveChain("filter", chain, from)
	if err != nil {
		return err
	}
	_, err = s.sh(ctx, []byte(input), "iptables-restore --noflush")
	return err
}

// RichRules implements Host: each rule added to (or removed from)
// firewalld's default zone at runtime and permanently, in one shell
// command. firewall-cmd only warns (exit 0) when a rule is already there
// or already gone.
func (s *Shell) RichRules(ctx context.Context, zone string, add, remove []string) error {
	var cmds []string
	z := ""
	if zone != "" {
		z = shell.Quote("--zone="+zone) + " "
	}
	for _, r := range remove {
		if strings.ContainsAny(r, "\n\r\x00") {
			return fmt.Errorf("rich rule %q contains a line break", r)
		}
		cmds = append(cmds, "firewall-cmd -q "+z+shell.Quote("--remove-rich-rule="+r), "firewall-cmd -q --permanent "+z+shell.Quote("--remove-rich-rule="+r))
	}
	for _, r := range add {
		if strings.ContainsAny(r, "\n\r\x00") {
			return fmt.Errorf("rich rule %q contains a line break", r)
		}
		cmds = append(cmds, "firewall-cmd -q "+z+shell.Quote("--add-rich-rule="+r), "firewall-cmd -q --permanent "+z+shell.Quote("--add-rich-rule="+r))
	}
	if len(cmds) == 0 {
		return nil
	}
	_, err := s.sh(ctx, nil, strings.Join(cmds, " && "))
	return err
}

// RestoreNFTChain implements Host: `nft -f -` adds and fills chain in
// table (one transaction), then the jump from from is inserted first
// unless it is there.
func (s *Shell) RestoreNFTChain(ctx context.Context, table, from, chain string, rules []string) error {
	input, err := netfilter.NFTRestoreChain(table, chain, rules)
	if err != nil {
		return err
	}
	jump, err := netfilter.NFTJumpScript(table, from, chain)
	if err != nil {
		return err
	}
	if _, err := s.sh(ctx, []byte(input), "nft -f -"); err != nil {
		return err
	}
	_, err = s.sh(ctx, nil, jump)
	return err
}

// RemoveNFTChain implements Host: the jumps from from are deleted by
// handle, then chain is flushed and deleted.
func (s *Shell) RemoveNFTChain(ctx context.Context, table, from, chain string) error {
	script, err := netfilter.NFTRemoveScript(table, from, chain)
	if err != nil {
		return err
	}
	_, err = s.sh(ctx, nil, script)
	return err
}
