package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/hostops/hostopstest"
	"github.com/clusterctl/clusterctl/internal/resource"
)

// The secrets property (issue 13): random secrets put into every source a
// secret can come from — a literal in the configuration, -var, a valid
// and a broken -var-file, CLUSTERCTL_VAR_*, a live keepalived.conf whose
// password differs from the configured one or that the configuration no
// longer has, a live file built from a sensitive value — never appear in
// anything any command prints or saves.

// secretChars are what a generated password is made of: characters
// auth_pass accepts that no HCL, shell or keepalived syntax gives a
// meaning to.
const secretChars = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.:@+=,*^~"

// randomSecret returns an 8-character password with a letter and a digit
// (so it cannot be mistaken for any word clusterctl prints).
func randomSecret(r *rand.Rand) string {
	for {
		b := make([]byte, 8)
		for i := range b {
			b[i] = secretChars[r.IntN(len(secretChars))]
		}
		s := string(b)
		if strings.ContainsAny(s, "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ") && strings.ContainsAny(s, "23456789") {
			return s
		}
	}
}

// secretHCL is a pair whose auth_pass is authExpr (a literal or var.pw,
// or "" for none) and whose web1 has a file built from var.token.
func secretHCL(authExpr string) string {
	auth := ""
	if authExpr != "" {
		auth = "  auth_pass         = " + authExpr + "\n"
	}
	return `variable "pw" {
  type      = string
  sensitive = true
  default   = "unused1A"
}
variable "token" {
  type      = string
  sensitive = true
  default   = "unused2B"
}
host "web1" {
  interface "ens33" { addresses = ["192.168.19.101/24"] }
  file "/etc/app/token" {
    content = "token=${var.token}\n"
    mode    = "0600"
  }
}
host "web2" {
  interface "ens33" { addresses = ["192.168.19.102/24"] }
}
vrrp_instance "VI_1" {
  interface         = "ens33"
  virtual_router_id = 51
` + auth + `  virtual_ips       = ["192.168.19.100"]
  member "web1" { priority = 100 }
  member "web2" { priority = 90 }
}
`
}

// secretRun runs one command against sim and returns everything it
// printed and saved.
func secretRun(t *testing.T, sim *hostopstest.Cluster, env []string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{args: args, streams: Streams{In: strings.NewReader(""), Out: &out, Err: &errOut},
		environ: append([]string{"NO_COLOR=1"}, env...), openHost: sim.Open, clock: virtualClock()}
	run(a)
	return out.String() + errOut.String()
}

func TestSecretsNeverPrinted(t *testing.T) {
	iterations := 12
	if n, err := strconv.Atoi(os.Getenv("CLUSTERCTL_SECRET_ITERATIONS")); err == nil && n > 0 {
		iterations = n
	}
	seed := uint64(1)
	if n, err := strconv.ParseUint(os.Getenv("CLUSTERCTL_SECRET_SEED"), 10, 64); err == nil {
		seed = n
	}
	r := rand.New(rand.NewPCG(seed, 2))
	checked, commands := 0, 0
	for it := 0; it < iterations; it++ {
		literal, viaVar, viaFile, viaEnv, live, token, oldToken := randomSecret(r), randomSecret(r), randomSecret(r), randomSecret(r), randomSecret(r), randomSecret(r), randomSecret(r)
		secrets := []string{literal, viaVar, viaFile, viaEnv, live, token, oldToken}
		dir := t.TempDir()
		varFile := filepath.Join(t.TempDir(), "s.vars")
		broken := filepath.Join(t.TempDir(), "broken.vars")
		badUTF8 := filepath.Join(t.TempDir(), "bad.vars")
		mustWrite(t, varFile, fmt.Sprintf("pw = %q\ntoken = %q\n", viaFile, token))
		mustWrite(t, broken, fmt.Sprintf("pw = \"%s\n", viaFile))
		mustWrite(t, badUTF8, "pw = \"\xff"+viaFile+"\"\n")

		// The cluster as it is: converged on the live password and an old
		// token, so every plan finds them in the live files.
		mustWrite(t, filepath.Join(dir, "cluster.hcl"), secretHCL(`"`+live+`"`))
		cfg, diags := config.NewLoader().Load(dir, config.LoadOptions{Vars: []string{"token=" + oldToken}})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		sim := hostopstest.New(cfg)
		secretRun(t, sim, nil, "apply", "-auto-approve", "-var", "token="+oldToken, dir)
		if f := sim.Host("web1").Files[resource.KeepalivedConfPath]; !bytes.Contains(f.Content, []byte(live)) {
			t.Fatalf("iteration %d: the live keepalived.conf lacks the live password", it)
		}

		type source struct {
			name string
			hcl  string
			env  []string
			args []string
		}
		sources := []source{
			{"literal", secretHCL(`"` + literal + `"`), nil, []string{"-var", "token=" + token}},
			{"-var", secretHCL("var.pw"), nil, []string{"-var", "pw=" + viaVar, "-var", "token=" + token}},
			{"-var-file", secretHCL("var.pw"), nil, []string{"-var-file", varFile}},
			{"broken -var-file", secretHCL("var.pw"), nil, []string{"-var-file", broken}},
			{"non-UTF-8 -var-file", secretHCL("var.pw"), nil, []string{"-var-file", badUTF8}},
			{"environment", secretHCL("var.pw"), []string{"CLUSTERCTL_VAR_pw=" + viaEnv, "CLUSTERCTL_VAR_token=" + token}, nil},
			{"authentication removed", secretHCL(""), nil, []string{"-var", "token=" + token}},
		}
		for _, src := range sources {
			mustWrite(t, filepath.Join(dir, "cluster.hcl"), src.hcl)
			planFile := filepath.Join(t.TempDir(), "p.plan")
			renderDir := t.TempDir()
			for _, cmd := range [][]string{
				{"validate"}, {"render", "-o", renderDir}, {"fmt", "-check"},
				{"plan"}, {"plan", "-json"}, {"plan", "-out", planFile},
				{"status"}, {"status", "-json"},
				{"apply", "-json"}, {"apply", "-auto-approve"},
				{"force-unlock", "-force"},
			} {
				args := append(append(append([]string{}, cmd...), src.args...), dir)
				out := secretRun(t, sim, src.env, args...)
				if saved, err := os.ReadFile(planFile); err == nil && cmd[len(cmd)-1] == planFile {
					out += string(saved)
				}
				commands++
				for _, s := range secrets {
					checked++
					if strings.Contains(out, s) {
						t.Errorf("iteration %d, %s, clusterctl %s: a secret (%s) is in the output:\n%s", it, src.name, strings.Join(cmd, " "), whichSecret(s, secrets), out)
					}
				}
			}
		}
	}
	t.Logf("secrets property (seed %d): %d iterations × 7 secrets (literal, -var, -var-file, environment, live password, token, live token) × 7 sources × 11 commands: %d command runs, %d output checks, 0 secrets printed", seed, iterations, commands, checked)
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// whichSecret names a secret by its source, never by its value.
func whichSecret(s string, secrets []string) string {
	names := []string{"the literal", "the -var value", "the -var-file value", "the environment value", "the live password", "the token", "the live token"}
	for i, x := range secrets {
		if x == s {
			return names[i]
		}
	}
	return "?"
}
