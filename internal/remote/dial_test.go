package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/remote/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestDialKnownHostRun(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{env.key.PublicKey()}})
	env.trust(t, srv)
	c := dialT(t, targetFor(srv), env.options())
	if c.Host() != "node1" {
		t.Errorf("Host() = %q, want node1", c.Host())
	}

	tests := []struct {
		cmd            Cmd
		stdout, stderr string
		exit           int
	}{
		{cmd: Cmd{Command: "echo out; echo err >&2; exit 3"}, stdout: "out\n", stderr: "err\n", exit: 3},
		{cmd: Cmd{Command: "tr a-z A-Z", Stdin: []byte("hello\n")}, stdout: "HELLO\n"},
		{cmd: Cmd{Command: "cat"}, stdout: ""},
		{cmd: Cmd{Command: "exit 0"}},
		// Sudo on a root login is ignored: the command is not wrapped.
		{cmd: Cmd{Command: "echo root", Sudo: true}, stdout: "root\n"},
	}
	for _, tt := range tests {
		res := runT(t, c, tt.cmd)
		if string(res.Stdout) != tt.stdout || string(res.Stderr) != tt.stderr || res.ExitCode != tt.exit {
			t.Errorf("Run(%q) = %q, %q, %d; want %q, %q, %d", tt.cmd.Command,
				res.Stdout, res.Stderr, res.ExitCode, tt.stdout, tt.stderr, tt.exit)
		}
	}
	execs := srv.Execs()
	if len(execs) != len(tests) || execs[4].Command != "echo root" || execs[0].User != "root" {
		t.Errorf("server saw %+v", execs)
	}
	// Many sessions, one connection: concurrent runs on the same Conn.
	err := ForEach(context.Background(), []string{"a", "b", "c", "d"}, 4, func(ctx context.Context, i int) error {
		res, err := c.Run(ctx, Cmd{Command: fmt.Sprintf("echo %d", i)})
		if err == nil && string(res.Stdout) != fmt.Sprintf("%d\n", i) {
			err = fmt.Errorf("got %q", res.Stdout)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

func TestUnknownHostRefused(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{})
	_, err := Dial(context.Background(), targetFor(srv), env.options())
	if !errors.Is(err, ErrUnknownHost) {
		t.Fatalf("got %v, want ErrUnknownHost", err)
	}
	wantErrContains(t, err, "dial 127.0.0.1: ", ssh.FingerprintSHA256(srv.HostKey),
		fmt.Sprintf("ssh-keyscan -t ed25519 -p %d 127.0.0.1 >> %s", srv.Port, env.knownHosts),
		"--trust-new-host-keys")
	if n := srv.AuthAttempts(); n != 0 || len(srv.Execs()) != 0 {
		t.Errorf("server saw %d auth attempts and %d execs, want none", n, len(srv.Execs()))
	}
	if _, err := os.Stat(env.knownHosts); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("known_hosts was written without TrustNewHostKeys: %v", err)
	}
}

func TestTrustNewHostKeys(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{})
	// An existing file without a trailing newline must stay parseable.
	other := sshtest.NewSigner(t)
	first := knownhosts.Line([]string{"other.example"}, other.PublicKey())
	if err := os.MkdirAll(filepath.Dir(env.knownHosts), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env.knownHosts, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	o := env.options()
	o.TrustNewHostKeys = true
	c := dialT(t, targetFor(srv), o)
	runT(t, c, Cmd{Command: "true"})

	data, err := os.ReadFile(env.knownHosts)
	if err != nil {
		t.Fatal(err)
	}
	if want := first + "\n" + srv.KnownHostsLine + "\n"; string(data) != want {
		t.Errorf("known_hosts = %q, want %q", data, want)
	}
	// Now known: a dial without trust succeeds.
	dialT(t, targetFor(srv), env.options())
}

func TestChangedHostKeyRefused(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{})
	old := sshtest.NewSigner(t)
	if err := os.MkdirAll(filepath.Dir(env.knownHosts), 0o700); err != nil {
		t.Fatal(err)
	}
	lines := "# comment\n" + knownhosts.Line([]string{srv.Addr}, old.PublicKey()) + "\n"
	if err := os.WriteFile(env.knownHosts, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	o := env.options()
	o.TrustNewHostKeys = true // never trusts a changed key
	_, err := Dial(context.Background(), targetFor(srv), o)
	if !errors.Is(err, ErrHostKeyMismatch) {
		t.Fatalf("got %v, want ErrHostKeyMismatch", err)
	}
	wantErrContains(t, err, "REMOTE HOST IDENTIFICATION HAS CHANGED", env.knownHosts+":2",
		ssh.FingerprintSHA256(srv.HostKey), ssh.FingerprintSHA256(old.PublicKey()))
	if n := srv.AuthAttempts(); n != 0 || len(srv.Execs()) != 0 {
		t.Errorf("server saw %d auth attempts and %d execs after a key mismatch, want none", n, len(srv.Execs()))
	}
	data, _ := os.ReadFile(env.knownHosts)
	if string(data) != lines {
		t.Errorf("known_hosts changed to %q", data)
	}
}

// A host known only by a key type it does not offer is not silently
// re-learnt: the handshake fails as a mismatch.
func TestKnownKeyTypeNotOffered(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{}) // ed25519 host key
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&ek.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(env.knownHosts), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env.knownHosts, []byte(knownhosts.Line([]string{srv.Addr}, pub)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Dial(context.Background(), targetFor(srv), env.options())
	if !errors.Is(err, ErrHostKeyMismatch) {
		t.Fatalf("got %v, want ErrHostKeyMismatch", err)
	}
	wantErrContains(t, err, "ecdsa-sha2-nistp256")
	if len(srv.Execs()) != 0 {
		t.Error("server ran commands")
	}
}

func TestHostKeyAlgorithms(t *testing.T) {
	dir := t.TempDir()
	ed := sshtest.NewSigner(t).PublicKey()
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := ssh.NewPublicKey(&ek.PublicKey)
	rsaKey := testRSAKey(t)
	file := filepath.Join(dir, "known_hosts")
	content := strings.Join([]string{
		knownhosts.Line([]string{"[db]:2222"}, rsaKey),
		knownhosts.Line([]string{"[db]:2222"}, ed),
		knownhosts.Line([]string{"web"}, ec),
		knownhosts.Line([]string{"db"}, ec), // port 22 only
	}, "\n") + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	hk, err := newHostKeys([]string{file, filepath.Join(dir, "missing")}, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hostport string
		want     []string
	}{
		{"db:2222", []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-ed25519"}},
		{"web:22", []string{"ecdsa-sha2-nistp256"}},
		{"db:22", []string{"ecdsa-sha2-nistp256"}},
		{"unknown:22", nil},
	}
	for _, tt := range tests {
		got := hk.algorithms(tt.hostport)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("algorithms(%s) = %q, want %q", tt.hostport, got, tt.want)
		}
	}
}

func TestKeyExchangesPreferCurve25519(t *testing.T) {
	kex := keyExchanges()
	if kex[0] != ssh.KeyExchangeCurve25519 {
		t.Errorf("first kex = %s, want %s", kex[0], ssh.KeyExchangeCurve25519)
	}
	for _, k := range ssh.SupportedAlgorithms().KeyExchanges {
		if !strings.Contains(strings.Join(kex, " "), k) {
			t.Errorf("kex list %q lacks library default %s", kex, k)
		}
	}
}

func TestAgentAuth(t *testing.T) {
	env := newEnv(t)
	if err := os.Remove(filepath.Join(env.home, ".ssh", "id_ed25519")); err != nil {
		t.Fatal(err)
	}
	priv, agentKey := newEd25519(t)
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	sock := serveAgent(t, keyring)
	srv := sshtest.NewServer(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{agentKey.PublicKey()}})
	env.trust(t, srv)

	o := env.options()
	o.AgentSocket = sock
	c := dialT(t, targetFor(srv), o)
	if res := runT(t, c, Cmd{Command: "echo agent"}); string(res.Stdout) != "agent\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
	// The default: $SSH_AUTH_SOCK.
	t.Setenv("SSH_AUTH_SOCK", sock)
	o.AgentSocket = ""
	dialT(t, targetFor(srv), o)
	// Without the agent there is no usable key.
	o.AgentSocket = "none"
	_, err := Dial(context.Background(), targetFor(srv), o)
	if !errors.Is(err, ErrAuth) {
		t.Errorf("without agent: got %v, want ErrAuth", err)
	}
}

func TestIdentityFileAuth(t *testing.T) {
	env := newEnv(t)
	keyPath := filepath.Join(env.home, "keys", "deploy")
	key := writeKey(t, keyPath, nil)
	srv := sshtest.NewServer(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{key.PublicKey()}})
	env.trust(t, srv)

	target := targetFor(srv)
	target.IdentityFile = "~/keys/deploy"
	dialT(t, target, env.options())

	// The default key (~/.ssh/id_ed25519) is not authorized.
	_, err := Dial(context.Background(), targetFor(srv), env.options())
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
	wantErrContains(t, err, "root@127.0.0.1", filepath.Join(env.home, ".ssh", "id_ed25519"))

	// A missing explicit identity file is reported by name.
	target.IdentityFile = "~/keys/missing"
	_, err = Dial(context.Background(), target, env.options())
	wantErrContains(t, err, filepath.Join(env.home, "keys", "missing"))
}

func TestEncryptedKey(t *testing.T) {
	env := newEnv(t)
	keyPath := filepath.Join(env.home, "keys", "locked")
	key := writeKey(t, keyPath, []byte("sesame"))
	srv := sshtest.NewServer(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{key.PublicKey()}})
	env.trust(t, srv)
	target := targetFor(srv)
	target.IdentityFile = keyPath

	_, err := Dial(context.Background(), target, env.options())
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
	wantErrContains(t, err, keyPath+" is encrypted; add it to ssh-agent")

	o := env.options()
	var asked string
	o.PassphrasePrompt = func(p string) ([]byte, error) { asked = p; return []byte("sesame"), nil }
	dialT(t, target, o)
	if asked != keyPath {
		t.Errorf("prompt asked for %q, want %q", asked, keyPath)
	}
}

func TestSSHConfigAlias(t *testing.T) {
	env := newEnv(t)
	key := writeKey(t, filepath.Join(env.home, ".ssh", "lab_key"), nil)
	srv := sshtest.NewServer(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{key.PublicKey()}})
	env.trust(t, srv)
	cfg := fmt.Sprintf("Host lab-dir\n  HostName %s\n  Port %d\n  User alice\n  IdentityFile ~/.ssh/lab_key\n", srv.Host, srv.Port)
	if err := os.WriteFile(filepath.Join(env.home, ".ssh", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	o := env.options()
	o.SSHConfigFile = "" // the default, ~/.ssh/config under HomeDir
	c := dialT(t, Target{Name: "dir", Address: "lab-dir"}, o)
	runT(t, c, Cmd{Command: "true"})
	if execs := srv.Execs(); len(execs) != 1 || execs[0].User != "alice" {
		t.Errorf("server saw %+v, want one exec as alice", execs)
	}
}

func TestProxyJump(t *testing.T) {
	env := newEnv(t)
	bastion := sshtest.NewServer(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{env.key.PublicKey()}})
	target := sshtest.NewServer(t, sshtest.Options{AuthorizedKeys: []ssh.PublicKey{env.key.PublicKey()}})

	t.Run("unknown jump host", func(t *testing.T) {
		env.trust(t, target)
		tg := targetFor(target)
		tg.Bastion = fmt.Sprintf("jumper@%s", bastion.Addr)
		_, err := Dial(context.Background(), tg, env.options())
		if !errors.Is(err, ErrUnknownHost) {
			t.Fatalf("got %v, want ErrUnknownHost", err)
		}
		wantErrContains(t, err, "jump host 127.0.0.1", ssh.FingerprintSHA256(bastion.HostKey))
		if len(bastion.Forwards()) != 0 || target.AuthAttempts() != 0 {
			t.Error("traffic went through an unverified jump host")
		}
	})
	env.trust(t, bastion)

	t.Run("Bastion", func(t *testing.T) {
		tg := targetFor(target)
		tg.Bastion = fmt.Sprintf("jumper@%s", bastion.Addr)
		c := dialT(t, tg, env.options())
		runT(t, c, Cmd{Command: "true"})
		if f := bastion.Forwards(); len(f) != 1 || f[0] != target.Addr {
			t.Errorf("bastion forwards = %q, want [%s]", f, target.Addr)
		}
		if len(bastion.Execs()) != 0 {
			t.Errorf("bastion ran %+v", bastion.Execs())
		}
		if e := target.Execs(); len(e) != 1 || e[0].User != "root" {
			t.Errorf("target saw %+v", e)
		}
	})

	t.Run("ssh_config ProxyJump", func(t *testing.T) {
		cfg := fmt.Sprintf("Host jump\n  HostName %s\n  Port %d\n  User jumper\nHost inner\n  HostName %s\n  Port %d\n  ProxyJump jump\n",
			bastion.Host, bastion.Port, target.Host, target.Port)
		cfgPath := filepath.Join(env.home, "cfg")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		o := env.options()
		o.SSHConfigFile = cfgPath
		c := dialT(t, Target{Name: "inner", Address: "inner", User: "root"}, o)
		runT(t, c, Cmd{Command: "true"})
		if f := bastion.Forwards(); len(f) != 2 || f[1] != target.Addr {
			t.Errorf("bastion forwards = %q", f)
		}
	})
}

func TestCommandTimeoutAndCancel(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{})
	env.trust(t, srv)
	o := env.options()
	o.CommandTimeout = 300 * time.Millisecond
	c := dialT(t, targetFor(srv), o)

	start := time.Now()
	_, err := c.Run(context.Background(), Cmd{Command: "sleep 10"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	wantErrContains(t, err, "command timeout 300ms")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %s", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = c.Run(ctx, Cmd{Command: "sleep 10"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want Canceled", err)
	}
	// The connection is still usable.
	runT(t, c, Cmd{Command: "true"})
}

func TestConnectTimeout(t *testing.T) {
	env := newEnv(t)
	// A peer that accepts TCP but never speaks SSH.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	o := env.options()
	o.ConnectTimeout = 200 * time.Millisecond
	addr := l.Addr().(*net.TCPAddr)
	start := time.Now()
	_, err = Dial(context.Background(), Target{Name: "mute", Address: "127.0.0.1", Port: addr.Port, User: "root"}, o)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("connect timeout took %s", d)
	}
}

func TestConnectionDropMidCommand(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{Exec: func(ctx context.Context, e *sshtest.Exec) int {
		if e.Command == "drop" {
			io.WriteString(e.Stdout, "partial")
			time.Sleep(50 * time.Millisecond)
			e.Drop()
			return 0
		}
		return sshtest.RunShell(ctx, e)
	}})
	env.trust(t, srv)
	c := dialT(t, targetFor(srv), env.options())
	runT(t, c, Cmd{Command: "true"})
	if _, err := c.Run(context.Background(), Cmd{Command: "drop"}); err == nil {
		t.Fatal("Run over a dropped connection: got no error")
	}
	if _, err := c.Run(context.Background(), Cmd{Command: "true"}); err == nil {
		t.Error("Run after the drop: got no error")
	}
	if _, err := c.ReadFile(context.Background(), "/etc/hostname"); err == nil {
		t.Error("ReadFile after the drop: got no error")
	}
}

func TestKeepalive(t *testing.T) {
	env := newEnv(t)
	srv := sshtest.NewServer(t, sshtest.Options{})
	env.trust(t, srv)
	o := env.options()
	o.KeepaliveInterval = 20 * time.Millisecond
	c := dialT(t, targetFor(srv), o)
	deadline := time.Now().Add(5 * time.Second)
	for srv.Keepalives() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.Keepalives(); n < 3 {
		t.Fatalf("server got %d keepalives, want >= 3", n)
	}
	// A refused keepalive (the server answers false) keeps the connection.
	runT(t, c, Cmd{Command: "true"})
}

// serveAgent serves keyring on a unix socket in a temporary directory.
func serveAgent(t *testing.T, keyring agent.Agent) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				agent.ServeAgent(keyring, c)
			}()
		}
	}()
	return sock
}

func testRSAKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestKnownHostsParsedOnce: dialing many hosts parses known_hosts once,
// not once per host; a file that changed (a key recorded, an edit) is
// parsed again.
func TestKnownHostsParsedOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "known_hosts")
	a, b := sshtest.NewSigner(t).PublicKey(), sshtest.NewSigner(t).PublicKey()
	if err := os.WriteFile(file, []byte(knownhosts.Line([]string{"web1"}, a)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	known := func(hostport string) bool {
		t.Helper()
		hk, err := newHostKeys([]string{file}, true)
		if err != nil {
			t.Fatal(err)
		}
		return len(hk.known(hostport)) > 0
	}
	if !known("web1:22") || known("web2:22") {
		t.Fatal("known_hosts not read")
	}
	// Same size and modification time: the parsed database is reused
	// (the file is not read again, so web2 stays unknown).
	if err := os.WriteFile(file, []byte(knownhosts.Line([]string{"web2"}, a)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if known("web2:22") || !known("web1:22") {
		t.Error("known_hosts parsed again although nothing about the file changed")
	}
	// A recorded key changes the file: the next dial sees it.
	hk, err := newHostKeys([]string{file}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := hk.record("web3:22", b); err != nil {
		t.Fatal(err)
	}
	if !known("web3:22") || !known("web2:22") || known("web1:22") {
		t.Error("known_hosts not parsed again after a key was recorded")
	}
}
