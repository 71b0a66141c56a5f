package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenV3 runs every SCALE-Sim v3 reference case in
// testdata/golden-v3 and compares every report, SPARSE_REPORT included
// (integers exactly, floats to 1e-9 relative), and, for the cases that
// have them, every trace file exactly.
func TestGoldenV3(t *testing.T) {
	cases, err := filepath.Glob("../testdata/golden-v3/*/KIND")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, kindFile := range cases {
		dir := filepath.Dir(kindFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			kind, err := os.ReadFile(kindFile)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(filepath.Join(dir, "scale.cfg"))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.V3 == nil {
				t.Fatal("not read as a v3 config")
			}
			layers, err := LoadTopologyFor(cfg, filepath.Join(dir, "topology.csv"), ParseTopologyKind(strings.TrimSpace(string(kind))))
			if err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(filepath.Join(dir, "layer0"))
			traces := statErr == nil
			out := t.TempDir()
			if _, err := Run(cfg, layers, Options{LogDir: out, Traces: traces}); err != nil {
				t.Fatal(err)
			}
			got := filepath.Join(out, cfg.RunName)
			files := []string{"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"}
			_, sparseErr := os.Stat(filepath.Join(dir, "SPARSE_REPORT.csv"))
			if sparseErr == nil {
				files = append(files, "SPARSE_REPORT.csv")
			} else if _, err := os.Stat(filepath.Join(got, "SPARSE_REPORT.csv")); err == nil {
				t.Error("SPARSE_REPORT.csv written for a dense run")
			}
			for _, f := range files {
				compareReport(t, filepath.Join(dir, f), filepath.Join(got, f))
			}
			if !traces {
				return
			}
			want, _ := filepath.Glob(filepath.Join(dir, "layer*", "*_TRACE.csv"))
			for _, w := range want {
				rel, _ := filepath.Rel(dir, w)
				compareTrace(t, w, filepath.Join(got, rel), false)
			}
		})
	}
}
