package systolic

import (
	"math/bits"

	"github.com/npusim/npusim/components/protocol"
)

// Offsets are the base word addresses of the three operands, SCALE-Sim's
// IfmapOffset, FilterOffset and OfmapOffset.
type Offsets struct {
	Ifmap, Filter, Ofmap int64
}

// Mapping is one layer mapped onto an R x C array with a dataflow. It
// answers every question about the compute side of the layer (folds, cycles
// per fold, operand addresses per cycle) without materialising any matrix:
// all of it is arithmetic on the fold and cycle indices.
//
// Each dataflow maps one dimension onto the array rows (Sr), one onto the
// columns (Sc) and streams the third in time (T):
//
//	df  Sr  Sc  T
//	os  P   N   K
//	ws  K   N   P
//	is  K   P   N
type Mapping struct {
	Layer    Layer
	Dataflow Dataflow
	R, C     int
	Offsets  Offsets

	p, k, n, ew  int
	sr, sc, t    int
	rowFolds     int
	colFolds     int
	foldLen      int // F, rows (cycles) of the demand matrices per fold
	utilFoldLen  int // fold length SCALE-Sim divides by in Compute Util
	ifmapRowSpan int // Fw*Ch, for the ifmap address function

	// window element k as (filter row, filter column, offset from the
	// window's first word), precomputed because every demanded ifmap word
	// needs them
	kRow, kCol []int32
	kOff       []int64
	ewMagic    uint64 // for dividing pixel indices by Ew without a DIV

	// SCALE-Sim v3 sparsity (systolic/sparse.go): kFull is the dense window
	// size; kIdx, if not nil, maps a layer-wise compressed row to its window
	// element; rw, if not nil, is the row-wise mapping.
	kFull int
	kIdx  []int32
	rw    *rowWise
	// zeroRun > 0 reproduces v3's FilterOffset 0 quirk: the first zeroRun
	// compressed rows of filter 0 (see layerWiseFilterAddr)
	zeroRun int
	// eh is Eh when the layer is batched (pixels then run over the inputs
	// one after the other), else 0
	eh int
	// pxTab tabulates the output pixels (systolic/pixels.go)
	pxTab *pixelTable
}

// NewMapping maps layer l onto a rows x cols array.
func NewMapping(l Layer, df Dataflow, rows, cols int, off Offsets) *Mapping {
	return newMapping(l, df, rows, cols, off, nil)
}

// newMapping maps l; a non-nil kIdx keeps only those window elements (the
// K dimension becomes len(kIdx)), as v3's layer-wise sparsity does.
func newMapping(l Layer, df Dataflow, rows, cols int, off Offsets, kIdx []int32) *Mapping {
	m := &Mapping{Layer: l, Dataflow: df, R: rows, C: cols, Offsets: off, kIdx: kIdx, pxTab: &pixelTable{}}
	m.p, m.k, m.n, m.ew = l.P(), l.K(), l.N, l.Ew()
	m.kFull = m.k
	if l.Batch > 1 {
		m.eh = l.Eh()
	}
	if kIdx != nil {
		m.k = len(kIdx)
	}
	m.ifmapRowSpan = l.Fw * l.Ch
	m.ewMagic = ^uint64(0)/uint64(m.ew) + 1
	// The window table costs 16 bytes per element: beyond maxWindowTable
	// elements the window is decomposed on the fly instead, so that memory
	// stays bounded whatever the layer (a GEMM's window is its K).
	if m.k <= maxWindowTable {
		m.kRow, m.kCol, m.kOff = make([]int32, m.k), make([]int32, m.k), make([]int64, m.k)
		for k := range m.k {
			fr, fc, off := m.window(k)
			m.kRow[k], m.kCol[k], m.kOff[k] = int32(fr), int32(fc), off
		}
	}
	switch df {
	case WS:
		m.sr, m.sc, m.t = m.k, m.n, m.p
	case IS:
		m.sr, m.sc, m.t = m.k, m.p, m.n
	default:
		m.sr, m.sc, m.t = m.p, m.n, m.k
	}
	m.rowFolds = ceilDiv(m.sr, rows)
	m.colFolds = ceilDiv(m.sc, cols)
	if df == OS {
		m.foldLen = m.t + rows + cols - 2
		m.utilFoldLen = m.foldLen
	} else {
		m.foldLen = 2*rows + cols + m.t - 2
		// QUIRK (SCALE-Sim): ws/is Compute Util divides by 2R+2C+T-3, one
		// C-1 more than the real fold length.
		m.utilFoldLen = 2*rows + 2*cols + m.t - 3
	}
	return m
}

// Fold is one tile of the layer: column fold FC and row fold FR, with the
// number of array rows and columns it occupies.
type Fold struct {
	Index    int // position in SCALE-Sim's order (FC outer, FR inner)
	FC, FR   int
	RowsUsed int
	ColsUsed int
}

// NumFolds is row folds times column folds.
func (m *Mapping) NumFolds() int { return m.rowFolds * m.colFolds }

// RowFolds is ceil(Sr/R).
func (m *Mapping) RowFolds() int { return m.rowFolds }

// ColFolds is ceil(Sc/C).
func (m *Mapping) ColFolds() int { return m.colFolds }

// FoldLen is the number of cycles (demand rows) of every fold.
func (m *Mapping) FoldLen() int { return m.foldLen }

// Rows is the number of demand rows of the layer, the cycles it takes
// without stalls (SCALE-Sim reports one less: see runner).
func (m *Mapping) Rows() int64 { return int64(m.NumFolds()) * int64(m.foldLen) }

// Fold returns fold i; SCALE-Sim iterates column folds outside, row folds
// inside.
func (m *Mapping) Fold(i int) Fold {
	fc, fr := i/m.rowFolds, i%m.rowFolds
	return Fold{
		Index:    i,
		FC:       fc,
		FR:       fr,
		RowsUsed: min(m.R, m.sr-fr*m.R),
		ColsUsed: min(m.C, m.sc-fc*m.C),
	}
}

// MappingEfficiency is the fraction of PEs fold f occupies.
func (m *Mapping) MappingEfficiency(f Fold) float64 {
	if m.rw != nil {
		return m.rw.mappingEfficiency(m, f)
	}
	return float64(f.RowsUsed*f.ColsUsed) / float64(m.R*m.C)
}

// ComputeUtil is the fraction of PE-cycles of fold f doing useful MACs, as
// SCALE-Sim defines it (with its ws/is fold-length quirk).
func (m *Mapping) ComputeUtil(f Fold) float64 {
	return float64(int64(f.RowsUsed)*int64(f.ColsUsed)*int64(m.t)) /
		float64(int64(m.R)*int64(m.C)*int64(m.utilFoldLen))
}

// Requests is the number of SRAM requests fold f makes to operand op: the
// area of the operand slice the fold uses (SCALE-Sim counts the -1 cells of
// the ifmap operand too). QUIRK (os): the ofmap count adds R+C per fold.
func (m *Mapping) Requests(f Fold, op protocol.Operand) int64 {
	if m.rw != nil && op == protocol.Ifmap {
		return m.rw.ifmapRequests(m)
	}
	ru, cu, t := int64(f.RowsUsed), int64(f.ColsUsed), int64(m.t)
	switch m.Dataflow {
	case WS:
		switch op {
		case protocol.Ifmap:
			return t * ru
		case protocol.Filter:
			return ru * cu
		}
		return t * cu
	case IS:
		switch op {
		case protocol.Ifmap:
			return ru * cu
		case protocol.Filter:
			return t * ru
		}
		return t * cu
	}
	switch op {
	case protocol.Ifmap:
		return t * ru
	case protocol.Filter:
		return t * cu
	}
	return ru*cu + int64(m.R+m.C)
}

// Width is the number of SRAM ports (demand-matrix columns) of operand op.
func (m *Mapping) Width(op protocol.Operand) int {
	if m.rw != nil && op == protocol.Ifmap {
		return m.R * m.rw.b
	}
	if (op == protocol.Ifmap) == (m.Dataflow == IS) {
		return m.C
	}
	if op == protocol.Ofmap {
		return m.C
	}
	return m.R
}

// IfmapAddr is the ifmap operand entry for output pixel p and window
// element k, or -1 when SCALE-Sim's ceil-based output size makes the window
// run past the IFMAP edge. The IFMAP is stored HWC.
func (m *Mapping) IfmapAddr(p, k int) int64 {
	return m.pixel(p).addr(m, k)
}

// pixel is an output pixel's window: its first IFMAP row and column and
// address, and whether the whole window lies inside the IFMAP.
type pixel struct {
	r0, c0 int
	inside bool
	base   int64
}

func (m *Mapping) pixel(p int) pixel {
	l := &m.Layer
	orow, ocol := m.divEw(p)
	var input int64 // first word of the pixel's input in a batch
	if m.eh > 0 {
		b := orow / m.eh
		orow -= b * m.eh
		input = int64(b) * int64(l.H) * int64(l.W) * int64(l.Ch)
	}
	r0, c0 := orow*l.Sh, ocol*l.Sw
	return pixel{
		r0: r0, c0: c0,
		inside: r0+l.Fh <= l.H && c0+l.Fw <= l.W,
		base:   m.Offsets.Ifmap + input + int64((r0*l.W+c0)*l.Ch),
	}
}

// divEw returns p/Ew and p%Ew. Every demanded ifmap word of some mappings
// needs it, so it divides by multiplying (Lemire, Kaser and Kurz, "Faster
// remainder by direct computation", 2019), exact for 32-bit operands and
// divisors above 1 (the magic number for 1 would be 2^64).
func (m *Mapping) divEw(p int) (q, r int) {
	if m.ew == 1 {
		return p, 0
	}
	if uint64(p) > 1<<32-1 || uint64(m.ew) > 1<<32-1 {
		return p / m.ew, p % m.ew
	}
	hi, lo := bits.Mul64(m.ewMagic, uint64(p))
	rem, _ := bits.Mul64(lo, uint64(m.ew))
	return int(hi), int(rem)
}

// addr is the address of window element k of the pixel, -1 past the edge.
func (px pixel) addr(m *Mapping, k int) int64 {
	if m.kOff == nil {
		fr, fc, off := m.window(k)
		if !px.inside && (px.r0+fr >= m.Layer.H || px.c0+fc >= m.Layer.W) {
			return -1
		}
		return px.base + off
	}
	if !px.inside && (px.r0+int(m.kRow[k]) >= m.Layer.H || px.c0+int(m.kCol[k]) >= m.Layer.W) {
		return -1
	}
	return px.base + m.kOff[k]
}

// maxWindowTable is the largest window whose decomposition NewMapping
// tabulates (1 MB of table); a variable so that tests can run the
// untabulated path on small layers.
var maxWindowTable = 1 << 16

// window decomposes window element k into its filter row and column and
// its offset from the window's first IFMAP word (the IFMAP is HWC).
func (m *Mapping) window(k int) (fr, fc int, off int64) {
	l := &m.Layer
	if m.kIdx != nil { // sparse: the element's place in the dense window
		k = int(m.kIdx[k])
	}
	fr, rem := k/m.ifmapRowSpan, k%m.ifmapRowSpan
	fc, ch := rem/l.Ch, rem%l.Ch
	return fr, fc, (int64(fr)*int64(l.W)+int64(fc))*int64(l.Ch) + int64(ch)
}

// FilterAddr is the filter operand entry for window element k of filter f.
func (m *Mapping) FilterAddr(k, f int) int64 {
	if m.kIdx != nil {
		return m.layerWiseFilterAddr(k, f)
	}
	return m.Offsets.Filter + int64(f)*int64(m.kFull) + int64(k)
}

// OfmapAddr is the ofmap operand entry for pixel p of filter f.
func (m *Mapping) OfmapAddr(p, f int) int64 {
	return m.Offsets.Ofmap + int64(p)*int64(m.n) + int64(f)
}
