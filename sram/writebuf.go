package sram

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// WriteBuffer is SCALE-Sim v2's ofmap write buffer (write_buffer.py). The
// array writes results into lines of bw words; once more than the drain
// half is occupied, the buffer drains up to ceil(drain/bw) committed lines
// to DRAM, one per cycle. While a drain is in flight the buffer keeps
// accepting results; only when it is completely full does the array wait
// for the drain to finish. That wait is the only write stall.
//
// The buffer keeps just the committed lines not drained yet (their fill, and
// their addresses when traced), so its memory is bounded by its size.
type WriteBuffer struct {
	*protocol.TickingComponent
	ports

	total, drain int64 // words
	bw           int64
	tracer       protocol.Tracer
	tracing      bool

	free     int64
	drainEnd int64
	lineFill int64      // words in the current (uncommitted) line
	lineAddr []int64    // its addresses, when tracing
	lines    []int64    // committed, undrained lines: words each
	linesA   [][]int64  // and their addresses, when tracing
	addrs    bool       // drains carry the addresses they move
	held     rangeQueue // accepted addresses not drained yet, when addrs
	heldBlk  *wordQueue // or the addresses counted per block, when drains carry Blocks

	// the request being served
	req              *protocol.WriteReq
	t, c             int
	row              []int64
	lo, hi           int
	cyc, cur         int64
	jumps            []protocol.RowReady
	ending           *protocol.LayerEndReq
	fullWait         bool  // a result found the buffer full during a drain: it waits for the drain's answer
	drainSent        int64 // engine cycle the drain in flight left
	nowCycle         int64 // engine cycle of the current step
	finalCycle       int64 // start cycle of the next chunk of the final drain
	final            bool  // the layer's last rows are in: drain everything
	finalDrain       bool  // the final drain has started
	drained          bool  // the final drain is over
	finalDrainDating bool  // drainChunk dates the chunk as SCALE-Sim does, even in the past
	causal           bool  // drains are never dated before now (WithCausalDrains)

	stats WriteStats
}

// WriteStats is what the write buffer saw during a layer.
type WriteStats struct {
	Requests    int64 // SRAM writes, SCALE-Sim's count
	First, Last int64 // cycles the first and last rows holding results were accepted
	Any         bool
}

// Stats returns the current layer's statistics.
func (b *WriteBuffer) Stats() WriteStats { return b.stats }

// SetTracer sets where SRAM trace rows go (nil: nowhere). With a tracer,
// drains also carry their addresses so the DRAM channel can trace them.
func (b *WriteBuffer) SetTracer(t protocol.Tracer) { b.tracer = t }

// Tick moves the buffer forward until it has nothing left to do or waits
// for a drain; a message, a free connection or the time of a held message
// wakes it again.
//
// The buffer accepts a segment's rows as soon as it gets them, working out
// the cycle each is accepted; what it tells others leaves at the engine
// time it stands for: a drain at its first cycle, the answer to the array
// at the cycle the segment's last row was accepted.
func (b *WriteBuffer) Tick(now sim.VTimeInSec) bool {
	for b.step(now) {
	}
	return false
}

func (b *WriteBuffer) step(now sim.VTimeInSec) bool {
	b.nowCycle = b.clock.Cycle(now)
	progress := b.exchange(now, func(done int64) { b.drainEnd = done })
	if b.req != nil {
		return b.walk(now) || progress
	}
	if b.final {
		if b.blocked { // the final drain goes chunk after chunk
			return progress
		}
		b.finish()
		return true
	}
	if b.ending != nil && b.drained && b.inFlight == 0 {
		b.reply(b.ending, &protocol.LayerEndRsp{Operand: protocol.Ofmap})
		b.ending = nil
		return true
	}
	return b.next(now, b.handle) || progress
}

func (b *WriteBuffer) handle(msg sim.Msg) {
	switch m := msg.(type) {
	case *protocol.LayerBeginReq:
		b.tracing = b.tracer != nil
		b.task = m.Task
		b.free, b.drainEnd = b.total, 0
		b.lineFill, b.lineAddr = 0, b.lineAddr[:0]
		b.lines, b.linesA = b.lines[:0], b.linesA[:0]
		b.held.all()
		if b.heldBlk != nil {
			b.heldBlk.reset()
		}
		b.stats = WriteStats{}
		b.final, b.finalDrain, b.drained = false, false, false
		b.reply(m, &protocol.LayerBeginRsp{Operand: protocol.Ofmap})
	case *protocol.LayerStartReq:
		b.origin = m.Origin
	case *protocol.WriteReq:
		b.req = m
		if m.Task != "" {
			b.task = m.Task
		}
		b.t, b.c = m.From, -1
		b.cyc = m.Cycle
		b.jumps = nil
		if w := m.Demand.Width(); len(b.row) < w {
			b.row = make([]int64, w)
		}
		if m.From == 0 {
			b.stats.Requests += m.Demand.Requests()
		}
	case *protocol.LayerEndReq:
		b.ending = m
		if !b.final && !b.drained { // no WriteReq said Last
			b.startFinal(m.LastCycle)
		}
	default:
		panic("sram: write buffer got an unknown message")
	}
}

// walk accepts rows; row t is issued at b.cyc and accepted at b.cur. It
// reports whether it accepted anything.
//
// While a drain is in flight, whether it is still in flight at a row's
// cycle decides what the row does, and the buffer learns the drain's end
// only from its answer. It knows the drain is still in flight at every
// cycle before now once the answer could have arrived (two cycles after
// the drain left) and has not; so it takes the rows issued before now and,
// for the others, waits until the segment's last row is past, or for the
// answer. A row that finds the buffer full during a drain waits for the
// answer too: it is accepted when the drain ends.
func (b *WriteBuffer) walk(now sim.VTimeInSec) bool {
	m := b.req
	d := m.Demand
	did := false
	if b.fullWait {
		if b.blocked {
			return false
		}
		b.fullWait = false
		b.cur = b.drainEnd
		b.c++
		did = true
	}
	sw, spans := d.(spanWorder)
	spans = spans && b.countsOnly()
	for ; b.t < m.To; b.t++ {
		if spans && b.c < 0 && b.acceptRows(sw, d.Width(), m.To-1) {
			did = true
		}
		if b.c < 0 {
			if b.blocked && !b.inFlightAt(b.cyc) {
				last := b.origin + b.cyc + int64(m.To-1-b.t)
				b.clock.WakeAt(now, b.clock.Time(max(last+1, b.drainSent+2)))
				return did
			}
			did = true
			b.cur = b.cyc
			span := false
			if sp, ok := d.(rowSpanner); ok && b.countsOnly() {
				b.lo, b.hi, span = sp.RowSpan(b.t)
			}
			if span {
				// only the number of results matters: no addresses unless
				// the row must be taken result by result
				b.c = b.lo
				if b.acceptWords(int64(b.hi - b.lo)) {
					b.c = b.hi
				} else {
					d.Row(b.t, b.row)
				}
			} else {
				b.lo, b.hi = d.Row(b.t, b.row)
				b.c = b.lo
				if !b.tracing && b.acceptRow(b.row[b.lo:b.hi]) {
					b.c = b.hi
				}
			}
		}
		for ; b.c < b.hi; b.c++ {
			if b.row[b.c] < 0 {
				continue
			}
			if b.blocked && !b.inFlightAt(b.cur) {
				// a drain left during this row: wait until its answer could be back
				b.clock.WakeAt(now, b.clock.Time(b.drainSent+2))
				return did
			}
			did = true
			if b.accept(b.row[b.c]) {
				return true // full: wait for the drain's answer
			}
		}
		row := d.FirstRow() + int64(b.t)
		if b.hi > b.lo {
			if !b.stats.Any {
				b.stats.First, b.stats.Any = b.cur, true
			}
			b.stats.Last = b.cur
		}
		if b.tracer != nil {
			b.traceRow(b.tracer, b.cur, d.Width(), b.row, b.lo, b.hi)
		}
		b.c = -1
		if b.t == m.To-1 {
			b.replyAt(m, &protocol.WriteRsp{LastCycle: b.cyc, LastAccepted: b.cur, Jumps: b.jumps}, b.cur)
			b.req = nil
			b.t++
			if m.Last {
				b.startFinal(b.cur)
			}
			return true
		}
		next := b.cur + 1
		if next != b.cyc+1 {
			b.jumps = append(b.jumps, protocol.RowReady{Row: row + 1, Cycle: next})
		}
		b.cyc = next
	}
	return did
}

// acceptRow takes a whole row of results at once when none of them can
// stall or start a drain: the common case, which then costs a few
// additions instead of a step per result. It reports whether it did.
func (b *WriteBuffer) acceptRow(addrs []int64) bool {
	k := int64(0)
	for _, a := range addrs {
		if a >= 0 {
			k++
		}
	}
	if !b.acceptWords(k) {
		return false
	}
	if b.heldBlk != nil {
		b.heldBlk.pushRow(addrs)
	} else if b.addrs {
		for _, a := range addrs {
			if a >= 0 {
				b.held.push(a)
			}
		}
	}
	return true
}

// acceptWords is acceptRow for a row of k results whose addresses the
// buffer does not keep.
func (b *WriteBuffer) acceptWords(k int64) bool {
	if b.blocked || b.cur < b.drainEnd {
		if b.free-k <= 0 { // the buffer would fill during the drain
			return false
		}
	} else if b.free-k < b.total-b.drain { // a drain would start
		return false
	}
	b.free -= k
	for b.lineFill += k; b.lineFill >= b.bw; b.lineFill -= b.bw {
		b.lines = append(b.lines, b.bw)
	}
	return true
}

// countsOnly reports whether the buffer keeps no addresses (no trace, no
// address ranges on its drains): then a row is just a number of results.
func (b *WriteBuffer) countsOnly() bool { return !b.tracing && b.tracer == nil && !b.addrs }

// rowSpanner is an ofmap demand that tells which slots a row fills without
// working out their addresses (systolic's demands).
type rowSpanner interface {
	RowSpan(t int) (lo, hi int, ok bool)
}

// accept takes one result at cycle b.cur; it reports whether the result
// found the buffer full during a drain in flight: it is then accepted when
// that drain ends, which the buffer learns from the drain's answer.
func (b *WriteBuffer) accept(addr int64) bool {
	b.lineFill++
	if b.tracing {
		b.lineAddr = append(b.lineAddr, addr)
	}
	if b.heldBlk != nil {
		b.heldBlk.push(addr)
	} else if b.addrs {
		b.held.push(addr)
	}
	if b.lineFill == b.bw {
		b.commit()
	}
	b.free--
	if b.blocked { // a drain is in flight at b.cur; its end is not known yet
		if b.free <= 0 { // full: wait for the drain's answer
			b.fullWait = true
			return true
		}
		return false
	}
	if b.cur < b.drainEnd {
		if b.free <= 0 { // full: wait for the drain in flight
			b.cur = b.drainEnd
		}
		return false
	}
	if b.free < b.total-b.drain {
		b.commit()
		b.drainChunk(b.cur)
	}
	return false
}

// inFlightAt reports whether the drain in flight is known to be still in
// flight at the layer's cycle c: its answer has not arrived although it
// could have (two cycles after the drain left: one hop there, one back),
// and c is before now.
func (b *WriteBuffer) inFlightAt(c int64) bool {
	return b.nowCycle >= b.drainSent+2 && b.origin+c < b.nowCycle
}

// commit closes the current line, padding it with -1; an empty line is not
// committed.
func (b *WriteBuffer) commit() {
	if b.lineFill == 0 {
		return
	}
	b.lines = append(b.lines, b.lineFill)
	if b.tracing {
		line := make([]int64, b.bw)
		for i := range line {
			line[i] = -1
		}
		copy(line, b.lineAddr)
		b.linesA = append(b.linesA, line)
		b.lineAddr = b.lineAddr[:0]
	}
	b.lineFill = 0
}

// drainChunk writes up to ceil(drain/bw) committed lines from cycle start.
// QUIRK (SCALE-Sim): the size counts every line as full except the last,
// and the space is credited when the drain starts.
//
// The policy may start a drain at a cycle the buffer has already passed:
// the rows of a segment reach the buffer after the cycle of the first (the
// array learns a row's cycle from a fill that completed in that very
// cycle, and the news takes two hops), and a real memory's answer arrives
// one hop after the drain it completes. SCALE-Sim dates such a drain in
// the past, and with the ideal channels so does the buffer (its numbers
// are SCALE-Sim's; the drain leaves as soon as it is known, a few cycles
// late). A causal buffer (WithCausalDrains: a real memory behind it) dates
// it now, when it can start, so that it leaves at Origin+At like every
// other burst. The final drain keeps SCALE-Sim's dating in both (finish).
func (b *WriteBuffer) drainChunk(start int64) {
	if b.causal && !b.finalDrainDating {
		start = max(start, b.nowCycle-b.origin)
	}
	n := min(ceilDiv64(b.drain, b.bw), int64(len(b.lines)))
	words := n*b.bw - (b.bw - b.lines[n-1])
	req := &protocol.BurstReq{Write: true, At: start, Lines: int(n), LineWords: int(b.bw), Words: words}
	if b.addrs {
		moved := int64(0) // the lines' real contents (words follows SCALE-Sim's count)
		for _, l := range b.lines[:n] {
			moved += l
		}
		if b.heldBlk != nil {
			req.Blocks, req.BlockWords = b.heldBlk.take(moved), 1<<b.heldBlk.shift
		} else {
			req.Ranges = b.held.take(moved)
		}
	}
	if b.tracing {
		req.Data = append([][]int64(nil), b.linesA[:n]...)
		b.linesA = b.linesA[n:]
	}
	// Keep the lines at the front: slicing them off would make every later
	// append copy the whole list to a fresh array.
	b.lines = append(b.lines[:0], b.lines[n:]...)
	b.free += words
	b.burst(req, true)
	b.drainSent = max(b.origin+start, b.nowCycle) // it leaves at its cycle, or now if that is past
}

// startFinal starts SCALE-Sim's empty_all_buffers once the layer's last
// row was accepted at cycle last.
func (b *WriteBuffer) startFinal(last int64) {
	b.commit()
	b.finalCycle = last
	b.final = true
}

// finish is SCALE-Sim's empty_all_buffers: drain everything, chunk after
// chunk, from the cycle the last row was accepted. It ignores a drain that
// was still in flight then: the first chunk is dated from that cycle even
// when the buffer could only go on once the earlier drain completed (not
// causal, but SCALE-Sim's numbers; such a chunk leaves late).
func (b *WriteBuffer) finish() {
	if b.finalDrain { // the previous chunk has completed
		b.finalCycle = b.drainEnd + 1
	}
	if len(b.lines) > 0 {
		b.finalDrainDating = true
		b.drainChunk(b.finalCycle)
		b.finalDrainDating = false
		b.finalDrain = true
		return
	}
	b.final, b.finalDrain, b.drained = false, false, true
}

// spanWorder is an ofmap demand that counts the results of a run of rows
// without working out their addresses (systolic's demands).
type spanWorder interface {
	SpanWords(t0, t1 int) (words int64, first, last int)
}

// minRunRows is the shortest run of rows acceptRows takes at once.
const minRunRows = 8

// acceptRows takes rows from b.t on, before row end, in runs that could
// neither start a drain nor fill the buffer even if every slot held a
// result, and, while a drain with an end still unknown is in flight, that
// the buffer knows to be still in flight at their cycles: then each row
// is accepted at its issue cycle, and the rows are one sum of
// results (the common case, one step per row before). It reports whether
// it took any rows.
func (b *WriteBuffer) acceptRows(d spanWorder, width, end int) bool {
	took := false
	for {
		n := int64(end - b.t)
		room := b.free - (b.total - b.drain) // results before a drain starts
		if b.blocked {
			if !b.inFlightAt(b.cyc) {
				break
			}
			// rows before now: the drain is in flight at their cycles
			room = b.free - 1
			n = min(n, b.nowCycle-b.origin-b.cyc)
		} else if b.cyc < b.drainEnd {
			// a drain is in flight until drainEnd: results before the buffer fills
			room = b.free - 1
			n = min(n, b.drainEnd-b.cyc)
		}
		n = min(n, room/int64(max(width, 1)))
		if n < minRunRows {
			break
		}
		words, first, last := d.SpanWords(b.t, b.t+int(n))
		b.free -= words
		for b.lineFill += words; b.lineFill >= b.bw; b.lineFill -= b.bw {
			b.lines = append(b.lines, b.bw)
		}
		if first >= 0 {
			if !b.stats.Any {
				b.stats.First, b.stats.Any = b.cyc+int64(first-b.t), true
			}
			b.stats.Last = b.cyc + int64(last-b.t)
		}
		b.t += int(n)
		b.cyc += n
		b.cur = b.cyc - 1
		took = true
	}
	return took
}
