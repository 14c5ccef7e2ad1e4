package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Names of the lab's client files in StateDir.
const (
	identityFileName = "id_ed25519"
	knownHostsName   = "known_hosts"
	sshConfigName    = "ssh_config"
	recordName       = "lab.json"
)

// keyPair is an ed25519 key in the two forms OpenSSH reads.
type keyPair struct {
	private []byte        // OpenSSH PEM
	public  ssh.PublicKey // for authorized_keys and known_hosts
}

func newKeyPair(comment string) (keyPair, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return keyPairFrom(priv, comment)
}

func keyPairFrom(priv ed25519.PrivateKey, comment string) (keyPair, error) {
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return keyPair{}, fmt.Errorf("marshal private key: %w", err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return keyPair{}, fmt.Errorf("public key: %w", err)
	}
	return keyPair{private: pem.EncodeToMemory(block), public: pub}, nil
}

// authorizedKey renders pub as one authorized_keys line.
func authorizedKey(pub ssh.PublicKey, comment string) string {
	return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n") + " " + comment + "\n"
}

// renderKnownHosts lists each machine's host key under its name and all its
// addresses, so host key checking works whichever one a client dials.
func renderKnownHosts(rec record, hostKeys map[string]ssh.PublicKey) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# known hosts of clusterctl lab %q\n", rec.Name)
	for _, m := range rec.Machines {
		names := []string{m.Name}
		for _, ifc := range m.Interfaces {
			for _, p := range ifc.Addresses {
				names = append(names, p.Addr().String())
			}
		}
		line := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(hostKeys[m.Name])), "\n")
		fmt.Fprintf(&b, "%s %s\n", strings.Join(names, ","), line)
	}
	return b.String()
}

// renderSSHConfig writes a Host entry per machine (dialed at its first
// address) and one entry for all machine addresses, for clients that dial
// addresses directly.
func renderSSHConfig(rec record, configFile, identityFile, knownHosts string) string {
	var b strings.Builder
	common := func() {
		fmt.Fprintf(&b, "  User root\n")
		fmt.Fprintf(&b, "  IdentityFile %s\n", identityFile)
		fmt.Fprintf(&b, "  IdentitiesOnly yes\n")
		fmt.Fprintf(&b, "  UserKnownHostsFile %s\n", knownHosts)
		fmt.Fprintf(&b, "  GlobalKnownHostsFile /dev/null\n")
		fmt.Fprintf(&b, "  StrictHostKeyChecking yes\n")
		fmt.Fprintf(&b, "  UpdateHostKeys no\n")
	}
	fmt.Fprintf(&b, "# ssh_config of clusterctl lab %q.\n", rec.Name)
	fmt.Fprintf(&b, "# The machines are reachable only from the lab's operator namespace:\n")
	fmt.Fprintf(&b, "#   ip netns exec %s ssh -F %s <machine>\n", rec.OperatorNamespace, configFile)
	var addrs []string
	for _, m := range rec.Machines {
		fmt.Fprintf(&b, "\nHost %s\n", m.Name)
		fmt.Fprintf(&b, "  # run inside: ip netns exec %s\n", rec.OperatorNamespace)
		fmt.Fprintf(&b, "  HostName %s\n", m.Interfaces[0].Addresses[0].Addr())
		common()
		for _, ifc := range m.Interfaces {
			for _, p := range ifc.Addresses {
				addrs = append(addrs, p.Addr().String())
			}
		}
	}
	fmt.Fprintf(&b, "\nHost %s\n", strings.Join(addrs, " "))
	fmt.Fprintf(&b, "  # run inside: ip netns exec %s\n", rec.OperatorNamespace)
	common()
	return b.String()
}

// renderSSHDConfig is the sshd configuration of every lab machine.
func renderSSHDConfig() string {
	return `# sshd of a clusterctl lab machine (started by the machine's PID 1)
Port 22
HostKey ` + machineSSHDir + `/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
AuthorizedKeysFile ` + machineSSHDir + `/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
UseDNS no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
`
}

// renderHosts is a machine's /etc/hosts: every lab machine by name.
func renderHosts(rec record) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	for _, m := range rec.Machines {
		fmt.Fprintf(&b, "%s\t%s\n", m.Interfaces[0].Addresses[0].Addr(), m.Name)
	}
	return b.String()
}

// writeFile writes data to path with perm, failing if it cannot.
func writeFile(path, data string, perm os.FileMode) error {
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Chmod(path, perm)
}
