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
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
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
	dirs, err := filepath.Glob("../testdata/golden/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range dirs {
		cfg, err1 := os.ReadFile(filepath.Join(d, "scale.cfg"))
		topo, err2 := os.ReadFile(filepath.Join(d, "topology.csv"))
		kind, err3 := os.ReadFile(filepath.Join(d, "KIND"))
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		f.Add(cfg, topo, strings.TrimSpace(string(kind)) == "gemm", strings.HasSuffix(d, "_traces"))
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
		layers, err := ParseTopology("f.csv", bytes.NewReader(topoText), kind)
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
