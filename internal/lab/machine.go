package lab

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

var (
	//go:embed scripts/setup.sh
	setupScript string
	//go:embed scripts/init.sh
	initScript string
	//go:embed scripts/systemctl.sh
	systemctlScript string
)

// Paths inside a machine.
const (
	machineSSHDir  = "/etc/ssh/clusterctl-lab"
	machineInit    = "/usr/local/lib/clusterctl-lab/init"
	machineReady   = "/run/clusterctl-lab/ready"
	machineWants   = "/etc/systemd/system/multi-user.target.wants"
	setupName      = "machine-setup.sh"
	consoleLogName = "console.log"
)

// machinePath is the PATH of every process the lab starts in a namespace.
const machinePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// machineFiles are the files of a machine's upper layer.
type machineFiles struct {
	hostKey       keyPair
	authorizedKey string // the lab client's public key line
	hosts         string // /etc/hosts
}

// prepareMachine lays out the machine's directory: the overlay upper layer
// with the machine's own files, the overlay work dir, the mount point and the
// skeletons of /dev and /run that setup.sh copies into fresh tmpfs.
func prepareMachine(ctx context.Context, stateDir string, m machineRecord, f machineFiles) error {
	dir := m.dir(stateDir)
	upper := filepath.Join(dir, "upper")
	for _, d := range []string{dir, upper, filepath.Join(dir, "work"), filepath.Join(dir, "root")} {
		if err := mkdirMode(d, 0o755); err != nil {
			return err
		}
	}
	if m.Flavour.EL() {
		if err := copyLayer(ctx, layerDir(stateDir, m.Flavour), upper); err != nil {
			return err
		}
	}
	// Directories that exist on the host keep the host's mode and owner in
	// the upper layer: overlayfs shows the upper directory's attributes.
	for _, d := range []string{machineSSHDir, "/usr/bin", "/usr/local/bin", "/usr/local/lib/clusterctl-lab", "/var/log", "/root", machineWants} {
		if err := mkUpperDir(upper, d); err != nil {
			return err
		}
	}
	// The real /root's shell rc files slowed every ssh login: hide the
	// host's /root and the host's enabled units, then seed /root from skel.
	for _, d := range []string{"/root", machineWants} {
		if err := unix.Setxattr(filepath.Join(upper, d), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
			return fmt.Errorf("mark %s opaque: %w", d, err)
		}
	}
	if err := copySkel(filepath.Join(upper, "root")); err != nil {
		return err
	}
	files := []struct {
		path string
		data string
		mode os.FileMode
	}{
		{machineSSHDir + "/sshd_config", renderSSHDConfig(), 0o644},
		{machineSSHDir + "/ssh_host_ed25519_key", string(f.hostKey.private), 0o600},
		{machineSSHDir + "/ssh_host_ed25519_key.pub", authorizedKey(f.hostKey.public, "root@"+m.Name), 0o644},
		{machineSSHDir + "/authorized_keys", f.authorizedKey, 0o644},
		{"/etc/hostname", m.Name + "\n", 0o644},
		{"/etc/hosts", f.hosts, 0o644},
		{"/usr/bin/systemctl", systemctlScript, 0o755},
		{"/usr/local/bin/systemctl", systemctlScript, 0o755},
		{machineInit, initScript, 0o755},
		{"/var/log/messages", "", 0o640},
		{"/var/log/sshd.log", "", 0o640},
	}
	for _, file := range files {
		if err := writeFile(filepath.Join(upper, file.path), file.data, file.mode); err != nil {
			return err
		}
	}
	if m.Flavour.EL() {
		if err := prepareEL(upper); err != nil {
			return err
		}
	}
	return makeSkeletons(filepath.Join(dir, "skel"))
}

// makeSkeletons makes skel/dev (device nodes, pts, shm, the usual links) and
// skel/run (sshd, lock, clusterctl-lab), copied with cp -a at boot.
func makeSkeletons(skel string) error {
	dev := filepath.Join(skel, "dev")
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{dev, 0o755}, {dev + "/pts", 0o755}, {dev + "/shm", 0o1777},
		{skel + "/run", 0o755}, {skel + "/run/sshd", 0o755}, {skel + "/run/lock", 0o1777}, {skel + "/run/clusterctl-lab", 0o755}} {
		if err := mkdirMode(d.path, d.mode); err != nil {
			return err
		}
	}
	for _, name := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		var st unix.Stat_t
		if err := unix.Stat("/dev/"+name, &st); err != nil {
			return fmt.Errorf("stat /dev/%s: %w", name, err)
		}
		path := filepath.Join(dev, name)
		if err := unix.Mknod(path, unix.S_IFCHR|0o666, int(st.Rdev)); err != nil {
			return fmt.Errorf("mknod %s: %w", path, err)
		}
		if err := os.Chmod(path, 0o666); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{
		"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	return nil
}

// mkdirMode makes dir with exactly mode (no umask), parents 0755.
func mkdirMode(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.Chmod(dir, mode)
}

// mkUpperDir makes rel (absolute inside the machine) in the upper layer,
// giving every directory it creates the mode and owner of the host's
// directory of the same path, or root 0755 if the host has none.
func mkUpperDir(upper, rel string) error {
	cur := upper
	host := "/"
	for _, part := range strings.Split(strings.Trim(rel, "/"), "/") {
		cur = filepath.Join(cur, part)
		host = filepath.Join(host, part)
		if _, err := os.Lstat(cur); err == nil {
			continue
		}
		mode, uid, gid := os.FileMode(0o755), 0, 0
		var st unix.Stat_t
		if err := unix.Stat(host, &st); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			mode = os.FileMode(st.Mode & 0o777)
			if st.Mode&unix.S_ISVTX != 0 {
				mode |= os.ModeSticky
			}
			uid, gid = int(st.Uid), int(st.Gid)
		}
		if err := os.Mkdir(cur, 0o700); err != nil {
			return err
		}
		if err := os.Chown(cur, uid, gid); err != nil {
			return err
		}
		if err := os.Chmod(cur, mode); err != nil {
			return err
		}
	}
	return nil
}

// copySkel copies the regular files of /etc/skel into dir.
func copySkel(dir string) error {
	entries, err := os.ReadDir("/etc/skel")
	if err != nil {
		return nil // no skel: an empty /root
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/etc/skel", e.Name()))
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, e.Name()), string(b), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// startMachine boots machine m and waits up to timeout until its PID 1
// reports ready. It returns the supervisor (unshare) and init processes; on error they are
// returned too when known, so the caller can record them for Down.
func startMachine(ctx context.Context, stateDir string, m machineRecord, timeout time.Duration) (sup, init process, err error) {
	dir := m.dir(stateDir)
	console := filepath.Join(dir, consoleLogName)
	logf, err := os.OpenFile(console, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return process{}, process{}, fmt.Errorf("open console log: %w", err)
	}
	defer logf.Close()
	// Not CommandContext: the machine must outlive ctx and this process.
	cmd := exec.Command("nsenter", "--net="+netnsPath(m.Namespace), "--",
		"unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--propagation", "private", "--kill-child",
		"/bin/bash", filepath.Join(stateDir, setupName), dir, m.Name, stateDir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = []string{machinePath, "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return process{}, process{}, fmt.Errorf("start: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		// Reap the supervisor whenever it ends (Down, or a failed boot).
		_ = cmd.Wait()
		close(exited)
	}()
	sup, _, err = readProcess(cmd.Process.Pid)
	if err != nil {
		return process{}, process{}, fmt.Errorf("read supervisor: %w", err)
	}
	failed := func(why error) error {
		if t := tail(console, 2000); t != "" {
			return fmt.Errorf("%w; console (%s):\n%s", why, console, t)
		}
		return why
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			return sup, init, failed(errors.New("machine exited during boot"))
		case <-ctx.Done():
			return sup, init, failed(fmt.Errorf("boot: %w", ctx.Err()))
		case <-tick.C:
		}
		if init.PID == 0 {
			pid, err := firstChild(sup.PID)
			if err != nil {
				continue
			}
			if init, _, err = readProcess(pid); err != nil {
				init = process{}
				continue
			}
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/root%s", init.PID, machineReady))
		if err == nil && strings.TrimSpace(string(b)) == m.Name {
			return sup, init, nil
		}
	}
}

// writeSetupScript writes the boot script all machines share.
func writeSetupScript(stateDir string) error {
	return writeFile(filepath.Join(stateDir, setupName), setupScript, 0o755)
}
