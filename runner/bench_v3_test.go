package runner

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkGoldenV3 runs each SCALE-Sim v3 golden case with traces (v3's
// scale.py always writes them, so its REFERENCE_SECONDS include them) and
// reports the speedup over v3's wall time on the same inputs.
func BenchmarkGoldenV3(b *testing.B) {
	cases, _ := filepath.Glob("../testdata/golden-v3/*/REFERENCE_SECONDS")
	for _, refFile := range cases {
		dir := filepath.Dir(refFile)
		b.Run(filepath.Base(dir), func(b *testing.B) {
			raw, err := os.ReadFile(refFile)
			if err != nil {
				b.Fatal(err)
			}
			ref, err := strconv.ParseFloat(strings.TrimSpace(string(raw)), 64)
			if err != nil {
				b.Fatal(err)
			}
			cfg, layers, _ := loadGolden(b, dir)
			for b.Loop() {
				if _, err := Run(cfg, layers, Options{LogDir: b.TempDir(), Traces: true}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(ref/(b.Elapsed().Seconds()/float64(b.N)), "x-scalesim")
		})
	}
}
