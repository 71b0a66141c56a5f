package report_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/runner"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestLoadGolden loads every golden SCALE-Sim folder and checks that the
// figures of the three reports agree with each other: each bandwidth is
// the words of the detailed report over the cycles SCALE-Sim divides by,
// and the totals add the layers up.
func TestLoadGolden(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/golden/*/COMPUTE_REPORT.csv")
	if err != nil || len(dirs) < 20 {
		t.Fatalf("found %d golden cases (%v)", len(dirs), err)
	}
	for _, p := range dirs {
		dir := filepath.Dir(p)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			run, err := report.LoadRun(filepath.Dir(dir), filepath.Base(dir))
			if err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(p)
			if want := strings.Count(strings.TrimSpace(string(data)), "\n"); len(run.Layers) != want {
				t.Fatalf("%d layers, want %d", len(run.Layers), want)
			}
			var sum int64
			for i, l := range run.Layers {
				if l.ID != i || l.TotalCycles <= 0 || l.StallCycles < 0 || l.MappingEfficiency <= 0 || l.MappingEfficiency > 100 {
					t.Errorf("layer %d: implausible %+v", i, l)
				}
				for op := range 3 {
					if got, want := l.SRAMBandwidth[op], float64(l.SRAM[op].Words)/float64(l.TotalCycles); !near(got, want) {
						t.Errorf("layer %d operand %d: SRAM BW %v, words/cycles %v", i, op, got, want)
					}
					a := l.DRAM[op]
					if got, want := l.DRAMBandwidth[op], float64(a.Words)/float64(a.Stop-a.Start+1); !near(got, want) {
						t.Errorf("layer %d operand %d: DRAM BW %v, words/cycles %v", i, op, got, want)
					}
				}
				sum += l.TotalCycles
			}
			if tot := run.Totals(); tot.TotalCycles != sum || tot.OverallUtil <= 0 || tot.OverallUtil > 100 {
				t.Errorf("totals %+v, cycles want %d", tot, sum)
			}
		})
	}
}

// TestLoadKnownNumbers checks figures of the tiny golden case quoted in
// the README.
func TestLoadKnownNumbers(t *testing.T) {
	run, err := report.Load("../testdata/golden/tiny_4x4_os_traces")
	if err != nil {
		t.Fatal(err)
	}
	if got := run.ComputeCycles(); len(got) != 3 || got[0] != 431 || got[1] != 263 || got[2] != 51 {
		t.Errorf("cycles %v, want [431 263 51]", got)
	}
	l := run.Layers[0]
	if l.OverallUtil != 56.380510440835266 || l.MappingEfficiency != 75.0 || l.ComputeUtil != 56.25 {
		t.Errorf("layer 0 %+v", l)
	}
	if tot := run.Totals(); tot.TotalCycles != 745 {
		t.Errorf("total cycles %d, want 745", tot.TotalCycles)
	}
}

// TestCompare runs npusim on a golden case, compares its folder with
// SCALE-Sim's (no difference), and with a run on a different dataflow
// (the cycle differences are those of the two folders).
func TestCompare(t *testing.T) {
	out := t.TempDir()
	for _, name := range []string{"tiny_4x4_os_traces", "tiny_4x4_ws_traces"} {
		dir := "../testdata/golden/" + name
		cfg, err := runner.LoadConfig(dir + "/scale.cfg")
		if err != nil {
			t.Fatal(err)
		}
		layers, err := runner.LoadTopology(dir+"/topology.csv", runner.Conv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := runner.Run(cfg, layers, runner.Options{LogDir: out}); err != nil {
			t.Fatal(err)
		}
	}
	ours, err := report.LoadRun(out, "tiny_4x4_os_traces")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := report.Load("../testdata/golden/tiny_4x4_os_traces")
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := report.Compare(theirs, ours)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		if d.TotalCycles != 0 || d.StallCycles != 0 || d.SRAMWords != [3]int64{} || d.DRAMWords != [3]int64{} ||
			!near(d.OverallUtil, 0) || !near(d.DRAMBandwidth[0], 0) {
			t.Errorf("npusim differs from SCALE-Sim: %+v", d)
		}
	}
	ws, err := report.LoadRun(out, "tiny_4x4_ws_traces")
	if err != nil {
		t.Fatal(err)
	}
	diffs, err = report.Compare(ours, ws)
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	for i, d := range diffs {
		if want := ws.Layers[i].TotalCycles - ours.Layers[i].TotalCycles; d.TotalCycles != want {
			t.Errorf("layer %d: cycle difference %d, want %d", i, d.TotalCycles, want)
		}
		changed = changed || !d.Same()
	}
	if !changed {
		t.Error("os and ws runs compare equal")
	}
	short := &report.Run{Dir: "x", Layers: ours.Layers[:1]}
	if _, err := report.Compare(ours, short); err == nil || !strings.Contains(err.Error(), "3 layers against 1") {
		t.Errorf("compare of different runs: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := report.Load(dir); err == nil || !strings.Contains(err.Error(), report.ComputeFile) {
		t.Errorf("empty folder: %v", err)
	}
	for _, f := range []string{report.ComputeFile, report.BandwidthFile, report.DetailedFile} {
		data, err := os.ReadFile("../testdata/golden/tiny_4x4_os_traces/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if f == report.ComputeFile {
			data = []byte(strings.Replace(string(data), "0, 431,", "0, 43x,", 1))
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	want := filepath.Join(dir, report.ComputeFile) + ` line 2 column 2: "43x" is not an integer`
	if _, err := report.Load(dir); err == nil || err.Error() != want {
		t.Errorf("bad number: %v, want %s", err, want)
	}
}
