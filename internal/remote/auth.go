package remote

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// agentConn connects to the ssh-agent at socket, if there is one. A socket
// that is unset or does not answer means no agent: nil, no error.
func agentConn(socket string) (agent.ExtendedAgent, net.Conn) {
	if socket == "" {
		return nil, nil
	}
	c, err := net.Dial("unix", socket)
	if err != nil {
		return nil, nil
	}
	return agent.NewClient(c), c
}

// keyAuth builds the public-key authentication for one hop: the agent's
// keys first, then the hop's identity files, without duplicates. Problems
// that may explain a failed authentication (an encrypted key with no way to
// decrypt it, an unreadable explicit key) are kept in notes rather than
// failing at once, because another key may still be accepted.
type keyAuth struct {
	agent  agent.Agent
	files  []string
	strict bool // files were named explicitly: report missing ones
	prompt func(keyPath string) ([]byte, error)

	mu    sync.Mutex
	notes []error
	tried []string
}

func (a *keyAuth) method() ssh.AuthMethod {
	return ssh.PublicKeysCallback(a.signers)
}

func (a *keyAuth) note(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notes = append(a.notes, err)
}

func (a *keyAuth) signers() ([]ssh.Signer, error) {
	var signers []ssh.Signer
	seen := map[string]bool{}
	add := func(s ssh.Signer) {
		k := string(s.PublicKey().Marshal())
		if !seen[k] {
			seen[k] = true
			signers = append(signers, s)
		}
	}
	if a.agent != nil {
		ss, err := a.agent.Signers()
		if err != nil {
			a.note(fmt.Errorf("ssh-agent: %w", err))
		}
		for _, s := range ss {
			add(s)
		}
		a.mu.Lock()
		a.tried = append(a.tried, fmt.Sprintf("ssh-agent (%d keys)", len(ss)))
		a.mu.Unlock()
	}
	for _, path := range a.files {
		s, err := loadIdentity(path, a.prompt)
		if errors.Is(err, fs.ErrNotExist) && !a.strict {
			continue
		}
		if err != nil {
			a.note(err)
			continue
		}
		a.mu.Lock()
		a.tried = append(a.tried, path)
		a.mu.Unlock()
		add(s)
	}
	return signers, nil
}

// failure explains a failed authentication: what was tried, the server's
// answer and the notes, which usually say what to fix.
func (a *keyAuth) failure(user string, err error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	tried := "no keys"
	if len(a.tried) > 0 {
		tried = strings.Join(a.tried, ", ")
	}
	var notes strings.Builder
	for _, n := range a.notes {
		notes.WriteString("; ")
		notes.WriteString(n.Error())
	}
	return fmt.Errorf("%w as %s (tried %s): %w%s", ErrAuth, user, tried, err, notes.String())
}

// loadIdentity reads and parses a private key, asking prompt for the
// passphrase of an encrypted one.
func loadIdentity(path string, prompt func(string) ([]byte, error)) (ssh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if prompt == nil {
			return nil, fmt.Errorf("identity file %s is encrypted; add it to ssh-agent (`ssh-add %s`) or run clusterctl where it can ask for the passphrase", path, path)
		}
		pass, perr := prompt(path)
		if perr != nil {
			return nil, fmt.Errorf("passphrase for %s: %w", path, perr)
		}
		s, err = ssh.ParsePrivateKeyWithPassphrase(pem, pass)
	}
	if err != nil {
		return nil, fmt.Errorf("identity file %s: %w", path, err)
	}
	return s, nil
}
