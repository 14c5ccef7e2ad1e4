package hostops

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// backupCommand copies p, when it exists, to its backup under
// resource.BackupDir with suffix.
func backupCommand(p, suffix string) string {
	backup := resource.BackupDir + p + "." + suffix
	return fmt.Sprintf("if [ -e %[1]s ]; then mkdir -p %[2]s && cp -p %[1]s %[3]s; fi", shell.Quote(p), shell.Quote(path.Dir(backup)), shell.Quote(backup))
}

// TempPath is the temporary file WriteFile uploads p to:
// DIR/.clusterctl-NAME.RANDOM.tmp, in p's directory so the final rename
// is atomic.
func TempPath(p string) string {
	return path.Join(path.Dir(p), ".clusterctl-"+path.Base(p)+"."+randomSuffix()+".tmp")
}

// WriteFile implements Host: mkdir, upload with mode 0600 (a secret never
// sits in a world-readable file), chown and chmod, the validator, the
// backup and a sync, then the rename.
func (s *Shell) WriteFile(ctx context.Context, f resource.File, backupSuffix string) error {
	p := f.Path
	dir := path.Dir(p)
	tmp := TempPath(p)
	if _, err := s.run(ctx, "mkdir", "-p", dir); err != nil {
		return err
	}
	if err := s.conn.WriteFile(ctx, tmp, f.Content, fs.FileMode(0o600)); err != nil {
		s.cleanup(ctx, tmp)
		return fmt.Errorf("upload: %w", err)
	}
	if _, err := s.sh(ctx, nil, fmt.Sprintf("chown %s:%s %s && chmod %s %s", shell.Quote(f.Owner), shell.Quote(f.Group), shell.Quote(tmp), config.FormatMode(f.Mode), shell.Quote(tmp))); err != nil {
		s.cleanup(ctx, tmp)
		return err
	}
	if f.Validate == resource.ValidateKeepalived {
		if err := s.validateKeepalived(ctx, tmp); err != nil {
			s.cleanup(ctx, tmp)
			return err
		}
	}
	if _, err := s.sh(ctx, nil, backupCommand(p, backupSuffix)+" && { sync "+shell.Quote(tmp)+" 2>/dev/null || sync; }"); err != nil {
		s.cleanup(ctx, tmp)
		return err
	}
	if err := s.conn.Rename(ctx, tmp, p); err != nil {
		s.cleanup(ctx, tmp)
		return fmt.Errorf("rename into place: %w", err)
	}
	return nil
}

// RemoveFile implements Host.
func (s *Shell) RemoveFile(ctx context.Context, p, backupSuffix string) error {
	_, err := s.sh(ctx, nil, backupCommand(p, backupSuffix)+" && rm -f "+shell.Quote(p))
	return err
}

// RestoreFile implements Host: copy the backup next to path, then rename
// it over path.
func (s *Shell) RestoreFile(ctx context.Context, p, backupSuffix string) error {
	backup := resource.BackupDir + p + "." + backupSuffix
	tmp := TempPath(p)
	cmd := fmt.Sprintf("cp -p %s %s && mv -f %s %s", shell.Quote(backup), shell.Quote(tmp), shell.Quote(tmp), shell.Quote(p))
	if _, err := s.sh(ctx, nil, cmd); err != nil {
		s.cleanup(ctx, tmp)
		return fmt.Errorf("restore %s: %w", p, err)
	}
	return nil
}

// validateKeepalived runs keepalived's own check on the uploaded file.
// keepalived 2.2.7 exits 0 for a missing file, so existence is checked
// first; it checks that interfaces and scripts exist, so it must run on
// the host itself.
func (s *Shell) validateKeepalived(ctx context.Context, tmp string) error {
	res, err := s.conn.Run(ctx, remote.Cmd{Command: "test -s " + shell.Quote(tmp) + " && keepalived -t -f " + shell.Quote(tmp), Sudo: true})
	if err != nil {
		return fmt.Errorf("keepalived -t: %w", err)
	}
	if res.ExitCode != 0 {
		msg := strings.TrimSpace(string(res.Stderr) + "\n" + string(res.Stdout))
		if msg == "" {
			msg = fmt.Sprintf("exit %d", res.ExitCode)
		}
		return fmt.Errorf("%w: keepalived -t -f (new keepalived.conf) exited %d; the old file and the running keepalived are untouched:\n%s",
			ErrValidation, res.ExitCode, msg)
	}
	return nil
}

func (s *Shell) cleanup(ctx context.Context, tmp string) {
	_, _ = s.run(ctx, "rm", "-f", tmp)
}

// WriteManifest implements Host in one command: keep the manifest as
// found (with backupSuffix), write a temporary file (mode 0644) and
// rename it over the manifest; or, with no entries, remove it.
func (s *Shell) WriteManifest(ctx context.Context, entries []resource.ManifestEntry, backupSuffix string) error {
	m := resource.ManifestPath
	var cmd string
	if backupSuffix != "" {
		backup := resource.BackupDir + m + "." + backupSuffix
		cmd = fmt.Sprintf("mkdir -p %s && { if [ -e %s ]; then cp -p %s %s; else : > %s; fi; } && ", shell.Quote(path.Dir(backup)), shell.Quote(m), shell.Quote(m), shell.Quote(backup), shell.Quote(backup))
	}
	var stdin []byte
	if len(entries) == 0 {
		cmd += "rm -f " + shell.Quote(m)
	} else {
		tmp := m + "." + randomSuffix() + ".tmp"
		cmd += fmt.Sprintf("mkdir -p %s && ( umask 022; cat > %s ) && mv -f %s %s", shell.Quote(path.Dir(m)), shell.Quote(tmp), shell.Quote(tmp), shell.Quote(m))
		stdin = resource.FormatManifest(entries)
	}
	if _, err := s.sh(ctx, stdin, cmd); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return nil
}

// Backups implements Host: the regular files under resource.BackupDir.
func (s *Shell) Backups(ctx context.Context) ([]string, error) {
	dir := shell.Quote(resource.BackupDir)
	out, err := s.sh(ctx, nil, "if [ -d "+dir+" ]; then find "+dir+" -type f; fi")
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var paths []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, resource.BackupDir+"/") {
			paths = append(paths, l)
		}
	}
	sort.Strings(paths)
	return paths, nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
