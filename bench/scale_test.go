package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/render"
)

// BenchmarkLoadRender loads, validates and renders each shape's
// configuration at the bench's host counts: the pure part of every
// command, whose time per host should not grow with the host count.
func BenchmarkLoadRender(b *testing.B) {
	for _, s := range []shape{shapePairs, shapeRS, shapeFiles} {
		for _, n := range []int{50, 200, 500} {
			path := filepath.Join(b.TempDir(), "c.hcl")
			if err := os.WriteFile(path, []byte(s.config(n, 1)), 0o644); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s-%d", s, n), func(b *testing.B) {
				for b.Loop() {
					cfg, diags := config.NewLoader().Load(path, config.LoadOptions{})
					if diags.HasErrors() {
						b.Fatal(diags.Error())
					}
					if _, err := render.Render(cfg); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/host")
			})
		}
	}
}
