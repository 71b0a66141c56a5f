package systolic

import (
	"reflect"
	"testing"
)

// compressedFilter lists the compressed filter operand of m, filter by
// filter (rows of the sparse mapping's K dimension).
func compressedFilter(m *Mapping) [][]int64 {
	out := make([][]int64, m.n)
	for f := range out {
		for r := range m.sr {
			if m.rw != nil {
				out[f] = append(out[f], m.rw.filterAddr(m, r, f))
			} else {
				out[f] = append(out[f], m.FilterAddr(r, f))
			}
		}
	}
	return out
}

// TestSparseFilter checks the compressed filters against the rules of the
// semantics note (§4), worked out by hand on a 1x10 GEMM window (K = 10)
// with 2 filters.
func TestSparseFilter(t *testing.T) {
	l := GEMM("g", 4, 2, 10)
	l.Sparse = Ratio{N: 2, M: 4}
	lw := Sparsity{Enabled: true}
	tests := []struct {
		name   string
		sp     Sparsity
		filter int64
		want   [][]int64
	}{
		// layer-wise 2:4: elements 0,1, 4,5, 8,9 of each filter
		{"layer-wise", lw, 100, [][]int64{{100, 101, 104, 105, 108, 109}, {110, 111, 114, 115, 118, 119}}},
		// FilterOffset 0: filter 0's address 0 counts as pruned; its first
		// block lists element 1, then the padding 0
		{"layer-wise, FilterOffset 0", lw, 0, [][]int64{{1, 0, 4, 5, 8, 9}, {10, 11, 14, 15, 18, 19}}},
		// row-wise B = 4, seed 7: randint(1, 3) gives
		// n_0 = 1 + (327741615 & 1) = 2, n_1 = 1 + (976413892 & 1) = 1;
		// each group of 2B = 8 elements becomes B = 4 rows (two halves of
		// B/2 slots): filter 0 [e0 e1 | e4 e5], [e8 e9 | - -]
		{"row-wise", Sparsity{Enabled: true, RowWise: true, BlockSize: 4, Seed: 7}, 100,
			[][]int64{{100, 101, 104, 105, 108, 109, -1, -1}, {110, -1, 114, -1, 118, -1, -1, -1}}},
		{"row-wise, FilterOffset 0", Sparsity{Enabled: true, RowWise: true, BlockSize: 4, Seed: 7}, 0,
			[][]int64{{1, -1, 4, 5, 8, 9, -1, -1}, {10, -1, 14, -1, 18, -1, -1, -1}}},
	}
	for _, tc := range tests {
		m, err := NewSparseMapping(l, WS, 4, 4, Offsets{Filter: tc.filter, Ofmap: 1000}, tc.sp)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := compressedFilter(m); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: compressed filter\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
	if n := rowWiseCounts(7, 4, 2); n[0] != 2 || n[1] != 1 {
		t.Fatalf("seed 7, B 4: n = %v, want [2 1]", n)
	}
	// layer-wise ifmap: the kept window elements, in order
	m, _ := NewSparseMapping(l, WS, 4, 4, Offsets{Filter: 100}, lw)
	var got []int64
	for k := range m.k {
		got = append(got, m.IfmapAddr(1, k))
	}
	if want := []int64{10, 11, 14, 15, 18, 19}; !reflect.DeepEqual(got, want) {
		t.Errorf("layer-wise ifmap row 1 = %v, want %v", got, want)
	}
	// FilterShape: Fr and the kept weights
	for _, c := range []struct {
		sp      Sparsity
		fr, nnz int
	}{{lw, 6, 12}, {tests[2].sp, 8, 2*2 + 2 + 1*2 + 1}, {Sparsity{}, 10, 20}} {
		if fr, nnz := c.sp.FilterShape(l); fr != c.fr || nnz != int64(c.nnz) {
			t.Errorf("%+v: FilterShape = %d, %d, want %d, %d", c.sp, fr, nnz, c.fr, c.nnz)
		}
	}
}
