package remote

import "strings"

// Quote returns s quoted for a POSIX shell, so that the shell reads it back
// as exactly one word equal to s. Words made only of characters that no
// shell treats specially are returned as they are, to keep command strings
// readable; everything else is wrapped in single quotes, with each single
// quote written as '\”.
func Quote(s string) string {
	if s != "" && strings.Trim(s, safeShellChars) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const safeShellChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-"
