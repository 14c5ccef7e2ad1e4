package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterctl/clusterctl/internal/remote/sshtest"
	"golang.org/x/crypto/ssh"
)

// testEnv is a hermetic client side: a temporary home with a client key at
// ~/.ssh/id_ed25519 and an empty known_hosts, no agent, no ssh_config.
type testEnv struct {
	home       string
	knownHosts string
	key        ssh.Signer
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	t.Setenv("SSH_AUTH_SOCK", "")
	home := t.TempDir()
	e := &testEnv{home: home, knownHosts: filepath.Join(home, ".ssh", "known_hosts")}
	e.key = writeKey(t, filepath.Join(home, ".ssh", "id_ed25519"), nil)
	return e
}

// options are Options for the env; keepalives are off unless a test
// turns them on.
func (e *testEnv) options() Options {
	return Options{
		HomeDir:           e.home,
		LocalUser:         "tester",
		SSHConfigFile:     "none",
		AgentSocket:       "none",
		ConnectTimeout:    5 * time.Second,
		KeepaliveInterval: -1,
	}
}

// trust pins the servers' host keys in the env's known_hosts.
func (e *testEnv) trust(t *testing.T, servers ...*sshtest.Server) {
	t.Helper()
	for _, s := range servers {
		s.WriteKnownHosts(t, e.knownHosts)
	}
}

func targetFor(s *sshtest.Server) Target {
	return Target{Name: "node1", Address: s.Host, Port: s.Port, User: "root"}
}

// writeKey writes a fresh ed25519 private key to path, encrypted when
// passphrase is set, and returns its signer.
func writeKey(t *testing.T, path string, passphrase []byte) ssh.Signer {
	t.Helper()
	priv, signer := newEd25519(t)
	var block *pem.Block
	var err error
	if passphrase != nil {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", passphrase)
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return signer
}

func dialT(t *testing.T, target Target, o Options) Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, target, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func runT(t *testing.T, c Conn, cmd Cmd) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Run(ctx, cmd)
	if err != nil {
		t.Fatalf("Run(%q): %v", cmd.Command, err)
	}
	return res
}

func wantErrContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func newEd25519(t *testing.T) (ed25519.PrivateKey, ssh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv, signer
}
