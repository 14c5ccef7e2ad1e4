package remote

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"

	"github.com/pkg/sftp"
)

// File operations go over SFTP as the login user, or, on a Sudo target,
// through sudo'd shell commands on the same connection (see sudo.go).

// sftpClient opens the SFTP subsystem on first use and reuses it after.
func (c *sshConn) sftpClient() (*sftp.Client, error) {
	c.sftpMu.Lock()
	defer c.sftpMu.Unlock()
	select {
	case <-c.done:
		return nil, net.ErrClosed
	default:
	}
	if c.sftp == nil {
		cl, err := sftp.NewClient(c.client)
		if err != nil {
			return nil, fmt.Errorf("open sftp: %w", err)
		}
		c.sftp = cl
	}
	return c.sftp, nil
}

// sftpOp runs op with the SFTP client, bounded by ctx and the command
// timeout. SFTP calls cannot be interrupted; on ctx's end the call is
// abandoned (it finishes or fails with the connection in the background).
func (c *sshConn) sftpOp(ctx context.Context, what string, op func(*sftp.Client) error) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, context.Cause(ctx))
	}
	done := make(chan error, 1)
	go func() {
		cl, err := c.sftpClient()
		if err == nil {
			err = op(cl)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, context.Cause(ctx))
	}
}

// ReadFile implements Conn.
func (c *sshConn) ReadFile(ctx context.Context, path string) ([]byte, error) {
	what := "read " + path
	if c.sudo {
		res, err := c.sudoFileOp(ctx, what, sudoReadScript(path), nil)
		if err != nil {
			return nil, err
		}
		return res.Stdout, nil
	}
	var data []byte
	err := c.sftpOp(ctx, what, func(cl *sftp.Client) error {
		f, err := cl.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err = io.ReadAll(f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// WriteFile implements Conn. The mode is set before the data is written.
// Only the permission bits of mode are used.
func (c *sshConn) WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	what := "write " + path
	if c.sudo {
		_, err := c.sudoFileOp(ctx, what, sudoWriteScript(path, mode), data)
		return err
	}
	return c.sftpOp(ctx, what, func(cl *sftp.Client) error {
		f, err := cl.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return err
		}
		if err := f.Chmod(mode.Perm()); err != nil {
			f.Close()
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		if v, ok := cl.HasExtension("fsync@openssh.com"); ok && v == "1" {
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
		}
		return f.Close()
	})
}

// Rename implements Conn. Over SFTP it needs posix-rename@openssh.com for
// an atomic replace; servers without it get a plain rename, which fails
// when newpath exists.
func (c *sshConn) Rename(ctx context.Context, oldpath, newpath string) error {
	what := "rename " + oldpath + " to " + newpath
	if c.sudo {
		_, err := c.sudoFileOp(ctx, what, sudoRenameScript(oldpath, newpath), nil)
		return err
	}
	return c.sftpOp(ctx, what, func(cl *sftp.Client) error {
		if _, ok := cl.HasExtension("posix-rename@openssh.com"); ok {
			return cl.PosixRename(oldpath, newpath)
		}
		return cl.Rename(oldpath, newpath)
	})
}

// Stat implements Conn.
func (c *sshConn) Stat(ctx context.Context, path string) (fs.FileInfo, error) {
	what := "stat " + path
	if c.sudo {
		res, err := c.sudoFileOp(ctx, what, sudoStatScript(path), nil)
		if err != nil {
			return nil, err
		}
		return parseStat(path, res.Stdout)
	}
	var fi fs.FileInfo
	err := c.sftpOp(ctx, what, func(cl *sftp.Client) error {
		var err error
		fi, err = cl.Stat(path)
		return err
	})
	if err != nil {
		return nil, err
	}
	return fi, nil
}
