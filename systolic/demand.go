package systolic

import "github.com/npusim/npusim/components/protocol"

// Demand returns operand op's demand during fold f: which addresses each of
// the fold's FoldLen cycles touches, laid out exactly as SCALE-Sim's demand
// matrices (skewed, flipped and padded), but computed row by row.
func (m *Mapping) Demand(f Fold, op protocol.Operand) protocol.Demand {
	return &demand{m: m, f: f, op: op}
}

// FoldsDemand is the demand of folds [first, first+count), one after the
// other, as one Demand (rows are layer-wide, so consecutive folds simply
// continue each other).
func (m *Mapping) FoldsDemand(first, count int, op protocol.Operand) protocol.Demand {
	if count == 1 {
		return m.Demand(m.Fold(first), op)
	}
	return &foldsDemand{m: m, first: first, count: count, op: op}
}

type foldsDemand struct {
	m            *Mapping
	first, count int
	op           protocol.Operand
	cur          *demand // the fold of the last row asked for
}

func (d *foldsDemand) Operand() protocol.Operand { return d.op }
func (d *foldsDemand) FirstRow() int64           { return int64(d.first) * int64(d.m.foldLen) }
func (d *foldsDemand) Rows() int                 { return d.count * d.m.foldLen }
func (d *foldsDemand) Width() int                { return d.m.Width(d.op) }

// Slice: a run of folds is never recognised as a repeat.
func (d *foldsDemand) Slice() int64 { return int64(1)<<41 + int64(d.first) }

func (d *foldsDemand) Requests() int64 {
	var n int64
	for i := d.first; i < d.first+d.count; i++ {
		n += d.m.Requests(d.m.Fold(i), d.op)
	}
	return n
}

func (d *foldsDemand) Row(t int, buf []int64) (lo, hi int) {
	i := d.first + t/d.m.foldLen
	if d.cur == nil || d.cur.f.Index != i {
		d.cur = &demand{m: d.m, f: d.m.Fold(i), op: d.op}
	}
	return d.cur.Row(t%d.m.foldLen, buf)
}

type demand struct {
	m      *Mapping
	f      Fold
	op     protocol.Operand
	pixels []pixel // os/is ifmap: the pixels of the fold's array rows/columns
	inside bool    // every window of pixels lies inside the IFMAP
}

// foldPixels returns the windows of pixels first, first+1, ... first+n-1,
// computed once per fold.
func (d *demand) foldPixels(first, n int) []pixel {
	if d.pixels == nil {
		d.pixels = make([]pixel, n)
		d.inside = true
		for i := range d.pixels {
			if p := first + i; p < d.m.p {
				d.pixels[i] = d.m.pixel(p)
				d.inside = d.inside && d.pixels[i].inside
			}
		}
	}
	return d.pixels
}

func (d *demand) Operand() protocol.Operand { return d.op }
func (d *demand) FirstRow() int64           { return int64(d.f.Index) * int64(d.m.foldLen) }
func (d *demand) Rows() int                 { return d.m.foldLen }
func (d *demand) Width() int                { return d.m.Width(d.op) }
func (d *demand) Requests() int64           { return d.m.Requests(d.f, d.op) }

// Slice is the fold coordinate the operand slice depends on: a stationary
// operand that is re-streamed for every fold along the other axis shares
// its slice across those folds.
func (d *demand) Slice() int64 {
	unique := int64(1)<<40 + int64(d.f.Index)
	switch {
	case d.op == protocol.Ofmap:
		return unique
	case d.m.Dataflow == OS && d.op == protocol.Ifmap, d.m.Dataflow == WS && d.op == protocol.Ifmap,
		d.m.Dataflow == IS && d.op == protocol.Filter:
		return int64(d.f.FR)
	case d.m.Dataflow == OS: // filter
		return int64(d.f.FC)
	}
	return unique
}

// Row derives local row t of the demand matrix. In the skewed matrices,
// column c of row t carries element t-c (minus a fixed lead-in), so the
// occupied columns of a row form one interval.
func (d *demand) Row(t int, buf []int64) (lo, hi int) {
	m, f := d.m, d.f
	if m.rw != nil && d.op != protocol.Ofmap {
		return m.rw.row(m, f, d.op, t, buf)
	}
	R, C, T := m.R, m.C, m.t
	ru, cu := f.RowsUsed, f.ColsUsed
	switch m.Dataflow {
	case OS:
		switch d.op {
		case protocol.Ifmap: // column c: pixel fr*R+c, window element t-c
			lo, hi = max(0, t-T+1), min(ru, t+1)
			px := d.foldPixels(f.FR*R, ru)
			if d.inside && m.kOff != nil { // no window of the fold crosses the IFMAP edge
				kOff := m.kOff
				for c := lo; c < hi; c++ {
					buf[c] = px[c].base + kOff[t-c]
				}
				break
			}
			for c := lo; c < hi; c++ {
				buf[c] = px[c].addr(m, t-c)
			}
		case protocol.Filter: // column c: filter fc*C+c, window element t-c
			lo, hi = max(0, t-T+1), min(cu, t+1)
			if m.kIdx != nil { // sparse: rows are not contiguous
				for c := lo; c < hi; c++ {
					buf[c] = m.FilterAddr(t-c, f.FC*C+c)
				}
				break
			}
			// FilterAddr(t-c, f) = Filter + f*K + t - c, stepping K-1 per column
			a := m.FilterAddr(t-lo, f.FC*C+lo)
			step := int64(m.k - 1)
			for c := lo; c < hi; c++ {
				buf[c] = a
				a += step
			}
		default: // flipped R x C output block after T-1 idle rows, skewed
			base := t - (T - 1) - R + 1 // u = t-c-(T-1) must lie in [R-ru, R)
			lo, hi = max(0, base), min(cu, base+ru)
			for c := lo; c < hi; c++ {
				u := t - c - (T - 1)
				buf[c] = m.OfmapAddr(f.FR*R+R-1-u, f.FC*C+c)
			}
		}
	case WS:
		switch d.op {
		case protocol.Ifmap: // column c: window element fr*R+c, pixel t-c-R
			lo, hi = max(0, t-R-T+1), min(ru, t-R+1)
			if tab := m.pixels(); tab != nil {
				k0 := f.FR * R
				if m.kOff != nil {
					kOff := m.kOff[k0:]
					for c := lo; c < hi; c++ {
						if px := &tab[t-c-R]; px.inside {
							buf[c] = px.base + kOff[c]
						} else {
							buf[c] = px.addr(m, k0+c)
						}
					}
					break
				}
				for c := lo; c < hi; c++ {
					buf[c] = tab[t-c-R].addr(m, k0+c)
				}
				break
			}
			for c := lo; c < hi; c++ {
				buf[c] = m.pixel(t-c-R).addr(m, f.FR*R+c)
			}
		case protocol.Filter: // flipped weight block in the first R rows
			if t < R && R-1-t < ru {
				lo, hi = 0, cu
				k := f.FR*R + R - 1 - t
				for c := lo; c < hi; c++ {
					buf[c] = m.FilterAddr(k, f.FC*C+c)
				}
			}
		default: // column c: filter fc*C+c, pixel t-c-(2R-1)
			lo, hi = max(0, t-2*R+2-T), min(cu, t-2*R+2)
			// OfmapAddr(t-c-2R+1, fc*C+c): one pixel back and one filter on
			// per column, a step of 1-N
			a, step := m.OfmapAddr(t-lo-2*R+1, f.FC*C+lo), 1-int64(m.n)
			for c := lo; c < hi; c++ {
				buf[c] = a
				a += step
			}
		}
	default: // IS
		switch d.op {
		case protocol.Ifmap: // flipped input block in the first R rows
			if t < R && R-1-t < ru {
				lo, hi = 0, cu
				k := f.FR*R + R - 1 - t
				px := d.foldPixels(f.FC*C, cu)
				for c := lo; c < hi; c++ {
					buf[c] = px[c].addr(m, k)
				}
			}
		case protocol.Filter: // column c: window element fr*R+c, filter t-c-R
			lo, hi = max(0, t-R-T+1), min(ru, t-R+1)
			for c := lo; c < hi; c++ {
				buf[c] = m.FilterAddr(f.FR*R+c, t-c-R)
			}
		default: // column c: pixel fc*C+c, filter t-c-(2R-1)
			lo, hi = max(0, t-2*R+2-T), min(cu, t-2*R+2)
			for c := lo; c < hi; c++ {
				buf[c] = m.OfmapAddr(f.FC*C+c, t-c-2*R+1)
			}
		}
	}
	if hi <= lo {
		return 0, 0
	}
	return lo, hi
}

// FillOrder returns the order in which SCALE-Sim's USER-bandwidth read
// buffer for op (ifmap or filter) fetches the layer from DRAM: its prefetch
// matrix, a stack of the per-fold operand slices, flattened either row by
// row or in anti-diagonal order.
func (m *Mapping) FillOrder(op protocol.Operand) protocol.FillOrder {
	if m.rw != nil {
		return m.rw.fillOrder(m, op)
	}
	o := &fillOrder{}
	// The stacked matrix has `blocks` blocks of `block` rows and `width`
	// columns; cell(b, i, c) is row i of block b, column c: the c-th array
	// row or column of fold b, -1 past the operand's edge.
	switch {
	case m.Dataflow == OS && op == protocol.Ifmap: // pixel b*R+c, element i
		o.blocks, o.block, o.width, o.diag = m.rowFolds, m.t, m.R, true
		o.m = m
	case m.Dataflow == OS:
		o.blocks, o.block, o.width, o.diag = m.colFolds, m.t, m.C, true
		o.cell = func(b, i, c int) int64 {
			if f := b*m.C + c; f < m.n {
				return m.FilterAddr(i, f)
			}
			return -1
		}
	case m.Dataflow == WS && op == protocol.Ifmap: // pixel i, element b*R+c
		o.blocks, o.block, o.width, o.diag = m.rowFolds, m.p, m.R, true
		o.m, o.rowPixels = m, true
	case m.Dataflow == WS:
		o.blocks, o.block, o.width = m.colFolds, m.k, m.C
		o.cell = func(b, i, c int) int64 {
			if f := b*m.C + c; f < m.n {
				return m.FilterAddr(i, f)
			}
			return -1
		}
	case op == protocol.Ifmap: // IS: pixel b*C+c, element i
		o.blocks, o.block, o.width = m.colFolds, m.k, m.C
		o.m = m
	default: // IS filter
		o.blocks, o.block, o.width, o.diag = m.rowFolds, m.n, m.R, true
		o.cell = func(b, i, c int) int64 {
			if k := b*m.R + c; k < m.k {
				return m.FilterAddr(k, i)
			}
			return -1
		}
	}
	o.rows = o.blocks * o.block
	return o
}

type fillOrder struct {
	blocks, block, rows int
	width               int
	diag                bool
	cell                func(b, i, c int) int64
	// m, if not nil: cell(b, i, c) is window element i of pixel
	// b*width+c, and cursors keep the pixels of their block (working a
	// pixel out per cell was most of a USER-mode layer's work)
	m *Mapping
	// rowPixels (with m): cell(b, i, c) is window element b*width+c of
	// pixel i instead; cursors keep the pixels of the rows they visit lately
	rowPixels bool
}

func (o *fillOrder) Len() int64 { return int64(o.rows) * int64(o.width) }

func (o *fillOrder) Cursor() protocol.FillCursor {
	return &fillCursor{o: o} // both orders start at row 0, column 0
}

// fillCursor walks the stacked matrix row-major, or by anti-diagonals
// d = r+c with r decreasing inside each diagonal (SCALE-Sim's diag()). It
// keeps the block b and row i of the current row r = b*block+i.
type fillCursor struct {
	o    *fillOrder
	r, c int // next cell
	b, i int
	d    int // current anti-diagonal
	// with o.m: the pixels of block pxBlock, pxValid of them in the layer
	px      []pixel
	pxBlock int
	pxValid int
	pxInner bool // every window of the block lies inside the IFMAP
	// with o.rowPixels: pixel i in slot i&(len-1) when rowKey holds i; an
	// anti-diagonal visits width consecutive rows, the next one mostly the
	// same rows
	rowPx  []pixel
	rowKey []int
}

func (c *fillCursor) Next() int64 {
	v := c.value()
	c.advance()
	return v
}

// advance moves the cursor to the next cell.
func (c *fillCursor) advance() {
	o := c.o
	if !o.diag {
		if c.c++; c.c == o.width {
			c.c = 0
			c.r++
			if c.i++; c.i == o.block {
				c.i = 0
				c.b++
			}
		}
		return
	}
	// next cell on the diagonal: row up by one, column right by one
	if c.r > 0 && c.c+1 < o.width {
		c.r--
		c.c++
		if c.i--; c.i < 0 {
			c.i = o.block - 1
			c.b--
		}
		return
	}
	c.d++
	c.r = min(c.d, o.rows-1)
	c.c = c.d - c.r
	c.b, c.i = c.r/o.block, c.r%o.block
}

// value is the cell at the cursor.
func (c *fillCursor) value() int64 {
	o := c.o
	m := o.m
	if m == nil {
		return o.cell(c.b, c.i, c.c)
	}
	if o.rowPixels {
		return c.rowValue()
	}
	if c.px == nil || c.pxBlock != c.b {
		c.px = c.px[:0]
		first := c.b * o.width
		c.pxValid = max(0, min(o.width, m.p-first))
		c.pxInner = true
		for j := range c.pxValid {
			c.px = append(c.px, m.pixel(first+j))
			c.pxInner = c.pxInner && c.px[j].inside
		}
		c.pxBlock = c.b
	}
	if c.c >= c.pxValid {
		return -1
	}
	return c.px[c.c].addr(m, c.i)
}

// Stream returns op's demand fold by fold, for a buffer that walks the
// layer on its own.
func (m *Mapping) Stream(op protocol.Operand) protocol.DemandStream {
	return stream{m: m, op: op}
}

type stream struct {
	m  *Mapping
	op protocol.Operand
}

func (s stream) NumFolds() int                       { return s.m.NumFolds() }
func (s stream) FoldDemand(fold int) protocol.Demand { return s.m.Demand(s.m.Fold(fold), s.op) }

// rowValue is value for a fill order whose rows are pixels.
func (c *fillCursor) rowValue() int64 {
	o, m := c.o, c.o.m
	k := c.b*o.width + c.c
	if k >= m.k {
		return -1
	}
	if c.rowPx == nil {
		c.initRowPixels()
	}
	slot := c.i & (len(c.rowKey) - 1)
	if c.rowKey[slot] != c.i {
		c.rowPx[slot], c.rowKey[slot] = m.pixel(c.i), c.i
	}
	return c.rowPx[slot].addr(m, k)
}

// NextN fills buf with the next len(buf) cells, as that many calls of Next
// would; the caller keeps within Len. A row-major order of pixels
// (IS ifmap) takes each row's run of cells in one loop.
func (c *fillCursor) NextN(buf []int64) {
	o := c.o
	if o.rowPixels { // ws ifmap, anti-diagonal order
		if tab := o.m.pixels(); tab != nil {
			c.diagRows(buf, tab)
			return
		}
		c.initRowPixels()
		for j := range buf {
			buf[j] = c.rowValue()
			c.advance()
		}
		return
	}
	if o.diag || o.m == nil {
		for j := range buf {
			buf[j] = c.Next()
		}
		return
	}
	m := o.m
	for j := 0; j < len(buf); {
		c.value() // the block's pixels
		n := min(o.width-c.c, len(buf)-j)
		if c.pxInner && m.kOff != nil { // no edge: base plus the element's offset
			off, px, out := m.kOff[c.i], c.px[min(c.c, c.pxValid):min(c.c+n, c.pxValid)], buf[j:j+n]
			for k := range px {
				out[k] = px[k].base + off
			}
			for k := len(px); k < n; k++ {
				out[k] = -1
			}
		} else {
			for k := range n {
				cc := c.c + k
				if cc >= c.pxValid {
					buf[j+k] = -1
				} else {
					buf[j+k] = c.px[cc].addr(m, c.i)
				}
			}
		}
		j += n
		if c.c += n; c.c == o.width {
			c.c = 0
			c.r++
			if c.i++; c.i == o.block {
				c.i = 0
				c.b++
			}
		}
	}
}

// initRowPixels makes the table of rowValue's pixels.
func (c *fillCursor) initRowPixels() {
	if c.rowPx != nil {
		return
	}
	n := 1
	for n < 2*c.o.width {
		n <<= 1
	}
	c.rowPx, c.rowKey = make([]pixel, n), make([]int, n)
	for j := range c.rowKey {
		c.rowKey[j] = -1
	}
}
