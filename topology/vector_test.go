package topology

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const kindCSV = `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Kind, Elements, Input Shape, Aux Shape, Fused Into,
conv1, 10, 10, 3, 3, 4, 8, 1, conv, , , , ,
relu1, , , , , , , , vector:Relu, 512, 1x8x8x8, , conv1,
pool1, , , 2, 2, , , , vector:maxpool, 128, 1x8x8x8, , ,
DP2, 8, 8, 3, 3, 2, 2, 1, , , , , ,
add, , , , , , , , vector:Add, , 1x2x6x6, 1x2x6x6, ,
fc, 16, 10, 32, , , , , gemm, , , , ,
gap, , , , , , , , vector:GlobalAveragePool, 10, 16x10, , ,
`

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "net.csv")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A conv CSV with a Kind column: the GEMM loader reads its conv and gemm
// rows (a depthwise row expanded as usual), LoadVector its vector rows,
// each placed after the GEMM layers above it.
func TestKindColumn(t *testing.T) {
	p := writeTemp(t, kindCSV)
	layers, err := Load(p, Conv)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range layers {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, " "); got != "conv1 DP2Channel_0 DP2Channel_1 fc" {
		t.Errorf("GEMM layers %q", got)
	}
	if fc := layers[3]; fc.H != 16 || fc.W != 32 || fc.N != 10 {
		t.Errorf("gemm row: %+v", fc)
	}
	vls, err := LoadVector(p)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		name, op               string
		elems, window, in, aux int64
		after                  int
		fused                  string
	}
	wants := []want{
		{"relu1", "Relu", 512, 1, 512, 0, 1, "conv1"},
		{"pool1", "MaxPool", 128, 4, 512, 0, 1, ""},
		{"add", "Add", 72, 1, 72, 72, 3, ""},
		{"gap", "GlobalAveragePool", 10, 16, 160, 0, 4, ""},
	}
	if len(vls) != len(wants) {
		t.Fatalf("%d vector layers, want %d", len(vls), len(wants))
	}
	for i, w := range wants {
		v := vls[i]
		got := want{v.Name, v.Op, v.Elements, v.Window, v.In, v.Aux, v.After, v.FusedInto}
		if got != w {
			t.Errorf("row %d: %+v, want %+v", i, got, w)
		}
	}
}

func TestKindColumnErrors(t *testing.T) {
	head := strings.SplitN(kindCSV, "\n", 2)[0] + "\n"
	for _, c := range []struct{ row, want string }{
		{"x, , , , , , , , tensor, , , , ,", `line 2: column Kind: "tensor" is not conv, gemm or vector:<Op>`},
		{"x, , , , , , , , vector:Frob, 1, 4, , ,", `line 2: column Kind: no vector operator "Frob"`},
		{"x, , , , , , , , vector:Relu, 1, 4x, , ,", `line 2: column Input Shape: "4x" must be dimensions joined by x`},
		{"x, , , , , , , , vector:Relu, -3, 4, , ,", `line 2: column Elements: "-3" must be a positive integer`},
		{"x, , , 0, 2, , , , vector:MaxPool, 1, 4, , ,", `line 2: column Filter Height: "0" must be a positive integer (the pooling window)`},
	} {
		_, err := LoadVector(writeTemp(t, head+c.row+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.row, err, c.want)
		}
	}
	// the GEMM loader rejects a bad Kind too
	if _, err := Load(writeTemp(t, head+"x, 1, 1, 1, 1, 1, 1, 1, tensor, , , , ,\n"), Conv); err == nil || !strings.Contains(err.Error(), "column Kind") {
		t.Errorf("Load: %v", err)
	}
	// without a Kind column there are no vector layers, and nothing changes
	plain := "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc, 4, 4, 3, 3, 1, 1, 1,\n"
	if vls, err := LoadVector(writeTemp(t, plain)); err != nil || vls != nil {
		t.Errorf("no Kind column: %v, %v", vls, err)
	}
}
