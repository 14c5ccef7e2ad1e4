package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Target says how to reach one host. Zero values mean "not set": ssh_config
// and then OpenSSH's defaults decide. Values set here win over ssh_config.
type Target struct {
	// Name is the host's name in the configuration; it prefixes errors.
	Name string
	// Address is the host name or IP to dial, or an ssh_config Host alias.
	Address string
	// Port is the SSH port; 0 means ssh_config's Port, else 22.
	Port int
	// User is the login user; "" means ssh_config's User, else the local
	// user.
	User string
	// IdentityFile is a private key path ("~/" is expanded); "" means
	// ssh_config's IdentityFile, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
	// ssh-agent keys are always offered first.
	IdentityFile string
	// Sudo says the login user is not root: commands with Cmd.Sudo run
	// through `sudo -n`, and file operations go through sudo'd commands.
	Sudo bool
	// Bastion is the jump host chain, "[user@]host[:port]" separated by
	// commas, dialed in order; "" means ssh_config's ProxyJump, if any.
	Bastion string
}

// Options are the client-side settings shared by every host.
type Options struct {
	// KnownHostsFiles are the known_hosts files host keys are checked
	// against; the first one receives keys trusted with TrustNewHostKeys.
	// Empty means ssh_config's UserKnownHostsFile for the host, else
	// ~/.ssh/known_hosts (OpenSSH's rule: UserKnownHostsFile replaces the
	// default). "~/" and ssh_config's %-tokens are expanded.
	KnownHostsFiles []string
	// SSHConfigFile is the ssh_config file to honour; "" means
	// ~/.ssh/config (no error if missing), "none" means no file.
	SSHConfigFile string
	// HomeDir stands for the user's home directory ("~"); "" means
	// os.UserHomeDir. Tests point it at a temporary directory.
	HomeDir string
	// LocalUser is the default login user; "" means the current user.
	LocalUser string
	// TrustNewHostKeys records the key of a host that known_hosts does not
	// know yet and proceeds. A changed key is still refused.
	TrustNewHostKeys bool
	// ConnectTimeout bounds TCP connect plus SSH handshake for each hop;
	// 0 means 15 s.
	ConnectTimeout time.Duration
	// CommandTimeout bounds each Conn call (Run and file operations) in
	// addition to its ctx; 0 means no bound but the ctx.
	CommandTimeout time.Duration
	// KeepaliveInterval is the period of keepalive@openssh.com requests;
	// the connection is closed when one fails or goes unanswered for an
	// interval. 0 means 15 s; negative disables keepalives.
	KeepaliveInterval time.Duration
	// AgentSocket is the ssh-agent socket; "" means $SSH_AUTH_SOCK, "none"
	// means no agent. An agent that does not answer is skipped.
	AgentSocket string
	// PassphrasePrompt asks for the passphrase of an encrypted identity
	// file; nil means encrypted files cannot be used (a clear error says
	// so when authentication fails).
	PassphrasePrompt func(keyPath string) ([]byte, error)
}

func (o *Options) setDefaults() error {
	if o.HomeDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		o.HomeDir = home
	}
	if o.LocalUser == "" {
		if u, err := user.Current(); err == nil {
			o.LocalUser = u.Username
		} else {
			o.LocalUser = os.Getenv("USER")
		}
	}
	switch o.AgentSocket {
	case "":
		o.AgentSocket = os.Getenv("SSH_AUTH_SOCK")
	case "none":
		o.AgentSocket = ""
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 15 * time.Second
	}
	if o.KeepaliveInterval == 0 {
		o.KeepaliveInterval = 15 * time.Second
	}
	return nil
}

// keyExchanges puts curve25519-sha256 first (a cheap handshake) and keeps
// the library's other supported algorithms after it.
func keyExchanges() []string {
	kex := []string{ssh.KeyExchangeCurve25519}
	for _, k := range ssh.SupportedAlgorithms().KeyExchanges {
		if !slices.Contains(kex, k) {
			kex = append(kex, k)
		}
	}
	return kex
}

// sshConn is a Conn over one SSH connection.
type sshConn struct {
	name           string
	sudo           bool
	client         *ssh.Client
	jumps          []*ssh.Client // in dialing order
	commandTimeout time.Duration

	sftpMu sync.Mutex
	sftp   *sftp.Client

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	// endpoint and hostKey are the last hop as reached: user@host:port
	// after ssh_config, and the SHA256 fingerprint of the host key it
	// presented (and known_hosts accepted).
	endpoint, hostKey string
}

var (
	_ Conn       = (*sshConn)(nil)
	_ Identified = (*sshConn)(nil)
)

// Dial opens one SSH connection to the target, through its jump hosts if
// any, verifying every host key on the way. ctx bounds the dial only; the
// returned Conn lives until Close. Errors start with "dial ADDRESS:" (the
// address as given, which may be an ssh_config alias); callers that fan
// out prefix the host's name, as ForEach does.
func Dial(ctx context.Context, t Target, o Options) (Conn, error) {
	name := t.Name
	if name == "" {
		name = t.Address
	}
	c, err := dial(ctx, name, t, o)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.Address, err)
	}
	return c, nil
}

func dial(ctx context.Context, name string, t Target, o Options) (*sshConn, error) {
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	cfg, err := loadSSHConfig(&o)
	if err != nil {
		return nil, err
	}
	r, err := resolveRoute(t, &o, sshConfigLookup{cfg})
	if err != nil {
		return nil, err
	}
	ag, agentSock := agentConn(o.AgentSocket)
	if agentSock != nil {
		defer agentSock.Close()
	}

	hops := append(slices.Clone(r.Jumps), r.Target)
	var clients []*ssh.Client
	var key ssh.PublicKey
	for i, ep := range hops {
		var via *ssh.Client
		if i > 0 {
			via = clients[i-1]
		}
		c, err := dialHop(ctx, via, ep, ag, &o, &key)
		if err != nil {
			for _, c := range slices.Backward(clients) {
				c.Close()
			}
			if i < len(hops)-1 {
				return nil, fmt.Errorf("jump host %s: %w", ep.Alias, err)
			}
			return nil, err
		}
		clients = append(clients, c)
	}

	c := &sshConn{
		name:           name,
		sudo:           t.Sudo,
		client:         clients[len(clients)-1],
		jumps:          clients[:len(clients)-1],
		commandTimeout: o.CommandTimeout,
		done:           make(chan struct{}),
		endpoint:       r.Target.String(),
	}
	if key != nil {
		c.hostKey = ssh.FingerprintSHA256(key)
	}
	if o.KeepaliveInterval > 0 {
		go c.keepalive(o.KeepaliveInterval)
	}
	return c, nil
}

// dialHop connects to one hop, directly or through via, and authenticates;
// *seen receives the host key the hop presented.
func dialHop(ctx context.Context, via *ssh.Client, ep endpoint, ag agent.Agent, o *Options, seen *ssh.PublicKey) (*ssh.Client, error) {
	hk, err := newHostKeys(ep.KnownHostsFiles, o.TrustNewHostKeys)
	if err != nil {
		return nil, err
	}
	auth := &keyAuth{agent: ag, files: ep.IdentityFiles, strict: ep.ExplicitIdentity, prompt: o.PassphrasePrompt}
	hostport := ep.HostPort()
	algos := hk.algorithms(hostport)
	// The host key verdict is kept to return it as it is, not buried in the
	// handshake's error.
	var hostKeyErr error
	verify := hk.callback(hostport)
	config := &ssh.ClientConfig{
		Config: ssh.Config{KeyExchanges: keyExchanges()},
		User:   ep.User,
		Auth:   []ssh.AuthMethod{auth.method()},
		HostKeyCallback: func(h string, remote net.Addr, key ssh.PublicKey) error {
			*seen = key
			hostKeyErr = verify(h, remote, key)
			return hostKeyErr
		},
		HostKeyAlgorithms: algos,
		Timeout:           o.ConnectTimeout,
	}

	hctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	var nc net.Conn
	if via == nil {
		var d net.Dialer
		nc, err = d.DialContext(hctx, "tcp", hostport)
	} else {
		nc, err = via.DialContext(hctx, "tcp", hostport)
	}
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", hostport, err)
	}
	stop := context.AfterFunc(hctx, func() { nc.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(nc, hostport, config)
	if !stop() {
		if sc != nil {
			sc.Close()
		}
		return nil, fmt.Errorf("ssh handshake with %s: %w", ep, hctx.Err())
	}
	switch {
	case err == nil:
		return ssh.NewClient(sc, chans, reqs), nil
	case hostKeyErr != nil:
		return nil, hostKeyErr
	case strings.Contains(err.Error(), "unable to authenticate"):
		return nil, auth.failure(ep.String(), errors.New(strings.TrimPrefix(err.Error(), "ssh: handshake failed: ")))
	case len(algos) > 0 && strings.Contains(err.Error(), "no common algorithm for host key"):
		return nil, fmt.Errorf("%w: %s offers none of the key types known_hosts holds for it (%s); its host key may have changed: %w",
			ErrHostKeyMismatch, hostport, strings.Join(algos, ", "), err)
	default:
		return nil, fmt.Errorf("ssh %s: %w", ep, err)
	}
}

// Host implements Conn.
func (c *sshConn) Host() string { return c.name }

// Endpoint implements Identified.
func (c *sshConn) Endpoint() string { return c.endpoint }

// HostKeyFingerprint implements Identified.
func (c *sshConn) HostKeyFingerprint() string { return c.hostKey }

// keepalive sends keepalive@openssh.com every interval and closes the
// connection when a request fails or is not answered within an interval.
func (c *sshConn) keepalive(interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ticker.C:
		}
		replied := make(chan error, 1)
		go func() {
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			replied <- err
		}()
		timer := time.NewTimer(interval)
		select {
		case err := <-replied:
			timer.Stop()
			if err != nil {
				c.Close()
				return
			}
		case <-timer.C:
			c.Close()
			return
		case <-c.done:
			timer.Stop()
			return
		}
	}
}

// Close implements Conn. It is safe to call more than once.
func (c *sshConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		c.sftpMu.Lock()
		if c.sftp != nil {
			c.sftp.Close()
		}
		c.sftpMu.Unlock()
		err := c.client.Close()
		for _, j := range slices.Backward(c.jumps) {
			j.Close()
		}
		if err != nil && !errors.Is(err, net.ErrClosed) {
			c.closeErr = fmt.Errorf("close: %w", err)
		}
	})
	return c.closeErr
}
