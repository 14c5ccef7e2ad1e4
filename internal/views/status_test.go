package views

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterctl/clusterctl/internal/golden"
	"github.com/clusterctl/clusterctl/internal/secret"
	"github.com/clusterctl/clusterctl/internal/status"
)

// TestStatusViewsGolden renders the reports that package status's tests
// keep equal to BuildReport's output (its testdata/*.report.json), through
// an Out masked with the secret one of them carries in a host's error.
func TestStatusViewsGolden(t *testing.T) {
	for _, name := range []string{"healthy", "degraded", "broken"} {
		data, err := os.ReadFile(filepath.Join("..", "status", "testdata", name+".report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r status.Report
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		for _, view := range []string{"txt", "json"} {
			t.Run(name+"."+view, func(t *testing.T) {
				var b strings.Builder
				out := NewOut(&b, secret.New("s3cret").ForJSON())
				if view == "txt" {
					err = StatusHuman(out, r)
				} else {
					err = StatusJSON(out, r)
				}
				if err != nil {
					t.Fatal(err)
				}
				if secret.Appears(b.String(), "s3cret") {
					t.Errorf("secret printed:\n%s", b.String())
				}
				golden.Check(t, "status_"+name+"."+view, b.String())
			})
		}
	}
}
