package main

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// playbooks holds the Ansible peer of each shape: a playbook per shape
// (pairs.yml, rs.yml, files.yml) and the templates and files they use.
// Their templates produce, byte for byte, what clusterctl renders for the
// same host and variant (TestAnsibleTemplatesMatchClusterctl).
//
//go:embed ansible
var playbooks embed.FS

// writePlaybooks copies the embedded playbooks into dir/ansible and
// returns that directory.
func writePlaybooks(dir string) (string, error) {
	root := filepath.Join(dir, "ansible")
	err := fs.WalkDir(playbooks, "ansible", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := playbooks.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	return root, err
}

// playbook is the path of shape s's playbook under root.
func (s shape) playbook(root string) string { return filepath.Join(root, string(s)+".yml") }

// ansibleVariant is one way of running the Ansible peer: forks (-f) and
// whether the play gathers facts first (ANSIBLE_GATHERING implicit or
// explicit; the playbooks need none).
type ansibleVariant struct {
	Forks int
	Facts bool
}

func (a ansibleVariant) String() string {
	f := "off"
	if a.Facts {
		f = "on"
	}
	return fmt.Sprintf("forks %d, facts %s", a.Forks, f)
}

// key is the variant in measurement keys: "f5-facts", "f50-nofacts".
func (a ansibleVariant) key() string {
	if a.Facts {
		return fmt.Sprintf("f%d-facts", a.Forks)
	}
	return fmt.Sprintf("f%d-nofacts", a.Forks)
}

// ansibleInventory is a JSON (so YAML) inventory of hosts 0..n-1 of
// shape s: root with the lab's key, host keys checked against the lab's
// known_hosts, and the per-host values the shape's templates need.
// ControlPersist stays at Ansible's default (60 s).
func ansibleInventory(s shape, n int, identity, knownHosts string) string {
	hosts := map[string]map[string]any{}
	for i := range n {
		hosts[hostName(i)] = map[string]any{"ansible_host": hostAddr(i).String()}
	}
	vars := map[string]any{
		"ansible_user":                 "root",
		"ansible_ssh_private_key_file": identity,
		"ansible_ssh_common_args":      "-o UserKnownHostsFile=" + knownHosts + " -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes",
		"ansible_python_interpreter":   "/usr/bin/python3",
	}
	switch s {
	case shapePairs:
		vars["vrrp_advert_int"] = pairAdvertInt
		vars["vrrp_auth_pass"] = pairAuthPass
		for p := range n / 2 {
			for k, i := range []int{2 * p, 2*p + 1} {
				h := hosts[hostName(i)]
				h["vrrp_instance"] = pairName(p)
				h["vrrp_vrid"] = p + 1
				h["vrrp_state"], h["vrrp_priority"] = "MASTER", pairMasterPriority
				if k == 1 {
					h["vrrp_state"], h["vrrp_priority"] = "BACKUP", pairBackupPriority
				}
				h["vrrp_peer"] = hostAddr(2*p + 1 - k).String()
				h["vrrp_vips"] = [][]string{pairVIPs(p, 0), pairVIPs(p, 1)}
			}
		}
	case shapeRS:
		vars["rs_vips"] = [][]string{rsVIPs(0), rsVIPs(1)}
	}
	inv := map[string]any{"all": map[string]any{"children": map[string]any{"bench": map[string]any{"hosts": hosts, "vars": vars}}}}
	b, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		panic(err) // maps of strings, ints and string slices always marshal
	}
	return string(b) + "\n"
}

// ansibleEnv is the environment of every Ansible run: a fresh control
// path directory (every run starts cold, as clusterctl does), host keys
// checked, pipelining on (Ansible's fastest documented setting), and
// facts gathered or not.
func ansibleEnv(base []string, workDir, controlDir string, facts bool) []string {
	gathering := "explicit"
	if facts {
		gathering = "implicit"
	}
	return append(base,
		"ANSIBLE_SSH_CONTROL_PATH_DIR="+controlDir,
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(workDir, "ansible-tmp"),
		"ANSIBLE_HOST_KEY_CHECKING=True",
		"ANSIBLE_PIPELINING=True",
		"ANSIBLE_GATHERING="+gathering,
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_DEPRECATION_WARNINGS=False",
		"ANSIBLE_RETRY_FILES_ENABLED=False",
	)
}

// recap is the PLAY RECAP of an ansible-playbook run: per host, how many
// tasks changed something and whether any failed or was unreachable.
type recap struct {
	Hosts   int
	Changed map[string]int
	Failed  int
}

// parseRecap reads the PLAY RECAP lines ("m001 : ok=4 changed=1
// unreachable=0 failed=0 ...") of ansible-playbook's output.
func parseRecap(out []byte) recap {
	r := recap{Changed: map[string]int{}}
	in := false
	for line := range strings.Lines(string(out)) {
		if strings.HasPrefix(line, "PLAY RECAP") {
			in = true
			continue
		}
		if !in {
			continue
		}
		host, rest, ok := strings.Cut(line, " : ")
		if !ok {
			continue
		}
		host = strings.TrimSpace(host)
		r.Hosts++
		for _, f := range strings.Fields(rest) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			x, err := strconv.Atoi(v)
			if err != nil {
				continue
			}
			switch k {
			case "changed":
				r.Changed[host] = x
			case "failed", "unreachable":
				r.Failed += x
			}
		}
	}
	return r
}

// check says whether a run over n hosts did what op should: every host
// changed on a first rollout or a change (and in check mode, reported a
// change), none on a no-op, no host failed.
func (r recap) check(n int, op string) error {
	if r.Hosts != n {
		return fmt.Errorf("PLAY RECAP lists %d hosts, want %d", r.Hosts, n)
	}
	if r.Failed > 0 {
		return fmt.Errorf("PLAY RECAP: %d failed or unreachable", r.Failed)
	}
	for h, c := range r.Changed {
		switch {
		case op == opNoop && c != 0:
			return fmt.Errorf("no-op run: %s changed %d", h, c)
		case op != opNoop && c == 0:
			return fmt.Errorf("%s run: %s changed nothing", op, h)
		}
	}
	return nil
}
