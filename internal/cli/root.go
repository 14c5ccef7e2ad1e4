package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/clusterctl/clusterctl/internal/apply"
	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops"
	"github.com/clusterctl/clusterctl/internal/secret"
	"github.com/clusterctl/clusterctl/internal/views"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

// Streams are the standard streams a command uses.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// exitError carries an exit code through cobra without printing twice.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// app is the state shared by one invocation's commands.
type app struct {
	args    []string // the command line, for re-running it inside a lab
	streams Streams
	environ []string
	global  globalFlags
	// out and errOut are the standard output and error as every command
	// prints to them: masked with the configuration's secrets once it is
	// loaded (views.Out is the one masking boundary).
	out, errOut *views.Out
	// openHost, when set, replaces the SSH connections to hosts (tests
	// run commands against typed fakes); clock, when set, replaces the
	// clock of apply's gates (tests).
	openHost func(ctx context.Context, host string) (hostops.Host, error)
	clock    *apply.Options
}

// globalFlags are the flags every command accepts.
type globalFlags struct {
	NoColor bool
	Vars    []string
	VarFile []string
}

// Main runs clusterctl with args and returns the process exit code.
func Main(args []string, streams Streams, environ []string) int {
	return run(&app{args: args, streams: streams, environ: environ})
}

// run runs the command line of a.
func run(a *app) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args, streams := a.args, a.streams
	a.out, a.errOut = views.NewOut(streams.Out, secret.Masker{}), views.NewOut(streams.Err, secret.Masker{})
	root := a.rootCommand()
	root.SetArgs(terraformStyleFlags(args, longFlags(root)))
	root.SetIn(streams.In)
	root.SetOut(a.out)
	root.SetErr(a.errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(a.errOut, "Error: %s\n", err)
	return 1
}

// terraformStyleFlags accepts Terraform's single-dash long flags
// (-auto-approve, -out=FILE, -detailed-exitcode) by rewriting them to
// the double-dash form cobra parses. One-letter flags (-o, -i) and
// everything after "--" are left alone.
func terraformStyleFlags(args []string, known map[string]bool) []string {
	out := make([]string, 0, len(args))
	for i, arg := range args {
		if arg == "--" {
			return append(out, args[i:]...)
		}
		name, _, _ := strings.Cut(arg, "=")
		if len(name) > 2 && name[0] == '-' && name[1] != '-' && known[name[1:]] {
			arg = "-" + arg
		}
		out = append(out, arg)
	}
	return out
}

// longFlags collects the long flag names of every command under root, so
// that only real flags are rewritten ("lab exec web1 ip -br addr" keeps
// its -br).
func longFlags(root *cobra.Command) map[string]bool {
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if len(f.Name) > 1 {
					known[f.Name] = true
				}
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return known
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "clusterctl",
		Short: "Provision keepalived + LVS clusters declaratively",
		Long: `clusterctl provisions Linux high-availability and load-balancing clusters
(keepalived VRRP, LVS/IPVS in NAT, DR, TUN and FULLNAT modes) from one HCL
configuration. It renders every file offline, plans against the live
machines over SSH, and applies changes host by host in a safe order.`,
		Example: `  clusterctl validate examples/lab-19.x/ha-nginx
  clusterctl render examples/lab-19.x/lvs-nat -o out
  clusterctl plan examples/lab-19.x/ha-nginx
  clusterctl apply examples/lab-19.x/ha-nginx`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version as well as the version command.
		Version: Version,
		// --lab NAME runs the command again inside the lab's operator
		// namespace (see lab.go), where lab machines are reachable.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if fl := cmd.Flags().Lookup("lab"); fl != nil && fl.Value.String() != "" && !a.inLab() {
				return a.rerunInLab(cmd.Context(), fl.Value.String(), args)
			}
			return nil
		},
	}
	root.SetVersionTemplate(versionLine() + "\n")
	pf := root.PersistentFlags()
	pf.BoolVar(&a.global.NoColor, "no-color", false, "disable colour output (also NO_COLOR)")
	pf.StringArrayVar(&a.global.Vars, "var", nil, "set a variable: -var name=value (repeatable)")
	pf.StringArrayVar(&a.global.VarFile, "var-file", nil, "read variable values from an HCL file (repeatable)")
	root.AddCommand(
		a.validateCommand(),
		a.renderCommand(),
		a.fmtCommand(),
		a.versionCommand(),
	)
	a.addOperationalCommands(root)
	return root
}

// configPath returns the path argument or the current directory.
func configPath(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return "."
}

// loadConfig loads and validates the configuration at path, printing every
// diagnostic (warnings too). It returns an exitError when there are errors.
func (a *app) loadConfig(path string) (*config.Config, error) {
	loader := config.NewLoader()
	cfg, diags := loader.Load(path, config.LoadOptions{Vars: a.global.Vars, VarFiles: a.global.VarFile, Environ: a.environ})
	if cfg != nil {
		m := secret.New(cfg.Secrets()...).ForJSON()
		a.out.SetMasker(m)
		a.errOut.SetMasker(m)
	}
	views.Diagnostics(a.errOut, loader.MaskedFiles(), diags, a.color(a.errOut))
	if diags.HasErrors() {
		return nil, exitError{1}
	}
	return cfg, nil
}

// color reports whether to colour output written to w.
func (a *app) color(w io.Writer) bool {
	if o, ok := w.(*views.Out); ok {
		w = o.Underlying()
	}
	if a.global.NoColor {
		return false
	}
	for _, kv := range a.environ {
		if len(kv) >= 9 && kv[:9] == "NO_COLOR=" {
			return false
		}
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
