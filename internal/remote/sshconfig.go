package remote

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// endpoint is one SSH hop after merging the Target, ssh_config and
// OpenSSH's defaults, in that order of precedence.
type endpoint struct {
	// Alias is the name the hop was asked for: Target.Address, or the host
	// part of a jump-host spec. ssh_config Host blocks match against it.
	Alias string
	// HostName is what is dialed and looked up in known_hosts.
	HostName string
	Port     int
	User     string
	// IdentityFiles are private key paths, in order of preference.
	IdentityFiles []string
	// ExplicitIdentity is set when IdentityFiles were named by the user
	// (HCL or ssh_config) rather than OpenSSH's defaults; a missing
	// explicit file is reported, a missing default file is skipped.
	ExplicitIdentity bool
	// KnownHostsFiles are the known_hosts files to verify this hop against.
	KnownHostsFiles []string
}

// HostPort is the address dialed, "host:port".
func (e endpoint) HostPort() string {
	return net.JoinHostPort(e.HostName, strconv.Itoa(e.Port))
}

// String is "user@host:port", for messages.
func (e endpoint) String() string {
	return e.User + "@" + e.HostPort()
}

// route is the chain of hops to a target: the jump hosts in dialing order,
// then the target itself.
type route struct {
	Jumps  []endpoint
	Target endpoint
}

// sshConfigNone disables ssh_config, as `ssh -F none` does.
const sshConfigNone = "none"

// loadSSHConfig parses the ssh_config file the options name. A missing
// default file is no configuration; a missing explicit file is an error.
// It returns nil when there is no configuration.
func loadSSHConfig(o *Options) (*ssh_config.Config, error) {
	path := o.SSHConfigFile
	explicit := path != ""
	switch path {
	case sshConfigNone:
		return nil, nil
	case "":
		path = filepath.Join(o.HomeDir, ".ssh", "config")
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ssh config: %w", err)
	}
	cfg, err := ssh_config.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse ssh config %s: %w", path, err)
	}
	return cfg, nil
}

// sshConfigLookup answers ssh_config questions for one file; a nil config
// answers nothing. It never consults the package's global settings, which
// read the real home directory.
type sshConfigLookup struct{ cfg *ssh_config.Config }

func (l sshConfigLookup) get(alias, key string) string {
	if l.cfg == nil {
		return ""
	}
	v, err := l.cfg.Get(alias, key)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(v)
}

func (l sshConfigLookup) getAll(alias, key string) []string {
	if l.cfg == nil {
		return nil
	}
	vs, err := l.cfg.GetAll(alias, key)
	if err != nil {
		return nil
	}
	return vs
}

// resolveRoute merges the target with ssh_config and defaults. Jump hosts
// come from Target.Bastion, else from ssh_config ProxyJump. Each jump host
// is resolved through ssh_config too (HostName, User, Port, IdentityFile,
// UserKnownHostsFile), but its own ProxyJump is not followed: the chain is
// spelled out in full. A jump host without an IdentityFile of its own uses
// the target's explicit one before the default keys.
func resolveRoute(t Target, o *Options, cfg sshConfigLookup) (route, error) {
	if t.Address == "" {
		return route{}, errors.New("no address")
	}
	target, err := resolveEndpoint(t.Address, t.User, t.Port, t.IdentityFile, "", o, cfg)
	if err != nil {
		return route{}, err
	}
	r := route{Target: target}

	chain := t.Bastion
	if chain == "" {
		chain = cfg.get(t.Address, "ProxyJump")
	}
	if chain == "" || strings.EqualFold(chain, "none") {
		return r, nil
	}
	for spec := range strings.SplitSeq(chain, ",") {
		user, host, port, err := parseJumpSpec(strings.TrimSpace(spec))
		if err != nil {
			return route{}, err
		}
		jump, err := resolveEndpoint(host, user, port, "", t.IdentityFile, o, cfg)
		if err != nil {
			return route{}, fmt.Errorf("jump host %s: %w", spec, err)
		}
		r.Jumps = append(r.Jumps, jump)
	}
	return r, nil
}

// resolveEndpoint resolves one hop. user, port and identity come from HCL
// and win; fallbackIdentity is used when neither HCL nor ssh_config name a
// key.
func resolveEndpoint(alias, user string, port int, identity, fallbackIdentity string, o *Options, cfg sshConfigLookup) (endpoint, error) {
	e := endpoint{Alias: alias, HostName: alias, Port: port, User: user}
	if h := cfg.get(alias, "HostName"); h != "" {
		e.HostName = strings.ReplaceAll(strings.ReplaceAll(h, "%h", alias), "%%", "%")
	}
	if e.Port == 0 {
		if p := cfg.get(alias, "Port"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n <= 0 || n > 65535 {
				return endpoint{}, fmt.Errorf("ssh config: bad Port %q for %s", p, alias)
			}
			e.Port = n
		} else {
			e.Port = 22
		}
	}
	if e.User == "" {
		e.User = cfg.get(alias, "User")
	}
	if e.User == "" {
		e.User = o.LocalUser
	}
	if e.User == "" {
		return endpoint{}, fmt.Errorf("no user for %s: set user in the configuration or ssh_config", alias)
	}

	exp := pathExpander{home: o.HomeDir, localUser: o.LocalUser, remoteUser: e.User, host: e.HostName}
	switch ids := cfg.getAll(alias, "IdentityFile"); {
	case identity != "":
		e.IdentityFiles, e.ExplicitIdentity = []string{exp.expand(identity)}, true
	case len(ids) > 0:
		for _, id := range ids {
			e.IdentityFiles = append(e.IdentityFiles, exp.expand(id))
		}
		e.ExplicitIdentity = true
	case fallbackIdentity != "":
		e.IdentityFiles, e.ExplicitIdentity = []string{exp.expand(fallbackIdentity)}, true
	default:
		for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			e.IdentityFiles = append(e.IdentityFiles, filepath.Join(o.HomeDir, ".ssh", name))
		}
	}

	switch files := strings.Fields(cfg.get(alias, "UserKnownHostsFile")); {
	case len(o.KnownHostsFiles) > 0:
		for _, f := range o.KnownHostsFiles {
			e.KnownHostsFiles = append(e.KnownHostsFiles, exp.expand(f))
		}
	case len(files) > 0:
		for _, f := range files {
			e.KnownHostsFiles = append(e.KnownHostsFiles, exp.expand(f))
		}
	default:
		e.KnownHostsFiles = []string{filepath.Join(o.HomeDir, ".ssh", "known_hosts")}
	}
	return e, nil
}

// parseJumpSpec parses "[user@]host[:port]"; IPv6 hosts are bracketed.
func parseJumpSpec(spec string) (user, host string, port int, err error) {
	if spec == "" {
		return "", "", 0, errors.New("empty jump host")
	}
	host = spec
	if i := strings.LastIndex(host, "@"); i >= 0 {
		user, host = host[:i], host[i+1:]
	}
	if strings.HasPrefix(host, "[") || strings.Count(host, ":") == 1 {
		h, p, splitErr := net.SplitHostPort(host)
		if splitErr != nil {
			if !strings.HasPrefix(host, "[") || !strings.HasSuffix(host, "]") {
				return "", "", 0, fmt.Errorf("jump host %q: %w", spec, splitErr)
			}
			h, p = host[1:len(host)-1], ""
		}
		host = h
		if p != "" {
			port, err = strconv.Atoi(p)
			if err != nil || port <= 0 || port > 65535 {
				return "", "", 0, fmt.Errorf("jump host %q: bad port %q", spec, p)
			}
		}
	}
	if host == "" {
		return "", "", 0, fmt.Errorf("jump host %q: no host", spec)
	}
	return user, host, port, nil
}

// pathExpander expands ~ and the ssh_config tokens %d %u %r %h %% in paths.
type pathExpander struct{ home, localUser, remoteUser, host string }

func (p pathExpander) expand(s string) string {
	if s == "~" {
		return p.home
	}
	if strings.HasPrefix(s, "~/") {
		s = filepath.Join(p.home, s[2:])
	}
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'd':
			b.WriteString(p.home)
		case 'u':
			b.WriteString(p.localUser)
		case 'r':
			b.WriteString(p.remoteUser)
		case 'h':
			b.WriteString(p.host)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
