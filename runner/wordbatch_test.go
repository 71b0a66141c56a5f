package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
)

// TestWordBatchNeutral checks that WordBytes = 1 and Batch = 1, written
// out, leave every golden case (v2 and v3) unchanged.
func TestWordBatchNeutral(t *testing.T) {
	var dirs []string
	for _, pat := range []string{"../testdata/golden/*/KIND", "../testdata/golden-v3/*/KIND"} {
		m, _ := filepath.Glob(pat)
		for _, k := range m {
			dirs = append(dirs, filepath.Dir(k))
		}
	}
	if len(dirs) < 36 {
		t.Fatalf("found only %d golden cases", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			out, cfg, _ := runGoldenWith(t, dir, "\n[npusim]\nWordBytes = 1\nBatch = 1\n")
			if cfg.WordBytes != 1 || cfg.Batch != 1 {
				t.Fatalf("WordBytes %d Batch %d", cfg.WordBytes, cfg.Batch)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*_REPORT.csv"))
			for _, f := range files {
				compareReport(t, f, filepath.Join(out, filepath.Base(f)))
			}
		})
	}
}

// runLayersForTest runs layers on cfg and returns the reports.
func runLayersForTest(t *testing.T, cfg config.Config, layers []systolic.Layer) []report.Layer {
	t.Helper()
	reps, err := Run(cfg, layers, Options{LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return reps
}

func smallConfig(t *testing.T, df, mode, extra string) Config {
	t.Helper()
	text := fmt.Sprintf(`[general]
run_name = b
[architecture_presets]
ArrayHeight = 8
ArrayWidth = 8
IfmapSramSzkB = 1
FilterSramSzkB = 1
OfmapSramSzkB = 1
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Bandwidth = 2
Dataflow = %s
[run_presets]
InterfaceBandwidth = %s
%s`, df, mode, extra)
	cfg, err := ParseConfig("b.cfg", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestBatch checks that a batch of B simulates B inputs: a batched GEMM is
// exactly the GEMM with B times the rows M, and a batched conv does B
// times the MACs and writes B times the output words, in every dataflow
// and both bandwidth modes.
func TestBatch(t *testing.T) {
	const b = 3
	for _, df := range []string{"os", "ws", "is"} {
		for _, mode := range []string{"CALC", "USER"} {
			t.Run(df+"_"+mode, func(t *testing.T) {
				one := smallConfig(t, df, mode, "")
				batched := smallConfig(t, df, mode, fmt.Sprintf("[npusim]\nBatch = %d\n", b))
				got := runLayersForTest(t, batched, []systolic.Layer{systolic.GEMM("g", 10, 12, 20)})
				want := runLayersForTest(t, one, []systolic.Layer{systolic.GEMM("g", 10*b, 12, 20)})
				got[0].Shape, want[0].Shape = systolic.Layer{}, systolic.Layer{} // the shapes differ by construction
				if !reflect.DeepEqual(got, want) {
					t.Errorf("GEMM 10x12x20 batch %d:\n got %+v\nwant %+v (GEMM %dx12x20)", b, got[0], want[0], 10*b)
				}

				conv := []systolic.Layer{{Name: "c", H: 9, W: 7, Fh: 3, Fw: 2, Ch: 3, N: 5, Sh: 2, Sw: 1}}
				r1 := runLayersForTest(t, one, conv)[0]
				rb := runLayersForTest(t, batched, conv)[0]
				if rb.MACs != b*r1.MACs {
					t.Errorf("conv MACs %d, want %d x %d", rb.MACs, b, r1.MACs)
				}
				// output words: SCALE-Sim's OFMAP SRAM writes (each output
				// once per row fold in ws/is, plus R+C per fold in os)
				outputs := func(r report.Layer, l systolic.Layer) int64 {
					w := r.SRAM[2].Words
					if df == "os" {
						w -= int64(systolic.NewMapping(l, systolic.OS, 8, 8, systolic.Offsets{}).NumFolds()) * 16
					}
					return w
				}
				lb := conv[0]
				lb.Batch = b
				if o1, ob := outputs(r1, conv[0]), outputs(rb, lb); ob != b*o1 || o1%int64(conv[0].P()*conv[0].N) != 0 {
					t.Errorf("conv output words %d and %d, want %d x %d, a multiple of P*N", o1, ob, b, o1)
				}
			})
		}
	}
}

// TestWordBytes checks that the word size sets how many words a buffer
// holds: 2 kB of 2-byte words behave exactly as 1 kB of bytes (the
// stall-heavy USER golden case), while 1 kB of 2-byte words holds half as
// many and stalls more; the energy report counts bytes as words times
// WordBytes.
func TestWordBytes(t *testing.T) {
	dir := "../testdata/golden/stall_8x8_ws_user1"
	_, _, base := runGoldenWith(t, dir, "")
	data, err := os.ReadFile(filepath.Join(dir, "scale.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	doubled := strings.NewReplacer("IfmapSramSzkB:    1", "IfmapSramSzkB: 2",
		"FilterSramSzkB:   1", "FilterSramSzkB: 2", "OfmapSramSzkB:    1", "OfmapSramSzkB: 2").Replace(string(data))
	if doubled == string(data) {
		t.Fatal("buffer sizes not found in the config")
	}
	cfg, err := ParseConfig("x.cfg", []byte(doubled+"\n[npusim]\nWordBytes = 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := LoadTopology(filepath.Join(dir, "topology.csv"), Conv)
	if err != nil {
		t.Fatal(err)
	}
	got := runLayersForTest(t, cfg, layers)
	if !reflect.DeepEqual(got, base) {
		t.Errorf("2 kB of 2-byte words differ from 1 kB of bytes:\n got %+v\nwant %+v", got, base)
	}
	for i, e := range report.Energy(cfg, layers, got)[:len(got)] {
		for a := report.ActIfmapSRAM; a < report.NumActions; a++ {
			if a != report.ActMetadataSRAM && e.Actions[a].Bytes != 2*e.Actions[a].Count {
				t.Errorf("layer %d %s: %v bytes for %v words", i, report.ActionNames[a], e.Actions[a].Bytes, e.Actions[a].Count)
			}
		}
	}

	_, cfg2, half := runGoldenWith(t, dir, "\n[npusim]\nWordBytes = 2\n")
	var stallsBase, stallsHalf int64
	for i := range half {
		stallsBase += base[i].StallCycles
		stallsHalf += half[i].StallCycles
	}
	if cfg2.WordBytes != 2 || stallsHalf <= stallsBase {
		t.Errorf("1 kB of 2-byte words: %d stall cycles, want more than %d", stallsHalf, stallsBase)
	}
	if _, err := ParseConfig("x.cfg", []byte(string(data)+"\n[npusim]\nWordBytes = 2048\n")); err == nil ||
		!strings.Contains(err.Error(), "[npusim] WordBytes: 2048 is larger than the IfmapSramSzkB buffer (1 kB)") {
		t.Errorf("WordBytes larger than a buffer: error %v", err)
	}
}
