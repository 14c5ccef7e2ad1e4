package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// bound applies the per-call timeout to ctx. Its cause says which limit
// fired; it still wraps context.DeadlineExceeded.
func (c *sshConn) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.commandTimeout > 0 {
		return context.WithTimeoutCause(ctx, c.commandTimeout,
			fmt.Errorf("command timeout %s: %w", c.commandTimeout, context.DeadlineExceeded))
	}
	return context.WithCancel(ctx)
}

// Run implements Conn.
func (c *sshConn) Run(ctx context.Context, cmd Cmd) (Result, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if c.sudo && cmd.Sudo {
		return c.sudoExec(ctx, cmd.Command, cmd.Stdin)
	}
	return c.exec(ctx, cmd.Command, cmd.Stdin)
}

// exec runs line in a new session on the shared connection. On ctx's end
// the remote command is sent SIGKILL and the session closed. Errors do not
// quote the command: it may carry values the operator did not mean to print.
func (c *sshConn) exec(ctx context.Context, line string, stdin []byte) (Result, error) {
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("run command: %w", context.Cause(ctx))
	}
	s, err := c.client.NewSession()
	if err != nil {
		return Result{}, fmt.Errorf("open session: %w", err)
	}
	defer s.Close()
	// A host that writes without end must not exhaust our memory: past
	// the cap, the command is killed through ctx.
	ctx, overflow := context.WithCancelCause(ctx)
	defer overflow(nil)
	tooLarge := fmt.Errorf("%w (more than %d MiB)", ErrOutputTooLarge, MaxCommandOutput>>20)
	stdout := &cappedBuffer{over: func() { overflow(tooLarge) }}
	stderr := &cappedBuffer{over: func() { overflow(tooLarge) }}
	s.Stdout, s.Stderr = stdout, stderr
	if stdin != nil {
		s.Stdin = bytes.NewReader(stdin)
	}
	if err := s.Start(line); err != nil {
		return Result{}, fmt.Errorf("start command: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		if stdout.overflowed() || stderr.overflowed() {
			return Result{}, fmt.Errorf("run command: %w", tooLarge)
		}
		res := Result{Stdout: stdout.bytes(), Stderr: stderr.bytes()}
		return exitResult(res, err)
	case <-ctx.Done():
		s.Signal(ssh.SIGKILL)
		s.Close()
		// Give the session a moment to wind down so its goroutines stop
		// writing; a dead connection must not hold the caller up.
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond):
		}
		return Result{}, fmt.Errorf("run command: %w", context.Cause(ctx))
	}
}

// MaxCommandOutput bounds what one command may write to stdout, and
// separately to stderr. It is above the facts parser's own limit, so that
// parser can report an oversized answer itself.
const MaxCommandOutput = 32 << 20

// cappedBuffer keeps up to MaxCommandOutput bytes and calls over once when
// more arrive; the excess is discarded (and still acknowledged, so the
// session's copy loop keeps draining the channel until the kill lands).
type cappedBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	full bool
	over func()
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.full {
		return len(p), nil
	}
	if b.buf.Len()+len(p) > MaxCommandOutput {
		b.full = true
		b.over()
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *cappedBuffer) overflowed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.full
}

func (b *cappedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Bytes()
}

// exitResult turns a session's Wait error into the Result's exit code, or
// an error when the command did not exit by itself.
func exitResult(res Result, err error) (Result, error) {
	var exit *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &exit) && exit.Signal() != "":
		res.ExitCode = exit.ExitStatus()
		return res, fmt.Errorf("command killed by signal %s", exit.Signal())
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitStatus()
		return res, nil
	case errors.As(err, &missing):
		return res, errors.New("command ended without an exit status (connection lost?)")
	default:
		return res, fmt.Errorf("run command: %w", err)
	}
}
