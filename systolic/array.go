package systolic

import (
	"fmt"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

// Array is the PE array. It receives a layer's folds from the Sequencer
// and, for each, issues the fold's operand demand to the three buffers one
// cycle per demand row. This is where stalls come from: a row is issued when
// the previous row's operands were all served, so each row adds
//
//	max(ifmap lateness, filter lateness, ofmap lateness)
//
// cycles of stall, where a read is late by how much its data arrives after
// the cycle following the row's issue (the buffers report it) and a write
// by how long the ofmap buffer made the row wait (it reports that too).
//
// # Time
//
// Engine time is modelled time. A layer starts with a handshake: the
// buffers say how early their first traffic must leave (LayerBeginRsp), and
// the array fixes the engine cycle Origin of the layer's cycle 0 late
// enough for all of them (LayerStartReq). From then on the array works in
// segments of a fold: it hands the write buffer the rows from the current
// one up to the next row whose reads were late (or to the last row the read
// buffers have answered for), sending that request at the engine time of
// the segment's first row; the write buffer answers at the cycle the
// segment's last row was accepted, which is when the array wakes to apply
// that row's stall and go on. So the array wakes once per segment (a fold
// without late reads is one segment), never per cycle, and the engine clock
// follows the modelled one; it lags by at most the message hops that
// separate a wait from the answer that ends it (two or three cycles),
// which changes no figure since every message carries its cycles.
//
// After a fold the array tells the read buffers when it issued each row
// (FoldTimingReq), which times what depends on the array's clock (the SRAM
// trace and SCALE-Sim's CALC-mode DRAM estimate).
type Array struct {
	*protocol.TickingComponent

	clock                      *protocol.Clock
	ctrl, ifmap, filter, ofmap sim.Port
	bufDst                     [3]sim.Port // the buffers' ports, by operand
	outbox                     protocol.Outbox

	m       *Mapping
	layer   int
	origin  int64
	begun   int   // LayerBeginRsps received
	lead    int64 // the largest lead they asked for
	started bool
	early   *FoldReq // a fold that arrived before the layer started

	// fold state
	fold    *FoldReq
	demands [3]protocol.Demand
	first   int64    // layer row of the fold's first row
	through [2]int64 // per read buffer: the rows before it are answered for
	heard   [2]bool  // per read buffer: it has answered for the fold
	late    []protocol.LateRow
	segFrom int
	writing bool               // a WriteReq is out
	written *protocol.WriteRsp // its answer, waiting for the last row's reads
	sched   protocol.Schedule
	waitEnd int
	endReq  *EndLayerReq

	// akita tracing tasks (IDs), for tracers attached with
	// tracing.CollectTrace: one per layer, one per fold (or run of folds)
	layerTask, foldTask string

	// layer state
	nextCycle int64 // issue cycle of the next row
	lastDone  int64 // cycle the last row's ofmap write was accepted
	result    LayerResult
}

// Builder builds Arrays and Sequencers.
type Builder struct {
	engine     sim.Engine
	freq       sim.Freq
	rows, cols int
	dataflow   Dataflow
	offsets    Offsets
	sparsity   Sparsity
}

// MakeBuilder returns a builder at 1 GHz for a 32x32 output-stationary
// array with SCALE-Sim's default operand offsets.
func MakeBuilder() Builder {
	return Builder{freq: 1 * sim.GHz, rows: 32, cols: 32, dataflow: OS,
		offsets: Offsets{Ifmap: 0, Filter: 10000000, Ofmap: 20000000}}
}

// WithEngine sets the engine.
func (b Builder) WithEngine(e sim.Engine) Builder { b.engine = e; return b }

// WithFreq sets the clock.
func (b Builder) WithFreq(f sim.Freq) Builder { b.freq = f; return b }

// WithArray sets the array size a Sequencer maps layers onto.
func (b Builder) WithArray(rows, cols int) Builder { b.rows, b.cols = rows, cols; return b }

// WithDataflow sets the dataflow a Sequencer maps layers with.
func (b Builder) WithDataflow(df Dataflow) Builder { b.dataflow = df; return b }

// WithOffsets sets the operands' base addresses a Sequencer maps layers at.
func (b Builder) WithOffsets(o Offsets) Builder { b.offsets = o; return b }

// WithSparsity sets SCALE-Sim v3's filter sparsity a Sequencer maps layers
// with (the zero value: dense).
func (b Builder) WithSparsity(s Sparsity) Builder { b.sparsity = s; return b }

// Build creates an array with ports "Ctrl" (to the sequencer) and "Ifmap",
// "Filter", "Ofmap" (to the buffers).
func (b Builder) Build(name string) *Array {
	a := &Array{}
	a.TickingComponent = protocol.NewTickingComponent(name, b.engine, b.freq, a)
	a.clock = protocol.NewClock(b.engine, b.freq, a.TickingComponent)
	a.ctrl = sim.NewLimitNumMsgPort(a, 4, name+".Ctrl")
	a.AddPort("Ctrl", a.ctrl)
	a.ifmap = sim.NewLimitNumMsgPort(a, 4, name+".Ifmap")
	a.AddPort("Ifmap", a.ifmap)
	a.filter = sim.NewLimitNumMsgPort(a, 4, name+".Filter")
	a.AddPort("Filter", a.filter)
	a.ofmap = sim.NewLimitNumMsgPort(a, 4, name+".Ofmap")
	a.AddPort("Ofmap", a.ofmap)
	return a
}

// Connect points the array's buffer ports at the buffers' "Top" ports.
func (a *Array) Connect(ifmap, filter, ofmap sim.Port) {
	a.bufDst = [3]sim.Port{ifmap, filter, ofmap}
}

// Tick handles incoming messages and sends what is due until there is
// nothing left to do; a message, a free connection or the time of a held
// message wakes it again.
func (a *Array) Tick(now sim.VTimeInSec) bool {
	for a.step(now) {
	}
	return false
}

func (a *Array) step(now sim.VTimeInSec) bool {
	progress := a.clock.Flush(&a.outbox, now)
	for _, p := range []sim.Port{a.ifmap, a.filter, a.ofmap, a.ctrl} {
		if msg := p.Retrieve(now); msg != nil {
			a.handle(now, msg)
			return true
		}
	}
	return progress
}

func (a *Array) toBuffer(op protocol.Operand, msg sim.Msg) {
	a.outbox.Queue(a.bufPort(op), a.bufDst[op], msg)
}

func (a *Array) bufPort(op protocol.Operand) sim.Port {
	switch op {
	case protocol.Ifmap:
		return a.ifmap
	case protocol.Filter:
		return a.filter
	}
	return a.ofmap
}

func (a *Array) handle(now sim.VTimeInSec, msg sim.Msg) {
	switch m := msg.(type) {
	case *LayerReq:
		a.m, a.layer = m.Mapping, m.Layer
		a.nextCycle, a.lastDone = 0, 0
		a.begun, a.lead, a.started = 0, 0, false
		a.result = LayerResult{Layer: m.Layer}
		if a.NumHooks() > 0 {
			a.layerTask = sim.GetIDGenerator().Generate()
			tracing.StartTask(a.layerTask, "", a, "layer", m.Mapping.Layer.Name, m.Mapping)
		}
		for _, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter} {
			a.toBuffer(op, &protocol.LayerBeginReq{Layer: m.Layer,
				Fill: m.Mapping.FillOrder(op), Stream: m.Mapping.Stream(op), Task: a.layerTask})
		}
		a.toBuffer(protocol.Ofmap, &protocol.LayerBeginReq{Layer: m.Layer, Task: a.layerTask})
	case *protocol.LayerBeginRsp:
		a.lead = max(a.lead, m.Lead)
		if a.begun++; a.begun == 3 {
			a.start(now)
		}
	case *FoldReq:
		if !a.started {
			a.early = m
			return
		}
		a.startFold(m)
	case *protocol.ReadFoldRsp:
		a.late = protocol.MergeLate(a.late, int(m.Operand), m.Ready)
		a.through[m.Operand] = m.Through
		a.heard[m.Operand] = true
		a.advance()
	case *protocol.WriteRsp:
		a.writing, a.written = false, m
		a.advance()
	case *EndLayerReq:
		a.endReq = m
		a.waitEnd = 3
		for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
			a.toBuffer(op, &protocol.LayerEndReq{LastCycle: a.lastDone})
		}
	case *protocol.LayerEndRsp:
		if a.waitEnd--; a.waitEnd == 0 {
			a.result.TotalCycles = a.lastDone
			a.result.StallCycles = a.nextCycle - a.m.Rows()
			a.result.StallBy[protocol.Ofmap] = a.result.StallCycles -
				a.result.StallBy[protocol.Ifmap] - a.result.StallBy[protocol.Filter]
			a.result.End = a.clock.Cycle(now) - a.origin
			a.outbox.Queue(a.ctrl, a.endReq.Src, &LayerDoneRsp{Result: a.result})
			if a.layerTask != "" {
				tracing.EndTask(a.layerTask, a)
				a.layerTask = ""
			}
		}
	default:
		panic("systolic: array got an unknown message")
	}
}

// start fixes the layer's origin: the buffers' answers arrive the cycle
// after they were sent, and the start message takes one more hop, so two
// cycles on top of the largest lead leave every first fill its own time.
func (a *Array) start(now sim.VTimeInSec) {
	a.origin = a.clock.Cycle(now) + a.lead + 2
	a.result.Origin = a.origin
	a.started = true
	for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
		a.toBuffer(op, &protocol.LayerStartReq{Origin: a.origin})
	}
	if a.early != nil {
		a.startFold(a.early)
		a.early = nil
	}
}

func (a *Array) startFold(m *FoldReq) {
	a.fold = m
	if a.layerTask != "" {
		a.foldTask = sim.GetIDGenerator().Generate()
		tracing.StartTask(a.foldTask, a.layerTask, a, "fold", fmt.Sprintf("folds %d-%d", m.Fold, m.Fold+m.Count-1), m)
	}
	for i := m.Fold; i < m.Fold+m.Count; i++ {
		f := a.m.Fold(i)
		a.result.Folds++
		a.result.mappingSum += a.m.MappingEfficiency(f)
		a.result.utilSum += a.m.ComputeUtil(f)
	}
	for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
		a.demands[op] = a.m.FoldsDemand(m.Fold, m.Count, op)
	}
	a.first = a.demands[protocol.Ifmap].FirstRow()
	a.sched = protocol.Schedule{FirstRow: a.first, FirstCycle: a.nextCycle}
	a.late = a.late[:0]
	a.through = [2]int64{a.first, a.first}
	a.heard = [2]bool{}
	a.segFrom = 0
	a.toBuffer(protocol.Ifmap, &protocol.ReadFoldReq{Demand: a.demands[protocol.Ifmap], Task: a.foldTask})
	a.toBuffer(protocol.Filter, &protocol.ReadFoldReq{Demand: a.demands[protocol.Filter], Task: a.foldTask})
}

// advance ends the current segment once its last row's reads are known
// and hands the write buffer the next one: the rows up to and including
// the next late row or, when the read buffers have not answered that far
// yet, the row they are waiting on (its issue cycle is known; only the
// stall after it is not).
func (a *Array) advance() {
	if a.fold == nil || a.writing || !a.heard[0] || !a.heard[1] {
		return
	}
	known := min(a.through[0], a.through[1]) - a.first // rows before it are answered for
	if a.written != nil {
		if int64(a.segFrom) > known && known < int64(a.demands[protocol.Ofmap].Rows()) {
			return // the reads of the segment's last row are not known yet
		}
		a.endSegment(a.written)
		a.written = nil
		if a.fold == nil {
			return
		}
	}
	d := a.demands[protocol.Ofmap]
	to := int(min(known+1, int64(d.Rows())))
	if len(a.late) > 0 && a.late[0].Row-a.first < known {
		to = int(a.late[0].Row-a.first) + 1
	}
	if to <= a.segFrom {
		return // wait for the read buffers
	}
	last := a.fold.Last && to == d.Rows()
	a.outbox.QueueAt(a.ofmap, a.bufDst[protocol.Ofmap],
		&protocol.WriteReq{Demand: d, From: a.segFrom, To: to, Cycle: a.nextCycle, Last: last, Task: a.foldTask},
		a.clock.Time(a.origin+a.nextCycle))
	a.writing = true
	a.segFrom = to
}

// endSegment applies the stall of the segment's last row: the largest of
// its write wait and its reads' lateness.
func (a *Array) endSegment(m *protocol.WriteRsp) {
	d := a.demands[protocol.Ofmap]
	a.sched.Jumps = append(a.sched.Jumps, m.Jumps...)
	lastRow := a.first + int64(a.segFrom) - 1
	stall, by, late := protocol.SegmentStall(a.late, lastRow, m)
	a.late = late
	if by >= 0 {
		a.result.StallBy[by] += stall
	}
	a.lastDone = m.LastAccepted
	a.nextCycle = m.LastCycle + 1 + stall
	if a.segFrom < d.Rows() {
		if stall > 0 {
			a.sched.Jumps = append(a.sched.Jumps, protocol.RowReady{Row: lastRow + 1, Cycle: a.nextCycle})
		}
		return
	}
	for _, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter} {
		a.toBuffer(op, &protocol.FoldTimingReq{Demand: a.demands[op], Schedule: a.sched})
	}
	a.outbox.Queue(a.ctrl, a.fold.Src, &FoldDoneRsp{Fold: a.fold.Fold, Count: a.fold.Count})
	a.fold = nil
	if a.foldTask != "" {
		tracing.EndTask(a.foldTask, a)
		a.foldTask = ""
	}
}
