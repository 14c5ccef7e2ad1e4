package sshtest

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestServer(t *testing.T) {
	s := NewServer(t, Options{})
	hostKeys := knownhosts.Line([]string{s.Addr}, s.HostKey)
	if s.KnownHostsLine != hostKeys {
		t.Errorf("KnownHostsLine = %q, want %q", s.KnownHostsLine, hostKeys)
	}
	client := NewSigner(t)
	c, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{
		User:            "alice",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(client)},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sess.Stdout = &out
	sess.Stdin = bytes.NewReader([]byte("in"))
	err = sess.Run("cat; exit 4")
	if ee, ok := err.(*ssh.ExitError); !ok || ee.ExitStatus() != 4 || out.String() != "in" {
		t.Errorf("exec: %v, %q", err, out.String())
	}
	if e := s.Execs(); len(e) != 1 || e[0] != (ExecRecord{User: "alice", Command: "cat; exit 4"}) {
		t.Errorf("Execs() = %+v", e)
	}

	// Forwarding is refused for anything but loopback, before any dial.
	if _, err := c.Dial("tcp", "example.invalid:80"); err == nil {
		t.Error("forward to a non-loopback destination was allowed")
	}
	if f := s.Forwards(); len(f) != 1 || f[0] != "example.invalid:80" {
		t.Errorf("Forwards() = %q", f)
	}
}

func TestServerAuthorizedKeys(t *testing.T) {
	allowed := NewSigner(t)
	s := NewServer(t, Options{AuthorizedKeys: []ssh.PublicKey{allowed.PublicKey()}})
	_, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{
		User:            "alice",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(NewSigner(t))},
		HostKeyCallback: ssh.FixedHostKey(s.HostKey),
	})
	if err == nil {
		t.Fatal("an unauthorized key was accepted")
	}
	if s.AuthAttempts() == 0 {
		t.Error("no auth attempt recorded")
	}
}
