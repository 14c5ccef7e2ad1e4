package lab

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

//go:embed scripts/el.sh
var elScript string

// Flavour is the userland a lab machine answers with. Every flavour runs
// the host's (Debian's) binaries; a RHEL-family flavour adds, over the
// host's root, what makes clusterctl and an operator see that family: its
// os-release and redhat-release, an rpm database at /var/lib/rpm, dnf (or
// yum) with one file:// repository of RPMs the lab builds from the host's
// Debian packages (EL's paths and unit files, Debian's binaries), EL's
// /etc/sysconfig files, nginx's /usr/share/nginx/html, and firewalld
// running. Debian's apt and dpkg, and the files of the packages the
// machine has not installed yet (keepalived, nginx, ipvsadm), are hidden
// (overlay whiteouts), so dnf or yum installs them for real.
type Flavour string

// Flavours.
const (
	// Debian is the host's own userland (the default).
	Debian Flavour = "debian"
	// Rocky9 answers as Rocky Linux 9.3: dnf, iptables-nft, firewalld.
	Rocky9 Flavour = "rocky9"
	// CentOS7 answers as CentOS Linux 7.9: yum (dnf 4 under EL7's name:
	// EL7's own yum 3 needs python 2), iptables, firewalld.
	CentOS7 Flavour = "centos7"
)

// FlavourNames lists the flavours a machine may have.
func FlavourNames() []string { return []string{string(Debian), string(Rocky9), string(CentOS7)} }

func (f Flavour) valid() bool { return f == "" || slices.Contains(FlavourNames(), string(f)) }

// recorded is the flavour as the lab record keeps it: "" for Debian.
func (f Flavour) recorded() Flavour {
	if f == Debian {
		return ""
	}
	return f
}

// EL reports whether f is a RHEL-family flavour.
func (f Flavour) EL() bool { return f == Rocky9 || f == CentOS7 }

// RepoCacheDir holds the lab's RPM repositories, one directory per key
// (the build script and the versions of the Debian packages it packs), so
// a second lab reuses the first one's RPMs.
const RepoCacheDir = "/var/cache/clusterctl-lab"

// elPackages are the Debian packages el.sh makes RPMs of.
var elPackages = []string{"keepalived", "nginx", "nginx-common", "ipvsadm", "iptables", "firewalld", "bash"}

// ensureRepo returns the directory of the RPM repositories for this
// host's packages, building them (el.sh repo) when the cache has none.
// Concurrent labs serialise on a lock file; a build goes to a temporary
// directory renamed into place, so a cut-off build is never used.
func ensureRepo(ctx context.Context) (string, error) {
	for _, t := range []string{"rpm", "rpmbuild", "createrepo_c", "dnf", "firewalld", "dbus-daemon", "dpkg-query"} {
		if _, err := exec.LookPath(t); err != nil {
			return "", fmt.Errorf("a RHEL-family lab machine needs %s (scripts/install-deps.sh installs rpm, dnf, createrepo-c and firewalld): %w", t, err)
		}
	}
	out, err := exec.CommandContext(ctx, "dpkg-query", append([]string{"-W", "-f", "${Package}=${Version}\n"}, elPackages...)...).Output()
	if err != nil {
		return "", fmt.Errorf("versions of %s: %w", strings.Join(elPackages, ", "), err)
	}
	sum := sha256.Sum256(append([]byte(elScript), out...))
	dir := filepath.Join(RepoCacheDir, "el-"+hex.EncodeToString(sum[:])[:16])
	if _, err := os.Stat(filepath.Join(dir, "el9", "repodata", "repomd.xml")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(RepoCacheDir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(RepoCacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, "el9", "repodata", "repomd.xml")); err == nil {
		return dir, nil // another lab built it meanwhile
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if _, err := runEL(ctx, "repo", tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("build the lab's RPM repository: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// buildLayer writes the upper-layer files of flavour f into dir (see
// el.sh layer), then the overlay whiteouts el.sh lists, one per line
// (mknod here: a process per path costs seconds on a busy host).
func buildLayer(ctx context.Context, f Flavour, repo, dir string) error {
	out, err := runEL(ctx, "layer", string(f), repo, dir)
	if err != nil {
		return fmt.Errorf("flavour %s: %w", f, err)
	}
	for _, p := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
			return fmt.Errorf("flavour %s: el.sh listed %q to hide", f, p)
		}
		if err := whiteout(filepath.Join(dir, p)); err != nil {
			return fmt.Errorf("flavour %s: hide %s: %w", f, p, err)
		}
	}
	return nil
}

// whiteout makes path an overlay whiteout (a 0/0 character device), which
// hides the lower layer's file or directory of that name.
func whiteout(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(path); err != nil {
		return err
	}
	return unix.Mknod(path, unix.S_IFCHR, 0)
}

// runEL runs el.sh with args and returns its stdout; the error carries
// its stderr.
func runEL(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{"-c", elScript, "el.sh"}, args...)...)
	cmd.Env = []string{machinePath, "LANG=C.UTF-8", "HOME=/root"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return nil, fmt.Errorf("el.sh %s: %w: %s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}

// layerDir is where Up keeps the upper-layer files of flavour f.
func layerDir(stateDir string, f Flavour) string {
	return filepath.Join(stateDir, "flavours", string(f))
}

// copyLayer copies the flavour's layer into a machine's upper directory
// (cp -a keeps the whiteouts, modes and links).
func copyLayer(ctx context.Context, layer, upper string) error {
	out, err := exec.CommandContext(ctx, "cp", "-a", layer+"/.", upper+"/").CombinedOutput()
	if err != nil {
		return fmt.Errorf("copy flavour layer: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// prepareFlavours builds the repository and one layer per RHEL-family
// flavour the lab's machines use.
func prepareFlavours(ctx context.Context, rec record) error {
	var fs []Flavour
	for _, m := range rec.Machines {
		if m.Flavour.EL() && !slices.Contains(fs, m.Flavour) {
			fs = append(fs, m.Flavour)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	repo, err := ensureRepo(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range fs {
		errs = append(errs, buildLayer(ctx, f, repo, layerDir(rec.StateDir, f)))
	}
	return errors.Join(errs...)
}

// prepareEL enables dbus and firewalld in a RHEL-family machine's upper
// layer and sets firewalld's default zone. Until clusterctl manages the
// firewall, the lab's default zone is "trusted" (firewalld runs, with its
// nftables table, and accepts everything); a default-deny lab uses
// "public", firewalld's own default.
func prepareEL(upper string) error {
	wants := filepath.Join(upper, machineWants)
	for unit, target := range map[string]string{
		"dbus.service":      "/usr/lib/systemd/system/dbus.service",
		"firewalld.service": "/usr/lib/systemd/system/firewalld.service",
	} {
		if err := os.Symlink(target, filepath.Join(wants, unit)); err != nil {
			return err
		}
	}
	conf, err := os.ReadFile("/etc/firewalld/firewalld.conf")
	if err != nil {
		return fmt.Errorf("firewalld configuration: %w", err)
	}
	lines := strings.Split(string(conf), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "DefaultZone=") {
			lines[i] = "DefaultZone=trusted"
		}
	}
	if err := mkUpperDir(upper, "/etc/firewalld"); err != nil {
		return err
	}
	return writeFile(filepath.Join(upper, "etc/firewalld/firewalld.conf"), strings.Join(lines, "\n"), 0o644)
}
