package runner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/systolic"
)

var traceNames = []string{
	"IFMAP_SRAM_TRACE.csv", "FILTER_SRAM_TRACE.csv", "OFMAP_SRAM_TRACE.csv",
	"IFMAP_DRAM_TRACE.csv", "FILTER_DRAM_TRACE.csv", "OFMAP_DRAM_TRACE.csv",
}

// traceAddrs is the sorted addresses of a trace's rows (SRAM or DRAM),
// the cycles and padding (-1) left out.
func traceAddrs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		f := strings.Split(line, ",")
		for _, a := range f[1:] {
			if a != "-1" && a != "-1.0" {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestMulticoreTraces runs 4-core NPUs with traces and checks each core's
// six traces, in layerN/coreK, against a single-core run of its share
// (the share's layer alone, at its offsets, with traces):
//
//   - with the ideal channels the cores cannot contend, so each core's
//     traces are byte for byte its share's single-core traces;
//   - over a shared real memory the cores contend, which moves their
//     cycles, but each core's buffers serve and its operands move exactly
//     the addresses its share's run does (padding aside: a drain's cut
//     into lines depends on the timing).
//
// A core with nothing to do in a layer (more pixel parts than output
// rows) has its six traces, empty.
func TestMulticoreTraces(t *testing.T) {
	layers := append(slices.Clone(mcTestLayers), systolic.GEMM("thin", 2, 12, 8))
	for _, c := range []struct{ part, dram string }{
		{"pixels", ""},
		{"auto", ""},
		{"filters", "[dram]\nModel = ddr4\n"},
		{"pixels", "[dram]\nModel = fixed\nLatency = 30\n"},
	} {
		cfg := mcTestConfigMem(t, c.part, c.dram)
		out := t.TempDir()
		if _, err := Run(cfg, layers, Options{LogDir: out, Traces: true}); err != nil {
			t.Fatal(err)
		}
		mc := multicoreConfig(cfg)
		name := c.part + " " + strings.TrimSpace(strings.ReplaceAll(c.dram, "\n", " "))
		for i, l := range layers {
			run, err := mc.RunLayer(i, l)
			if err != nil {
				t.Fatal(err)
			}
			empty := 0
			for k, cr := range run.Cores {
				coreDir := filepath.Join(out, cfg.RunName, fmt.Sprintf("layer%d", i), fmt.Sprintf("core%d", k))
				if cr.Share.Empty() {
					empty++
					for _, f := range traceNames {
						if st, err := os.Stat(filepath.Join(coreDir, f)); err != nil || st.Size() != 0 {
							t.Errorf("%s layer %d core %d (no work): %s: %v, %v", name, i, k, f, st, err)
						}
					}
					continue
				}
				one := cfg
				one.Multicore = config.MulticoreConfig{}
				sh := cr.Share
				one.IfmapOffset, one.FilterOffset, one.OfmapOffset = sh.Offsets.Ifmap, sh.Offsets.Filter, sh.Offsets.Ofmap
				oneOut := t.TempDir()
				if _, err := Run(one, []systolic.Layer{sh.Layer}, Options{LogDir: oneOut, Traces: true}); err != nil {
					t.Fatal(err)
				}
				for _, f := range traceNames {
					got := filepath.Join(coreDir, f)
					want := filepath.Join(oneOut, cfg.RunName, "layer0", f)
					if c.dram == "" {
						g, err1 := os.ReadFile(got)
						w, err2 := os.ReadFile(want)
						if err1 != nil || err2 != nil || !bytes.Equal(g, w) || len(w) == 0 {
							t.Errorf("%s layer %d core %d: %s differs from the single-core run's (%d and %d bytes; %v %v)", name, i, k, f, len(g), len(w), err1, err2)
						}
						continue
					}
					g, w := traceAddrs(t, got), traceAddrs(t, want)
					if !slices.Equal(g, w) || len(w) == 0 {
						t.Errorf("%s layer %d core %d: %s has %d addresses, the single-core run's %d, not the same", name, i, k, f, len(g), len(w))
					}
				}
			}
			if wantEmpty := i == 2 && c.part == "pixels"; (empty > 0) != wantEmpty {
				t.Errorf("%s layer %d: %d cores without work (test setup)", name, i, empty)
			}
		}
	}
}
