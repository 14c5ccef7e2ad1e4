// Package remote is the only part of clusterctl that talks to machines. It
// owns the SSH transport and nothing above it: a small, context-aware [Conn]
// interface (run a command, read, write, rename and stat a file), [Dial],
// which opens one SSH connection per host on golang.org/x/crypto/ssh and
// multiplexes sessions and a lazily opened SFTP subsystem over it, the
// bounded fan-out helper [ForEach], and a stateful in-memory [Fake] for the
// tests of packages that drive hosts.
//
// Dial behaves like OpenSSH where operators expect it to: ~/.ssh/config
// aliases (HostName, User, Port, IdentityFile, ProxyJump,
// UserKnownHostsFile) are honoured, with values from the cluster's HCL
// winning over ssh_config and ssh_config winning over OpenSSH's defaults;
// authentication tries ssh-agent, then identity files; host keys are always
// verified against known_hosts, an unknown host is refused with its SHA256
// fingerprint and the command that trusts it ([ErrUnknownHost]), and a
// changed key is refused before anything is sent ([ErrHostKeyMismatch]).
// Jump hosts (bastions) are verified the same way.
//
// On a target with Sudo set, commands that ask for privilege run as
// `sudo -n sh -c '…'` and file operations go through sudo'd shell commands
// on the same connection instead of SFTP, since SFTP runs as the login user;
// a sudo that wants a password yields [ErrSudoPassword].
//
// Errors from [Dial] and a [Conn] name the address dialed, not the host's
// configuration name, except [ErrSudoPassword], which names the host the
// operator must fix; [ForEach] prefixes each host's error with its name
// where work fans out.
//
// The sshtest subpackage runs an in-process SSH server for tests.
package remote
