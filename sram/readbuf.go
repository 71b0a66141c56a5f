package sram

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// minParallelWalkRows is the walk length from which walking on a separate
// goroutine pays off.
const minParallelWalkRows = 512

// A readPolicy decides what is resident in a read buffer and what it
// fetches from DRAM. The ReadBuffer component does the messaging, the walk
// over the array's demand and the bookkeeping common to both policies.
type readPolicy interface {
	// beginLayer starts a layer; it may return the burst of the initial fill,
	// which the buffer waits for.
	beginLayer(fill protocol.FillOrder, tracing bool) *protocol.BurstReq
	// serve looks up the addresses of one demand row (layer row row; -1
	// entries are skipped) in order. It returns len(addrs) when all are
	// resident; otherwise the index of the first that is not, and the burst
	// that brings the next lines: the buffer sends it, waits for it, calls
	// filled with its completion cycle, and serves the row again from that
	// index.
	// hints has one slot per address, for the policy to remember where the
	// address's column looked last.
	serve(addrs []int64, hints []int32, row int64) (int, *protocol.BurstReq)
	filled(done int64)
	// ready is the cycle the data fetched so far is all in the buffer.
	ready() int64
	// timed tells the policy the issue cycle of rows of the fold just
	// served; it returns bursts whose timing depended on it.
	timed(cycleOf func(row int64) int64, firstCycle int64) []*protocol.BurstReq
	// endLayer completes the layer.
	endLayer() []*protocol.BurstReq
	// epoch counts the changes that can make a resident address leave
	// (window slides, fetch points); while it stays the same, every address
	// looked up since it last changed is still resident.
	epoch() int64
}

// ReadBuffer is a double-buffered operand buffer (ifmap or filter). The
// array sends it one fold's demand at a time; the buffer answers with the
// rows whose data arrived late, which is where read stalls come from.
type ReadBuffer struct {
	*sim.TickingComponent
	ports

	op     protocol.Operand
	policy readPolicy
	tracer protocol.Tracer

	// the fold being served
	fold    *protocol.ReadFoldReq
	t, c    int // resume point: row t, slot c
	row     []int64
	hints   []int32 // per slot, for the policy
	lo, hi  int
	waited  bool // the current row waited for a fill
	walking bool // a walk goroutine is running
	// the initial fill has not been waited for yet
	initialFill bool
	// rows the last walk covered before it finished or stopped for a fill
	lastWalkRows int
	walkDone     chan struct{}
	ready        []protocol.RowReady
	foldUsed     [2]int64 // first and last non-empty layer rows of the fold; -1 if none

	// layer statistics
	stats      ReadStats
	firstCycle int64 // issue cycle of the layer's first non-empty row
	firstSeen  bool
	ending     *protocol.LayerEndReq
	// slices walked completely within the current policy epoch: a demand
	// for one of them hits everywhere. It is emptied when the epoch moves,
	// so it never holds more slices than fit in the buffer.
	resident      map[int64]bool
	residentEpoch int64
	walkEpoch     int64
}

// ReadStats is what a read buffer saw during a layer.
type ReadStats struct {
	Requests int64 // SRAM reads, SCALE-Sim's count
	// First and Last are the cycles the first and the last row holding an
	// address were served; Any is false if no row held one.
	First, Last int64
	Any         bool
}

// Stats returns the current layer's statistics.
func (b *ReadBuffer) Stats() ReadStats { return b.stats }

// SetTracer sets where SRAM trace rows go (nil: nowhere). With a tracer,
// bursts also carry their addresses so the DRAM channel can trace them.
func (b *ReadBuffer) SetTracer(t protocol.Tracer) { b.tracer = t }

// Tick moves the buffer forward: send, collect fill completions, go on with
// the walk, or take the next request from the array, until there is nothing
// left to do; a message or a free connection wakes it again.
//
// The walk over a fold's demand is the bulk of the simulation's work and
// touches nothing but this buffer, so it runs on its own goroutine, started
// in one tick and joined at the start of the next: the ifmap and filter
// buffers, which receive their folds in the same cycle, walk them in
// parallel. The join happens before the buffer does anything else, so the
// results and the order of events do not depend on the scheduling. When
// walks are short (a USER-mode buffer that stops for a fill every few
// rows), handing them to another goroutine costs more than it saves, so a
// walk whose predecessor covered few rows runs inline.
func (b *ReadBuffer) Tick(now sim.VTimeInSec) bool {
	if b.walking {
		<-b.walkDone
		b.walking = false
	}
	for b.step(now) {
		if b.walking {
			return true // join next tick
		}
	}
	return false
}

// step does one thing; it reports whether it did anything.
func (b *ReadBuffer) step(now sim.VTimeInSec) bool {
	progress, free := b.exchange(now, b.policy.filled)
	if !free {
		return progress
	}
	if b.fold != nil {
		if b.lastWalkRows < minParallelWalkRows {
			b.walk()
			return true
		}
		b.walking = true
		go func() {
			b.walk()
			b.walkDone <- struct{}{}
		}()
		return true
	}
	if b.ending != nil {
		if b.inFlight == 0 {
			b.reply(b.ending, &protocol.LayerEndRsp{Operand: b.op})
			b.ending = nil
			return true
		}
		return progress
	}
	return b.next(now, b.handle) || progress
}

func (b *ReadBuffer) handle(msg sim.Msg) {
	switch m := msg.(type) {
	case *protocol.LayerBeginReq:
		b.stats = ReadStats{}
		b.firstSeen = false
		clear(b.resident)
		if fill := b.policy.beginLayer(m.Fill, b.tracer != nil); fill != nil {
			b.burst(fill, true)
			b.initialFill = true
		}
	case *protocol.ReadFoldReq:
		b.ready = nil
		b.foldUsed = [2]int64{-1, -1}
		if w := m.Demand.Width(); len(b.row) < w {
			b.row = make([]int64, w)
			b.hints = make([]int32, w)
			for i := range b.hints {
				b.hints[i] = -1
			}
		}
		b.stats.Requests += m.Demand.Requests()
		if b.residentEpoch != b.policy.epoch() {
			clear(b.resident)
			b.residentEpoch = b.policy.epoch()
		}
		if b.resident[m.Demand.Slice()] {
			b.skip(m)
			return
		}
		b.fold = m
		b.t, b.c = 0, -1
		b.walkEpoch = b.policy.epoch()
	case *protocol.FoldTimingReq:
		b.time(m)
	case *protocol.LayerEndReq:
		for _, br := range b.policy.endLayer() {
			b.burst(br, false)
		}
		b.ending = m
	default:
		panic("sram: read buffer got an unknown message")
	}
}

// walk serves the fold's rows in order until a miss needs a fill (it then
// returns, blocked, and resumes at the same slot) or the fold is done.
func (b *ReadBuffer) walk() {
	d := b.fold.Demand
	first := d.FirstRow()
	start := b.t
	defer func() { b.lastWalkRows = b.t - start }()
	for ; b.t < d.Rows(); b.t++ {
		row := first + int64(b.t)
		if b.c < 0 {
			b.lo, b.hi = d.Row(b.t, b.row)
			b.c = b.lo
			for b.c < b.hi && b.row[b.c] < 0 {
				b.c++
			}
			if b.c == b.hi {
				b.c = -1
				continue // no address in this row
			}
			if b.foldUsed[0] < 0 {
				b.foldUsed[0] = row
			}
			b.foldUsed[1] = row
			// The first row that reads waits for the initial fill. SCALE-Sim
			// places that fill to complete before cycle 0, so this only
			// matters for a channel slower than the buffer's interface.
			b.waited = b.initialFill
			b.initialFill = false
		}
		n, fetch := b.policy.serve(b.row[b.c:b.hi], b.hints[b.c:b.hi], row)
		if fetch != nil {
			b.c += n
			b.burst(fetch, true)
			b.waited = true
			return
		}
		if b.waited {
			b.ready = append(b.ready, protocol.RowReady{Row: row, Cycle: b.policy.ready()})
		}
		b.c = -1
	}
	if b.policy.epoch() == b.walkEpoch {
		if b.resident == nil {
			b.resident = make(map[int64]bool)
		}
		if b.residentEpoch != b.walkEpoch {
			clear(b.resident)
			b.residentEpoch = b.walkEpoch
		}
		b.resident[d.Slice()] = true
	}
	b.reply(b.fold, &protocol.ReadFoldRsp{Operand: b.op, Ready: b.ready})
	b.fold = nil
}

// skip serves a fold whose addresses are all known to be resident: nothing
// to look up, only the first and last rows holding an address to find.
func (b *ReadBuffer) skip(m *protocol.ReadFoldReq) {
	d := m.Demand
	used := func(t int) bool {
		lo, hi := d.Row(t, b.row)
		for _, a := range b.row[lo:hi] {
			if a >= 0 {
				return true
			}
		}
		return false
	}
	for t := 0; t < d.Rows(); t++ {
		if used(t) {
			b.foldUsed[0] = d.FirstRow() + int64(t)
			break
		}
	}
	for t := d.Rows() - 1; t >= 0 && b.foldUsed[0] >= 0; t-- {
		if used(t) {
			b.foldUsed[1] = d.FirstRow() + int64(t)
			break
		}
	}
	b.reply(m, &protocol.ReadFoldRsp{Operand: b.op})
}

// time learns when the array issued the fold's rows: it fixes the served
// cycle of the first and last rows holding addresses, writes the SRAM
// trace, and lets the policy time what it deferred.
func (b *ReadBuffer) time(m *protocol.FoldTimingReq) {
	hint := 0
	cycleOf := func(r int64) int64 { return m.Schedule.Cycle(r, &hint) }
	readyAt := 0
	served := func(r int64, cyc int64) int64 {
		for readyAt < len(b.ready) && b.ready[readyAt].Row < r {
			readyAt++
		}
		if readyAt < len(b.ready) && b.ready[readyAt].Row == r {
			return max(cyc+1, b.ready[readyAt].Cycle)
		}
		return cyc + 1
	}
	if b.foldUsed[0] >= 0 {
		c0 := cycleOf(b.foldUsed[0])
		if !b.firstSeen {
			b.firstSeen = true
			b.firstCycle = c0
			b.stats.First, b.stats.Any = served(b.foldUsed[0], c0), true
		}
	}
	if b.tracer != nil {
		hint, readyAt = 0, 0
		d := m.Demand
		first := d.FirstRow()
		for t := 0; t < d.Rows(); t++ {
			r := first + int64(t)
			lo, hi := d.Row(t, b.row)
			b.traceRow(b.tracer, served(r, cycleOf(r)), d.Width(), b.row, lo, hi)
		}
	}
	if b.foldUsed[1] >= 0 {
		hint, readyAt = 0, 0
		b.stats.Last = served(b.foldUsed[1], cycleOf(b.foldUsed[1]))
	}
	hint = 0
	for _, br := range b.policy.timed(cycleOf, b.firstCycle) {
		b.burst(br, false)
	}
}
