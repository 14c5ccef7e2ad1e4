package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/secret"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// ErrCommandFailed wraps a remote command that exited non-zero.
var ErrCommandFailed = errors.New("command failed")

// runner runs privileged commands on one host and turns a non-zero exit
// into an error carrying the command's own message.
type runner struct {
	conn remote.Conn
	mask secret.Masker
}

// run runs argv (each word quoted) as root.
func (r runner) run(ctx context.Context, argv ...string) (string, error) {
	return r.sh(ctx, nil, shell.Join(argv...))
}

// sh runs a shell command line as root with stdin.
func (r runner) sh(ctx context.Context, stdin []byte, command string) (string, error) {
	res, err := r.conn.Run(ctx, remote.Cmd{Command: command, Stdin: stdin, Sudo: true})
	if err != nil {
		return "", fmt.Errorf("%s: %w", r.mask.String(shortCommand(command)), err)
	}
	if res.ExitCode != 0 {
		msg := strings.TrimSpace(string(res.Stderr))
		if msg == "" {
			msg = strings.TrimSpace(string(res.Stdout))
		}
		return string(res.Stdout), fmt.Errorf("%s: %w (exit %d): %s", r.mask.String(shortCommand(command)), ErrCommandFailed, res.ExitCode, r.mask.String(msg))
	}
	return string(res.Stdout), nil
}

// shortCommand trims a command for error messages.
func shortCommand(c string) string {
	if i := strings.IndexByte(c, '\n'); i >= 0 {
		c = c[:i] + " …"
	}
	if len(c) > 160 {
		c = c[:160] + " …"
	}
	return c
}
