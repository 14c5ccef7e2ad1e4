package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/lab"
)

// labFlags locate a lab.
type labFlags struct {
	Name     string
	StateDir string
	// Flavours are --flavour values: FLAVOUR for every machine, or
	// MACHINE=FLAVOUR for one.
	Flavours []string
	// BootTimeout is up's and run's --boot-timeout (0: the lab's default).
	BootTimeout time.Duration
}

func (f *labFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.Name, "name", "ccl", "lab name: prefix of its namespaces ([a-z0-9-], at most 12)")
	cmd.PersistentFlags().StringVar(&f.StateDir, "state-dir", "", "lab state directory (default /run/clusterctl-lab/NAME)")
	cmd.PersistentFlags().StringArrayVar(&f.Flavours, "flavour", nil, "machine userland: FLAVOUR for all machines or MACHINE=FLAVOUR for one (debian, rocky9, centos7); repeatable")
}

// flavours resolves --flavour for the machines named: the last value
// without a machine applies to all, MACHINE=FLAVOUR overrides it.
func (f *labFlags) flavours(machines []string) (map[string]lab.Flavour, error) {
	all := lab.Flavour("")
	per := map[string]lab.Flavour{}
	known := map[string]bool{}
	for _, m := range machines {
		known[m] = true
	}
	for _, v := range f.Flavours {
		m, fl, ok := strings.Cut(v, "=")
		if !ok {
			all = lab.Flavour(v)
			continue
		}
		if !known[m] {
			return nil, fmt.Errorf("--flavour %s: the configuration has no host %q (its hosts: %s)", v, m, strings.Join(machines, ", "))
		}
		per[m] = lab.Flavour(fl)
	}
	out := map[string]lab.Flavour{}
	for _, m := range machines {
		out[m] = all
		if fl, ok := per[m]; ok {
			out[m] = fl
		}
	}
	return out, nil
}

// labRoot holds the state directories of the labs made without
// --state-dir, one per lab name.
const labRoot = "/run/clusterctl-lab"

// registerBoot adds --boot-timeout to a command that brings a lab up.
func (f *labFlags) registerBoot(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.BootTimeout, "boot-timeout", lab.DefaultBootTimeout, "how long each machine may take to boot (more on a starved host, such as an emulated VM)")
}

func (f *labFlags) stateDir() string {
	if f.StateDir != "" {
		return f.StateDir
	}
	return filepath.Join(labRoot, f.Name)
}

// listLabs returns the labs whose state is under root, sorted by name;
// directories that hold no lab record are skipped.
func listLabs(root string) []*lab.Lab {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []*lab.Lab
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if l, err := lab.Open(filepath.Join(root, e.Name())); err == nil {
			out = append(out, l)
		}
	}
	return out
}

// labNames are the names of listLabs(root).
func labNames(root string) []string {
	var names []string
	for _, l := range listLabs(root) {
		names = append(names, l.Name())
	}
	return names
}

func (a *app) labCommand() *cobra.Command {
	var f labFlags
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run a cluster's hosts as local lab machines (Linux, root)",
		Long: `A local lab builds one machine per host of a configuration from Linux
namespaces (network, mount, pid, uts, ipc) with the host's interfaces and
addresses, a real OpenSSH sshd and a systemctl stand-in, joined by bridges
that live in a namespace of their own. An operator namespace on the lab's
networks runs clusterctl, ssh and curl; the lab has no route out, so lab
traffic never leaves it. Needs root. The kernel is shared: without IPVS
support in this kernel, LVS forwarding cannot work in the lab (keepalived
then runs VRRP only).`,
		Example: `  clusterctl lab run examples/lab-19.x/ha-nginx
  clusterctl lab status
  clusterctl lab exec web1 -- ip -br addr
  clusterctl lab down`,
	}
	f.register(cmd)
	cmd.AddCommand(a.labUpCommand(&f), a.labDownCommand(&f), a.labStatusCommand(&f), a.labExecCommand(&f), a.labRunCommand(&f))
	return cmd
}

// labSpec turns a configuration into lab machines. Gateways are left to
// apply: a fresh lab machine has only its interface addresses.
func labSpec(cfg *config.Config, f *labFlags) (lab.Spec, error) {
	spec := lab.Spec{Name: f.Name, StateDir: f.stateDir(), BootTimeout: f.BootTimeout}
	flavours, err := f.flavours(cfg.HostNames())
	if err != nil {
		return spec, err
	}
	reserved := map[netip.Addr]bool{}
	for _, name := range cfg.HostNames() {
		h := cfg.Hosts[name]
		m := lab.Machine{Name: name, Flavour: flavours[name]}
		for _, i := range h.Interfaces {
			m.Interfaces = append(m.Interfaces, lab.Interface{Name: i.Name, Addresses: i.Addresses})
		}
		spec.Machines = append(spec.Machines, m)
		if h.Gateway.IsValid() {
			reserved[h.Gateway] = true
		}
	}
	for _, v := range cfg.VRRPInstances {
		for _, p := range v.VirtualIPs {
			reserved[p.Addr()] = true
		}
	}
	for _, vs := range cfg.VirtualServers {
		for _, a := range vs.VirtualAddrs() {
			reserved[a] = true
		}
		if vs.SNATAddress.IsValid() {
			reserved[vs.SNATAddress] = true
		}
	}
	for addr := range reserved {
		spec.Reserved = append(spec.Reserved, addr)
	}
	return spec, nil
}

func (a *app) labUp(ctx context.Context, f *labFlags, path string) (*lab.Lab, error) {
	cfg, err := a.loadConfig(path)
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("the lab builds network namespaces and needs root")
	}
	start := time.Now()
	spec, err := labSpec(cfg, f)
	if err != nil {
		return nil, err
	}
	l, err := lab.Up(ctx, spec, a.streams.Err)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.streams.Out, "Lab %q is up: %d machines in %s.\n", f.Name, len(cfg.Hosts), time.Since(start).Round(10*time.Millisecond))
	return l, nil
}

func (a *app) labUpCommand(f *labFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "up [PATH]",
		Short: "Build a lab machine for every host of the configuration",
		Long: `Build one lab machine per host, with the interfaces and addresses of the
configuration and a fresh sshd; write a client key, known_hosts and an
ssh_config into the state directory. A lab of the same name that is already
up is refused (run "lab down" first); a failed "up" removes what it made.`,
		Example: `  clusterctl lab up examples/lab-19.x/ha-nginx
  ip netns exec ccl-op ssh -F /run/clusterctl-lab/ccl/ssh_config web1`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := a.labUp(cmd.Context(), f, configPath(args))
			if err != nil {
				return err
			}
			a.labHints(l)
			return nil
		},
	}
	f.registerBoot(cmd)
	return cmd
}

func (a *app) labHints(l *lab.Lab) {
	io.WriteString(a.streams.Out, labHintText(l.Name(), l.OperatorNamespace(), l.SSHConfig(), l.MachineNames()[0]))
}

// labHintText is what to do next with lab name: every command names the
// lab, so each works as printed whatever the lab is called.
func labHintText(name, opNS, sshConfig, machine string) string {
	return fmt.Sprintf(`
Operator namespace: %s (clusterctl, ssh and curl run there; it has no route out)
  ssh:    ip netns exec %s ssh -F %s %s
  shell:  clusterctl lab exec --name %s %s -- bash
  status: clusterctl lab status --name %s
  plan:   clusterctl plan --lab %s PATH      (also apply, status, verify)
  stop:   clusterctl lab down --name %s
`, opNS, opNS, sshConfig, machine, name, machine, name, name, name)
}

func (a *app) labDownCommand(f *labFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "down",
		Short:   "Remove every namespace, process, mount and file of the lab",
		Example: `  clusterctl lab down`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := lab.Open(f.stateDir())
			if errors.Is(err, lab.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(a.streams.Out, "No lab %q is up.\n", f.Name)
				return nil
			}
			if err != nil {
				return err
			}
			if err := l.Down(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(a.streams.Out, "Lab %q is down.\n", f.Name)
			return nil
		},
	}
}

func (a *app) labStatusCommand(f *labFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List the labs that are up, or one lab's machines",
		Long: `Without --name (and --state-dir), list every lab that is up with its
machines; with --name, that lab's machines. A lab that is not up is not an
error (as for "lab down"): it says so and names the labs that are up.`,
		Example: `  clusterctl lab status
  clusterctl lab status --name ncha`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flag("name").Changed && f.StateDir == "" {
				labs := listLabs(labRoot)
				if len(labs) == 0 {
					fmt.Fprintln(a.streams.Out, "No lab is up.")
					return nil
				}
				for i, l := range labs {
					if i > 0 {
						fmt.Fprintln(a.streams.Out)
					}
					if err := a.printLab(cmd.Context(), l); err != nil {
						return err
					}
				}
				return nil
			}
			l, err := lab.Open(f.stateDir())
			if errors.Is(err, lab.ErrNotFound) {
				fmt.Fprintf(a.streams.Out, "No lab %q is up.", f.Name)
				if names := labNames(labRoot); len(names) > 0 {
					fmt.Fprintf(a.streams.Out, " Labs that are up: %s.", strings.Join(names, ", "))
				}
				fmt.Fprintln(a.streams.Out)
				return nil
			}
			if err != nil {
				return fmt.Errorf("lab %q: %w", f.Name, err)
			}
			return a.printLab(cmd.Context(), l)
		},
	}
}

// printLab prints a lab's name and its machines.
func (a *app) printLab(ctx context.Context, l *lab.Lab) error {
	st, err := l.Status(ctx)
	if err != nil {
		return fmt.Errorf("lab %q: %w", l.Name(), err)
	}
	fmt.Fprintf(a.streams.Out, "Lab %s (%s, operator namespace %s)\n", l.Name(), l.StateDir(), l.OperatorNamespace())
	fmt.Fprintf(a.streams.Out, "  %-12s %-8s %-8s %-6s %s\n", "MACHINE", "PID", "RUNNING", "SSHD", "ADDRESSES")
	for _, m := range st {
		var addrs []string
		for _, p := range m.Addresses {
			addrs = append(addrs, p.String())
		}
		fmt.Fprintf(a.streams.Out, "  %-12s %-8d %-8t %-6t %s\n", m.Name, m.PID, m.Running, m.SSHD, strings.Join(addrs, " "))
	}
	return nil
}

func (a *app) labExecCommand(f *labFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "exec MACHINE -- COMMAND [ARGS...]",
		Short:   "Run a command inside a lab machine",
		Example: `  clusterctl lab exec web1 -- ip -br addr`,
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := lab.Open(f.stateDir())
			if err != nil {
				return fmt.Errorf("lab %q: %w", f.Name, err)
			}
			err = l.Exec(cmd.Context(), args[0], args[1:], a.streams.In, a.streams.Out, a.streams.Err)
			var ee interface{ ExitCode() int }
			if errors.As(err, &ee) {
				return exitError{ee.ExitCode()}
			}
			return err
		},
	}
}

func (a *app) labRunCommand(f *labFlags) *cobra.Command {
	var skipVerify bool
	cmd := &cobra.Command{
		Use:   "run [PATH]",
		Short: "Lab up, apply and verify: reproduce a configuration end to end",
		Long: `Build the lab for the configuration (or reuse the running one), then run
clusterctl apply and clusterctl verify from the lab's operator namespace
against the lab machines over SSH, exactly as against real machines. The
lab stays up afterwards for you to explore; "clusterctl lab down" removes it.`,
		Example: `  clusterctl lab run examples/lab-19.x/ha-nginx`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			path := configPath(args)
			l, err := lab.Open(f.stateDir())
			if err == nil {
				cfg, err := a.loadConfig(path)
				if err != nil {
					return err
				}
				if err := labMatches(l, cfg); err != nil {
					return err
				}
				fmt.Fprintf(a.streams.Out, "Reusing the running lab %q (clusterctl lab down --name %s to start afresh).\n", f.Name, f.Name)
			} else {
				if l, err = a.labUp(ctx, f, path); err != nil {
					return err
				}
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			common := []string{"-i", l.IdentityFile(), "--known-hosts", l.KnownHosts(), "--ssh-config", "none"}
			for _, v := range a.global.Vars {
				common = append(common, "-var", v)
			}
			for _, v := range a.global.VarFile {
				common = append(common, "-var-file", v)
			}
			if a.global.NoColor {
				common = append(common, "--no-color")
			}
			steps := [][]string{append([]string{"apply", path, "-auto-approve"}, common...)}
			if !skipVerify {
				steps = append(steps, append([]string{"verify", path}, common...))
			}
			for _, argv := range steps {
				fmt.Fprintf(a.streams.Out, "\n==> clusterctl %s (in namespace %s)\n", strings.Join(argv[:2], " "), l.OperatorNamespace())
				c := l.OperatorCommand(ctx, append([]string{exe}, argv...)...)
				c.Stdout, c.Stderr = a.streams.Out, a.streams.Err
				if err := c.Run(); err != nil {
					return fmt.Errorf("clusterctl %s: %w", argv[0], err)
				}
			}
			a.labHints(l)
			return nil
		},
	}
	cmd.Flags().BoolVar(&skipVerify, "skip-verify", false, "only bring the lab up and apply")
	f.registerBoot(cmd)
	return cmd
}

// labMatches checks that lab l was built for the hosts of cfg: the same
// machine names with the same interface addresses. Running a
// configuration against a lab built for another would reach the wrong
// machines (addresses are reused across examples).
func labMatches(l *lab.Lab, cfg *config.Config) error {
	machines := map[string]bool{}
	for _, m := range l.MachineNames() {
		machines[m] = true
	}
	var missing []string
	for _, h := range cfg.HostNames() {
		if !machines[h] {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 || len(machines) != len(cfg.Hosts) {
		return fmt.Errorf("lab %q was built for other hosts (%s), not for this configuration's (%s); use another --name, or clusterctl lab down --name %s first",
			l.Name(), strings.Join(l.MachineNames(), ", "), strings.Join(cfg.HostNames(), ", "), l.Name())
	}
	return nil
}

// envInLab marks a clusterctl started by --lab inside the operator
// namespace, so that it does not start itself again.
const envInLab = "CLUSTERCTL_IN_LAB"

func (a *app) inLab() bool {
	for _, kv := range a.environ {
		if kv == envInLab+"=1" {
			return true
		}
	}
	return false
}

// rerunInLab runs this command line again inside the operator namespace
// of lab name, with the lab's key and known_hosts, and ends with its exit
// status.
func (a *app) rerunInLab(ctx context.Context, name string, cmdArgs []string) error {
	f := labFlags{Name: name}
	l, err := lab.Open(f.stateDir())
	if err != nil {
		return fmt.Errorf("--lab %s: %w (is it up? clusterctl lab up --name %s PATH)", name, err, name)
	}
	if len(cmdArgs) > 0 {
		// A configuration (not a saved plan): it must match the lab.
		if _, err := config.ConfigFiles(cmdArgs[0]); err == nil {
			if cfg, diags := config.NewLoader().Load(cmdArgs[0], config.LoadOptions{Vars: a.global.Vars, VarFiles: a.global.VarFile, Environ: a.environ}); !diags.HasErrors() {
				if err := labMatches(l, cfg); err != nil {
					return err
				}
			}
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	argv := append([]string{exe}, a.args...)
	argv = append(argv, "-i", l.IdentityFile(), "--known-hosts", l.KnownHosts(), "--ssh-config", "none")
	c := l.OperatorCommand(ctx, argv...)
	c.Env = append(os.Environ(), envInLab+"=1")
	c.Stdin, c.Stdout, c.Stderr = a.streams.In, a.streams.Out, a.streams.Err
	err = c.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return exitError{ee.ExitCode()}
	case err != nil:
		return err
	}
	return exitError{0}
}

// labHere names the lab this process works in: --lab NAME when given
// (the command then runs in that lab's operator namespace), else the lab
// whose operator namespace (/run/netns/NAME-op) this process's network
// namespace is, else "". Saved plans record it, and apply compares it, so
// a plan made in a lab is never applied from another network.
func labHere(flagLab string) string {
	if flagLab != "" {
		return flagLab
	}
	var self syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &self); err != nil {
		return ""
	}
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return ""
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), "-op")
		if !ok {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/run/netns", e.Name()), &st) == nil && st.Dev == self.Dev && st.Ino == self.Ino {
			return name
		}
	}
	return ""
}

// registerLabCompletions makes shell completion offer the labs that are
// up for --lab (plan, apply, status, verify, ...) and lab --name, and the
// machines of the lab for lab exec MACHINE.
func registerLabCompletions(root *cobra.Command) {
	labs := func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return labNames(labRoot), cobra.ShellCompDirectiveNoFileComp
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.LocalNonPersistentFlags().Lookup("lab") != nil {
			_ = c.RegisterFlagCompletionFunc("lab", labs)
		}
		if c.Name() == "lab" && c.PersistentFlags().Lookup("name") != nil {
			_ = c.RegisterFlagCompletionFunc("name", labs)
		}
		if c.Name() == "exec" && c.Parent() != nil && c.Parent().Name() == "lab" {
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveDefault
				}
				f := labFlags{Name: cmd.Flag("name").Value.String()}
				if sd := cmd.Flag("state-dir"); sd != nil {
					f.StateDir = sd.Value.String()
				}
				l, err := lab.Open(f.stateDir())
				if err != nil {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return l.MachineNames(), cobra.ShellCompDirectiveNoFileComp
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
