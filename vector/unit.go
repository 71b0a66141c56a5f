package vector

import (
	"fmt"
	"math"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

// RunReq asks the unit, on its "Ctrl" port, to run one layer. Requests are
// served one after the other; each is answered with a RunRsp once the
// layer, its DRAM traffic included, is over.
type RunReq struct {
	sim.MsgMeta
	Index int // the layer's number, as reports name it
	Layer Layer
}

// Meta returns the message meta.
func (m *RunReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// RunRsp answers a RunReq; Err is set, and Result empty, when the layer
// cannot run (it fails Validate, or the cost table lacks its operator).
type RunRsp struct {
	sim.MsgMeta
	RspTo  string
	Result Result
	Err    error
}

// Meta returns the message meta.
func (m *RunRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// GetRspTo returns the ID of the request.
func (m *RunRsp) GetRspTo() string { return m.RspTo }

// Result is a finished vector layer's timing.
type Result struct {
	Layer int
	// ComputeCycles is the closed form, Latency + ceil(Cost*Steps/Lanes);
	// StallCycles the cycles the lanes waited for the buffers;
	// TotalCycles their sum, the cycles the layer took.
	ComputeCycles, StallCycles, TotalCycles int64
	// StallBy splits StallCycles by the buffer that caused each stall
	// (ifmap, filter, ofmap).
	StallBy [3]int64
	// Origin is the engine cycle of the layer's cycle 0; End the layer
	// cycle its last DRAM traffic was over.
	Origin, End int64
	Fused       bool
}

// Builder builds Units.
type Builder struct {
	engine   sim.Engine
	freq     sim.Freq
	cfg      Config
	offsets  Offsets
	foldRows int64
}

// MakeBuilder returns a builder at 1 GHz for DefaultConfig, with
// SCALE-Sim's default operand offsets (ifmap 0, filter 10000000, ofmap
// 20000000), which an accelerator replaces with its own.
func MakeBuilder() Builder {
	return Builder{freq: 1 * sim.GHz, cfg: DefaultConfig(),
		offsets: Offsets{In: 0, Aux: 10000000, Out: 20000000}, foldRows: 4096}
}

// WithEngine sets the engine (required).
func (b Builder) WithEngine(e sim.Engine) Builder { b.engine = e; return b }

// WithFreq sets the clock.
func (b Builder) WithFreq(f sim.Freq) Builder { b.freq = f; return b }

// WithConfig sets lanes, latency and the cost table.
func (b Builder) WithConfig(c Config) Builder { b.cfg = c; return b }

// WithLanes sets the number of lanes.
func (b Builder) WithLanes(n int) Builder { b.cfg.Lanes = n; return b }

// WithLatency sets the pipeline latency in cycles.
func (b Builder) WithLatency(n int) Builder { b.cfg.Latency = n; return b }

// WithCost sets one operator's cycles per element per lane.
func (b Builder) WithCost(op string, cycles int) Builder {
	c := make(map[string]int, len(b.cfg.Costs)+1)
	for k, v := range b.cfg.Costs {
		c[k] = v
	}
	c[op] = cycles
	b.cfg.Costs = c
	return b
}

// WithOffsets sets the operands' base word addresses.
func (b Builder) WithOffsets(o Offsets) Builder { b.offsets = o; return b }

// WithFoldRows sets how many rows (cycles) the unit hands the buffers at a
// time (default 4096): fewer rows mean more messages, more rows longer
// walks between answers. It changes no figure.
func (b Builder) WithFoldRows(n int) Builder { b.foldRows = int64(n); return b }

// Config returns the configuration the builder builds units with.
func (b Builder) Config() Config { return b.cfg }

// Build creates a unit with ports "Ctrl" (toward whoever runs layers) and
// "Ifmap", "Filter", "Ofmap" (toward the buffers' "Top" ports, see
// Connect). Like akita's builders it panics on a configuration that cannot
// work (callers validate user input with Config.Validate first).
func (b Builder) Build(name string) *Unit {
	if b.engine == nil {
		panic("vector: Builder needs an engine (WithEngine)")
	}
	if err := b.cfg.Validate(); err != nil {
		panic(err)
	}
	if b.foldRows < 1 {
		panic(fmt.Sprintf("vector: fold rows must be positive, got %d", b.foldRows))
	}
	u := &Unit{cfg: b.cfg, off: b.offsets, foldRows: b.foldRows}
	u.TickingComponent = protocol.NewTickingComponent(name, b.engine, b.freq, u)
	u.clock = protocol.NewClock(b.engine, b.freq, u.TickingComponent)
	u.ctrl = sim.NewLimitNumMsgPort(u, 4, name+".Ctrl")
	u.AddPort("Ctrl", u.ctrl)
	u.ports[protocol.Ifmap] = sim.NewLimitNumMsgPort(u, 4, name+".Ifmap")
	u.AddPort("Ifmap", u.ports[protocol.Ifmap])
	u.ports[protocol.Filter] = sim.NewLimitNumMsgPort(u, 4, name+".Filter")
	u.AddPort("Filter", u.ports[protocol.Filter])
	u.ports[protocol.Ofmap] = sim.NewLimitNumMsgPort(u, 4, name+".Ofmap")
	u.AddPort("Ofmap", u.ports[protocol.Ofmap])
	return u
}

// Unit is the vector unit. It drives the accelerator's buffers exactly as
// the PE array does (components/protocol): a layer begins with the
// buffers' handshake, then the unit hands them its demand fold by fold:
// each cycle (row) the lanes read the next words of the input from the
// ifmap buffer (and of the second input from the filter buffer) and,
// Latency rows later, write the results to the ofmap buffer. A row is
// issued once the previous row's operands were served, so a read that
// waits for DRAM, or a write that finds the ofmap buffer full, stalls the
// lanes: that is where a vector layer's stall cycles come from, with the
// ideal channels and with a real memory alike.
//
// The row logic is the array's (systolic.Array): the unit works in
// segments that end at the next row whose reads were late, and wakes once
// per segment, never per cycle.
type Unit struct {
	*protocol.TickingComponent

	clock    *protocol.Clock
	ctrl     sim.Port
	ports    [3]sim.Port // toward the buffers, by operand
	bufDst   [3]sim.Port // the buffers' "Top" ports
	outbox   protocol.Outbox
	cfg      Config
	off      Offsets
	foldRows int64

	queue []*RunReq
	req   *RunReq

	// layer state
	streams   [3]*stream // the filter stream is nil for a one-input layer
	nBufs     int        // buffers the layer uses
	begun     int
	lead      int64
	origin    int64
	rows      int64 // the layer's rows: Latency + compute rows
	fold      int   // the fold being issued; -1 before the first
	waitEnd   int
	nextCycle int64
	lastDone  int64
	result    Result
	layerTask string

	// fold state
	demands [3]protocol.Demand
	first   int64
	through [2]int64
	heard   [2]bool
	late    []protocol.LateRow
	segFrom int
	writing bool
	written *protocol.WriteRsp
	sched   protocol.Schedule
}

// Connect points the unit's buffer ports at the buffers' "Top" ports.
func (u *Unit) Connect(ifmap, filter, ofmap sim.Port) {
	u.bufDst = [3]sim.Port{ifmap, filter, ofmap}
}

// Config returns the unit's cost model.
func (u *Unit) Config() Config { return u.cfg }

// Tick handles messages and sends what is due until there is nothing left
// to do; a message, a free connection or the time of a held message wakes
// it again.
func (u *Unit) Tick(now sim.VTimeInSec) bool {
	for u.step(now) {
	}
	return false
}

func (u *Unit) step(now sim.VTimeInSec) bool {
	progress := u.clock.Flush(&u.outbox, now)
	if msg := u.ctrl.Retrieve(now); msg != nil {
		req, ok := msg.(*RunReq)
		if !ok {
			panic(fmt.Sprintf("vector: unit got an unknown control message %T", msg))
		}
		u.queue = append(u.queue, req)
		return true
	}
	if u.req == nil && len(u.queue) > 0 {
		u.begin(now)
		return true
	}
	for _, p := range u.ports {
		if msg := p.Retrieve(now); msg != nil {
			u.handle(now, msg)
			return true
		}
	}
	return progress
}

func (u *Unit) toBuffer(op protocol.Operand, msg sim.Msg) {
	u.outbox.Queue(u.ports[op], u.bufDst[op], msg)
}

// used lists the buffers the current layer streams through.
func (u *Unit) used() []protocol.Operand {
	if u.streams[protocol.Filter] == nil {
		return []protocol.Operand{protocol.Ifmap, protocol.Ofmap}
	}
	return []protocol.Operand{protocol.Ifmap, protocol.Filter, protocol.Ofmap}
}

// begin starts the first queued layer, or answers it at once: with the
// reason it cannot run, or, for a fused layer, with no cycles at all.
func (u *Unit) begin(now sim.VTimeInSec) {
	req := u.queue[0]
	u.queue = u.queue[1:]
	l := req.Layer
	err := l.Validate()
	var rows int64
	if err == nil {
		rows, err = u.cfg.ComputeRows(l)
	}
	if err != nil || l.Fused {
		u.outbox.Queue(u.ctrl, req.Src, &RunRsp{RspTo: req.ID, Err: err,
			Result: Result{Layer: req.Index, Fused: err == nil}})
		return
	}
	u.req = req
	lat := int64(u.cfg.Latency)
	u.rows = lat + rows
	u.result = Result{Layer: req.Index, ComputeCycles: u.rows}
	u.nextCycle, u.lastDone, u.begun, u.lead, u.fold = 0, 0, 0, 0, -1
	mk := func(op protocol.Operand, base, words, from int64) *stream {
		return &stream{op: op, base: base, words: words, from: from, span: rows, total: u.rows, foldRows: u.foldRows}
	}
	u.streams = [3]*stream{mk(protocol.Ifmap, u.off.In, l.In, 0), nil, mk(protocol.Ofmap, u.off.Out, l.Elements, lat)}
	if l.Aux > 0 {
		u.streams[protocol.Filter] = mk(protocol.Filter, u.off.Aux, l.Aux, 0)
	}
	if u.NumHooks() > 0 {
		u.layerTask = sim.GetIDGenerator().Generate()
		tracing.StartTask(u.layerTask, "", u, "layer", l.Name, req)
	}
	used := u.used()
	u.nBufs = len(used)
	for _, op := range used {
		s := u.streams[op]
		if op == protocol.Ofmap {
			u.toBuffer(op, &protocol.LayerBeginReq{Layer: req.Index})
			continue
		}
		u.toBuffer(op, &protocol.LayerBeginReq{Layer: req.Index, Fill: s, Stream: s})
	}
}

func (u *Unit) handle(now sim.VTimeInSec, msg sim.Msg) {
	switch m := msg.(type) {
	case *protocol.LayerBeginRsp:
		u.lead = max(u.lead, m.Lead)
		if u.begun++; u.begun == u.nBufs {
			u.start(now)
		}
	case *protocol.ReadFoldRsp:
		u.late = protocol.MergeLate(u.late, int(m.Operand), m.Ready)
		u.through[m.Operand] = m.Through
		u.heard[m.Operand] = true
		u.advance()
	case *protocol.WriteRsp:
		u.writing, u.written = false, m
		u.advance()
	case *protocol.LayerEndRsp:
		if u.waitEnd--; u.waitEnd == 0 {
			u.finish(now)
		}
	default:
		panic(fmt.Sprintf("vector: unit got an unknown message %T", msg))
	}
}

// start fixes the layer's origin as the array does: two cycles on top of
// the largest lead leave every first fill its own time.
func (u *Unit) start(now sim.VTimeInSec) {
	u.origin = u.clock.Cycle(now) + u.lead + 2
	u.result.Origin = u.origin
	for _, op := range u.used() {
		u.toBuffer(op, &protocol.LayerStartReq{Origin: u.origin})
	}
	u.startFold(0)
}

func (u *Unit) startFold(f int) {
	u.fold = f
	for _, op := range u.used() {
		u.demands[op] = u.streams[op].FoldDemand(f)
	}
	u.first = u.demands[protocol.Ifmap].FirstRow()
	u.sched = protocol.Schedule{FirstRow: u.first, FirstCycle: u.nextCycle}
	u.late = u.late[:0]
	u.through = [2]int64{u.first, u.first}
	u.heard = [2]bool{}
	if u.streams[protocol.Filter] == nil {
		u.through[protocol.Filter], u.heard[protocol.Filter] = math.MaxInt64, true
	}
	u.segFrom = 0
	u.toBuffer(protocol.Ifmap, &protocol.ReadFoldReq{Demand: u.demands[protocol.Ifmap]})
	if u.streams[protocol.Filter] != nil {
		u.toBuffer(protocol.Filter, &protocol.ReadFoldReq{Demand: u.demands[protocol.Filter]})
	}
}

// advance ends the current segment once its last row's reads are known
// and hands the ofmap buffer the next one: the rows up to and including
// the next late row, or up to the row the read buffers are waiting on.
func (u *Unit) advance() {
	if u.fold < 0 || u.writing || !u.heard[0] || !u.heard[1] {
		return
	}
	known := min(u.through[0], u.through[1]) - u.first
	d := u.demands[protocol.Ofmap]
	if u.written != nil {
		if int64(u.segFrom) > known && known < int64(d.Rows()) {
			return // the reads of the segment's last row are not known yet
		}
		w := u.written
		u.written = nil
		if !u.endSegment(w) {
			return
		}
		d = u.demands[protocol.Ofmap]
		known = min(u.through[0], u.through[1]) - u.first
	}
	to := int(min(known+1, int64(d.Rows())))
	if len(u.late) > 0 && u.late[0].Row-u.first < known {
		to = int(u.late[0].Row-u.first) + 1
	}
	if to <= u.segFrom {
		return // wait for the read buffers
	}
	last := u.fold == u.streams[protocol.Ifmap].NumFolds()-1 && to == d.Rows()
	u.outbox.QueueAt(u.ports[protocol.Ofmap], u.bufDst[protocol.Ofmap],
		&protocol.WriteReq{Demand: d, From: u.segFrom, To: to, Cycle: u.nextCycle, Last: last},
		u.clock.Time(u.origin+u.nextCycle))
	u.writing = true
	u.segFrom = to
}

// endSegment applies the stall of the segment's last row: the largest of
// its write wait and its reads' lateness. At the end of a fold it tells
// the read buffers when each row was issued and goes on with the next fold
// (or ends the layer); it reports whether more rows of a fold are to be
// issued.
func (u *Unit) endSegment(m *protocol.WriteRsp) bool {
	d := u.demands[protocol.Ofmap]
	u.sched.Jumps = append(u.sched.Jumps, m.Jumps...)
	lastRow := u.first + int64(u.segFrom) - 1
	stall, by, late := protocol.SegmentStall(u.late, lastRow, m)
	u.late = late
	if by >= 0 {
		u.result.StallBy[by] += stall
	}
	u.lastDone = m.LastAccepted
	u.nextCycle = m.LastCycle + 1 + stall
	if u.segFrom < d.Rows() {
		if stall > 0 {
			u.sched.Jumps = append(u.sched.Jumps, protocol.RowReady{Row: lastRow + 1, Cycle: u.nextCycle})
		}
		return true
	}
	for _, op := range u.used() {
		if op != protocol.Ofmap {
			u.toBuffer(op, &protocol.FoldTimingReq{Demand: u.demands[op], Schedule: u.sched})
		}
	}
	if u.fold+1 < u.streams[protocol.Ifmap].NumFolds() {
		u.startFold(u.fold + 1)
		return false
	}
	u.fold = -1
	u.waitEnd = u.nBufs
	for _, op := range u.used() {
		u.toBuffer(op, &protocol.LayerEndReq{LastCycle: u.lastDone})
	}
	return false
}

// finish answers the layer's request once every buffer is done with it,
// its DRAM traffic included.
func (u *Unit) finish(now sim.VTimeInSec) {
	r := &u.result
	r.StallCycles = u.nextCycle - u.rows
	r.StallBy[protocol.Ofmap] = r.StallCycles - r.StallBy[protocol.Ifmap] - r.StallBy[protocol.Filter]
	r.TotalCycles = r.ComputeCycles + r.StallCycles
	r.End = u.clock.Cycle(now) - u.origin
	u.outbox.Queue(u.ctrl, u.req.Src, &RunRsp{RspTo: u.req.ID, Result: *r})
	if u.layerTask != "" {
		tracing.EndTask(u.layerTask, u)
		u.layerTask = ""
	}
	u.req = nil
	u.streams = [3]*stream{}
}
