package lab

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"syscall"
)

// Exec runs argv inside machine (all its namespaces, its root and a root
// login's environment) and waits for it. A non-zero exit is returned as a
// wrapped *exec.ExitError.
func (l *Lab) Exec(ctx context.Context, machine string, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(argv) == 0 {
		return fmt.Errorf("exec in %s: no command", machine)
	}
	m, err := l.machine(machine)
	if err != nil {
		return err
	}
	if !m.Init.alive() {
		return fmt.Errorf("%w: machine %s", ErrNotRunning, machine)
	}
	args := append([]string{"--target", strconv.Itoa(m.Init.PID), "--all", "--root", "--wd", "--"}, argv...)
	cmd := exec.CommandContext(ctx, "nsenter", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	// A root login's environment, not the caller's.
	cmd.Env = []string{machinePath, "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash", "LANG=C.UTF-8"}
	// nsenter forks into the PID namespace: on cancel, kill its whole
	// process group, not just nsenter.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("exec in %s: %w", machine, err)
	}
	return nil
}

// OperatorCommand returns a command that runs argv in the operator
// namespace, the only place lab machines are reachable from. If that
// namespace does not exist, the command's Start fails with ErrNotRunning
// instead of running anything on the host's network.
func (l *Lab) OperatorCommand(ctx context.Context, argv ...string) *exec.Cmd {
	ns := l.rec.OperatorNamespace
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns}, argv...)...)
	if _, ok := netnsInode(ns); !ok {
		cmd.Err = fmt.Errorf("%w: operator namespace %s does not exist", ErrNotRunning, ns)
	} else if len(argv) == 0 {
		cmd.Err = fmt.Errorf("operator command: no command")
	}
	return cmd
}
