package topology

import (
	"strings"
	"testing"

	"github.com/npusim/npusim/systolic"
)

func TestParseTopologyV3(t *testing.T) {
	conv := "Layer name, H, W, Fh, Fw, C, N, S, Sparsity,\nC1, 16, 16, 3, 3, 8, 16, 2, 2:4,\nC2, 8, 8, 3, 3, 4, 8, 1,\nDP3, 8, 8, 3, 3, 2, 1, 1, 1 : 8,\n"
	layers, err := ParseV3("t.csv", strings.NewReader(conv), Conv)
	if err != nil {
		t.Fatal(err)
	}
	want := []systolic.Layer{
		{Name: "C1", H: 16, W: 16, Fh: 3, Fw: 3, Ch: 8, N: 16, Sh: 2, Sw: 2, Sparse: systolic.Ratio{N: 2, M: 4}},
		{Name: "C2", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 4, N: 8, Sh: 1, Sw: 1, Sparse: systolic.Ratio{N: 1, M: 1}},
		{Name: "DP3Channel_0", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1, Sparse: systolic.Ratio{N: 1, M: 8}},
		{Name: "DP3Channel_1", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1, Sparse: systolic.Ratio{N: 1, M: 8}},
	}
	if len(layers) != len(want) {
		t.Fatalf("got %d layers, want %d", len(layers), len(want))
	}
	for i := range want {
		if layers[i] != want[i] {
			t.Errorf("layer %d = %+v, want %+v", i, layers[i], want[i])
		}
	}
	gemm := "Layer, M, N, K, Sparsity,\nG1, 64, 32, 48, 1:4,\n"
	layers, err = ParseV3("g.csv", strings.NewReader(gemm), Gemm)
	if err != nil {
		t.Fatal(err)
	}
	if g := systolic.GEMM("G1", 64, 32, 48); layers[0].Sparse != (systolic.Ratio{N: 1, M: 4}) || layers[0].K() != g.K() || layers[0].N != 32 {
		t.Errorf("GEMM layer = %+v", layers[0])
	}

	bad := []struct{ text, want string }{
		{"h\nC, 16, 16, 3, 3, 8, 16, 1, 2:4\n", "topology b.csv line 2: row has no trailing comma: SCALE-Sim drops the last field of every row (here column 9 (Sparsity) \"2:4\")"},
		{"h\nC, 16, 16, 3, 3, 8, 16, 1, 0:4,\n", `topology b.csv line 2: column 9 (Sparsity): "0:4": N and M must be positive`},
		{"h\nC, 16, 16, 3, 3, 8, 16, 1, 5:4,\n", `topology b.csv line 2: column 9 (Sparsity): "5:4": N must not exceed M`},
		{"h\nC, 16, 16, 3, 3, 8, 16, 1, 2/4,\n", `topology b.csv line 2: column 9 (Sparsity): "2/4" is not N:M`},
		{"h\nC, 16, 16, 3, 3, 8, 16, 1, ,\n", `topology b.csv line 2: column 9 (Sparsity): "" is not N:M`},
		{"h\nC, 16, 16, 3, 3, 8, 16, 1, 2,\n", `topology b.csv line 2: column 9 (Sparsity): "2" is not N:M (with a SCALE-Sim v3 config, one with a [sparsity] section, the 9th conv column is Sparsity, not Stride Width)`},
	}
	for _, b := range bad {
		_, err := ParseV3("b.csv", strings.NewReader(b.text), Conv)
		if err == nil || !strings.HasPrefix(err.Error(), b.want) {
			t.Errorf("%q: error %v, want prefix %q", b.text, err, b.want)
		}
	}
}
