package systolic

import (
	"fmt"

	"github.com/npusim/npusim/components/protocol"
)

// Ratio is a layer's N:M filter sparsity (SCALE-Sim v3's topology column
// "Sparsity"): of every M consecutive weights of a filter (window elements
// in (row, column, channel) order, channel fastest), the first N are kept.
// The zero value means 1:1, nothing pruned.
type Ratio struct{ N, M int }

// Norm returns r, with the zero value replaced by 1:1.
func (r Ratio) Norm() Ratio {
	if r.M == 0 && r.N == 0 {
		return Ratio{1, 1}
	}
	return r
}

// Sparsity is SCALE-Sim v3's [sparsity] configuration of an accelerator.
// The zero value is dense (SCALE-Sim v2) behaviour.
type Sparsity struct {
	Enabled bool
	// RowWise is v3's OptimizedMapping: every filter j keeps its own n_j of
	// every BlockSize weights, n_j drawn at random in [1, BlockSize/2]; the
	// topology's N is then ignored. Otherwise the mapping is layer-wise:
	// every filter keeps the topology's N of every M.
	RowWise   bool
	BlockSize int
	// Seed seeds numpy's legacy MT19937 generator, re-seeded for every layer
	// as v3 does.
	Seed uint32
}

// NewSparseMapping maps layer l with v3's sparsity sp (see NewMapping). It
// returns an error for the combinations SCALE-Sim v3 crashes on or rejects.
//
// Layer-wise, the filter and the ifmap lose the pruned window elements and
// the dense mapping runs on the reduced K; row-wise (weight stationary
// only), the filter is compressed per 2B-row group and the ifmap demand
// becomes B words per array row (see rowWise).
func NewSparseMapping(l Layer, df Dataflow, rows, cols int, off Offsets, sp Sparsity) (*Mapping, error) {
	if !sp.Enabled {
		return NewMapping(l, df, rows, cols, off), nil
	}
	if err := sp.check(l, df, rows); err != nil {
		return nil, err
	}
	if !sp.RowWise {
		m := newMapping(l, df, rows, cols, off, layerWiseRows(l.K(), l.Sparse.Norm()))
		if off.Filter == 0 {
			// QUIRK (v3): filter address 0 counts as a pruned weight (see
			// layerWiseFilterAddr). With a single filter whose window fits
			// in one block, v3 would also strip the last compressed row
			// and the operands would no longer match.
			m.zeroRun = min(l.Sparse.Norm().N, m.k)
			if l.N == 1 && m.k <= l.Sparse.Norm().N {
				return nil, fmt.Errorf("FilterOffset 0 with one filter of %d weights and sparsity %d:%d: SCALE-Sim v3 takes filter address 0 for a pruned weight and strips a compressed row, which npusim does not model; use a positive FilterOffset", l.K(), l.Sparse.Norm().N, l.Sparse.Norm().M)
			}
		}
		return m, nil
	}
	m := NewMapping(l, df, rows, cols, off)
	rw := &rowWise{b: sp.BlockSize, n: rowWiseCounts(sp.Seed, sp.BlockSize, l.N)}
	rw.fr = ceilDiv(m.k, 2*rw.b) * rw.b
	rw.zero = off.Filter == 0
	m.rw = rw
	m.sr = rw.fr
	m.rowFolds = ceilDiv(m.sr, rows)
	return m, nil
}

// check rejects what v3 cannot simulate, with the reason.
func (sp Sparsity) check(l Layer, df Dataflow, rows int) error {
	r := l.Sparse.Norm()
	if r.N <= 0 || r.M <= 0 {
		return fmt.Errorf("sparsity %d:%d: N and M must be positive (SCALE-Sim v3 crashes on N = 0)", r.N, r.M)
	}
	if r.N > r.M {
		return fmt.Errorf("sparsity %d:%d: N must not exceed M (SCALE-Sim v3 crashes building the pattern)", r.N, r.M)
	}
	if !sp.RowWise {
		return nil
	}
	b := sp.BlockSize
	switch {
	case df != WS:
		return fmt.Errorf("row-wise sparsity (OptimizedMapping = true) works only with the ws dataflow: SCALE-Sim v3 fails with \"Dimension mismatch between operands\" for %s (npusim does not model its K == BlockSize special case)", df)
	case b < 2 || b%2 != 0:
		return fmt.Errorf("BlockSize %d: row-wise sparsity needs an even BlockSize of at least 2", b)
	case b > rows:
		return fmt.Errorf("BlockSize %d is larger than ArrayHeight %d (SCALE-Sim v3: \"ERROR: Invalid block size\")", b, rows)
	case (2*rows)%b != 0:
		return fmt.Errorf("BlockSize %d does not divide 2*ArrayHeight = %d (SCALE-Sim v3 crashes with an inhomogeneous shape)", b, 2*rows)
	}
	return nil
}

// layerWiseRows lists the window elements layer-wise N:M sparsity keeps:
// element i is kept iff i mod M < N.
func layerWiseRows(k int, r Ratio) []int32 {
	fr := r.N*(k/r.M) + min(r.N, k%r.M)
	idx := make([]int32, fr)
	for i := range idx {
		idx[i] = int32(i/r.N*r.M + i%r.N)
	}
	return idx
}

// layerWiseFilterAddr is compressed filter row k of filter f in
// layer-wise mode: the address of the window element it keeps.
//
// QUIRK (v3): v3 compresses each filter by taking the non-zero addresses
// of every block of M rows, so with FilterOffset 0 the weight at address 0
// (filter 0, element 0) is taken for a pruned one: filter 0's first block
// lists its other kept weights first, then a padding 0 (which the memory
// system reads as address 0). The same addresses, in another order.
func (m *Mapping) layerWiseFilterAddr(k, f int) int64 {
	if f == 0 && k < m.zeroRun {
		if k == m.zeroRun-1 {
			return m.Offsets.Filter // the padding, address 0
		}
		k++
	}
	return m.Offsets.Filter + int64(f)*int64(m.kFull) + int64(m.kIdx[k])
}

// rowWiseCounts draws n_j, the weights filter j keeps of every b, as v3
// does: np.random.seed(seed), then one np.random.randint(1, b/2+1) per
// filter in order.
func rowWiseCounts(seed uint32, b, filters int) []int32 {
	g := newMT19937(seed)
	n := make([]int32, filters)
	for j := range n {
		n[j] = int32(g.randint(1, b/2+1))
	}
	return n
}

// FilterShape returns the rows of the compressed filter operand (Fr) and
// the number of weights kept (the mask's non-zeros) of layer l under sp:
// what v3's storage and metadata figures are computed from.
func (sp Sparsity) FilterShape(l Layer) (fr int, nnz int64) {
	k := l.K()
	if !sp.Enabled {
		return k, int64(k) * int64(l.N)
	}
	if !sp.RowWise {
		r := l.Sparse.Norm()
		fr = r.N*(k/r.M) + min(r.N, k%r.M)
		return fr, int64(fr) * int64(l.N)
	}
	b := sp.BlockSize
	for _, n := range rowWiseCounts(sp.Seed, b, l.N) {
		nnz += int64(int(n)*(k/b) + min(int(n), k%b))
	}
	return ceilDiv(k, 2*b) * b, nnz
}

// rowWise is v3's row-wise (OptimizedMapping) weight-stationary mapping.
//
// The compressed filter has fr = ceil(K/2B)*B rows: every group of 2B
// window elements becomes B rows, two halves of B/2 holding the kept
// weights of the group's first and second B elements (filter j keeps the
// first n[j] of each B), -1 where a filter keeps fewer. The ifmap is not
// compressed: a row fold's R compressed rows cover 2R window elements, and
// each array row is fed the B elements of its half-block, so the ifmap
// demand is R*B words wide.
type rowWise struct {
	b    int
	n    []int32
	fr   int
	zero bool // FilterOffset is 0: v3's address-0 quirk (see filterAddr)
}

// filterAddr is compressed filter row r of filter j, -1 if it holds none.
func (rw *rowWise) filterAddr(m *Mapping, r, j int) int64 {
	half := rw.b / 2
	w := r % rw.b
	i := w % half
	if i >= int(rw.n[j]) {
		return -1
	}
	if rw.zero && j == 0 && r < half && rw.n[0] > 1 {
		// QUIRK (v3): with FilterOffset 0, v3 takes filter 0's weight at
		// address 0 for a pruned one when compressing: the first
		// half-block lists the other kept weights and ends one short
		// (with a single kept weight, v3 restores the 0).
		if i++; i == int(rw.n[0]) {
			return -1
		}
	}
	k := r/rw.b*2*rw.b + w/half*rw.b + i
	if k >= m.k {
		return -1
	}
	return m.FilterAddr(k, j)
}

// ifmapRequests is v3's count for one fold: the whole skewed R*B-wide
// block of P+R-1 rows, padding included.
func (rw *rowWise) ifmapRequests(m *Mapping) int64 {
	return int64(m.p+m.R-1) * int64(m.R) * int64(rw.b)
}

// mappingEfficiency counts the real weights of the fold's R x C block.
func (rw *rowWise) mappingEfficiency(m *Mapping, f Fold) float64 {
	used := 0
	for r := f.FR * m.R; r < f.FR*m.R+f.RowsUsed; r++ {
		for j := f.FC * m.C; j < f.FC*m.C+f.ColsUsed; j++ {
			if rw.filterAddr(m, r, j) >= 0 {
				used++
			}
		}
	}
	return float64(used) / float64(m.R*m.C)
}

// row is local row t of the fold's ifmap or filter demand.
func (rw *rowWise) row(m *Mapping, f Fold, op protocol.Operand, t int, buf []int64) (lo, hi int) {
	R, B := m.R, rw.b
	if op == protocol.Filter { // flipped weight block in the first R rows, as dense ws
		if t >= R || R-1-t >= f.RowsUsed {
			return 0, 0
		}
		r := f.FR*R + R - 1 - t
		for c := range f.ColsUsed {
			buf[c] = rw.filterAddr(m, r, f.FC*m.C+c)
		}
		return 0, f.ColsUsed
	}
	// ifmap: after R idle rows, slot s of row u holds pixel u-s's B window
	// elements of half-block s/(B/2) of the fold's 2R elements
	u := t - R
	if u < 0 || u >= m.p+R-1 {
		return 0, 0
	}
	s0, s1 := max(0, u-m.p+1), min(R-1, u)
	first := 2 * R * f.FR
	for s := s0; s <= s1; s++ {
		px := m.pixel(u - s)
		col := first + s/(B/2)*B
		slot := buf[s*B : s*B+B]
		for i := range slot {
			slot[i] = -1
			if col+i < m.k {
				slot[i] = px.addr(m, col+i)
			}
		}
	}
	return s0 * B, (s1 + 1) * B
}

// fillOrder is the USER-mode prefetch order: the uncompressed ifmap in
// ceil(K/R) row folds (v3 builds its ifmap prefetch matrix before
// compressing), and the compressed filter.
func (rw *rowWise) fillOrder(m *Mapping, op protocol.Operand) protocol.FillOrder {
	o := &fillOrder{}
	if op == protocol.Ifmap {
		o.blocks, o.block, o.width, o.diag = ceilDiv(m.k, m.R), m.p, m.R, true
		o.cell = func(b, i, c int) int64 {
			if k := b*m.R + c; k < m.k {
				return m.IfmapAddr(i, k)
			}
			return -1
		}
	} else {
		o.blocks, o.block, o.width = m.colFolds, rw.fr, m.C
		o.cell = func(b, i, c int) int64 {
			if j := b*m.C + c; j < m.n {
				return rw.filterAddr(m, i, j)
			}
			return -1
		}
	}
	o.rows = o.blocks * o.block
	return o
}
