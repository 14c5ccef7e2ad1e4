package cli

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/adopt"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/remote"
)

var reImportName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// parseImportHost reads NAME=[USER@]HOST[:PORT]; without NAME=, HOST
// itself (an ssh_config alias, a host name) must be a valid name.
func parseImportHost(arg string) (remote.Target, error) {
	var t remote.Target
	name, addr, named := strings.Cut(arg, "=")
	if !named {
		addr = arg
	}
	if u, rest, ok := strings.Cut(addr, "@"); ok {
		t.User, addr = u, rest
	}
	if h, p, ok := strings.Cut(addr, ":"); ok && !strings.Contains(p, ":") {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return t, fmt.Errorf("host %q: port %q is not a port number", arg, p)
		}
		t.Port, addr = port, h
	}
	if !named {
		name = addr
	}
	if !reImportName.MatchString(name) {
		return t, fmt.Errorf("host %q: %q is not a host name for the configuration (lower-case letters, digits, '-', '_'); name it: NAME=%s", arg, name, arg)
	}
	if addr == "" {
		return t, fmt.Errorf("host %q: no address", arg)
	}
	t.Name, t.Address = name, addr
	return t, nil
}

// readHosts reads every host over SSH, in parallel, with one session
// each running adopt.ReadScript.
func (a *app) readHosts(ctx context.Context, f *importFlags, args []string) ([]*adopt.Host, error) {
	targets := map[string]remote.Target{}
	var names []string
	for _, arg := range args {
		t, err := parseImportHost(arg)
		if err != nil {
			return nil, err
		}
		if _, dup := targets[t.Name]; dup {
			return nil, fmt.Errorf("host %q is named twice", t.Name)
		}
		if t.User == "" {
			t.User = f.User
		}
		t.IdentityFile = f.conn.Identity
		t.Sudo = f.Sudo
		targets[t.Name] = t
		names = append(names, t.Name)
	}
	opts := f.conn.options(a)
	pool := remote.NewPool(targets, nil, opts.Remote)
	defer pool.Close()
	hosts := make([]*adopt.Host, len(names))
	err := remote.ForEach(ctx, names, f.conn.GatherParallelism, func(ctx context.Context, i int) error {
		conn, err := pool.Conn(ctx, names[i])
		if err != nil {
			return err
		}
		res, err := conn.Run(ctx, remote.Cmd{Command: "sh -s", Stdin: []byte(adopt.ReadScript), Sudo: true})
		if err != nil {
			return err
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("the import script exited %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
		}
		h, err := adopt.ParseRead(names[i], res.Stdout)
		if err != nil {
			return err
		}
		t := targets[names[i]]
		h.Address, h.User, h.Port = t.Address, t.User, t.Port
		hosts[i] = h
		fmt.Fprintf(a.errOut, "%s: read\n", names[i])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return hosts, nil
}

// planImported plans the configuration written at dir against the live
// hosts, as `clusterctl plan` right after import would, and returns a
// Change finding for each change it shows (a host it cannot plan is a
// Lost finding): the proof that the first plan is empty.
func (a *app) planImported(ctx context.Context, f *importFlags, dir string, values map[string]string) ([]adopt.Finding, error) {
	var vars []string
	for k, v := range values {
		vars = append(vars, k+"="+v)
	}
	cfg, diags := config.NewLoader().Load(dir, config.LoadOptions{Vars: vars})
	if diags.HasErrors() {
		return nil, nil // Check reports it
	}
	for _, h := range cfg.Hosts {
		if h.Connection.IdentityFile == "" {
			h.Connection.IdentityFile = f.conn.Identity
		}
		h.Connection.Sudo = h.Connection.Sudo || f.Sudo
	}
	c, err := pipeline.Open(cfg, f.conn.options(a))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	p, err := c.Plan(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []adopt.Finding
	for _, he := range p.Errors {
		out = append(out, adopt.Finding{Level: adopt.Lost, Host: he.Host, Msg: "the first plan cannot plan this host: " + he.Error})
	}
	for _, hp := range p.Hosts {
		for _, ch := range hp.Changes {
			msg := fmt.Sprintf("the first plan shows %s %s %s", ch.Action.Symbol(), ch.Kind, ch.Key)
			if ch.Detail != "" {
				msg += " (" + ch.Detail + ")"
			} else if ch.Before != "" || ch.After != "" {
				msg += fmt.Sprintf(" (%s → %s)", orAbsent(ch.Before), orAbsent(ch.After))
			}
			out = append(out, adopt.Finding{Level: adopt.Change, Host: hp.Host, Msg: msg})
		}
	}
	return out, nil
}

func orAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}
