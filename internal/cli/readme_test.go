package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsMakeNoFalseClaims: the README and docs do not link files a
// clone lacks, and do not promise a file:line:column the diagnostics do
// not print (they print "on FILE line N").
func TestDocsMakeNoFalseClaims(t *testing.T) {
	files := []string{"../../README.md", "../../examples/lab-19.x/README.md"}
	docs, _ := filepath.Glob("../../docs/*.md")
	for _, f := range append(files, docs...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, bad := range []string{"../shared", "line:column"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s mentions %q", f, bad)
			}
		}
	}
	code, _, errOut := runPlain(t, "validate", "../config/testdata/invalid/unknown_attribute.hcl")
	if code != 1 || !strings.Contains(errOut, "unknown_attribute.hcl line 3") {
		t.Errorf("validate: exit %d\n%s", code, errOut)
	}
}
