package remote

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testSSHConfig = `
Host lab
  HostName 10.9.9.9
  User alice
  Port 2200
  IdentityFile ~/.ssh/lab_key
  UserKnownHostsFile ~/.ssh/lab_known_hosts /etc/ssh/lab_hosts

Host behind
  HostName %h.internal
  ProxyJump jumper@bastion:2022,lab

Host direct
  ProxyJump none

Host bastion
  IdentityFile %d/.ssh/bastion_%r
`

func TestResolveRoute(t *testing.T) {
	home := t.TempDir()
	cfgPath := filepath.Join(home, "ssh_config")
	if err := os.WriteFile(cfgPath, []byte(testSSHConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := Options{HomeDir: home, LocalUser: "me", SSHConfigFile: cfgPath}
	cfg, err := loadSSHConfig(&opts)
	if err != nil {
		t.Fatal(err)
	}
	defaultKeys := []string{home + "/.ssh/id_ed25519", home + "/.ssh/id_ecdsa", home + "/.ssh/id_rsa"}
	defaultKnown := []string{home + "/.ssh/known_hosts"}
	lab := endpoint{
		Alias: "lab", HostName: "10.9.9.9", Port: 2200, User: "alice",
		IdentityFiles: []string{home + "/.ssh/lab_key"}, ExplicitIdentity: true,
		KnownHostsFiles: []string{home + "/.ssh/lab_known_hosts", "/etc/ssh/lab_hosts"},
	}

	tests := []struct {
		name   string
		target Target
		opts   func(*Options)
		want   route
	}{{
		name:   "defaults",
		target: Target{Address: "192.168.19.101"},
		want: route{Target: endpoint{Alias: "192.168.19.101", HostName: "192.168.19.101", Port: 22, User: "me",
			IdentityFiles: defaultKeys, KnownHostsFiles: defaultKnown}},
	}, {
		name:   "ssh_config alias",
		target: Target{Address: "lab"},
		want:   route{Target: lab},
	}, {
		name:   "HCL wins over ssh_config",
		target: Target{Address: "lab", User: "root", Port: 22, IdentityFile: "~/id_hcl"},
		want: route{Target: endpoint{Alias: "lab", HostName: "10.9.9.9", Port: 22, User: "root",
			IdentityFiles: []string{home + "/id_hcl"}, ExplicitIdentity: true, KnownHostsFiles: lab.KnownHostsFiles}},
	}, {
		name:   "explicit known_hosts files win over ssh_config",
		target: Target{Address: "lab"},
		opts:   func(o *Options) { o.KnownHostsFiles = []string{"~/kh"} },
		want: route{Target: endpoint{Alias: "lab", HostName: "10.9.9.9", Port: 2200, User: "alice",
			IdentityFiles: lab.IdentityFiles, ExplicitIdentity: true, KnownHostsFiles: []string{home + "/kh"}}},
	}, {
		name:   "ProxyJump chain from ssh_config, jump hosts resolved too",
		target: Target{Address: "behind", IdentityFile: "/keys/target"},
		want: route{
			Jumps: []endpoint{
				{Alias: "bastion", HostName: "bastion", Port: 2022, User: "jumper",
					IdentityFiles: []string{home + "/.ssh/bastion_jumper"}, ExplicitIdentity: true, KnownHostsFiles: defaultKnown},
				lab,
			},
			Target: endpoint{Alias: "behind", HostName: "behind.internal", Port: 22, User: "me",
				IdentityFiles: []string{"/keys/target"}, ExplicitIdentity: true, KnownHostsFiles: defaultKnown},
		},
	}, {
		name:   "Bastion wins over ProxyJump; jump host falls back to the target's key",
		target: Target{Address: "behind", Bastion: "ops@[::1]:2222", IdentityFile: "/keys/target"},
		want: route{
			Jumps: []endpoint{{Alias: "::1", HostName: "::1", Port: 2222, User: "ops",
				IdentityFiles: []string{"/keys/target"}, ExplicitIdentity: true, KnownHostsFiles: defaultKnown}},
			Target: endpoint{Alias: "behind", HostName: "behind.internal", Port: 22, User: "me",
				IdentityFiles: []string{"/keys/target"}, ExplicitIdentity: true, KnownHostsFiles: defaultKnown},
		},
	}, {
		name:   "ProxyJump none",
		target: Target{Address: "direct"},
		want: route{Target: endpoint{Alias: "direct", HostName: "direct", Port: 22, User: "me",
			IdentityFiles: defaultKeys, KnownHostsFiles: defaultKnown}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts
			if tt.opts != nil {
				tt.opts(&o)
			}
			got, err := resolveRoute(tt.target, &o, sshConfigLookup{cfg})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("route (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseJumpSpec(t *testing.T) {
	tests := []struct {
		spec       string
		user, host string
		port       int
		wantErr    bool
	}{
		{spec: "bastion", host: "bastion"},
		{spec: "ops@bastion", user: "ops", host: "bastion"},
		{spec: "ops@10.0.0.1:2222", user: "ops", host: "10.0.0.1", port: 2222},
		{spec: "[::1]:22", host: "::1", port: 22},
		{spec: "[fe80::1]", host: "fe80::1"},
		{spec: "bastion:0", wantErr: true},
		{spec: "bastion:ssh", wantErr: true},
		{spec: "ops@", wantErr: true},
		{spec: "", wantErr: true},
	}
	for _, tt := range tests {
		user, host, port, err := parseJumpSpec(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseJumpSpec(%q) error = %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && (user != tt.user || host != tt.host || port != tt.port) {
			t.Errorf("parseJumpSpec(%q) = %q, %q, %d; want %q, %q, %d", tt.spec, user, host, port, tt.user, tt.host, tt.port)
		}
	}
}

func TestLoadSSHConfigMissing(t *testing.T) {
	home := t.TempDir()
	o := Options{HomeDir: home}
	if cfg, err := loadSSHConfig(&o); err != nil || cfg != nil {
		t.Errorf("missing default config: got %v, %v; want nil, nil", cfg, err)
	}
	o.SSHConfigFile = filepath.Join(home, "nope")
	if _, err := loadSSHConfig(&o); err == nil {
		t.Error("missing explicit config: got no error")
	}
}
