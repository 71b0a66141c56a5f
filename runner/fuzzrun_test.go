package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
)

// Bounds of the layers FuzzRun simulates, and its guards.
const (
	fuzzMaxLayers = 6
	fuzzMaxRows   = 1 << 14 // demand rows (cycles without stalls) per layer
	fuzzMaxPEs    = 1 << 12
	fuzzMaxHeap   = 512 << 20
	fuzzTimeout   = 20 * time.Second
)

// FuzzRun runs the whole pipeline, config and topology text to reports
// (and traces), on small fuzzed layers: whatever the inputs, a run must
// not panic, must finish within fuzzTimeout and keep its heap under
// fuzzMaxHeap, and a successful run leaves complete reports and no
// marker.
func FuzzRun(f *testing.F) {
	for _, s := range fuzzRunSeeds(f) {
		f.Add(s.cfg, s.topo, s.gemm, s.traces)
	}
	f.Fuzz(func(t *testing.T, cfgText, topoText []byte, gemm, traces bool) {
		cfg, err := ParseConfig("f.cfg", cfgText)
		if err != nil {
			return
		}
		kind := Conv
		if gemm {
			kind = Gemm
		}
		parse := topology.Parse
		if cfg.V3 != nil {
			parse = topology.ParseV3
		}
		layers, err := parse("f.csv", bytes.NewReader(topoText), kind)
		if err != nil || len(layers) > fuzzMaxLayers || cfg.ArrayHeight*cfg.ArrayWidth > fuzzMaxPEs {
			return
		}
		for _, l := range layers {
			if systolic.NewMapping(l, cfg.Dataflow, cfg.ArrayHeight, cfg.ArrayWidth, systolic.Offsets{}).Rows() > fuzzMaxRows {
				return
			}
		}
		if traces {
			// traces are as large as the buffers (a CALC trace) and the
			// DRAM lines (a USER trace) make them
			if max(cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB) > 64 ||
				(cfg.BandwidthMode == config.USER && cfg.Bandwidth[0] > 1024) {
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), fuzzTimeout)
		defer cancel()
		peak := watchHeap()
		dir := t.TempDir()
		cfg.RunName = "run"
		reports, err := Run(cfg, layers, Options{LogDir: dir, Traces: traces, Context: ctx})
		if p := peak(); p > fuzzMaxHeap {
			t.Fatalf("heap reached %d MB", p>>20)
		}
		if ctx.Err() != nil {
			t.Fatalf("run did not finish within %v", fuzzTimeout)
		}
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			return
		}
		if len(reports) != len(layers) {
			t.Fatalf("%d reports for %d layers", len(reports), len(layers))
		}
		for _, r := range reportFiles {
			data, err := os.ReadFile(filepath.Join(dir, "run", r.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(data), "\n"); n != len(layers)+1 || !strings.HasSuffix(string(data), ",\n") {
				t.Fatalf("%s has %d lines for %d layers", r.Name(), n, len(layers))
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "run", report.IncompleteMarker)); !os.IsNotExist(err) {
			t.Fatalf("a complete run left %s (%v)", report.IncompleteMarker, err)
		}
	})
}

// reportFiles are SCALE-Sim's three reports, which every run writes.
var reportFiles = report.Formats(config.Config{})[:3]

// fuzzSeed is one FuzzRun input.
type fuzzSeed struct {
	name         string
	cfg, topo    []byte
	gemm, traces bool
}

// fuzzRunSeeds are FuzzRun's seeds: every golden case (SCALE-Sim v2 and
// v3, so every SCALE-Sim section and [sparsity]), and the tiny USER-mode
// case with each of npusim's own sections: [dram] with each model,
// [multicore] with each partition (alone and over a real memory),
// [energy] and [npusim]. TestFuzzRunSeedsCoverEverySection checks that
// they cover every section.
func fuzzRunSeeds(t testing.TB) []fuzzSeed {
	var seeds []fuzzSeed
	for _, pattern := range []string{"../testdata/golden/*", "../testdata/golden-v3/*"} {
		dirs, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			cfg, err1 := os.ReadFile(filepath.Join(d, "scale.cfg"))
			topo, err2 := os.ReadFile(filepath.Join(d, "topology.csv"))
			kind, err3 := os.ReadFile(filepath.Join(d, "KIND"))
			if err1 != nil || err2 != nil || err3 != nil {
				continue
			}
			seeds = append(seeds, fuzzSeed{filepath.Base(d), cfg, topo, strings.TrimSpace(string(kind)) == "gemm", strings.HasSuffix(d, "_traces")})
		}
	}
	const tiny = "../testdata/golden/tiny_4x4_os_user2_traces"
	base, err1 := os.ReadFile(filepath.Join(tiny, "scale.cfg"))
	topo, err2 := os.ReadFile(filepath.Join(tiny, "topology.csv"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	fixed := "[dram]\nModel = fixed\nLatency = 5\nChannels = 2\nWidth = 2\nRequestBytes = 32\nMaxInFlight = 4\n"
	for _, ext := range []struct {
		name, text string
		traces     bool
	}{
		{"dram ideal", "[dram]\nModel = ideal\n", true},
		{"dram fixed", fixed, true},
		{"dram ddr4", "[dram]\nModel = ddr4\n", false},
		{"dram hbm2", "[dram]\nModel = hbm2\n", false},
		{"dram lpddr4 continuous", "[dram]\nModel = lpddr4\nContinuous = true\n", false},
		{"dram akita-ddr4", "[dram]\nModel = akita-ddr4\nChannels = 2\nMaxInFlight = 8\n", false},
		{"dram akita-hbm2", "[dram]\nModel = akita-hbm2\n", false},
		{"multicore filters", "[multicore]\nCores = 2\n", false},
		{"multicore pixels", "[multicore]\nCores = 3\nPartition = pixels\n", false},
		{"multicore auto over ddr4", "[multicore]\nCores = 4\nPartition = auto\n\n[dram]\nModel = ddr4\n", false},
		{"multicore grid over fixed", "[multicore]\nCores = 4\nCoreRows = 2\nCoreCols = 2\n\n" + fixed, false},
		{"energy", "[energy]\nMultpJ = 2.5\nAddpJ = 0.5\nIdlePEpJ = 0.1\nDRAMReadpJ = 100\nClockMHz = 500\n", true},
		{"npusim", "[npusim]\nWordBytes = 2\nBatch = 2\n", false},
		{"vector", "[vector]\nLanes = 8\nLatency = 2\nFuse = true\nSoftmax = 4\n", false},
		{"every extension", "[npusim]\nWordBytes = 2\n\n[energy]\nClockMHz = 800\n\n[multicore]\nCores = 2\nPartition = pixels\n\n[dram]\nModel = hbm2\n", false},
	} {
		seeds = append(seeds, fuzzSeed{ext.name, append(append(append([]byte{}, base...), '\n'), ext.text...), topo, false, ext.traces})
	}
	return seeds
}

// TestFuzzRunSeedsCoverEverySection: FuzzRun's seeds hold every config
// section (npusim's own ones, from config.StrictSections, and SCALE-Sim's),
// [dram] with every model and [multicore] with every partition, and each
// seed is a valid input, so that the fuzzer starts from runs that reach
// every part of the pipeline.
func TestFuzzRunSeedsCoverEverySection(t *testing.T) {
	want := append(config.StrictSections(), "general", "architecture_presets", "run_presets", "layout")
	models := map[string]bool{dram.Ideal: false, dram.Fixed: false, dram.DDR4: false, dram.HBM2: false,
		dram.LPDDR4: false, dram.AkitaDDR4: false, dram.AkitaHBM2: false}
	parts := map[string]bool{}
	for p := multicore.Filters; p <= multicore.Grid; p++ {
		parts[p.String()] = false
	}
	seen := map[string]bool{}
	for _, s := range fuzzRunSeeds(t) {
		cfg, err := ParseConfig("f.cfg", s.cfg)
		if err != nil {
			t.Errorf("seed %s: %v", s.name, err)
			continue
		}
		parse := topology.Parse
		if cfg.V3 != nil {
			parse = topology.ParseV3
		}
		kind := Conv
		if s.gemm {
			kind = Gemm
		}
		if _, err := parse("f.csv", bytes.NewReader(s.topo), kind); err != nil {
			t.Errorf("seed %s: %v", s.name, err)
		}
		for _, line := range strings.Split(string(s.cfg), "\n") {
			if sec, ok := strings.CutPrefix(strings.TrimSpace(line), "["); ok {
				seen[strings.TrimSuffix(sec, "]")] = true
			}
		}
		if cfg.DRAM.Model != "" {
			models[cfg.DRAM.Model] = true
		}
		if cfg.Multicore.Cores > 1 {
			parts[cfg.Multicore.Partition.String()] = true
		}
	}
	for _, sec := range want {
		if !seen[sec] {
			t.Errorf("no seed has a [%s] section", sec)
		}
	}
	for m, ok := range models {
		if !ok {
			t.Errorf("no seed has [dram] Model = %s", m)
		}
	}
	for p, ok := range parts {
		if !ok {
			t.Errorf("no seed has [multicore] Partition = %s", p)
		}
	}
}
