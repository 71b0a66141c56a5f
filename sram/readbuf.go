package sram

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// minGallopRows is the first range of rows skipRows tries at once.
const minGallopRows = 16

// minParallelWalkRows is the walk length from which walking on a separate
// goroutine pays off. Rows served as address sets (skipRows) do not count:
// they cost a few runs each, far less than the goroutine hand-over.
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
	// ahead reports whether the buffer walks the layer's demand ahead of
	// the array (what is resident does not depend on the array's timing),
	// rather than fold by fold as the array asks.
	ahead() bool
}

// ReadBuffer is a double-buffered operand buffer (ifmap or filter). The
// array sends it one fold's demand at a time; the buffer answers with the
// rows whose data arrived late, which is where read stalls come from.
//
// In USER mode the buffer walks the layer's demand on its own, ahead of the
// array, and stops only while a fill is in flight: SCALE-Sim dates each
// refill right after the previous one completed, possibly long before the
// array reaches the row that needs it, and walking ahead is what lets the
// buffer send the fill at that very engine time. It answers the array's
// request for a fold once its walk has passed the fold, or in parts while
// the walk waits inside it. In CALC mode it never waits, so it walks each
// fold when the array asks for it.
type ReadBuffer struct {
	*protocol.TickingComponent
	ports

	op     protocol.Operand
	policy readPolicy
	inline bool // never walk on a goroutine of its own (WithInlineWalks)
	tracer protocol.Tracer

	// the walk
	started     bool                  // the layer's origin is known
	stream      protocol.DemandStream // what an ahead walk walks
	nextFold    int                   // the stream's next fold
	cur         protocol.Demand       // the demand being walked
	t, c        int                   // resume point: row t, slot c
	row         []int64
	hints       []int32 // per slot, for the policy
	lo, hi      int
	waited      bool               // the current row waited for a fill
	walking     bool               // a walk goroutine is running
	initialFill bool               // the initial fill has not been waited for yet
	initial     *protocol.BurstReq // the initial fill, until the origin is known
	// rows the last walk covered before it finished or stopped for a fill
	lastWalkRows int
	walkDone     chan struct{}
	walked       int64               // layer rows before this one are walked
	ready        []protocol.RowReady // late rows walked and not yet reported

	// the array's request
	req       *protocol.ReadFoldReq
	reqEnd    int64
	reported  int64               // rows answered for so far
	foldReady []protocol.RowReady // the request's late rows, for its timing
	scratch   []int64             // for rows read outside the walk

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

// Tick moves the buffer forward: collect fill completions, send what is
// due, go on with the walk, answer the array, until there is nothing left to
// do; a message, a free connection or the time of a held burst wakes it.
//
// The walk over the demand is the bulk of the simulation's work and
// touches nothing but this buffer, so it runs on its own goroutine, started
// in the tick and joined by a walkJoin event at the same instant: the ifmap
// and filter buffers, which receive their folds in the same cycle, walk
// them in parallel, and the buffer then goes on exactly as if it had walked
// inline, before any message of that instant is delivered, so what it sends
// leaves at the same engine time in both modes (a fill the walk finds due
// now leaves now, not one tick later). When walks are short (a USER-mode
// buffer that stops for a fill every few rows), handing them to another
// goroutine costs more than it saves, so a walk whose predecessor covered
// few rows runs inline.
func (b *ReadBuffer) Tick(now sim.VTimeInSec) bool {
	b.run(now)
	return false
}

// run steps until there is nothing left to do, or until a walk goes to a
// goroutine: a walkJoin event at the same instant then takes over.
func (b *ReadBuffer) run(now sim.VTimeInSec) {
	for b.step(now) {
		if b.walking {
			b.Engine.Schedule(walkJoin{sim.NewEventBase(now, walkJoiner{b})})
			return
		}
	}
}

// walkJoin is the event that joins a walk started on a goroutine at the
// same instant. It is not a tick: the buffer ticks at most once per
// instant, and the join only finishes what that tick started. Primary
// events of an instant all run before its secondary ones (the connections'
// deliveries) on akita's serial and parallel engines alike, so the join
// comes before anything the buffer sends can be delivered.
type walkJoin struct{ *sim.EventBase }

type walkJoiner struct{ b *ReadBuffer }

// Handle joins the walk and goes on with the tick.
func (j walkJoiner) Handle(e sim.Event) error {
	b := j.b
	<-b.walkDone
	b.walking = false
	b.run(e.Time())
	return nil
}

// step does one thing; it reports whether it did anything.
func (b *ReadBuffer) step(now sim.VTimeInSec) bool {
	progress := b.exchange(now, b.policy.filled)
	if b.answer() {
		return true
	}
	if b.canWalk() {
		if b.inline || b.lastWalkRows < minParallelWalkRows {
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
	if b.answer() { // folds known to be resident were skipped
		return true
	}
	if b.ending != nil && b.inFlight == 0 && b.cur == nil {
		b.reply(b.ending, &protocol.LayerEndRsp{Operand: b.op})
		b.ending = nil
		return true
	}
	return b.next(now, b.handle) || progress
}

// canWalk picks the next demand to walk, if the walk may go on.
func (b *ReadBuffer) canWalk() bool {
	if !b.started || b.blocked {
		return false
	}
	for b.cur == nil && b.stream != nil && b.nextFold < b.stream.NumFolds() {
		b.setWalk(b.stream.FoldDemand(b.nextFold))
		b.nextFold++
	}
	return b.cur != nil
}

// setWalk makes d the demand to walk, unless its addresses are known to be
// resident: then there is nothing to look up.
func (b *ReadBuffer) setWalk(d protocol.Demand) {
	if w := d.Width(); len(b.row) < w {
		b.row = make([]int64, w)
		b.hints = make([]int32, w)
		for i := range b.hints {
			b.hints[i] = -1
		}
	}
	if b.residentEpoch != b.policy.epoch() {
		clear(b.resident)
		b.residentEpoch = b.policy.epoch()
	}
	if b.resident[d.Slice()] {
		b.walked = d.FirstRow() + int64(d.Rows())
		return
	}
	b.cur = d
	b.t, b.c = 0, -1
	b.walkEpoch = b.policy.epoch()
}

func (b *ReadBuffer) handle(msg sim.Msg) {
	switch m := msg.(type) {
	case *protocol.LayerBeginReq:
		b.stats = ReadStats{}
		b.firstSeen, b.started = false, false
		b.walked, b.nextFold, b.cur, b.ready = 0, 0, nil, nil
		clear(b.resident)
		b.stream = nil
		b.task = m.Task
		if b.policy.ahead() {
			b.stream = m.Stream
		}
		lead := int64(0)
		b.initial = b.policy.beginLayer(m.Fill, b.tracer != nil)
		if b.initial != nil {
			lead = -b.initial.At
			b.initialFill = true
		}
		b.reply(m, &protocol.LayerBeginRsp{Operand: b.op, Lead: lead})
	case *protocol.LayerStartReq:
		b.origin, b.started = m.Origin, true
		if b.initial != nil {
			b.burst(b.initial, true)
			b.initial = nil
		}
	case *protocol.ReadFoldReq:
		b.req = m
		if m.Task != "" {
			b.task = m.Task
		}
		b.reqEnd = m.Demand.FirstRow() + int64(m.Demand.Rows())
		b.reported = m.Demand.FirstRow() - 1 // a walk waiting at the first row says so too
		b.foldReady = b.foldReady[:0]
		b.stats.Requests += m.Demand.Requests()
		if b.stream == nil {
			b.setWalk(m.Demand)
		}
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

// walk serves the demand's rows in order until a miss needs a fill (it then
// returns, blocked, and resumes at the same slot) or the demand is done.
func (b *ReadBuffer) walk() {
	d := b.cur
	first := d.FirstRow()
	start := b.t
	skipped := 0 // rows served as address sets: they cost little
	defer func() { b.lastWalkRows = b.t - start - skipped }()
	rs, bulk := b.policy.(rangeServer)
	rd, runs := d.(runDemand)
	bulk = bulk && runs && rs.ranges() && rd.AddrRuns(0, 0, func(int64, int64) {})
	for ; b.t < d.Rows(); b.t++ {
		if bulk && b.c < 0 && !b.initialFill {
			to := b.skipRows(rs, rd, b.t)
			skipped += to - b.t
			if b.t = to; b.t == d.Rows() {
				break
			}
		}
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
			// The first row that reads waits for the initial fill. SCALE-Sim
			// places that fill to complete before cycle 0, so this only
			// matters for a channel slower than the buffer's interface.
			b.waited = b.initialFill
			b.initialFill = false
		}
		n, fetch := b.policy.serve(b.row[b.c:b.hi], b.hints[b.c:b.hi], row)
		if fetch != nil {
			b.c += n
			b.walked = row
			b.burst(fetch, true)
			b.waited = true
			return
		}
		if b.waited {
			b.ready = append(b.ready, protocol.RowReady{Row: row, Cycle: b.policy.ready()})
		}
		b.c = -1
	}
	b.walked = first + int64(d.Rows())
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
	b.cur = nil
}

// answer tells the array what the walk knows of the rows it asked for:
// everything once the walk has passed them, or, while the walk waits for a
// fill inside them, the rows before the one waiting. It reports whether it
// sent anything.
func (b *ReadBuffer) answer() bool {
	if b.req == nil {
		return false
	}
	through := min(b.walked, b.reqEnd)
	if through < b.reqEnd && (!b.blocked || through <= b.reported) {
		return false
	}
	n := 0
	for n < len(b.ready) && b.ready[n].Row < through {
		n++
	}
	rsp := &protocol.ReadFoldRsp{Operand: b.op, Through: through}
	if n > 0 {
		rsp.Ready = append([]protocol.RowReady(nil), b.ready[:n]...)
		b.foldReady = append(b.foldReady, rsp.Ready...)
		b.ready = append(b.ready[:0], b.ready[n:]...)
	}
	b.reply(b.req, rsp)
	b.reported = through
	if through == b.reqEnd {
		b.req = nil
	}
	return true
}

// time learns when the array issued the fold's rows: it fixes the served
// cycle of the first and last rows holding addresses, writes the SRAM
// trace, and lets the policy time what it deferred.
func (b *ReadBuffer) time(m *protocol.FoldTimingReq) {
	d := m.Demand
	if w := d.Width(); len(b.scratch) < w {
		b.scratch = make([]int64, w)
	}
	hint := 0
	cycleOf := func(r int64) int64 { return m.Schedule.Cycle(r, &hint) }
	readyAt := 0
	served := func(r int64, cyc int64) int64 {
		for readyAt < len(b.foldReady) && b.foldReady[readyAt].Row < r {
			readyAt++
		}
		if readyAt < len(b.foldReady) && b.foldReady[readyAt].Row == r {
			return max(cyc+1, b.foldReady[readyAt].Cycle)
		}
		return cyc + 1
	}
	firstUsed, lastUsed := usedRows(d, b.scratch)
	if firstUsed >= 0 && !b.firstSeen {
		c0 := cycleOf(firstUsed)
		b.firstSeen = true
		b.firstCycle = c0
		b.stats.First, b.stats.Any = served(firstUsed, c0), true
	}
	if b.tracer != nil {
		hint, readyAt = 0, 0
		first := d.FirstRow()
		for t := 0; t < d.Rows(); t++ {
			r := first + int64(t)
			lo, hi := d.Row(t, b.scratch)
			b.traceRow(b.tracer, served(r, cycleOf(r)), d.Width(), b.scratch, lo, hi)
		}
	}
	if lastUsed >= 0 {
		hint, readyAt = 0, 0
		b.stats.Last = served(lastUsed, cycleOf(lastUsed))
	}
	hint = 0
	for _, br := range b.policy.timed(cycleOf, b.firstCycle) {
		b.burst(br, false)
	}
}

// usedRows returns the first and last layer rows of d that hold an
// address, or -1, -1 when none does.
func usedRows(d protocol.Demand, buf []int64) (first, last int64) {
	used := func(t int) bool {
		lo, hi := d.Row(t, buf)
		for _, a := range buf[lo:hi] {
			if a >= 0 {
				return true
			}
		}
		return false
	}
	first, last = -1, -1
	t0, t1 := 0, d.Rows()
	if oc, ok := d.(occupier); ok { // skip the rows known to be empty
		t0, t1 = oc.OccupiedRows()
	}
	for t := t0; t < t1; t++ {
		if used(t) {
			first = d.FirstRow() + int64(t)
			break
		}
	}
	for t := t1 - 1; t >= t0 && first >= 0; t-- {
		if used(t) {
			last = d.FirstRow() + int64(t)
			break
		}
	}
	return first, last
}

// skipRows serves the rows of the walk's demand from row t on that p can
// take as address sets, and returns the first row it did not serve, which
// the walk then serves address by address: the row where p's state starts
// to depend on the order of the addresses (a CALC fetch point). It narrows
// down to that row in steps that add only the rows they keep: first the
// rows that cannot reach the point even if all their slots held new
// addresses, then ranges doubling from minGallopRows until one reaches
// it, then bisection inside that one. Trying the whole rest of the fold
// first cost three folds' worth of runs per fetch point (GPT-2 on
// Eyeriss has one in almost every fold).
func (b *ReadBuffer) skipRows(p rangeServer, d runDemand, t int) int {
	lo, rows := t, b.cur.Rows()
	width := int64(max(b.cur.Width(), 1))
	for lo < rows {
		n := (p.room() - 1) / width // rows that add fewer than room addresses
		if n < minGallopRows {
			break
		}
		end := lo + int(min(n, int64(rows-lo)))
		if !p.serveRange(d, lo, end) {
			break // cannot happen; the search below copes anyway
		}
		lo = end
	}
	hi := rows
	for s := minGallopRows; lo < rows; s *= 2 {
		end := min(lo+s, rows)
		if !p.serveRange(d, lo, end) {
			hi = end
			break
		}
		lo = end
	}
	if lo == rows {
		return rows
	}
	// rows [lo, hi) reach the point; find the row that does
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if p.serveRange(d, lo, mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// occupier is a demand that knows the rows outside which all of its rows
// are empty (systolic's demands).
type occupier interface {
	OccupiedRows() (t0, t1 int)
}
