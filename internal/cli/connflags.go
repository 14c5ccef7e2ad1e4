package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/spf13/pflag"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/pipeline"
	"github.com/clusterctl/clusterctl/internal/plan"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/views"
)

// connFlags are the flags of every command that talks to hosts.
type connFlags struct {
	SSHConfig         string
	KnownHosts        []string
	Identity          string
	TrustNewHostKeys  bool
	ConnectTimeout    time.Duration
	CommandTimeout    time.Duration
	Parallelism       int
	GatherParallelism int
	Targets           []string
	Lab               string
}

func (f *connFlags) register(fs *pflag.FlagSet, withTarget bool) {
	fs.StringVar(&f.SSHConfig, "ssh-config", "", "OpenSSH client config file (default ~/.ssh/config)")
	fs.StringArrayVar(&f.KnownHosts, "known-hosts", nil, "known_hosts file to verify host keys against (repeatable; default ~/.ssh/known_hosts)")
	fs.StringVarP(&f.Identity, "identity", "i", "", "private key file for hosts that set no identity_file")
	fs.BoolVar(&f.TrustNewHostKeys, "trust-new-host-keys", false, "record the keys of hosts not yet in known_hosts (trust on first use); changed keys are still refused")
	fs.DurationVar(&f.ConnectTimeout, "connect-timeout", 10*time.Second, "timeout for connecting to a host")
	fs.DurationVar(&f.CommandTimeout, "command-timeout", 5*time.Minute, "timeout for one remote command")
	fs.IntVar(&f.Parallelism, "parallelism", remote.DefaultParallelism, "hosts changed at once")
	fs.IntVar(&f.GatherParallelism, "gather-parallelism", 32, "hosts whose facts are read at once (read-only)")
	fs.StringVar(&f.Lab, "lab", "", "run against the local lab NAME: from its operator namespace, with its key and known_hosts")
	if withTarget {
		fs.StringArrayVar(&f.Targets, "target", nil, "limit the operation to this host (repeatable)")
	}
}

// exitTooDisruptive is the exit status of plan and apply when the plan
// is more disruptive than --max-disruption allows.
const exitTooDisruptive = 4

// disruptionFlag is --max-disruption: a class name, or unset.
type disruptionFlag struct{ class *plan.Disruption }

func (f *disruptionFlag) String() string {
	if f.class == nil {
		return ""
	}
	return f.class.String()
}

func (f *disruptionFlag) Set(s string) error {
	d, err := plan.ParseDisruption(s)
	if err != nil {
		return err
	}
	f.class = &d
	return nil
}

func (f *disruptionFlag) Type() string { return "CLASS" }

func (f *disruptionFlag) register(fs *pflag.FlagSet) {
	fs.Var(f, "max-disruption", "refuse a plan more disruptive than CLASS ("+strings.Join(plan.DisruptionNames(), ", ")+"); exit status 4")
}

// openCluster prepares a run against cfg's hosts with these flags;
// progress, when true, prints a line per host whose facts were gathered.
func (a *app) openCluster(cfg *config.Config, f *connFlags, progress bool) (*pipeline.Cluster, error) {
	opts := f.options(a)
	opts.OpenHost = a.openHost
	opts.FoundSecrets = func(found []string) {
		a.out.AddSecrets(found...)
		a.errOut.AddSecrets(found...)
	}
	if progress {
		opts.Gathered = views.GatherProgress(a.errOut)
	}
	return pipeline.Open(cfg, opts)
}

func (f *connFlags) options(a *app) pipeline.Options {
	var prompt func(string) ([]byte, error)
	if in, ok := a.streams.In.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
		prompt = a.passphrasePrompt
	}
	return pipeline.Options{
		Remote: remote.Options{
			KnownHostsFiles:   f.KnownHosts,
			SSHConfigFile:     f.SSHConfig,
			TrustNewHostKeys:  f.TrustNewHostKeys,
			ConnectTimeout:    f.ConnectTimeout,
			CommandTimeout:    f.CommandTimeout,
			KeepaliveInterval: 15 * time.Second,
			PassphrasePrompt:  prompt,
		},
		Identity:          f.Identity,
		Parallelism:       f.Parallelism,
		GatherParallelism: f.GatherParallelism,
		Targets:           f.Targets,
	}
}

// passphrasePrompt asks for a key's passphrase on the terminal. Without a
// terminal no prompt is offered and an encrypted key fails with a message
// saying to add it to ssh-agent.
func (a *app) passphrasePrompt(keyPath string) ([]byte, error) {
	in := a.streams.In.(*os.File)
	fmt.Fprintf(a.streams.Err, "Enter passphrase for %s: ", keyPath)
	defer fmt.Fprintln(a.streams.Err)
	return term.ReadPassword(int(in.Fd()))
}
