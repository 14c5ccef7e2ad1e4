package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/keepalived"
	"github.com/clusterctl/clusterctl/internal/render"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/views"
)

func (a *app) validateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [PATH]",
		Short: "Check a configuration offline",
		Long: `Parse and check a configuration (a directory of *.hcl files or one file)
without contacting any host. Every problem is reported with its file, line
and column and a snippet of the source. Exit status 0 when valid, 1 when not.`,
		Example: `  clusterctl validate examples/lab-19.x/ha-nginx
  clusterctl validate -var vrrp_password=s3cret cluster.hcl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.loadConfig(configPath(args))
			if err != nil {
				return err
			}
			if _, err := render.Render(cfg); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "Success! The configuration is valid (%s).\n", views.Count(len(cfg.Hosts), "host"))
			return nil
		},
	}
}

type renderFlags struct {
	OutDir string
	// KeepalivedVersion, when set, is the keepalived release every
	// host's keepalived.conf is written and checked for.
	KeepalivedVersion string
}

func (a *app) renderCommand() *cobra.Command {
	var f renderFlags
	cmd := &cobra.Command{
		Use:   "render [PATH] -o DIR",
		Short: "Write every host's managed files locally, without SSH",
		Long: `Render every managed file of every host and write it under DIR as
DIR/<host>/<absolute path on the host>, with its mode. Nothing is sent to
any host. Files holding secrets (keepalived.conf with auth_pass) are written
with mode 0600 whatever their mode on the host.

With --keepalived-version, keepalived.conf is written for that keepalived
release on every host (keywords renamed across releases spelled as it
wants), and a feature the release lacks is an error naming the host, the
feature and where the configuration sets it, as plan reports it for a
host's installed release.`,
		Example: `  clusterctl render examples/lab-19.x/lvs-nat -o out
  cat out/dir/etc/clusterctl/ipvs.rules`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.OutDir == "" {
				return fmt.Errorf("render needs an output directory: -o DIR")
			}
			cfg, err := a.loadConfig(configPath(args))
			if err != nil {
				return err
			}
			hosts, err := render.Render(cfg)
			if err != nil {
				return err
			}
			if f.KeepalivedVersion != "" {
				if hosts, err = renderForKeepalived(cfg, f.KeepalivedVersion); err != nil {
					return err
				}
			}
			n := 0
			for _, name := range cfg.HostNames() {
				for _, file := range hosts[name].Files {
					dst := filepath.Join(f.OutDir, name, filepath.FromSlash(file.Path))
					if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
						return err
					}
					mode := os.FileMode(file.Mode)
					if file.Sensitive {
						mode = 0o600
					}
					if err := os.WriteFile(dst, file.Content, mode); err != nil {
						return err
					}
					if err := os.Chmod(dst, mode); err != nil {
						return err
					}
					n++
				}
			}
			fmt.Fprintf(a.out, "Rendered %s for %s into %s.\n", views.Count(n, "file"), views.Count(len(cfg.Hosts), "host"), f.OutDir)
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.OutDir, "out", "o", "", "directory to write the files into")
	cmd.Flags().StringVar(&f.KeepalivedVersion, "keepalived-version", "", "write and check keepalived.conf for this keepalived release (e.g. 2.0.19)")
	return cmd
}

// renderForKeepalived renders every host of cfg with keepalived.conf
// written for keepalived release raw; a feature that release lacks on
// any host is an error (every one, in host order).
func renderForKeepalived(cfg *config.Config, raw string) (map[string]*resource.Host, error) {
	v, ok := keepalived.ParseVersion(raw)
	if !ok {
		return nil, fmt.Errorf("--keepalived-version %q: not a keepalived release such as 2.2.7", raw)
	}
	uses, err := render.KeepalivedUses(cfg)
	if err != nil {
		return nil, err
	}
	var errs []error
	versions := map[string]keepalived.Version{}
	for _, name := range cfg.HostNames() {
		versions[name] = v
		for _, u := range keepalived.Unsupported(v, uses[name]) {
			errs = append(errs, fmt.Errorf("%s: %s", name, u.Describe(v)))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return render.RenderFor(cfg, nil, versions)
}

type fmtFlags struct {
	Check bool
}

func (a *app) fmtCommand() *cobra.Command {
	var f fmtFlags
	cmd := &cobra.Command{
		Use:   "fmt [PATH]",
		Short: "Rewrite configuration files in canonical style",
		Long: `Rewrite *.hcl files in the canonical HCL layout (aligned equals signs,
two-space indentation). With -check, change nothing and exit 3 when a file
would change (for CI), listing those files.`,
		Example: `  clusterctl fmt
  clusterctl fmt -check examples/lab-19.x/ha-nginx`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := config.ConfigFiles(configPath(args))
			if err != nil {
				return err
			}
			changed := 0
			for _, path := range files {
				src, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				_, diags := hclwrite.ParseConfig(src, path, hcl.InitialPos)
				if diags.HasErrors() {
					// Snippets of a file that does not parse show none of
					// its possibly secret values.
					views.Diagnostics(a.errOut, map[string]*hcl.File{path: {Bytes: config.RedactSource(path, src)}}, diags, a.color(a.errOut))
					return exitError{1}
				}
				out := hclwrite.Format(src)
				if bytes.Equal(out, src) {
					continue
				}
				changed++
				fmt.Fprintln(a.out, path)
				if f.Check {
					continue
				}
				st, err := os.Stat(path)
				if err != nil {
					return err
				}
				if err := os.WriteFile(path, out, st.Mode().Perm()); err != nil {
					return err
				}
			}
			if f.Check && changed > 0 {
				return exitError{3}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&f.Check, "check", false, "only check; exit 3 if any file is not canonical")
	return cmd
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintln(a.out, versionLine())
		},
	}
}

// versionLine is what `clusterctl version` and `clusterctl --version` print.
func versionLine() string {
	return fmt.Sprintf("clusterctl %s (%s, %s/%s)", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// addOperationalCommands adds the commands that talk to hosts.
func (a *app) addOperationalCommands(root *cobra.Command) {
	root.AddCommand(a.planCommand(), a.applyCommand(), a.importCommand(), a.forceUnlockCommand(), a.labCommand(), a.statusCommand(), a.verifyCommand(), a.graphCommand(),
		a.rollbackCommand(), a.destroyCommand(), a.drainCommand(true), a.drainCommand(false), a.failoverCommand())
	registerLabCompletions(root)
}
