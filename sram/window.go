package sram

import (
	"fmt"
	"math"

	"github.com/npusim/npusim/components/protocol"
)

// window is SCALE-Sim v2's USER-bandwidth read buffer policy
// (read_buffer.py). The layer's fill order is cut into "lines": sets of eps
// consecutive non-pad entries. The active half of the buffer holds A
// consecutive lines (circularly); a demand for an address outside them
// slides the window by Pf lines and fetches the prefetch half from DRAM,
// back to back with the previous fetch. Which lines are resident never
// depends on time; only how late they arrive does.
//
// Lines get virtual numbers that keep growing across wraps of the fill
// order; the active window is lines [va, va+A). Residency is the latest
// line each address was seen in (a lineTable), fed by one cursor over the
// fill order as lines enter: an address is resident iff its latest line is
// at least va. Memory is bounded by the buffer size, not by the layer.
type window struct {
	active, prefetch int64 // words
	bw               int64 // words per DRAM line
	eps              int64 // entries per set ("line")

	fill      protocol.FillOrder
	tracing   bool
	nonPad    int64 // non-pad entries of the fill order
	fmRows    int64 // rows of the fetch matrix: the fill order wrapped at bw
	numLines  int
	nActive   int   // A
	nPrefetch int   // Pf
	va        int64 // first active line, virtual
	resident  *lineTable
	tail      lineCursor // at line va+A: entries enter from here
	last      int64      // completion cycle of the last fetch
	nextLine  int64      // fetch-matrix row of the next prefetch
	colskip   int64
	blanks    []blank     // fetch-matrix cells SCALE-Sim overwrote with -1
	slides    int64       // window moves so far
	enterHint int32       // the line table slot the last entering address used
	missed    int64       // the address the last misses were for
	misses    int         // and how many in a row
	addrs     bool        // bursts carry the addresses that enter
	entering  rangeQueue  // the addresses entering with the next burst
	blk       *blockQueue // or their counts per block, when bursts carry Blocks
	// Lines enter the line table lazily: a slide only scans the lines that
	// enter for the address it slides for, keeping the last A lines'
	// entries in seen; once the address is there, the lines of the window
	// not recorded yet are. A demand that finds its address far behind the
	// window makes it slide many times in a row (wrapping the fill order
	// up to eleven times per layer on MobileNet), and only the last A
	// lines of such a run can hold anything resident.
	recorded int64       // lines before this one are in the line table
	seen     []lineEntry // ring: the entries of the last lines scanned
	seenNext int         // where the next entry goes
	found    bool        // the last slide scanned the missed address
}

// lineEntry is an address of the fill order and its line.
type lineEntry struct {
	addr, line int64
}

// blank is a run of fetch-matrix cells [from, to) of a row set to -1.
type blank struct {
	row      int64
	from, to int64
}

func newWindow(words int64, bw int) *window {
	active := (words + 1) / 2 // ceil(total*0.5)
	return &window{
		active:   active,
		prefetch: words - active,
		bw:       int64(bw),
		eps:      ceilDiv64(words, 100),
	}
}

func (w *window) beginLayer(fill protocol.FillOrder, tracing bool) *protocol.BurstReq {
	w.fill, w.tracing = fill, tracing
	w.blanks = w.blanks[:0]
	w.missed, w.misses = -1, 0
	n := fill.Len()
	var lo, hi int64
	w.nonPad, lo, hi = scanFill(fill)
	// SCALE-Sim closes a set every eps entries and once more at the end,
	// even when that last set is empty.
	w.numLines = int(w.nonPad/w.eps) + 1
	w.nActive = min(w.numLines, int(ceilDiv64(w.active, w.eps)))
	w.nPrefetch = min(w.numLines-w.nActive, int(ceilDiv64(w.prefetch, w.eps)))
	w.fmRows = ceilDiv64(n, w.bw)

	if w.resident == nil {
		w.resident = newLineTable()
	}
	w.resident.reset()
	if w.nonPad > 0 && hi-lo < min(maxDense, n) {
		w.resident.useDense(lo, hi)
	}
	w.va = 0
	w.tail = lineCursor{w: w}
	w.tail.reset()
	w.entering.all()
	if w.blk != nil {
		w.blk.all()
		w.blk.useDense(lo, hi)
	}
	w.tail.skip(w.nActive, w.enter)
	w.recorded = w.tail.v
	if size := int64(w.nActive) * w.eps; int64(cap(w.seen)) < size {
		w.seen = make([]lineEntry, size)
	}
	w.seen = w.seen[:int64(w.nActive)*w.eps]
	clear(w.seen)
	for i := range w.seen {
		w.seen[i].line = -1
	}
	w.seenNext = 0

	// First fill: the active half, placed so that it completes at cycle -1,
	// just before the layer's first cycle.
	n0 := min(ceilDiv64(w.active, w.bw), w.fmRows)
	w.colskip = 0
	if n0*w.bw > w.active {
		w.colskip = w.active % w.bw
		w.blanks = append(w.blanks, blank{n0 - 1, w.colskip, w.bw})
		w.nextLine = n0 % w.fmRows
	} else {
		w.nextLine = (n0 + 1) % w.fmRows // QUIRK: skips a fetch-matrix row
	}
	req := &protocol.BurstReq{At: -n0 - 1, Lines: int(n0), LineWords: int(w.bw), Words: n0 * w.bw}
	if tracing {
		req.Data = w.rows(0, n0, nil)
	}
	if w.addrs {
		w.addresses(req)
	}
	return req
}

// addresses puts the addresses that entered since the last burst on req.
func (w *window) addresses(req *protocol.BurstReq) {
	if w.blk != nil {
		req.Blocks, req.BlockWords = w.blk.all(), 1<<w.blk.shift
		return
	}
	req.Ranges = w.entering.all()
}

func (w *window) serve(addrs []int64, hints []int32, _ int64) (int, *protocol.BurstReq) {
	if t := w.resident; t.dense != nil { // latest's dense case, without a call per address
		for i, a := range addrs {
			if a < 0 {
				continue
			}
			if j := uint64(a - t.lo); j >= uint64(len(t.dense)) || t.dense[j] < w.va {
				w.mustAppear(a)
				return i, w.newPrefetch()
			}
		}
		return len(addrs), nil
	}
	for i, a := range addrs {

		if a >= 0 && w.resident.latest(a, &hints[i]) < w.va {
			w.mustAppear(a)
			return i, w.newPrefetch()
		}
	}
	return len(addrs), nil
}

// mustAppear stops a demand for an address that is not in the fill order:
// the window would slide forever looking for it (SCALE-Sim hangs there).
// Generated demands never do this; a broken Demand or FillOrder could.
func (w *window) mustAppear(a int64) {
	if a != w.missed {
		w.missed, w.misses = a, 0
	}
	w.misses++
	if w.nPrefetch == 0 || w.misses > w.numLines/w.nPrefetch+2 {
		panic(fmt.Sprintf("sram: demanded address %d is not in the layer's fill order", a))
	}
}

func (w *window) filled(done int64) { w.last = done }

func (w *window) ready() int64 { return w.last }

func (w *window) timed(func(int64) int64, int64) []*protocol.BurstReq { return nil }

func (w *window) endLayer() []*protocol.BurstReq { return nil }

func (w *window) epoch() int64 { return w.slides }

// newPrefetch slides the active window by Pf lines and fetches the
// prefetch half, starting the cycle after the previous fetch completed.
func (w *window) newPrefetch() *protocol.BurstReq {
	w.va += int64(w.nPrefetch)
	w.found = false
	w.tail.skip(w.nPrefetch, nil) // scan: see window.recorded
	if w.resident.dense != nil {  // the scan recorded the lines
		w.recorded = w.tail.v
	} else if w.found {
		w.catchUp()
	}

	w.slides++

	n := ceilDiv64(w.prefetch, w.bw)
	req := &protocol.BurstReq{At: w.last + 1, Lines: int(n), LineWords: int(w.bw), Words: n * w.bw}
	if w.tracing {
		req.Data = w.prefetchRows(n)
	}
	if w.addrs {
		// What really enters the buffer: the lines the window slid over
		// (SCALE-Sim's trace rows repeat the same fetch-matrix rows).
		w.addresses(req)
	}
	// QUIRK (SCALE-Sim): next_line is recomputed from n alone, not advanced,
	// so every prefetch fetches the same fetch-matrix rows. Only the trace
	// shows it; residency follows the lines above.
	if n*w.bw > w.active {
		w.nextLine = n % w.fmRows
	} else {
		w.nextLine = (n + 1) % w.fmRows
	}
	return req
}

// prefetchRows reproduces the rows SCALE-Sim puts in its DRAM trace for a
// prefetch of n rows, with its blanking: the first colskip cells of the
// first row, and, when n*bw exceeds the active size, the tail of the last
// row. A request that does not wrap is a view of the fetch matrix, so its
// blanking sticks.
func (w *window) prefetchRows(n int64) [][]int64 {
	s := w.nextLine
	var rows [][]int64
	wraps := s+n > w.fmRows
	if wraps {
		rows = w.rows(s, w.fmRows-s, nil)
		rows = w.rows(0, min(s+n-w.fmRows, s), rows)
	} else {
		rows = w.rows(s, n, nil)
	}
	var now []blank
	if w.colskip > 0 {
		now = append(now, blank{0, 0, w.colskip})
	}
	if n*w.bw > w.active {
		now = append(now, blank{int64(len(rows)) - 1, w.active % w.bw, w.bw})
	}
	for _, bl := range now {
		for c := bl.from; c < bl.to; c++ {
			rows[bl.row][c] = -1
		}
		if !wraps {
			w.blanks = append(w.blanks, blank{s + bl.row, bl.from, bl.to})
		}
	}
	return rows
}

// rows appends fetch-matrix rows [from, from+n) to dst: the fill order
// wrapped at bw entries per row, padded with -1, with SCALE-Sim's past
// blanking applied.
func (w *window) rows(from, n int64, dst [][]int64) [][]int64 {
	cur := w.fill.Cursor()
	total := w.fill.Len()
	pos := from * w.bw
	for i := int64(0); i < pos && i < total; i++ {
		cur.Next()
	}
	for r := from; r < from+n; r++ {
		line := make([]int64, w.bw)
		for c := range line {
			line[c] = -1
			if pos < total {
				line[c] = cur.Next()
			}
			pos++
		}
		for _, bl := range w.blanks {
			if bl.row == r {
				for c := bl.from; c < bl.to; c++ {
					line[c] = -1
				}
			}
		}
		dst = append(dst, line)
	}
	return dst
}

// catchUp records the lines of the window scanned but not recorded yet:
// the ring holds the entries of the last A lines at least.
func (w *window) catchUp() {
	from := max(w.va, w.recorded)
	// the ring from its oldest entry on: [seenNext:], then [:seenNext]
	parts := [2][]lineEntry{w.seen[w.seenNext:], w.seen[:w.seenNext]}
	if t := w.resident; t.dense != nil { // record's dense case, without a call per entry
		for _, part := range parts {
			for _, e := range part {
				if e.line >= from {
					t.dense[e.addr-t.lo] = e.line
				}
			}
		}
		w.recorded = w.tail.v
		return
	}
	for _, part := range parts {
		for _, e := range part {

			if e.line >= from {
				w.resident.record(e.addr, e.line, w.va, &w.enterHint)
			}
		}
	}
	w.recorded = w.tail.v
}

// enter records that address a is in the tail cursor's line.
func (w *window) enter(a int64) {
	w.resident.record(a, w.tail.v, w.va, &w.enterHint)
	if w.blk != nil {
		w.blk.push(a)
	} else if w.addrs {
		w.entering.push(a)
	}
}

// lineCursor walks the non-pad entries of the fill order line by line,
// wrapping after the last line.
type lineCursor struct {
	w    *window
	line int   // the line the cursor is at
	v    int64 // its virtual number: lines passed since the layer began
	pos  int64 // non-pad entries consumed so far
	cur  protocol.FillCursor
	// cells read ahead from cur in chunks (when it can: a chunk of cells
	// costs less than as many calls)
	buf          []int64
	bufPos, bufN int
	read         int64 // cells read from cur
}

func (lc *lineCursor) reset() {
	lc.line, lc.pos = 0, 0
	lc.cur = lc.w.fill.Cursor()
	lc.bufPos, lc.bufN, lc.read = 0, 0, 0
}

// skip moves over n lines, calling fn for each of their entries; a nil fn
// scans them (keep them in the ring w.seen, note whether the missed address is
// among them: see window.recorded; inline, as this is most of a USER-mode
// layer's work).
func (lc *lineCursor) skip(n int, fn func(int64)) {
	w := lc.w
	for ; n > 0; n-- {
		end := min(int64(lc.line+1)*w.eps, w.nonPad)
		for lc.pos < end {
			if lc.bufPos == lc.bufN {
				lc.refill()
			}
			used, taken := lc.scan(lc.buf[lc.bufPos:lc.bufN], end-lc.pos, fn)
			lc.bufPos += used
			lc.pos += taken
		}
		lc.line++
		lc.v++
		if lc.line == w.numLines {
			lc.reset()
		}
	}
}

// scan takes the entries of cells (read ahead, pads among them) for skip
// until it has taken left of them: it returns how many cells it used and
// how many entries it took. One loop over a chunk, as this is most of a
// USER-mode layer's work.
func (lc *lineCursor) scan(cells []int64, left int64, fn func(int64)) (used int, taken int64) {
	w := lc.w
	if fn != nil {
		for k, a := range cells {
			if a < 0 {
				continue
			}
			fn(a)
			if taken++; taken == left {
				return k + 1, taken
			}
		}
		return len(cells), taken
	}
	seen, next, v := w.seen, w.seenNext, lc.v
	missed, found := w.missed, false
	blk := w.blk
	defer func() { w.seenNext, w.found = next, w.found || found }()
	if t := w.resident; t.dense != nil {
		// Dense: recording an entry costs what keeping it in the ring
		// does, so record it now (an address's newest line is its
		// latest whether or not the address turns up in this run). A
		// loop of its own: one loop choosing per entry between the array
		// and the ring made alexnet_part_32x32_ws_user10 ~10% slower.

		dense, lo := t.dense, t.lo
		if blk != nil {
			return lc.scanDenseBlocks(cells, left, dense, lo, v, missed, &found)
		}
		for k, a := range cells {
			if a < 0 {
				continue
			}
			dense[a-lo] = v
			found = found || a == missed
			if w.addrs {
				w.entering.push(a)
			}
			if taken++; taken == left {
				return k + 1, taken
			}
		}
		return len(cells), taken
	}
	for k, a := range cells {
		if a < 0 {
			continue
		}
		if len(seen) > 0 {
			seen[next] = lineEntry{a, v}
			if next++; next == len(seen) {
				next = 0
			}
		}
		found = found || a == missed
		if blk != nil {
			blk.push(a)
		} else if w.addrs {
			w.entering.push(a)
		}
		if taken++; taken == left {
			return k + 1, taken
		}
	}
	return len(cells), taken
}

// scanDenseBlocks is scan's dense case for a window that counts entering
// words per block in a table (blockQueue.useDense): a loop of its own,
// with the table in locals, as it runs once per word a fill brings.
func (lc *lineCursor) scanDenseBlocks(cells []int64, left int64, dense []int64, lo, v, missed int64, found *bool) (used int, taken int64) {
	q := lc.w.blk
	cnt, base, shift, touched := q.cnt, q.base, q.shift, q.touched
	f := false
	defer func() { q.touched, *found = touched, *found || f }()
	for k, a := range cells {
		if a < 0 {
			continue
		}
		dense[a-lo] = v
		f = f || a == missed
		b := a >> shift
		if i := uint64(b - base); i < uint64(len(cnt)) {
			if cnt[i] == 0 {
				touched = append(touched, b)
			}
			cnt[i]++
		} else {
			q.push(a) // outside the table: the list
		}
		if taken++; taken == left {
			return k + 1, taken
		}
	}
	return len(cells), taken
}

// ceilDiv64 is ceil(a/b) for a >= 0 and b > 0, without the overflow of
// (a+b-1)/b when b is near the int64 limit (a Bandwidth of 2^63-1).
func ceilDiv64(a, b int64) int64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// ahead: what is resident never depends on time.
func (w *window) ahead() bool { return true }

// chunkCursor is a fill cursor that gives many cells at once (systolic's).
type chunkCursor interface {
	NextN(buf []int64)
}

// fillChunk is the number of cells a lineCursor reads at once.
const fillChunk = 256

// refill reads the next cells of the fill order into buf: a chunk, from a
// cursor that gives them, never past the end of the order (the cursor is
// reset there); else one.
func (lc *lineCursor) refill() {
	if lc.buf == nil {
		lc.buf = make([]int64, fillChunk)
	}
	n := 1
	if cc, ok := lc.cur.(chunkCursor); ok {
		n = int(min(int64(len(lc.buf)), lc.w.fill.Len()-lc.read))
		cc.NextN(lc.buf[:n])
	} else {
		lc.buf[0] = lc.cur.Next()
	}
	lc.read += int64(n)
	lc.bufPos, lc.bufN = 0, n
}

// scanFill counts the fill order's non-pad cells and finds their smallest
// and largest address, reading them in chunks when its cursor gives them
// so.
func scanFill(fill protocol.FillOrder) (count, lo, hi int64) {
	lo, hi = math.MaxInt64, math.MinInt64
	add := func(a int64) {
		if a >= 0 {
			count++
			lo, hi = min(lo, a), max(hi, a)
		}
	}
	cur := fill.Cursor()
	n := fill.Len()
	cc, ok := cur.(chunkCursor)
	if !ok {
		for range n {
			add(cur.Next())
		}
		return count, lo, hi
	}
	buf := make([]int64, fillChunk)
	for read := int64(0); read < n; {
		chunk := buf[:min(int64(len(buf)), n-read)]
		cc.NextN(chunk)
		for _, a := range chunk {
			add(a)
		}
		read += int64(len(chunk))
	}
	return count, lo, hi
}
