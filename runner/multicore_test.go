package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
)

func TestParseMulticoreSection(t *testing.T) {
	good := []struct {
		section string
		want    config.MulticoreConfig
	}{
		{"", config.MulticoreConfig{}},
		{"[multicore]\nCores = 1\n", config.MulticoreConfig{Cores: 1}},
		{"[multicore]\ncores: 4\nPartition = pixels\n", config.MulticoreConfig{Cores: 4, Partition: multicore.Pixels}},
		{"[multicore]\nCores = 6\nPartition = auto\n", config.MulticoreConfig{Cores: 6, Partition: multicore.Auto}},
		{"[multicore]\nCores = 6\nCoreRows = 2\nCoreCols = 3\n", config.MulticoreConfig{Cores: 6, Partition: multicore.Grid, Grid: multicore.Split{Pixels: 2, Filters: 3}}},
		{"[multicore]\nCores = 6\nCoreRows = 3\nCoreCols = 2\nPartition = grid\n", config.MulticoreConfig{Cores: 6, Partition: multicore.Grid, Grid: multicore.Split{Pixels: 3, Filters: 2}}},
	}
	for _, tt := range good {
		cfg, err := ParseConfig("a.cfg", []byte(baseConfig+tt.section))
		if err != nil {
			t.Errorf("%q: %v", tt.section, err)
			continue
		}
		if cfg.Multicore != tt.want {
			t.Errorf("%q: Multicore = %+v, want %+v", tt.section, cfg.Multicore, tt.want)
		}
	}
	bad := []struct{ section, want string }{
		{"[multicore]\nPartition = auto\n", "config a.cfg: [multicore] Cores: missing"},
		{"[multicore]\nCores = 0\n", "config a.cfg: [multicore] Cores: must be positive, got 0"},
		{"[multicore]\nCores = 4\nPartition = Filters\n", `config a.cfg: [multicore] Partition: unknown partition "Filters" (allowed: filters, pixels, auto, grid)`},
		{"[multicore]\nCores = 4\nCoreRows = 2\n", "config a.cfg: [multicore] CoreRows and CoreCols go together: give both or neither"},
		{"[multicore]\nCores = 4\nCoreRows = 2\nCoreCols = 3\n", "config a.cfg: [multicore] CoreCols: CoreRows x CoreCols is 2 x 3 = 6 cores, but Cores is 4"},
		{"[multicore]\nCores = 4\nPartition = grid\n", "config a.cfg: [multicore] Partition: grid needs CoreRows and CoreCols, and they need grid (got grid)"},
		{"[multicore]\nCores = 4\nCoreRows = 2\nCoreCols = 2\nPartition = auto\n", "config a.cfg: [multicore] Partition: grid needs CoreRows and CoreCols, and they need grid (got auto)"},
	}
	for _, tt := range bad {
		_, err := ParseConfig("a.cfg", []byte(baseConfig+tt.section))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q:\n got %v\nwant %s", tt.section, err, tt.want)
		}
	}
}

// TestMulticoreOneCoreIsGolden: [multicore] Cores = 1 is the single-core
// NPU, every figure SCALE-Sim's.
func TestMulticoreOneCoreIsGolden(t *testing.T) {
	cases, _ := filepath.Glob("../testdata/golden/*/KIND")
	if len(cases) < 3 {
		t.Fatalf("no golden cases: %v", cases)
	}
	for _, kindFile := range cases[:3] {
		dir := filepath.Dir(kindFile)
		cfg, layers, _ := loadGolden(t, dir)
		data, err := os.ReadFile(filepath.Join(dir, "scale.cfg"))
		if err != nil {
			t.Fatal(err)
		}
		one, err := ParseConfig(cfg.Path, append(data, "\n[multicore]\nCores = 1\nPartition = pixels\n"...))
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if _, err := Run(one, layers, Options{LogDir: out}); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"} {
			compareReport(t, filepath.Join(dir, f), filepath.Join(out, cfg.RunName, f))
		}
	}
}

// mcTestConfig is a 4-core NPU of small WS cores over one HBM2 channel
// (akita's).
func mcTestConfig(t *testing.T, partition string) Config {
	return mcTestConfigMem(t, partition, "[dram]\nModel = akita-hbm2\nChannels = 1\n")
}

// mcTestConfigMem is the 4-core NPU over the memory of a [dram] section.
func mcTestConfigMem(t *testing.T, partition, dram string) Config {
	cfg, err := ParseConfig("mc.cfg", []byte(baseConfig+dram+"[multicore]\nCores = 4\nPartition = "+partition+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var mcTestLayers = []systolic.Layer{
	{Name: "conv", H: 12, W: 10, Fh: 3, Fw: 3, Ch: 3, N: 10, Sh: 1, Sw: 1},
	systolic.GEMM("fc", 24, 20, 16),
}

// TestMulticoreAloneIsSingleCore: each core's share, run alone, gives
// exactly what a single-core run of that share (a one-layer topology at
// the share's offsets) gives.
func TestMulticoreAloneIsSingleCore(t *testing.T) {
	for _, c := range []struct{ part, dram string }{
		{"filters", "[dram]\nModel = akita-hbm2\nChannels = 1\n"},
		{"pixels", "[dram]\nModel = akita-hbm2\nChannels = 1\n"},
		// npusim's DRAM model: one wiring (dram.Controller) for both.
		{"filters", "[dram]\nModel = ddr4\n"},
		{"pixels", "[dram]\nModel = hbm2\n"},
		{"pixels", "[dram]\nModel = lpddr4\n"},
	} {
		part := c.part
		cfg := mcTestConfigMem(t, part, c.dram)
		mc := multicoreConfig(cfg)
		for i, l := range mcTestLayers {
			ml, err := simulateMulticore(mc, i, l, nil)
			if err != nil {
				t.Fatal(err)
			}
			for c, cr := range ml.run.Cores {
				sh := cr.Share
				one := cfg
				one.Multicore = config.MulticoreConfig{}
				one.IfmapOffset, one.FilterOffset, one.OfmapOffset = sh.Offsets.Ifmap, sh.Offsets.Filter, sh.Offsets.Ofmap
				reps, err := Run(one, []systolic.Layer{sh.Layer}, Options{LogDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				got, want := ml.alone[c], reps[0]
				var words int64
				for op, d := range got.DRAM {
					words += d.Words
					if d.Words != want.DRAM[op].Words || d.First != want.DRAM[op].Start || d.Last != want.DRAM[op].Stop {
						t.Errorf("%s %s core %d operand %d: DRAM %+v alone, %+v single-core", part, l.Name, c, op, d, want.DRAM[op])
					}
				}
				if got.Result.TotalCycles != want.TotalCycles || got.Result.StallCycles != want.StallCycles || words == 0 {
					t.Errorf("%s %s core %d: alone %d cycles %d stalls, single-core %d, %d", part, l.Name, c,
						got.Result.TotalCycles, got.Result.StallCycles, want.TotalCycles, want.StallCycles)
				}
			}
		}
	}
}

// TestMulticoreReports runs a 4-core NPU through Run and checks the NPU's
// reports against CORE_REPORT.csv: the layer takes its slowest core's
// cycles, the cores' MACs add up to the layer's, contention is never
// negative.
func TestMulticoreReports(t *testing.T) {
	cfg := mcTestConfig(t, "auto")
	out := t.TempDir()
	reps, err := Run(cfg, mcTestLayers, Options{LogDir: out})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, cfg.RunName, "CORE_REPORT.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] != report.CoreHeader || len(lines) != 1+4*len(mcTestLayers) {
		t.Fatalf("CORE_REPORT.csv:\n%s", data)
	}
	slowest := make([]int64, len(reps))
	macs := make([]int64, len(reps))
	for _, line := range lines[1:] {
		f := strings.Split(strings.TrimSuffix(line, ","), ", ")
		num := func(i int) int64 {
			v, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				t.Fatalf("%q column %d: %v", line, i, err)
			}
			return v
		}
		l := num(0)
		macs[l] += num(5)
		slowest[l] = max(slowest[l], num(6))
		if c := num(11); c < 0 || c != num(6)-num(9) {
			t.Errorf("%q: contention %d", line, c)
		}
	}
	for i, r := range reps {
		if r.TotalCycles != slowest[i] || macs[i] != mcTestLayers[i].MACs() || r.ArrayPEs != 4*4*8 {
			t.Errorf("layer %d: %d cycles (slowest core %d), MACs %d of %d, %d PEs", i, r.TotalCycles, slowest[i], macs[i], mcTestLayers[i].MACs(), r.ArrayPEs)
		}
	}
}

// TestMulticoreStops: a multi-core run stops on its context like a
// single-core one, naming the cause.
func TestMulticoreStops(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupted by SIGINT"))
	cfg := mcTestConfig(t, "filters")
	dir := t.TempDir()
	_, err := Run(cfg, mcTestLayers, Options{LogDir: dir, Context: ctx})
	cfg.Multicore = config.MulticoreConfig{}
	_, want := Run(cfg, mcTestLayers, Options{LogDir: dir, Context: ctx})
	if !errors.Is(err, errStopped) || want == nil || err.Error() != want.Error() {
		t.Fatalf("got %v, want the stop error of a single-core run: %v", err, want)
	}
}
