package hostops

import (
	"context"

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
