package hostops

import (
	"context"
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// Shell implements Host with shell commands over one connection. Every
// command runs as root (sudo -n on a Sudo target) except the read-only
// address listing, and every value in a command is quoted with package
// shell. Errors carry the command (shortened) and its own message; they
// are not masked: output layers mask what they print.
type Shell struct {
	conn remote.Conn
}

var _ Host = (*Shell)(nil)

// New returns the operations of the host conn reaches.
func New(conn remote.Conn) *Shell { return &Shell{conn: conn} }

// Name implements Host.
func (s *Shell) Name() string { return s.conn.Host() }

// run runs argv, each word quoted, as root.
func (s *Shell) run(ctx context.Context, argv ...string) (string, error) {
	return s.sh(ctx, nil, shell.Join(argv...))
}

// sh runs a command line as root with stdin and turns a non-zero exit
// into an error wrapping ErrCommandFailed with the command's own message.
func (s *Shell) sh(ctx context.Context, stdin []byte, command string) (string, error) {
	res, err := s.conn.Run(ctx, remote.Cmd{Command: command, Stdin: stdin, Sudo: true})
	if err != nil {
		return "", fmt.Errorf("%s: %w", shortCommand(command), err)
	}
	if res.ExitCode != 0 {
		return string(res.Stdout), fmt.Errorf("%s: %w (exit %d): %s", shortCommand(command), ErrCommandFailed, res.ExitCode, message(res))
	}
	return string(res.Stdout), nil
}

// message is what a failed command said: its stderr, else its stdout.
func message(res remote.Result) string {
	if msg := strings.TrimSpace(string(res.Stderr)); msg != "" {
		return msg
	}
	return strings.TrimSpace(string(res.Stdout))
}

// shortCommand trims a command for error messages: its first line, at
// most 160 bytes.
func shortCommand(c string) string {
	if i := strings.IndexByte(c, '\n'); i >= 0 {
		c = c[:i] + " …"
	}
	if len(c) > 160 {
		c = c[:160] + " …"
	}
	return c
}
