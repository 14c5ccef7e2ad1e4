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
	f, _, err := s.factsWith(ctx, req, "", "")
	return f, err
}

// factsWith runs the facts script for req in one `sh -s`, with before and
// after (shell lines that must not read stdin: the script arrives there)
// around it; before may end the script with lockHeldExit. It returns the
// facts and how the command ended.
func (s *Shell) factsWith(ctx context.Context, req facts.Request, before, after string) (*facts.Host, remote.Result, error) {
	token, err := facts.NewToken()
	if err != nil {
		return nil, remote.Result{}, err
	}
	script, err := facts.Script(req, token)
	if err != nil {
		return nil, remote.Result{}, err
	}
	if after != "" {
		// Keep the facts script's status; run after whatever it was.
		script += "_rc=$?\n" + after + "\nexit $_rc\n"
	}
	res, err := s.conn.Run(ctx, remote.Cmd{Command: "sh -s", Stdin: []byte(before + script), Sudo: true})
	if err != nil {
		return nil, res, fmt.Errorf("gather facts: %w", err)
	}
	if before != "" && res.ExitCode == lockHeldExit {
		return nil, res, nil
	}
	if res.ExitCode != 0 {
		line, _, _ := strings.Cut(string(res.Stderr), "\n")
		return nil, res, fmt.Errorf("gather facts: script exited %d: %s", res.ExitCode, line)
	}
	f, err := facts.Parse(res.Stdout, token)
	if err != nil {
		return nil, res, fmt.Errorf("gather facts: %w", err)
	}
	return f, res, nil
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
