package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/npusim/npusim/systolic"
)

// runWithDRAM runs a golden case's inputs with section appended to its
// config and returns the reports and the run folder.
func runWithDRAM(t testing.TB, caseDir, section string) ([]LayerReport, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(caseDir, "scale.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(filepath.Join(caseDir, "scale.cfg"), append(data, []byte("\n"+section)...))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := LoadTopology(filepath.Join(caseDir, "topology.csv"), Conv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reps, err := Run(cfg, layers, Options{LogDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return reps, filepath.Join(dir, cfg.RunName)
}

func stalls(reps []LayerReport) (s int64) {
	for _, r := range reps {
		s += r.StallCycles
	}
	return s
}

var _ = systolic.OS

func TestExplore(t *testing.T) {
	for _, c := range []string{"../testdata/golden/alexnet_part_32x32_ws_user10", "../testdata/golden/stall_8x8_ws_user1", "../testdata/golden/rect_16x4_is_user4"} {
	ideal, _ := runWithDRAM(t, c, "")
	t.Log(c, "ideal", stalls(ideal))
	for _, sec := range []string{
		"[dram]\nModel = fixed\nLatency = 0\nWidth = 16\n",

		"[dram]\nModel = ddr4\n",
		"[dram]\nModel = hbm2\n",
	} {
		r, _ := runWithDRAM(t, c, sec)
		t.Log(sec, stalls(r), r[0].DRAM, r[0].TotalCycles)
	}
	}
}
