package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clusterctl/clusterctl/internal/adopt"
)

type importFlags struct {
	conn         connFlags
	FromDir      string
	OutDir       string
	AllowPartial bool
	User         string
	Sudo         bool
}

func (a *app) importCommand() *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import [NAME=][USER@]HOST[:PORT]... -o DIR | import --from-dir SRC -o DIR",
		Short: "Adopt a hand-built cluster: write its configuration from what the hosts run",
		Long: `Read what a hand-built keepalived/LVS cluster runs — keepalived's configuration
with its includes, the scripts it names, addresses, the IPVS table,
services — and write one configuration for it into DIR (cluster.hcl,
formatted as clusterctl fmt writes it, and the adopted scripts under
files/), so that clusterctl plan right after shows no changes to anything
imported. Hosts are read over SSH with the same options and known_hosts
rules as plan, one remote script per host; --from-dir reads copies instead
(one subdirectory per host, named as the host, holding its files at their
paths, e.g. SRC/web1/etc/keepalived/keepalived.conf).

The report lists every finding: what the configuration cannot express
(host, file:line, keyword), disagreements between hosts, and what the first
plan would still change. Any of those makes the import partial: nothing is
written and the exit status is 1, unless --allow-partial. auth_pass becomes
a sensitive variable whose value is never written; the report says how to
pass it.`,
		Example: `  clusterctl import --lab imp web1=192.168.19.101 web2=192.168.19.102 -o adopted
  clusterctl import --from-dir copies -o adopted
  clusterctl plan adopted -var vrrp_password=...`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runImport(cmd.Context(), &f, args)
		},
	}
	fs := cmd.Flags()
	f.conn.register(fs, false)
	fs.StringVar(&f.FromDir, "from-dir", "", "read copies of the hosts' files from this directory (one subdirectory per host) instead of SSH")
	fs.StringVarP(&f.OutDir, "out", "o", "", "directory to write the configuration into (must not exist, or be empty)")
	fs.BoolVar(&f.AllowPartial, "allow-partial", false, "write the configuration even when the report has findings that make it partial")
	fs.StringVar(&f.User, "user", "", "SSH user for hosts that name none (default: ssh_config's, else yours)")
	fs.BoolVar(&f.Sudo, "sudo", false, "read the hosts' files through sudo -n (a non-root login)")
	return cmd
}

func (a *app) runImport(ctx context.Context, f *importFlags, args []string) error {
	if f.OutDir == "" {
		return fmt.Errorf("import needs an output directory: -o DIR")
	}
	if entries, err := os.ReadDir(f.OutDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: import writes a new configuration and never overwrites one", f.OutDir)
	}
	var hosts []*adopt.Host
	var err error
	switch {
	case f.FromDir != "" && len(args) > 0:
		return fmt.Errorf("import reads either hosts over SSH or --from-dir, not both")
	case f.FromDir != "":
		hosts, err = adopt.FromDir(f.FromDir)
	case len(args) == 0:
		return fmt.Errorf("import needs hosts (NAME=[USER@]HOST[:PORT]) or --from-dir DIR")
	default:
		hosts, err = a.readHosts(ctx, f, args)
	}
	if err != nil {
		return err
	}
	res, err := adopt.Build(hosts)
	if err != nil {
		return err
	}
	a.out.AddSecrets(res.Secrets...)
	a.errOut.AddSecrets(res.Secrets...)

	tmp, err := writeImport(f.OutDir, res)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	findings := res.Findings
	for _, fd := range adopt.Check(tmp, hosts, res.Values) {
		// On live hosts the first plan itself says what it changes.
		if f.FromDir != "" || fd.Level != adopt.Change {
			findings = append(findings, fd)
		}
	}
	if f.FromDir == "" {
		// Live hosts: plan what was written, as the user will next.
		planned, err := a.planImported(ctx, f, tmp, res.Values)
		if err != nil {
			return fmt.Errorf("plan the imported configuration: %w", err)
		}
		findings = append(findings, planned...)
	}
	a.importReport(hosts, res, findings)
	if adopt.Partial(findings) && !f.AllowPartial {
		fmt.Fprintf(a.out, "\nImport is partial: nothing written. Fix what the report lists, or write it anyway with --allow-partial.\n")
		return exitError{1}
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(f.OutDir)), 0o755); err != nil {
		return err
	}
	_ = os.Remove(f.OutDir) // an empty directory
	if err := os.Rename(tmp, f.OutDir); err != nil {
		return fmt.Errorf("write %s: %w", f.OutDir, err)
	}
	fmt.Fprintf(a.out, "\nWrote %s (%d hosts).\n", filepath.Join(f.OutDir, "cluster.hcl"), len(hosts))
	return nil
}

// writeImport writes the configuration into a new directory beside out,
// which the caller renames into place or removes.
func writeImport(out string, res *adopt.Result) (string, error) {
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, ".clusterctl-import-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return tmp, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "cluster.hcl"), res.HCL, 0o644); err != nil {
		return tmp, err
	}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for k := range res.Files {
			if !yield(k) {
				return
			}
		}
	}) {
		dst := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return tmp, err
		}
		if err := os.WriteFile(dst, res.Files[p], 0o644); err != nil {
			return tmp, err
		}
	}
	return tmp, nil
}

// importReport prints the findings and how to pass the variables.
func (a *app) importReport(hosts []*adopt.Host, res *adopt.Result, findings []adopt.Finding) {
	var names []string
	for _, h := range hosts {
		names = append(names, h.Name)
	}
	fmt.Fprintf(a.out, "Imported %d hosts: %s.\n", len(hosts), strings.Join(names, ", "))
	if len(findings) == 0 {
		fmt.Fprintf(a.out, "Nothing was left out: the first plan shows no changes.\n")
	} else {
		fmt.Fprintf(a.out, "\nReport (%d findings):\n", len(findings))
		for _, f := range findings {
			fmt.Fprintf(a.out, "  %s\n", f.String())
		}
	}
	for _, v := range res.Variables {
		fmt.Fprintf(a.out, "\nThe configuration declares the sensitive variable %q without a value (it is written nowhere): pass the hosts' auth_pass with -var %s=..., a -var-file, or CLUSTERCTL_VAR_%s in the environment.",
			v, v, v)
		if n := res.Lengths[v]; n > 8 {
			fmt.Fprintf(a.out, " The hosts' auth_pass is %d characters long and keepalived uses only its first 8: pass those 8 (clusterctl refuses longer passwords rather than truncating them).", n)
		}
		fmt.Fprintln(a.out)
	}
}
