package render

import (
	"fmt"
	"strings"
)

// keepalivedQuote renders s as a double-quoted keepalived string. keepalived
// has no escape sequences, so a value containing a double quote or a line
// break cannot be rendered.
func keepalivedQuote(what, s string) (string, error) {
	if strings.ContainsAny(s, "\"\n\r") {
		return "", fmt.Errorf("%s %q: contains a double quote or line break", what, s)
	}
	return `"` + s + `"`, nil
}

// keepalivedWord checks that s is a single keepalived token: no blanks,
// quotes, braces or comment characters.
func keepalivedWord(what, s string) (string, error) {
	if s == "" || strings.ContainsAny(s, " \t\n\r\"{}#!") {
		return "", fmt.Errorf("%s %q: not a single keepalived word", what, s)
	}
	return s, nil
}
