// Package sshtest runs an in-process SSH server on 127.0.0.1 for tests: a
// throw-away ed25519 host key (or one the test gives), public-key
// authentication, exec requests answered by a pluggable handler (by
// default /bin/sh -c), the "sftp" subsystem served by github.com/pkg/sftp
// on the real file system, and direct-tcpip forwarding to loopback
// addresses only, so it can act as a jump host. It records what clients
// asked for (exec commands, subsystems, forwards, keepalives) so tests can
// assert, for example, that nothing ran after a host key mismatch, and its
// handlers can simulate faults such as a dropped connection.
package sshtest
