package config

import (
	"regexp"
	"strings"
)

// Strings a user writes end up in shell commands run as root and in
// keepalived.conf. Rather than escape them for every destination, each
// kind of string must match a strict pattern; anything else is a
// validation error. The patterns are deliberately narrow: widening one
// needs a reason and a test that the new characters render safely.
var (
	// Linux interface names: at most 15 bytes, no '/', whitespace or ':'.
	reInterface = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}$`)
	// Names of hosts, instances, checks and services used as labels,
	// file name parts and keepalived identifiers.
	reName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,62}$`)
	// Absolute paths of managed files and scripts.
	rePath = regexp.MustCompile(`^/[A-Za-z0-9._+@/-]{0,254}$`)
	// Process and service names (ps -C takes at most 15 characters of a
	// command name; systemd unit names are wider). They never start with
	// '-', which commands would read as an option (systemctl start -f).
	reProcess = regexp.MustCompile(`^[A-Za-z0-9_.+][A-Za-z0-9_.+-]{0,14}$`)
	reService = regexp.MustCompile(`^[A-Za-z0-9_.@][A-Za-z0-9_.@-]{0,63}$`)
	// Package names (Debian and RPM).
	rePackage = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$`)
	// E-mail addresses for keepalived notifications.
	reEmail = regexp.MustCompile(`^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}$`)
	// Host names for SMTP servers and SSH targets.
	reHostname = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252}[A-Za-z0-9_])?$`)
	// User and group names.
	reUser = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,31}$`)
	// keepalived router_id: a word.
	reRouterID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	// A bastion: [user@]host[:port], comma-separated for a chain.
	reBastion = regexp.MustCompile(`^([a-z_][a-z0-9_.-]{0,31}@)?[A-Za-z0-9_.:\[\]-]{1,255}(,([a-z_][a-z0-9_.-]{0,31}@)?[A-Za-z0-9_.:\[\]-]{1,255})*$`)
	// An HTTP check's URL path.
	reURLPath = regexp.MustCompile(`^/[A-Za-z0-9._~%/?=&+-]{0,255}$`)
	// A script command: an absolute path followed by simple arguments.
	reCommand = regexp.MustCompile(`^/[A-Za-z0-9._+@/-]{0,254}( [A-Za-z0-9._+@/=:,-]{1,64}){0,12}$`)
)

// validPath reports whether p is an absolute path matching rePath with no
// "." or ".." component, so that the path a user reads in the configuration
// is the path that gets written (no /var/www/../../etc/shadow).
func validPath(p string) bool {
	if !rePath.MatchString(p) {
		return false
	}
	for _, c := range strings.Split(p, "/") {
		if c == "." || c == ".." {
			return false
		}
	}
	return true
}

// validCommand reports whether s is a command keepalived may run: an
// absolute path with no "." or ".." component (what you read is the file
// that runs; "/usr/local/sbin/." would be a directory), then simple
// arguments.
func validCommand(s string) bool {
	path, _, _ := strings.Cut(s, " ")
	return reCommand.MatchString(s) && validPath(path)
}

// authPassAllowed are the characters keepalived reads as part of an
// auth_pass word: printable ASCII except whitespace, quotes, braces,
// keepalived's comment characters (# and !) and shell-active characters.
func authPassAllowed(s string) bool {
	for _, r := range s {
		if r <= ' ' || r > '~' || strings.ContainsRune("\"'{}#!\\$`", r) {
			return false
		}
	}
	return true
}
