package systolic

import "github.com/npusim/npusim/components/protocol"

// AddrRuns calls fn(lo, hi) with runs of consecutive addresses [lo, hi)
// whose union is the set of addresses that local rows [t0, t1) of the
// demand hold (-1 cells left out), in no particular order and possibly
// overlapping. A read buffer that only needs that set (SCALE-Sim's
// CALC-mode buffer, between two fetch points) takes it run by run instead
// of looking up every cell of every row: in the skewed demand matrices a
// column's cells over a range of rows are a range of the streamed
// dimension, a few runs of a window or of a filter.
//
// It returns false, without calling fn, for demands it has no runs for
// (the ofmap, and the sparse mappings).
func (d *demand) AddrRuns(t0, t1 int, fn func(lo, hi int64)) bool {
	m, f := d.m, d.f
	if m.rw != nil || m.kIdx != nil || d.op == protocol.Ofmap {
		return false
	}
	R, C, T := m.R, m.C, m.t
	ru, cu := f.RowsUsed, f.ColsUsed
	k0 := f.FR * R // a ws/is fold's first window element
	switch {
	case m.Dataflow == OS && d.op == protocol.Ifmap: // column c: pixel fr*R+c, element t-c
		for c := range ru {
			if e0, e1 := max(0, t0-c), min(T, t1-c); e0 < e1 {
				m.windowRuns(m.pixel(f.FR*R+c), e0, e1, fn)
			}
		}
	case m.Dataflow == OS: // column c: filter fc*C+c, element t-c
		for c := range cu {
			if e0, e1 := max(0, t0-c), min(T, t1-c); e0 < e1 {
				fn(m.FilterAddr(e0, f.FC*C+c), m.FilterAddr(e1, f.FC*C+c))
			}
		}
	case m.Dataflow == WS && d.op == protocol.Ifmap: // column c: element k0+c, pixel t-c-R
		// most pixels take all the fold's elements: split those into filter
		// rows once (a division per run was a fifth of GPT-2's time)
		var segs [8]windowSeg
		ns := m.windowSegs(k0, k0+ru, segs[:])
		for p := max(0, t0-R-ru+1); p < min(T, t1-R); p++ {
			c0, c1 := max(0, t0-p-R), min(ru, t1-p-R)
			px := m.pixel(p)
			if c0 == 0 && c1 == ru && px.inside && ns > 0 {
				for _, s := range segs[:ns] {
					fn(px.base+s.lo, px.base+s.hi)
				}
			} else if c0 < c1 {
				m.windowRuns(px, k0+c0, k0+c1, fn)
			}
		}
	case m.Dataflow == WS: // row t < R: element k0+R-1-t of every filter of the fold
		if a, b := max(t0, R-ru), min(t1, R); a < b {
			for c := range cu {
				fn(m.FilterAddr(k0+R-b, f.FC*C+c), m.FilterAddr(k0+R-a, f.FC*C+c))
			}
		}
	case d.op == protocol.Ifmap: // IS, row t < R: element k0+R-1-t of every pixel of the fold
		if a, b := max(t0, R-ru), min(t1, R); a < b {
			for c := range cu {
				m.windowRuns(m.pixel(f.FC*C+c), k0+R-b, k0+R-a, fn)
			}
		}
	default: // IS filter, column c: element k0+c, filter t-c-R
		for n := max(0, t0-R-ru+1); n < min(T, t1-R); n++ {
			if c0, c1 := max(0, t0-n-R), min(ru, t1-n-R); c0 < c1 {
				fn(m.FilterAddr(k0+c0, n), m.FilterAddr(k0+c1, n))
			}
		}
	}
	return true
}

// AddrRuns of a run of folds: the runs of each fold's part of the rows.
func (d *foldsDemand) AddrRuns(t0, t1 int, fn func(lo, hi int64)) bool {
	L := d.m.foldLen
	for i := t0 / L; i < d.count && i*L < t1; i++ {
		f := &demand{m: d.m, f: d.m.Fold(d.first + i), op: d.op}
		if !f.AddrRuns(max(t0-i*L, 0), min(t1-i*L, L), fn) {
			return false
		}
	}
	return true
}

// windowRuns calls fn with the runs of window elements [k0, k1) of pixel
// px, leaving out the elements past the IFMAP edge (IfmapAddr's -1): the
// elements of one filter row are consecutive words of the HWC IFMAP.
func (m *Mapping) windowRuns(px pixel, k0, k1 int, fn func(lo, hi int64)) {
	l := &m.Layer
	span := m.ifmapRowSpan
	valid := span // elements of a filter row that lie inside the IFMAP
	if !px.inside {
		valid = max(0, min(l.Fw, l.W-px.c0)) * l.Ch
	}
	for k := k0; k < k1; {
		fr := k / span
		lo := k - fr*span
		hi := min(lo+k1-k, span)
		k += hi - lo
		if px.r0+fr >= l.H {
			continue
		}
		if hi = min(hi, valid); lo < hi {
			row := px.base + int64(fr)*int64(l.W)*int64(l.Ch)
			fn(row+int64(lo), row+int64(hi))
		}
	}
}

// RowSpan returns the slots [lo, hi) that local row t of an ofmap demand
// fills, as Row would, without working out their addresses: every slot of
// an ofmap row's span holds one (no -1). A write buffer that only counts
// results needs no more. ok is false for the ifmap and filter demands.
func (d *demand) RowSpan(t int) (lo, hi int, ok bool) {
	if d.op != protocol.Ofmap {
		return 0, 0, false
	}
	m := d.m
	R, T := m.R, m.t
	ru, cu := d.f.RowsUsed, d.f.ColsUsed
	if m.Dataflow == OS {
		base := t - (T - 1) - R + 1
		lo, hi = max(0, base), min(cu, base+ru)
	} else {
		lo, hi = max(0, t-2*R+2-T), min(cu, t-2*R+2)
	}
	if hi <= lo {
		return 0, 0, true
	}
	return lo, hi, true
}

// RowSpan of a run of folds: the span of the row in its fold.
func (d *foldsDemand) RowSpan(t int) (lo, hi int, ok bool) {
	if d.op != protocol.Ofmap {
		return 0, 0, false
	}
	i := d.first + t/d.m.foldLen
	if d.cur == nil || d.cur.f.Index != i {
		d.cur = &demand{m: d.m, f: d.m.Fold(i), op: d.op}
	}
	return d.cur.RowSpan(t % d.m.foldLen)
}

// SpanWords returns the number of results local rows [t0, t1) of an
// ofmap demand hold, and the first and last of those rows holding any
// (-1, -1 if none): what a write buffer that only counts results needs of
// a run of rows.
func (d *demand) SpanWords(t0, t1 int) (words int64, first, last int) {
	// row t fills slots [max(0, t+a), min(cu, t+b)) (see RowSpan): rows
	// 1-b .. cu-a-1 hold results
	m := d.m
	R, T, ru, cu := m.R, m.t, d.f.RowsUsed, d.f.ColsUsed
	a := 2 - 2*R - T
	b := 2 - 2*R
	if m.Dataflow == OS {
		a = 2 - T - R
		b = a + ru
	}
	from, to := max(t0, 1-b), min(t1, cu-a)
	if from >= to || b <= a {
		return 0, -1, -1
	}
	for t := from; t < to; t++ {
		words += int64(min(cu, t+b) - max(0, t+a))
	}
	return words, from, to - 1
}

// SpanWords of a run of folds.
func (d *foldsDemand) SpanWords(t0, t1 int) (words int64, first, last int) {
	first, last = -1, -1
	L := d.m.foldLen
	for i := t0 / L; i < d.count && i*L < t1; i++ {
		f := &demand{m: d.m, f: d.m.Fold(d.first + i), op: d.op}
		w, fi, la := f.SpanWords(max(t0-i*L, 0), min(t1-i*L, L))
		if fi >= 0 {
			if first < 0 {
				first = fi + i*L
			}
			last = la + i*L
		}
		words += w
	}
	return words, first, last
}

// OccupiedRows returns local rows [t0, t1) outside which every row is
// empty, so that a buffer looking for the first and last rows
// holding an address starts there.
func (d *demand) OccupiedRows() (t0, t1 int) {
	m, f := d.m, d.f
	if m.rw != nil || d.op == protocol.Ofmap {
		return 0, m.foldLen
	}
	R, T := m.R, m.t
	ru, cu := f.RowsUsed, f.ColsUsed
	switch {
	case m.Dataflow == OS && d.op == protocol.Ifmap:
		t0, t1 = 0, T+ru-1
	case m.Dataflow == OS:
		t0, t1 = 0, T+cu-1
	case m.Dataflow == WS && d.op == protocol.Ifmap, m.Dataflow == IS && d.op == protocol.Filter:
		t0, t1 = R, R+T+ru-1
	default: // ws filter, is ifmap
		t0, t1 = R-ru, R
	}
	return max(t0, 0), min(t1, m.foldLen)
}

// OccupiedRows of a run of folds: from the first fold's first to the last
// fold's last.
func (d *foldsDemand) OccupiedRows() (t0, t1 int) {
	L := d.m.foldLen
	t0, _ = (&demand{m: d.m, f: d.m.Fold(d.first), op: d.op}).OccupiedRows()
	_, t1 = (&demand{m: d.m, f: d.m.Fold(d.first + d.count - 1), op: d.op}).OccupiedRows()
	return t0, (d.count-1)*L + t1
}

// windowSeg is a run of window elements within one filter row, as offsets
// from a window's first word.
type windowSeg struct{ lo, hi int64 }

// windowSegs splits window elements [k0, k1) of a window that lies inside
// the IFMAP into runs of offsets, into segs; it returns how many, or 0 if
// they do not fit.
func (m *Mapping) windowSegs(k0, k1 int, segs []windowSeg) int {
	l := &m.Layer
	span := m.ifmapRowSpan
	n := 0
	for k := k0; k < k1; {
		if n == len(segs) {
			return 0
		}
		fr := k / span
		lo := k - fr*span
		hi := min(lo+k1-k, span)
		k += hi - lo
		row := int64(fr) * int64(l.W) * int64(l.Ch)
		segs[n] = windowSeg{row + int64(lo), row + int64(hi)}
		n++
	}
	return n
}
