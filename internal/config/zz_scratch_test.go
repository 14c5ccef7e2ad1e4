package config

import (
	"os"
	"strings"
	"testing"
)

func TestScratchDump(t *testing.T) {
	p := os.Getenv("SCRATCH")
	if p == "" {
		t.Skip()
	}
	for _, path := range strings.Split(p, ",") {
		_, diags := NewLoader().Load(path, LoadOptions{})
		t.Logf("== %s", path)
		for _, d := range diags {
			sub := ""
			if d.Subject != nil {
				sub = d.Subject.String()
			}
			t.Logf("%v %s | %s | %s", d.Severity, sub, d.Summary, d.Detail)
		}
	}
}
