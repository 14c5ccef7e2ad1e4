// Package shell quotes values for a POSIX shell. It is the one quoter of
// the project: the remote transport, the host operations, the facts
// script and the rendered scripts all use it, so a value reaches a shell
// on a host the same way wherever it comes from.
package shell

import "strings"

// safeChars are the characters no POSIX shell treats specially in a word.
const safeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-"

// Quote returns s quoted for a POSIX shell, so that the shell reads it
// back as exactly one word equal to s. A word made only of characters no
// shell treats specially is returned as it is, to keep commands readable;
// anything else (the empty string included) is wrapped in single quotes,
// each single quote written as '\”.
func Quote(s string) string {
	if s != "" && strings.Trim(s, safeChars) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes each word of argv and joins them with spaces: a command
// line that runs argv exactly.
func Join(argv ...string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
