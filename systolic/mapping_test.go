package systolic

import (
	"fmt"
	"math"
	"testing"

	"github.com/npusim/npusim/components/protocol"
)

// This file checks Mapping against a deliberately literal reference of
// SCALE-Sim v2's matrices, written from the semantics document
// (shared/reference/scalesim-v2-semantics.md §2-§4): the full operand
// matrices are materialised, the per-fold demand blocks are built with
// pad_cols/pad_rows/gap/flip/skew exactly as the tables 4.1-4.3 say and
// stacked in fold order, and the prefetch matrices are stacked and
// flattened (through diag() or row by row). Nothing here is clever; it is
// meant to be obviously the document.

// ---------------------------------------------------------------------------
// Reference: matrix helpers (§4 "Helper operations").

type refMat = [][]int64

// refNew returns an r x c matrix filled with v.
func refNew(r, c int, v int64) refMat {
	m := make(refMat, r)
	for i := range m {
		m[i] = make([]int64, c)
		for j := range m[i] {
			m[i][j] = v
		}
	}
	return m
}

func refCols(m refMat) int {
	if len(m) == 0 {
		return 0
	}
	return len(m[0])
}

// refSliceRows is X[a:b, :] (numpy semantics: b is clipped).
func refSliceRows(x refMat, a, b int) refMat {
	b = min(b, len(x))
	out := make(refMat, 0, b-a)
	for i := a; i < b; i++ {
		out = append(out, append([]int64(nil), x[i]...))
	}
	return out
}

// refSliceCols is X[:, a:b].
func refSliceCols(x refMat, a, b int) refMat {
	out := make(refMat, len(x))
	for i := range x {
		bb := min(b, len(x[i]))
		out[i] = append([]int64(nil), x[i][a:bb]...)
	}
	return out
}

// refPadCols appends -1 columns until X has n columns.
func refPadCols(x refMat, n int) refMat {
	out := make(refMat, len(x))
	for i := range x {
		out[i] = append([]int64(nil), x[i]...)
		for len(out[i]) < n {
			out[i] = append(out[i], -1)
		}
	}
	return out
}

// refPadRows appends -1 rows until X has n rows.
func refPadRows(x refMat, n int) refMat {
	w := refCols(x)
	out := refSliceRows(x, 0, len(x))
	for len(out) < n {
		out = append(out, refNew(1, w, -1)[0])
	}
	return out
}

// refGap is a k x w block of -1.
func refGap(k, w int) refMat { return refNew(k, w, -1) }

// refVstack stacks matrices vertically.
func refVstack(ms ...refMat) refMat {
	var out refMat
	for _, m := range ms {
		for _, r := range m {
			out = append(out, append([]int64(nil), r...))
		}
	}
	return out
}

// refFlip reverses the row order.
func refFlip(x refMat) refMat {
	out := make(refMat, len(x))
	for i := range x {
		out[len(x)-1-i] = append([]int64(nil), x[i]...)
	}
	return out
}

// refTranspose transposes X.
func refTranspose(x refMat) refMat {
	out := refNew(refCols(x), len(x), 0)
	for i := range x {
		for j := range x[i] {
			out[j][i] = x[i][j]
		}
	}
	return out
}

// refSkew: an a x b matrix becomes (a+b-1) x b of -1, with column c of X
// copied into rows c .. c+a-1 of column c.
func refSkew(x refMat) refMat {
	a, b := len(x), refCols(x)
	out := refNew(a+b-1, b, -1)
	for c := 0; c < b; c++ {
		for r := 0; r < a; r++ {
			out[c+r][c] = x[r][c]
		}
	}
	return out
}

// refDiag flattens X in anti-diagonal order, rows decreasing within each
// anti-diagonal.
func refDiag(x refMat) []int64 {
	m, n := len(x), refCols(x)
	var out []int64
	for d := 0; d <= m+n-2; d++ {
		for r := min(d, m-1); r >= max(0, d-n+1); r-- {
			out = append(out, x[r][d-r])
		}
	}
	return out
}

// refFlatten flattens X row by row.
func refFlatten(x refMat) []int64 {
	var out []int64
	for _, r := range x {
		out = append(out, r...)
	}
	return out
}

// ---------------------------------------------------------------------------
// Reference: operand matrices (§2, §3).

func refCeilDiv(a, b int) int { return int(math.Ceil(float64(a) / float64(b))) }

func refGeometry(l Layer) (eh, ew, p, k int) {
	eh = refCeilDiv(l.H-l.Fh+l.Sh, l.Sh)
	ew = refCeilDiv(l.W-l.Fw+l.Sw, l.Sw)
	return eh, ew, eh * ew, l.Fh * l.Fw * l.Ch
}

// refIfmapOperand is the P x K ifmap operand.
func refIfmapOperand(l Layer, oi int64) refMat {
	_, ew, p, k := refGeometry(l)
	m := refNew(p, k, 0)
	for pp := 0; pp < p; pp++ {
		orow, ocol := pp/ew, pp%ew
		r0, c0 := orow*l.Sh, ocol*l.Sw
		for kk := 0; kk < k; kk++ {
			fr, rem := kk/(l.Fw*l.Ch), kk%(l.Fw*l.Ch)
			fc, ch := rem/l.Ch, rem%l.Ch
			if r0+fr < l.H && c0+fc < l.W {
				m[pp][kk] = oi + int64(((r0+fr)*l.W+(c0+fc))*l.Ch+ch)
			} else {
				m[pp][kk] = -1
			}
		}
	}
	return m
}

// refFilterOperand is the K x N filter operand.
func refFilterOperand(l Layer, of int64) refMat {
	_, _, _, k := refGeometry(l)
	m := refNew(k, l.N, 0)
	for kk := 0; kk < k; kk++ {
		for f := 0; f < l.N; f++ {
			m[kk][f] = of + int64(f*k+kk)
		}
	}
	return m
}

// refOfmapOperand is the P x N ofmap operand.
func refOfmapOperand(l Layer, oo int64) refMat {
	_, _, p, _ := refGeometry(l)
	m := refNew(p, l.N, 0)
	for pp := 0; pp < p; pp++ {
		for f := 0; f < l.N; f++ {
			m[pp][f] = oo + int64(pp*l.N+f)
		}
	}
	return m
}

// ---------------------------------------------------------------------------
// Reference: the fold model (§4).

type refFold struct{ fc, fr, rowsUsed, colsUsed int }

type refModel struct {
	sr, sc, t          int
	rowFold, colFold   int
	foldLen            int
	folds              []refFold
	demand             [3]refMat   // per operand, all folds stacked, L rows
	blocks             [3][]refMat // per operand, per fold
	prefetch           [2][]int64  // ifmap, filter: flattened prefetch matrix
	requests           [3][]int64  // per operand, per fold: slice area (+ os quirk)
	mapEff, computeUtl float64     // report values, %
}

// refCache keeps each case's reference model: the tests below all need it.
var refCache = map[refCase]*refModel{}

func refFor(c refCase) *refModel {
	if m, ok := refCache[c]; ok {
		return m
	}
	m := refBuild(c.l, c.df, c.R, c.C, c.off)
	refCache[c] = m
	return m
}

func refBuild(l Layer, df Dataflow, R, C int, off Offsets) *refModel {
	_, _, P, K := refGeometry(l)
	N := l.N
	ifm := refIfmapOperand(l, off.Ifmap)
	filt := refFilterOperand(l, off.Filter)
	ofm := refOfmapOperand(l, off.Ofmap)
	it := refTranspose(ifm) // K x P

	m := &refModel{}
	switch df {
	case OS:
		m.sr, m.sc, m.t = P, N, K
	case WS:
		m.sr, m.sc, m.t = K, N, P
	case IS:
		m.sr, m.sc, m.t = K, P, N
	}
	T := m.t
	m.rowFold = refCeilDiv(m.sr, R)
	m.colFold = refCeilDiv(m.sc, C)
	var cycFold int
	if df == OS {
		m.foldLen = T + R + C - 2
		cycFold = T + R + C - 2
	} else {
		m.foldLen = 2*R + C + T - 2
		cycFold = 2*R + 2*C + T - 3 // QUIRK
	}

	var sumEff, sumUtil float64
	for fc := 0; fc < m.colFold; fc++ {
		for fr := 0; fr < m.rowFold; fr++ {
			ru := min(R, m.sr-fr*R)
			cu := min(C, m.sc-fc*C)
			m.folds = append(m.folds, refFold{fc, fr, ru, cu})
			sumEff += float64(ru*cu) / float64(R*C)
			sumUtil += float64(ru*cu*T) / float64(R*C*cycFold)

			var blk [3]refMat
			var area [3]int64
			switch df {
			case OS:
				ifSl := refSliceCols(it, fr*R, fr*R+ru)
				blk[0] = refSkew(refVstack(refPadCols(ifSl, R), refGap(C-1, R)))
				fSl := refSliceCols(filt, fc*C, fc*C+cu)
				blk[1] = refSkew(refVstack(refPadCols(fSl, C), refGap(R-1, C)))
				oSl := refSliceCols(refSliceRows(ofm, fr*R, fr*R+ru), fc*C, fc*C+cu)
				blk[2] = refSkew(refVstack(refGap(T-1, C), refFlip(refPadRows(refPadCols(oSl, C), R))))
				// QUIRK: the padded block's rows + columns counted again.
				area = [3]int64{refArea(ifSl), refArea(fSl), refArea(oSl) + int64(R+C)}
			case WS:
				ifSl := refSliceCols(ifm, fr*R, fr*R+ru)
				blk[0] = refSkew(refVstack(refGap(R, R), refPadCols(ifSl, R), refGap(C-1, R)))
				fSl := refSliceCols(refSliceRows(filt, fr*R, fr*R+ru), fc*C, fc*C+cu)
				blk[1] = refVstack(refFlip(refPadRows(refPadCols(fSl, C), R)), refGap(R+C+T-2, C))
				oSl := refSliceCols(ofm, fc*C, fc*C+cu)
				blk[2] = refSkew(refVstack(refGap(2*R-1, C), refPadCols(oSl, C)))
				area = [3]int64{refArea(ifSl), refArea(fSl), refArea(oSl)}
			case IS:
				ifSl := refSliceCols(refSliceRows(it, fr*R, fr*R+ru), fc*C, fc*C+cu)
				blk[0] = refVstack(refFlip(refPadRows(refPadCols(ifSl, C), R)), refGap(R+C+T-2, C))
				fSl := refTranspose(refSliceRows(filt, fr*R, fr*R+ru))
				blk[1] = refSkew(refVstack(refGap(R, R), refPadCols(fSl, R), refGap(C-1, R)))
				oSl := refTranspose(refSliceRows(ofm, fc*C, fc*C+cu))
				blk[2] = refSkew(refVstack(refGap(2*R-1, C), refPadCols(oSl, C)))
				area = [3]int64{refArea(ifSl), refArea(fSl), refArea(oSl)}
			}
			for op := range 3 {
				m.blocks[op] = append(m.blocks[op], blk[op])
				m.demand[op] = append(m.demand[op], blk[op]...) // vstack, without re-copying
				m.requests[op] = append(m.requests[op], area[op])
			}
		}
	}
	n := float64(len(m.folds))
	m.mapEff = sumEff / n * 100
	m.computeUtl = sumUtil / n * 100

	// Prefetch matrices.
	switch df {
	case OS:
		var a, b refMat
		for fr := 0; fr < m.rowFold; fr++ {
			a = refVstack(a, refPadCols(refSliceCols(it, fr*R, fr*R+R), R))
		}
		for fc := 0; fc < m.colFold; fc++ {
			b = refVstack(b, refPadCols(refSliceCols(filt, fc*C, fc*C+C), C))
		}
		m.prefetch = [2][]int64{refDiag(a), refDiag(b)}
	case WS:
		var a, b refMat
		for fr := 0; fr < m.rowFold; fr++ {
			a = refVstack(a, refPadCols(refSliceCols(ifm, fr*R, fr*R+R), R))
		}
		for fc := 0; fc < m.colFold; fc++ {
			b = refVstack(b, refPadCols(refSliceCols(filt, fc*C, fc*C+C), C))
		}
		m.prefetch = [2][]int64{refDiag(a), refFlatten(b)}
	case IS:
		var a, b refMat
		for fc := 0; fc < m.colFold; fc++ {
			a = refVstack(a, refPadCols(refSliceCols(it, fc*C, fc*C+C), C))
		}
		for fr := 0; fr < m.rowFold; fr++ {
			b = refVstack(b, refPadCols(refTranspose(refSliceRows(filt, fr*R, fr*R+R)), R))
		}
		m.prefetch = [2][]int64{refFlatten(a), refDiag(b)}
	}
	return m
}

func refArea(x refMat) int64 { return int64(len(x)) * int64(refCols(x)) }

// refWidth is the demand-matrix width table of §4.3.
func refWidth(df Dataflow, op protocol.Operand, R, C int) int {
	tbl := map[Dataflow][3]int{OS: {R, C, C}, WS: {R, C, C}, IS: {C, R, C}}
	return tbl[df][op]
}

// refRequestTotals is the §4.5 table.
func refRequestTotals(l Layer, df Dataflow, R, C int, m *refModel) [3]int64 {
	_, _, P, K := refGeometry(l)
	N := int64(l.N)
	p, k := int64(P), int64(K)
	rf, cf, t := int64(m.rowFold), int64(m.colFold), int64(m.t)
	folds := rf * cf
	switch df {
	case OS:
		return [3]int64{cf * t * int64(m.sr), rf * t * int64(m.sc), p*N + folds*int64(R+C)}
	case WS:
		return [3]int64{cf * p * k, k * N, rf * p * N}
	}
	return [3]int64{k * p, cf * k * N, rf * p * N}
}

// ---------------------------------------------------------------------------
// Cases.

var refOffsets = Offsets{Ifmap: 0, Filter: 10000000, Ofmap: 20000000}

var refLayers = []Layer{
	// §8 tiny_fc
	{Name: "tiny_fc", H: 1, W: 1, Fh: 1, Fw: 1, Ch: 20, N: 7, Sh: 1, Sw: 1},
	// §8 tiny_conv
	{Name: "tiny_conv", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 2, N: 6, Sh: 1, Sw: 1},
	// stride 2, (H-Fh)%S = 1 and (W-Fw)%S = 1: -1 cells in both directions
	{Name: "edge", H: 7, W: 6, Fh: 2, Fw: 3, Ch: 2, N: 5, Sh: 2, Sw: 2},
	// different strides, both leaving -1 cells
	{Name: "edge2", H: 8, W: 9, Fh: 3, Fw: 2, Ch: 1, N: 3, Sh: 3, Sw: 2},
	// stride 3 on a 1-high filter: only columns run past the edge
	{Name: "edge3", H: 4, W: 5, Fh: 1, Fw: 3, Ch: 3, N: 2, Sh: 1, Sw: 3},
	// depthwise-like: one channel, one filter
	{Name: "dwChannel_0", H: 6, W: 6, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1},
	// smaller than most arrays
	{Name: "small", H: 2, W: 2, Fh: 2, Fw: 1, Ch: 1, N: 2, Sh: 1, Sw: 1},
	GEMM("gemm", 5, 7, 6),
	GEMM("gemm2", 9, 2, 3),
	GEMM("gemm1", 1, 1, 1),
}

var refArrays = [][2]int{{4, 4}, {4, 3}, {3, 5}, {1, 3}, {2, 1}, {8, 8}}

var refDataflows = []Dataflow{OS, WS, IS}

var refOperands = []protocol.Operand{protocol.Ifmap, protocol.Filter, protocol.Ofmap}

type refCase struct {
	l    Layer
	df   Dataflow
	R, C int
	off  Offsets
}

func (c refCase) String() string {
	return fmt.Sprintf("%s/%v/%dx%d", c.l.Name, c.df, c.R, c.C)
}

func refCases() []refCase {
	var cs []refCase
	for _, l := range refLayers {
		for _, a := range refArrays {
			for _, df := range refDataflows {
				cs = append(cs, refCase{l, df, a[0], a[1], refOffsets})
			}
		}
	}
	// other offsets, including a nonzero ifmap offset
	for _, df := range refDataflows {
		cs = append(cs, refCase{refLayers[2], df, 4, 3, Offsets{Ifmap: 7, Filter: 500, Ofmap: 900}})
	}
	return cs
}

// ---------------------------------------------------------------------------
// Tests against the reference.

func TestMappingShapes(t *testing.T) {
	for _, c := range refCases() {
		t.Run(c.String(), func(t *testing.T) {
			ref := refFor(c)
			m := NewMapping(c.l, c.df, c.R, c.C, c.off)
			if got, want := m.NumFolds(), len(ref.folds); got != want {
				t.Fatalf("NumFolds = %d, want %d", got, want)
			}
			if m.RowFolds() != ref.rowFold || m.ColFolds() != ref.colFold {
				t.Errorf("RowFolds, ColFolds = %d, %d, want %d, %d", m.RowFolds(), m.ColFolds(), ref.rowFold, ref.colFold)
			}
			if got, want := m.FoldLen(), ref.foldLen; got != want {
				t.Errorf("FoldLen = %d, want %d", got, want)
			}
			for op, d := range ref.demand {
				if got, want := m.Rows(), int64(len(d)); got != want {
					t.Errorf("Rows = %d, want %d rows in the reference %v demand", got, want, protocol.Operand(op))
				}
				for i, b := range ref.blocks[op] {
					if len(b) != ref.foldLen {
						t.Fatalf("reference bug: %v fold %d block has %d rows, F = %d", protocol.Operand(op), i, len(b), ref.foldLen)
					}
				}
			}
			for i, rf := range ref.folds {
				f := m.Fold(i)
				want := Fold{Index: i, FC: rf.fc, FR: rf.fr, RowsUsed: rf.rowsUsed, ColsUsed: rf.colsUsed}
				if f != want {
					t.Errorf("Fold(%d) = %+v, want %+v", i, f, want)
				}
			}
		})
	}
}

func TestDemandRows(t *testing.T) {
	for _, c := range refCases() {
		t.Run(c.String(), func(t *testing.T) {
			ref := refFor(c)
			m := NewMapping(c.l, c.df, c.R, c.C, c.off)
			for _, op := range refOperands {
				wantW := refWidth(c.df, op, c.R, c.C)
				if got := m.Width(op); got != wantW {
					t.Errorf("Width(%v) = %d, want %d", op, got, wantW)
				}
				if w := refCols(ref.demand[op]); w != wantW {
					t.Fatalf("reference bug: %v demand is %d wide, table says %d", op, w, wantW)
				}
				errs := 0
				for i := range ref.folds {
					f := m.Fold(i)
					d := m.Demand(f, op)
					if d.Operand() != op {
						t.Errorf("fold %d: Operand() = %v, want %v", i, d.Operand(), op)
					}
					if d.Width() != wantW {
						t.Errorf("fold %d %v: Width() = %d, want %d", i, op, d.Width(), wantW)
					}
					if d.Rows() != ref.foldLen {
						t.Errorf("fold %d %v: Rows() = %d, want %d", i, op, d.Rows(), ref.foldLen)
					}
					if got, want := d.FirstRow(), int64(i)*int64(ref.foldLen); got != want {
						t.Errorf("fold %d %v: FirstRow() = %d, want %d", i, op, got, want)
					}
					if got, want := d.Requests(), m.Requests(f, op); got != want {
						t.Errorf("fold %d %v: Demand.Requests() = %d, Mapping.Requests = %d", i, op, got, want)
					}
					buf := make([]int64, wantW)
					for tt := 0; tt < ref.foldLen && errs < 5; tt++ {
						want := ref.demand[op][i*ref.foldLen+tt]
						for j := range buf {
							buf[j] = -12345 // catch slots inside [lo,hi) left unwritten
						}
						lo, hi := d.Row(tt, buf)
						if lo < 0 || hi < lo || hi > wantW {
							t.Errorf("fold %d %v row %d: [lo,hi) = [%d,%d) outside [0,%d)", i, op, tt, lo, hi, wantW)
							errs++
							continue
						}
						got := append([]int64(nil), buf...)
						bad := false
						for j := range got {
							if j < lo || j >= hi {
								if want[j] != -1 {
									bad = true // outside [lo,hi) but the reference has an address
								}
								got[j] = -1
							}
						}
						for j := range got {
							if got[j] != want[j] {
								bad = true
							}
						}
						if bad {
							t.Errorf("fold %d (fc %d, fr %d) %v row %d: Row = %v with [lo,hi) = [%d,%d), reference %v",
								i, f.FC, f.FR, op, tt, buf[lo:hi], lo, hi, want)
							errs++
						}
					}
				}
			}
		})
	}
}

func TestFillOrder(t *testing.T) {
	for _, c := range refCases() {
		t.Run(c.String(), func(t *testing.T) {
			ref := refFor(c)
			m := NewMapping(c.l, c.df, c.R, c.C, c.off)
			for i, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter} {
				want := ref.prefetch[i]
				fo := m.FillOrder(op)
				if got := fo.Len(); got != int64(len(want)) {
					t.Errorf("%v: Len() = %d, want %d", op, got, len(want))
					continue
				}
				// two independent cursors must both give the whole sequence
				for pass := range 2 {
					cur := fo.Cursor()
					for j, w := range want {
						if got := cur.Next(); got != w {
							t.Errorf("%v pass %d: entry %d = %d, want %d (reference %v)", op, pass, j, got, w, want)
							break
						}
					}
				}
			}
		})
	}
}

func TestRequests(t *testing.T) {
	for _, c := range refCases() {
		t.Run(c.String(), func(t *testing.T) {
			ref := refFor(c)
			m := NewMapping(c.l, c.df, c.R, c.C, c.off)
			totals := refRequestTotals(c.l, c.df, c.R, c.C, ref)
			for _, op := range refOperands {
				var sum, refSum int64
				for i := range ref.folds {
					got := m.Requests(m.Fold(i), op)
					if want := ref.requests[op][i]; got != want {
						t.Errorf("fold %d %v: Requests = %d, slice area %d", i, op, got, want)
					}
					sum += got
					refSum += ref.requests[op][i]
				}
				if refSum != totals[op] {
					t.Fatalf("reference bug: %v slice areas sum to %d, §4.5 says %d", op, refSum, totals[op])
				}
				if sum != totals[op] {
					t.Errorf("%v: Requests summed over folds = %d, §4.5 gives %d", op, sum, totals[op])
				}
			}
		})
	}
}

// reportUtil sums a Mapping's per-fold values in fold order, then divides
// by the folds and multiplies by 100, as §4.4 prescribes.
func reportUtil(m *Mapping) (eff, util float64) {
	for i := range m.NumFolds() {
		f := m.Fold(i)
		eff += m.MappingEfficiency(f)
		util += m.ComputeUtil(f)
	}
	n := float64(m.NumFolds())
	return eff / n * 100, util / n * 100
}

func TestMappingEfficiencyComputeUtil(t *testing.T) {
	for _, c := range refCases() {
		t.Run(c.String(), func(t *testing.T) {
			ref := refFor(c)
			m := NewMapping(c.l, c.df, c.R, c.C, c.off)
			eff, util := reportUtil(m)
			if eff != ref.mapEff {
				t.Errorf("Mapping Efficiency = %v, want %v", eff, ref.mapEff)
			}
			if util != ref.computeUtl {
				t.Errorf("Compute Util = %v, want %v", util, ref.computeUtl)
			}
		})
	}
}

// TestWorkedExampleTinyFC is §8: tiny_fc on a 4x4 os array.
func TestWorkedExampleTinyFC(t *testing.T) {
	l := refLayers[0]
	m := NewMapping(l, OS, 4, 4, refOffsets)
	if m.RowFolds() != 1 || m.ColFolds() != 2 || m.FoldLen() != 26 || m.Rows() != 52 {
		t.Errorf("row_fold, col_fold, F, L = %d, %d, %d, %d, want 1, 2, 26, 52",
			m.RowFolds(), m.ColFolds(), m.FoldLen(), m.Rows())
	}
	if l.MACs() != 140 {
		t.Errorf("num_compute = %d, want 140", l.MACs())
	}
	eff, util := reportUtil(m)
	if eff != 21.875 {
		t.Errorf("Mapping Efficiency = %v, want 21.875", eff)
	}
	if util != 16.826923076923077 {
		t.Errorf("Compute Util = %v, want 16.826923076923077", util)
	}
	var reqs [3]int64
	for i := range m.NumFolds() {
		for _, op := range refOperands {
			reqs[op] += m.Requests(m.Fold(i), op)
		}
	}
	if reqs != [3]int64{40, 140, 23} {
		t.Errorf("SRAM requests = %v, want [40 140 23]", reqs)
	}
	// Filter demand fold (0,0), row 1: 10000001, 10000020, -1, -1.
	buf := make([]int64, 4)
	lo, hi := m.Demand(m.Fold(0), protocol.Filter).Row(1, buf)
	row := []int64{-1, -1, -1, -1}
	copy(row[lo:hi], buf[lo:hi])
	if fmt.Sprint(row) != fmt.Sprint([]int64{10000001, 10000020, -1, -1}) {
		t.Errorf("filter demand row 1 = %v, want [10000001 10000020 -1 -1]", row)
	}
	// Ofmap output f at local row 22+f, column f.
	for f := range 4 {
		lo, hi := m.Demand(m.Fold(0), protocol.Ofmap).Row(22+f, buf)
		if lo > f || hi <= f || buf[f] != 20000000+int64(f) {
			t.Errorf("ofmap demand row %d: [lo,hi) = [%d,%d), slot %d = %d, want %d", 22+f, lo, hi, f, buf[f], 20000000+f)
		}
	}
	// USER-mode prefetch sizes: ifmap 80 entries (60 pads), filter 160.
	for _, x := range []struct {
		op      protocol.Operand
		n, pads int
	}{{protocol.Ifmap, 80, 60}, {protocol.Filter, 160, 20}} {
		fo := m.FillOrder(x.op)
		if fo.Len() != int64(x.n) {
			t.Errorf("%v prefetch: Len() = %d, want %d", x.op, fo.Len(), x.n)
			continue
		}
		cur, pads := fo.Cursor(), 0
		for range x.n {
			if cur.Next() == -1 {
				pads++
			}
		}
		if pads != x.pads {
			t.Errorf("%v prefetch: %d pads, want %d", x.op, pads, x.pads)
		}
	}
}

// TestWorkedExampleTinyConv is the geometry of §8's stall example.
func TestWorkedExampleTinyConv(t *testing.T) {
	m := NewMapping(refLayers[1], OS, 4, 4, refOffsets)
	if m.Layer.P() != 36 || m.Layer.K() != 18 || m.RowFolds() != 9 || m.ColFolds() != 2 ||
		m.FoldLen() != 24 || m.Rows() != 432 {
		t.Errorf("P, K, row_fold, col_fold, F, L = %d, %d, %d, %d, %d, %d, want 36, 18, 9, 2, 24, 432",
			m.Layer.P(), m.Layer.K(), m.RowFolds(), m.ColFolds(), m.FoldLen(), m.Rows())
	}
	if n := m.FillOrder(protocol.Ifmap).Len(); n != 648 {
		t.Errorf("ifmap prefetch Len = %d, want 648", n)
	}
	if n := m.FillOrder(protocol.Filter).Len(); n != 144 {
		t.Errorf("filter prefetch Len = %d, want 144", n)
	}
}

// TestSlice checks that two demands of one operand with the same Slice()
// touch the same addresses in the same order: their reference rows are
// identical, for every pair of folds.
func TestSlice(t *testing.T) {
	for _, c := range refCases() {
		t.Run(c.String(), func(t *testing.T) {
			ref := refFor(c)
			m := NewMapping(c.l, c.df, c.R, c.C, c.off)
			for _, op := range refOperands {
				n := m.NumFolds()
				slices := make([]int64, n)
				for i := range n {
					slices[i] = m.Demand(m.Fold(i), op).Slice()
				}
				for i := range n {
					for j := i + 1; j < n; j++ {
						if slices[i] != slices[j] {
							continue
						}
						a, b := ref.blocks[op][i], ref.blocks[op][j]
						for r := range a {
							if fmt.Sprint(a[r]) != fmt.Sprint(b[r]) {
								t.Errorf("%v folds %d and %d share Slice %d but differ at row %d: %v vs %v",
									op, i, j, slices[i], r, a[r], b[r])
								break
							}
						}
						// and the code agrees with itself
						da, db := m.Demand(m.Fold(i), op), m.Demand(m.Fold(j), op)
						w := da.Width()
						ba, bb := make([]int64, w), make([]int64, w)
						for r := range da.Rows() {
							loA, hiA := da.Row(r, ba)
							loB, hiB := db.Row(r, bb)
							if loA != loB || hiA != hiB || fmt.Sprint(ba[loA:hiA]) != fmt.Sprint(bb[loB:hiB]) {
								t.Errorf("%v folds %d and %d share Slice %d but Row(%d) differs: %v vs %v",
									op, i, j, slices[i], r, ba[loA:hiA], bb[loB:hiB])
								break
							}
						}
					}
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Layer geometry, validation, dataflow names.

func TestLayerGeometry(t *testing.T) {
	cases := []struct {
		l            Layer
		eh, ew, p, k int
		macs         int64
	}{
		{refLayers[0], 1, 1, 1, 20, 140},
		{refLayers[1], 6, 6, 36, 18, 36 * 6 * 18},
		// ceil((7-2+2)/2) = 4, ceil((6-3+2)/2) = 3
		{refLayers[2], 4, 3, 12, 12, 12 * 5 * 12},
		// ceil((8-3+3)/3) = 3, ceil((9-2+2)/2) = 5
		{refLayers[3], 3, 5, 15, 6, 15 * 3 * 6},
		{refLayers[4], 4, 2, 8, 9, 8 * 2 * 9},
		// GEMM(m=5, n=7, k=6): Eh = M, Ew = 1, P = M, K = k
		{GEMM("g", 5, 7, 6), 5, 1, 5, 6, 5 * 7 * 6},
		// ceil((224-11+4)/4) = ceil(54.25) = 55, one more than floor+1 = 54
		{Layer{Name: "big", H: 224, W: 224, Fh: 11, Fw: 11, Ch: 3, N: 96, Sh: 4, Sw: 4}, 55, 55, 3025, 363, 3025 * 96 * 363},
		// products that overflow int32
		{GEMM("huge", 100000, 100000, 1000), 100000, 1, 100000, 1000, 100000 * 100000 * 1000},
	}
	for _, c := range cases {
		l := c.l
		eh, ew, p, k := refGeometry(l)
		if eh != c.eh || ew != c.ew || p != c.p || k != c.k {
			t.Fatalf("%s: test table disagrees with the reference formulas: %d %d %d %d", l.Name, eh, ew, p, k)
		}
		if l.Eh() != c.eh || l.Ew() != c.ew || l.P() != c.p || l.K() != c.k || l.MACs() != c.macs {
			t.Errorf("%s: Eh, Ew, P, K, MACs = %d, %d, %d, %d, %d, want %d, %d, %d, %d, %d",
				l.Name, l.Eh(), l.Ew(), l.P(), l.K(), l.MACs(), c.eh, c.ew, c.p, c.k, c.macs)
		}
	}
	g := GEMM("fc", 3, 4, 5)
	if want := (Layer{Name: "fc", H: 3, W: 5, Fh: 1, Fw: 5, Ch: 1, N: 4, Sh: 1, Sw: 1}); g != want {
		t.Errorf("GEMM = %+v, want %+v", g, want)
	}
}

func TestLayerValidate(t *testing.T) {
	ok := Layer{Name: "x", H: 4, W: 5, Fh: 2, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid layer: %v", err)
	}
	if err := (Layer{H: 3, W: 3, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 5, Sw: 5}).Validate(); err != nil {
		t.Errorf("filter as large as the IFMAP, stride larger than it: %v", err)
	}
	mod := func(f func(*Layer)) Layer { l := ok; f(&l); return l }
	cases := []struct {
		l    Layer
		want string
	}{
		{mod(func(l *Layer) { l.H = 0 }), "IFMAP Height must be positive, got 0"},
		{mod(func(l *Layer) { l.W = -2 }), "IFMAP Width must be positive, got -2"},
		{mod(func(l *Layer) { l.Fh = 0 }), "Filter Height must be positive, got 0"},
		{mod(func(l *Layer) { l.Fw = -1 }), "Filter Width must be positive, got -1"},
		{mod(func(l *Layer) { l.Ch = 0 }), "Channels must be positive, got 0"},
		{mod(func(l *Layer) { l.N = 0 }), "Num Filter must be positive, got 0"},
		{mod(func(l *Layer) { l.Sh = 0 }), "Strides must be positive, got 0"},
		{mod(func(l *Layer) { l.Sw = -3 }), "Strides must be positive, got -3"},
		{mod(func(l *Layer) { l.Fh = 5 }), "Filter Height 5 is larger than IFMAP Height 4"},
		{mod(func(l *Layer) { l.Fw = 6 }), "Filter Width 6 is larger than IFMAP Width 5"},
		// the first failing check wins
		{mod(func(l *Layer) { l.H, l.N = 0, 0 }), "IFMAP Height must be positive, got 0"},
		{mod(func(l *Layer) { l.Fh, l.Fw = 9, 9 }), "Filter Height 9 is larger than IFMAP Height 4"},
	}
	for _, c := range cases {
		err := c.l.Validate()
		if err == nil {
			t.Errorf("%+v: no error, want %q", c.l, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%+v: error %q, want %q", c.l, err.Error(), c.want)
		}
	}
}

func TestParseDataflow(t *testing.T) {
	for _, c := range []struct {
		s    string
		df   Dataflow
		long string
	}{{"os", OS, "Output Stationary"}, {"ws", WS, "Weight Stationary"}, {"is", IS, "Input Stationary"}} {
		df, err := ParseDataflow(c.s)
		if err != nil || df != c.df {
			t.Errorf("ParseDataflow(%q) = %v, %v, want %v", c.s, df, err, c.df)
		}
		if df.String() != c.s || df.LongName() != c.long {
			t.Errorf("%v: String, LongName = %q, %q, want %q, %q", df, df.String(), df.LongName(), c.s, c.long)
		}
	}
	_, err := ParseDataflow("xs")
	if err == nil || err.Error() != `unknown dataflow "xs" (allowed: os, ws, is)` {
		t.Errorf("ParseDataflow(xs) error = %v", err)
	}
	for _, s := range []string{"OS", "Ws", "", " os", "os "} {
		if _, err := ParseDataflow(s); err == nil {
			t.Errorf("ParseDataflow(%q): no error (the spelling is case-sensitive and exact)", s)
		}
	}
}

// TestDivEw checks the multiply-based division against the operators.
func TestDivEw(t *testing.T) {
	for _, ew := range []int{1, 2, 3, 7, 55, 56, 1000, 12345, 1 << 20, 1<<31 - 1} {
		m := NewMapping(Layer{Name: "d", H: 1, W: ew, Fh: 1, Fw: 1, Ch: 1, N: 1, Sh: 1, Sw: 1}, OS, 4, 4, Offsets{})
		for _, p := range []int{0, 1, ew - 1, ew, ew + 1, 2*ew + 3, 1<<31 - 1, 1<<32 - 1, 1 << 33, 123456789} {
			q, r := m.divEw(p)
			if q != p/ew || r != p%ew {
				t.Errorf("divEw(%d) with Ew %d = %d, %d; want %d, %d", p, ew, q, r, p/ew, p%ew)
			}
		}
	}
}
