package hostops

import (
	"context"
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/facts"
	"github.com/clusterctl/clusterctl/internal/ipvs"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// Facts implements Host: one `sh -s` fed the facts script.
func (s *Shell) Facts(ctx context.Context, req facts.Request) (*facts.Host, error) {
	token, err := facts.NewToken()
	if err != nil {
		return nil, err
	}
	script, err := facts.Script(req, token)
	if err != nil {
		return nil, err
	}
	res, err := s.conn.Run(ctx, remote.Cmd{Command: "sh -s", Stdin: []byte(script), Sudo: true})
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	if res.ExitCode != 0 {
		line, _, _ := strings.Cut(string(res.Stderr), "\n")
		return nil, fmt.Errorf("gather facts: script exited %d: %s", res.ExitCode, line)
	}
	f, err := facts.Parse(res.Stdout, token)
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	return f, nil
}

// Addresses implements Host. It needs no privilege.
func (s *Shell) Addresses(ctx context.Context) ([]resource.Address, error) {
	res, err := s.conn.Run(ctx, remote.Cmd{Command: "ip -o addr show"})
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("ip -o addr show: exit %d", res.ExitCode)
	}
	return facts.ParseAddrs(res.Stdout)
}

// ServiceActive implements Host.
func (s *Shell) ServiceActive(ctx context.Context, unit string) (bool, string, error) {
	res, err := s.conn.Run(ctx, remote.Cmd{Command: "systemctl is-active " + shell.Quote(unit), Sudo: true})
	if err != nil {
		return false, "", err
	}
	return res.ExitCode == 0, strings.TrimSpace(string(res.Stdout)), nil
}

// IPVSStats implements Host.
func (s *Shell) IPVSStats(ctx context.Context) (ipvs.Stats, error) {
	out, err := s.run(ctx, "ipvsadm", "-L", "-n")
	if err != nil {
		return ipvs.Stats{}, err
	}
	return ipvs.ParseList([]byte(out))
}
