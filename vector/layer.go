package vector

import (
	"fmt"
	"math/bits"

	"github.com/npusim/npusim/components/protocol"
)

// Layer is one operator the vector unit runs.
type Layer struct {
	Name string
	Op   string // ONNX operator type, a key of the cost table
	// Elements is the output's element count: the product of the output
	// shape (summed over the outputs of a Split).
	Elements int64
	// Window is the element-steps per output element: the pooling window
	// (kh*kw), the length a reduction or a global pool reduces over; 0 or
	// 1 for an elementwise operator.
	Window int64
	// In is the words of the first input, streamed through the ifmap
	// buffer; Aux those of the other inputs (the second operand of a
	// binary operator, a normalisation's scale and bias), streamed through
	// the filter buffer, 0 if none.
	In, Aux int64
	// Fused marks an operator applied in its GEMM layer's ofmap drain: it
	// takes no vector cycles and moves no data of its own.
	Fused bool
}

// maxWords bounds a layer's element and word counts.
const maxWords = 1 << 40

// Validate checks the layer's counts.
func (l Layer) Validate() error {
	if l.Elements < 1 || l.Elements > maxWords {
		return fmt.Errorf("vector: layer %s (%s): elements must be between 1 and %d, got %d", l.Name, l.Op, int64(maxWords), l.Elements)
	}
	if l.Window < 0 || l.Window > maxWords {
		return fmt.Errorf("vector: layer %s (%s): window must be between 0 and %d, got %d", l.Name, l.Op, int64(maxWords), l.Window)
	}
	if l.In < 1 || l.In > maxWords || l.Aux < 0 || l.Aux > maxWords {
		return fmt.Errorf("vector: layer %s (%s): input words %d and %d must be between 1 (0 for the second) and %d", l.Name, l.Op, l.In, l.Aux, int64(maxWords))
	}
	return nil
}

// Offsets are the word addresses the operands start at: the first input,
// the other inputs and the output (the accelerator's ifmap, filter and
// ofmap offsets).
type Offsets struct {
	In, Aux, Out int64
}

// stream is a layer's traffic on one buffer: words consecutive words from
// base, spread evenly over the layer rows [from, from+span) of a layer of
// total rows (a row is a cycle), cut into folds of foldRows rows. Row r
// carries the words [W(r), W(r+1)) with W(r) = floor((r-from)*words/span),
// so every word is moved exactly once, in address order.
type stream struct {
	op          protocol.Operand
	base, words int64
	from, span  int64
	total       int64
	foldRows    int64
}

// wordAt is W(r), clamped to the stream's rows.
func (s *stream) wordAt(r int64) int64 {
	k := r - s.from
	if k <= 0 {
		return 0
	}
	if k >= s.span {
		return s.words
	}
	hi, lo := bits.Mul64(uint64(k), uint64(s.words))
	q, _ := bits.Div64(hi, lo, uint64(s.span)) // k < span, so the quotient fits
	return int64(q)
}

// width is the most words a row carries.
func (s *stream) width() int { return int((s.words + s.span - 1) / s.span) }

// NumFolds implements protocol.DemandStream.
func (s *stream) NumFolds() int { return int((s.total + s.foldRows - 1) / s.foldRows) }

// FoldDemand implements protocol.DemandStream.
func (s *stream) FoldDemand(f int) protocol.Demand {
	first := int64(f) * s.foldRows
	return &demand{s: s, fold: f, first: first, rows: int(min(s.foldRows, s.total-first))}
}

// Len implements protocol.FillOrder: the words, in address order.
func (s *stream) Len() int64 { return s.words }

// Cursor implements protocol.FillOrder.
func (s *stream) Cursor() protocol.FillCursor { return &cursor{next: s.base} }

type cursor struct{ next int64 }

func (c *cursor) Next() int64 { c.next++; return c.next - 1 }

// demand is one fold of a stream.
type demand struct {
	s     *stream
	fold  int
	first int64
	rows  int
}

func (d *demand) Operand() protocol.Operand { return d.s.op }
func (d *demand) FirstRow() int64           { return d.first }
func (d *demand) Rows() int                 { return d.rows }
func (d *demand) Width() int                { return d.s.width() }
func (d *demand) Slice() int64              { return int64(d.fold) }

// Requests is the fold's SRAM accesses: one per word.
func (d *demand) Requests() int64 {
	return d.s.wordAt(d.first+int64(d.rows)) - d.s.wordAt(d.first)
}

// Row writes row t's addresses into buf[0:n].
func (d *demand) Row(t int, buf []int64) (lo, hi int) {
	r := d.first + int64(t)
	a, b := d.s.wordAt(r), d.s.wordAt(r+1)
	for i := a; i < b; i++ {
		buf[i-a] = d.s.base + i
	}
	return 0, int(b - a)
}
