package config

import (
	"strings"
	"testing"

	"github.com/npusim/npusim/systolic"
)

const v3Base = `[general]
run_name = r
[architecture_presets]
ArrayHeight = 8
ArrayWidth = 8
IfmapSramSzkB = 64
FilterSramSzkB = 64
OfmapSramSzkB = 64
IfmapOffset = 0
FilterOffset = 10000000
OfmapOffset = 20000000
Dataflow = ws
ReadRequestBuffer = 32
WriteRequestBuffer = 32
[run_presets]
InterfaceBandwidth = CALC
UseRamulatorTrace = False
[layout]
IfmapCustomLayout = False
IfmapSRAMBankNum = 1
FilterCustomLayout = False
`

func TestParseConfigV3(t *testing.T) {
	tests := []struct {
		name, sparsity string
		want           *V3Config
	}{
		{"dense", "SparsitySupport = false\n", &V3Config{}},
		{"dense, other keys not read", "SparsitySupport = no\nSparseRep = CSR\n", &V3Config{}},
		{"layer-wise", "SparsitySupport = TRUE\nSparseRep = csr\nOptimizedMapping = false\nRandomNumberGeneratorSeed = 40\n",
			&V3Config{SparseRep: "csr", Sparsity: systolic.Sparsity{Enabled: true, Seed: 40}}},
		{"row-wise", "SparsitySupport = true\nSparseRep = ellpack_block\nOptimizedMapping = True\nBlockSize = 8\nRandomNumberGeneratorSeed = 4294967295\n",
			&V3Config{SparseRep: "ellpack_block", Sparsity: systolic.Sparsity{Enabled: true, RowWise: true, BlockSize: 8, Seed: 4294967295}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("x.cfg", []byte(v3Base+"[sparsity]\n"+tc.sparsity))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.V3 == nil || *cfg.V3 != *tc.want {
				t.Errorf("V3 = %+v, want %+v", cfg.V3, tc.want)
			}
		})
	}
	cfg, err := Parse("x.cfg", []byte(v3Base))
	if err != nil || cfg.V3 != nil {
		t.Errorf("without [sparsity]: V3 = %+v, err %v; want a v2 config", cfg.V3, err)
	}
}

func TestParseConfigV3Bad(t *testing.T) {
	tests := []struct{ name, edit, want string }{
		{"no SparsitySupport", "[sparsity]\nSparseRep = csr\n", "[sparsity] SparsitySupport: missing"},
		{"unknown rep", "[sparsity]\nSparsitySupport = true\nSparseRep = CSR\nOptimizedMapping = false\nRandomNumberGeneratorSeed = 1\n",
			`[sparsity] SparseRep: unknown value "CSR" (allowed: csr, csc, ellpack_block; case-sensitive)`},
		{"no seed", "[sparsity]\nSparsitySupport = true\nSparseRep = csr\nOptimizedMapping = false\n", "[sparsity] RandomNumberGeneratorSeed: missing"},
		{"seed too large", "[sparsity]\nSparsitySupport = true\nSparseRep = csr\nOptimizedMapping = false\nRandomNumberGeneratorSeed = 4294967296\n",
			"[sparsity] RandomNumberGeneratorSeed: must be at most 4294967295, got 4294967296"},
		{"block too big", "[sparsity]\nSparsitySupport = true\nSparseRep = csr\nOptimizedMapping = true\nBlockSize = 16\nRandomNumberGeneratorSeed = 1\n",
			`[sparsity] BlockSize: 16 is larger than ArrayHeight 8 (SCALE-Sim v3: "ERROR: Invalid block size")`},
		{"block not dividing", "[sparsity]\nSparsitySupport = true\nSparseRep = csr\nOptimizedMapping = true\nBlockSize = 6\nRandomNumberGeneratorSeed = 1\n",
			"[sparsity] BlockSize: 6 does not divide 2*ArrayHeight = 16"},
		{"odd block", "[sparsity]\nSparsitySupport = true\nSparseRep = csr\nOptimizedMapping = true\nBlockSize = 3\nRandomNumberGeneratorSeed = 1\n",
			"[sparsity] BlockSize: must be even, got 3"},
		{"row-wise os", "[sparsity]\nSparsitySupport = true\nSparseRep = csr\nOptimizedMapping = true\nBlockSize = 4\nRandomNumberGeneratorSeed = 1\n#os\n",
			`[sparsity] OptimizedMapping: row-wise sparsity works only with Dataflow ws (SCALE-Sim v3 fails with "Dimension mismatch between operands" for os)`},
		{"ramulator", "[sparsity]\nSparsitySupport = false\n#ramulator\n", "[run_presets] UseRamulatorTrace: True selects Ramulator DRAM traces, which npusim does not model"},
		{"custom layout", "[sparsity]\nSparsitySupport = false\n#layout\n", "[layout] FilterCustomLayout: True selects a custom SRAM layout, which npusim does not model"},
		{"request buffer", "[sparsity]\nSparsitySupport = false\n#rrb\n", `[architecture_presets] ReadRequestBuffer: "x" is not an integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := v3Base + tc.edit
			switch {
			case strings.Contains(tc.edit, "#os"):
				text = strings.Replace(text, "Dataflow = ws", "Dataflow = os", 1)
			case strings.Contains(tc.edit, "#ramulator"):
				text = strings.Replace(text, "UseRamulatorTrace = False", "UseRamulatorTrace = true", 1)
			case strings.Contains(tc.edit, "#layout"):
				text = strings.Replace(text, "FilterCustomLayout = False", "FilterCustomLayout = TRUE", 1)
			case strings.Contains(tc.edit, "#rrb"):
				text = strings.Replace(text, "ReadRequestBuffer = 32", "ReadRequestBuffer = x", 1)
			}
			_, err := Parse("x.cfg", []byte(text))
			if err == nil || !strings.Contains(err.Error(), "config x.cfg: "+tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestSparseRejected checks that the combinations SCALE-Sim v3 crashes on
// stop with an error naming the cause, not a panic.
func TestSparseRejected(t *testing.T) {
	l := systolic.GEMM("g", 16, 8, 24)
	one := systolic.GEMM("g1", 16, 1, 4)
	off := systolic.Offsets{Filter: 10000000, Ofmap: 20000000}
	lw := systolic.Sparsity{Enabled: true, Seed: 40}
	rw := systolic.Sparsity{Enabled: true, RowWise: true, BlockSize: 4, Seed: 40}
	tests := []struct {
		name string
		sp   systolic.Sparsity
		df   systolic.Dataflow
		r    systolic.Ratio
		off  systolic.Offsets
		want string
	}{
		{"N = 0", lw, systolic.WS, systolic.Ratio{N: 0, M: 4}, off, "sparsity 0:4: N and M must be positive"},
		{"N > M", lw, systolic.WS, systolic.Ratio{N: 5, M: 4}, off, "sparsity 5:4: N must not exceed M"},
		{"row-wise is", rw, systolic.IS, systolic.Ratio{N: 2, M: 4}, off, "row-wise sparsity (OptimizedMapping = true) works only with the ws dataflow"},
		{"FilterOffset 0, one filter in one block", lw, systolic.WS, systolic.Ratio{N: 2, M: 4}, systolic.Offsets{}, "FilterOffset 0 with one filter of 4 weights and sparsity 2:4"},
	}
	for _, tc := range tests {
		l := l
		if tc.off.Filter == 0 {
			l = one
		}
		l.Sparse = tc.r
		_, err := systolic.NewSparseMapping(l, tc.df, 8, 8, tc.off, tc.sp)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want prefix %q", tc.name, err, tc.want)
		}
	}
}
