package remote

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/clusterctl/clusterctl/internal/shell"
)

// sudoCommand wraps a command line for a non-root login.
func sudoCommand(line string) string {
	return "sudo -n sh -c " + shell.Quote(line)
}

// sudoExec runs line as root through `sudo -n`, turning sudo's refusal to
// run without a password into ErrSudoPassword.
func (c *sshConn) sudoExec(ctx context.Context, line string, stdin []byte) (Result, error) {
	res, err := c.exec(ctx, sudoCommand(line), stdin)
	if err != nil {
		return res, err
	}
	if err := sudoPasswordError(c.name, res); err != nil {
		return res, err
	}
	return res, nil
}

// sudoPasswordError recognises sudo -n's refusal: exit 1 and "a password
// is required" (or, with requiretty, "a terminal is required").
func sudoPasswordError(host string, res Result) error {
	if res.ExitCode != 1 {
		return nil
	}
	for line := range strings.Lines(string(res.Stderr)) {
		if strings.HasPrefix(line, "sudo:") &&
			(strings.Contains(line, "a password is required") || strings.Contains(line, "a terminal is required")) {
			return fmt.Errorf("%w on %s (%s); allow the login user passwordless sudo (NOPASSWD in sudoers) or log in as root",
				ErrSudoPassword, host, strings.TrimSpace(line))
		}
	}
	return nil
}

// notExistStatus is the exit status the sudo file scripts use for "no
// such file"; it is distinct from sudo's own 1 and the tools' usual codes.
const notExistStatus = 44

// The sudo file operations. Each is one command, run as root; their exact
// strings are asserted by tests.
func sudoReadScript(p string) string {
	q := shell.Quote(p)
	return fmt.Sprintf("[ -e %s ] || exit %d; exec cat -- %s", q, notExistStatus, q)
}

// sudoWriteScript sets the mode before writing, so that a secret never sits
// in a file with looser permissions than asked for, then flushes the file.
func sudoWriteScript(p string, mode fs.FileMode) string {
	q := shell.Quote(p)
	return fmt.Sprintf("umask 077 && : > %s && chmod %04o %s && cat > %s && { sync -- %s 2>/dev/null || sync; }",
		q, uint32(mode.Perm()), q, q, q)
}

func sudoRenameScript(oldpath, newpath string) string {
	return "mv -f -- " + shell.Quote(oldpath) + " " + shell.Quote(newpath)
}

func sudoStatScript(p string) string {
	q := shell.Quote(p)
	return fmt.Sprintf("[ -e %s ] || exit %d; exec stat -L -c '%%f %%s %%Y' -- %s", q, notExistStatus, q)
}

// sudoFileOp runs a file script and maps its failures to errors.
func (c *sshConn) sudoFileOp(ctx context.Context, what, script string, stdin []byte) (Result, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	res, err := c.sudoExec(ctx, script, stdin)
	switch {
	case err != nil:
		return res, fmt.Errorf("%s: %w", what, err)
	case res.ExitCode == notExistStatus:
		return res, fmt.Errorf("%s: %w", what, fs.ErrNotExist)
	case res.ExitCode != 0:
		return res, fmt.Errorf("%s: exit status %d: %s", what, res.ExitCode, bytes.TrimSpace(res.Stderr))
	}
	return res, nil
}

// parseStat parses `stat -c '%f %s %Y'`: the raw mode in hex, the size and
// the modification time in seconds.
func parseStat(p string, out []byte) (fs.FileInfo, error) {
	f := strings.Fields(string(out))
	if len(f) != 3 {
		return nil, fmt.Errorf("stat %s: unexpected output %q", p, out)
	}
	raw, err1 := strconv.ParseUint(f[0], 16, 32)
	size, err2 := strconv.ParseInt(f[1], 10, 64)
	mtime, err3 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, fmt.Errorf("stat %s: unexpected output %q", p, out)
	}
	return fileInfo{
		name:    path.Base(p),
		size:    size,
		mode:    unixMode(uint32(raw)),
		modTime: time.Unix(mtime, 0),
	}, nil
}

// unixMode converts a st_mode to an fs.FileMode.
func unixMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & 0o170000 {
	case 0o040000:
		mode |= fs.ModeDir
	case 0o120000:
		mode |= fs.ModeSymlink
	case 0o010000:
		mode |= fs.ModeNamedPipe
	case 0o140000:
		mode |= fs.ModeSocket
	case 0o020000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		mode |= fs.ModeDevice
	}
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// fileInfo is an fs.FileInfo built from parsed or in-memory metadata.
type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return f.modTime }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }
