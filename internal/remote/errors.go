package remote

import "errors"

// Sentinel errors for the cases callers act on. Errors returned by this
// package wrap them; test with errors.Is.
var (
	// ErrUnknownHost: the host's key is not in any known_hosts file. The
	// error carries the key's SHA256 fingerprint and how to trust it.
	ErrUnknownHost = errors.New("host key is not known")
	// ErrHostKeyMismatch: known_hosts holds a different key for the host
	// (or the host offers none of the key types known_hosts holds for it).
	// Nothing was sent to the host.
	ErrHostKeyMismatch = errors.New("host key mismatch")
	// ErrSudoPassword: `sudo -n` refused to run because it needs a password.
	ErrSudoPassword = errors.New("sudo requires a password")
	// ErrAuth: no offered credential was accepted by the server.
	ErrAuth = errors.New("ssh authentication failed")
	// ErrOutputTooLarge: a command wrote more than MaxCommandOutput bytes
	// to stdout or stderr; it was killed.
	ErrOutputTooLarge = errors.New("command output too large")
)
