package remote

import (
	"context"
	"io/fs"
)

// Conn is an open connection to one host. Its methods are safe for
// concurrent use; every call that touches the network takes a context, and
// cancelling it abandons the call and returns an error wrapping ctx.Err().
type Conn interface {
	// Host returns the host's name in the configuration (not its address);
	// callers use it to prefix errors and output.
	Host() string
	// Run runs one command. A command that ran and exited non-zero is not
	// an error: Result.ExitCode says how it ended. Transport failures, a
	// dropped connection, a command killed by a signal, a timeout or a
	// cancelled ctx are errors.
	Run(ctx context.Context, c Cmd) (Result, error)
	// ReadFile returns a file's content. A missing file gives an error
	// wrapping fs.ErrNotExist.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// WriteFile creates or truncates path, sets its mode, writes data and
	// flushes it to stable storage where the server supports it. It is not
	// atomic; write a temporary file and Rename it over the target for that.
	WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error
	// Rename atomically replaces newpath with oldpath (rename(2)).
	Rename(ctx context.Context, oldpath, newpath string) error
	// Stat returns a file's metadata, following symbolic links. A missing
	// file gives an error wrapping fs.ErrNotExist.
	Stat(ctx context.Context, path string) (fs.FileInfo, error)
	// Close closes the connection and any jump-host connections under it.
	Close() error
}

// Cmd is one command to run on a host.
type Cmd struct {
	// Command is a shell command line, run by the login user's shell.
	// Callers quote every value they interpolate with [Quote].
	Command string
	// Stdin is fed to the command's standard input; nil means none.
	Stdin []byte
	// Sudo asks for root privilege. It has effect only on hosts whose
	// target has Sudo set (a non-root login): the command then runs as
	// `sudo -n sh -c '<Command>'`. On a root login it is ignored.
	Sudo bool
}

// Result is how a command ended.
type Result struct {
	Stdout, Stderr []byte
	// ExitCode is the command's exit status; 0 is success.
	ExitCode int
}
