package hostops

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"

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
