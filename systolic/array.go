package systolic

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
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
// Per fold the array sends one ReadFoldReq to each read buffer, then walks
// the fold with the write buffer in segments that end at the rows where a
// read was late, and finally tells the read buffers when it issued each row.
type Array struct {
	*sim.TickingComponent

	ctrl, ifmap, filter, ofmap sim.Port
	bufDst                     [3]sim.Port // the buffers' ports, by operand
	outbox                     protocol.Outbox

	m     *Mapping
	layer int

	// fold state
	fold     *FoldReq
	waitRead int
	ready    []protocol.RowReady // merged read lateness of the fold, by row
	nextRdy  int
	segFrom  int
	sched    protocol.Schedule
	demands  [3]protocol.Demand
	waitEnd  int
	endReq   *EndLayerReq

	// layer state
	nextCycle int64 // issue cycle of the next row
	lastDone  int64 // cycle the last row's ofmap write was accepted
	result    LayerResult
}

// Builder builds Arrays.
type Builder struct {
	engine sim.Engine
	freq   sim.Freq
}

// MakeBuilder returns a builder at 1 GHz.
func MakeBuilder() Builder { return Builder{freq: 1 * sim.GHz} }

// WithEngine sets the engine.
func (b Builder) WithEngine(e sim.Engine) Builder { b.engine = e; return b }

// WithFreq sets the clock.
func (b Builder) WithFreq(f sim.Freq) Builder { b.freq = f; return b }

// Build creates an array with ports "Ctrl" (to the sequencer) and "Ifmap",
// "Filter", "Ofmap" (to the buffers).
func (b Builder) Build(name string) *Array {
	a := &Array{}
	a.TickingComponent = sim.NewTickingComponent(name, b.engine, b.freq, a)
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

// Tick handles incoming messages and sends what they produce until there is
// nothing left to do; a message or a free connection wakes it again.
func (a *Array) Tick(now sim.VTimeInSec) bool {
	for a.step(now) {
	}
	return false
}

func (a *Array) step(now sim.VTimeInSec) bool {
	progress := a.outbox.Flush(now)
	for _, p := range []sim.Port{a.ifmap, a.filter, a.ofmap, a.ctrl} {
		if msg := p.Retrieve(now); msg != nil {
			a.handle(msg)
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

func (a *Array) handle(msg sim.Msg) {
	switch m := msg.(type) {
	case *LayerReq:
		a.m, a.layer = m.Mapping, m.Layer
		a.nextCycle, a.lastDone = 0, 0
		a.result = LayerResult{Layer: m.Layer}
		for _, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter} {
			a.toBuffer(op, &protocol.LayerBeginReq{Layer: m.Layer, Fill: m.Mapping.FillOrder(op)})
		}
		a.toBuffer(protocol.Ofmap, &protocol.LayerBeginReq{Layer: m.Layer})
	case *FoldReq:
		a.startFold(m)
	case *protocol.ReadFoldRsp:
		a.ready = mergeReady(a.ready, m.Ready)
		a.waitRead--
		if a.waitRead == 0 {
			a.segFrom, a.nextRdy = 0, 0
			a.writeSegment()
		}
	case *protocol.WriteRsp:
		a.endSegment(m)
	case *EndLayerReq:
		a.endReq = m
		a.waitEnd = 3
		for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
			a.toBuffer(op, &protocol.LayerEndReq{LastCycle: a.lastDone})
		}
	case *protocol.LayerEndRsp:
		a.waitEnd--
		if a.waitEnd == 0 {
			a.result.TotalCycles = a.lastDone
			a.result.StallCycles = a.nextCycle - a.m.Rows()
			a.outbox.Queue(a.ctrl, a.endReq.Src, &LayerDoneRsp{Result: a.result})
		}
	default:
		panic("systolic: array got an unknown message")
	}
}

func (a *Array) startFold(m *FoldReq) {
	a.fold = m
	for i := m.Fold; i < m.Fold+m.Count; i++ {
		f := a.m.Fold(i)
		a.result.Folds++
		a.result.mappingSum += a.m.MappingEfficiency(f)
		a.result.utilSum += a.m.ComputeUtil(f)
	}
	for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
		a.demands[op] = a.m.FoldsDemand(m.Fold, m.Count, op)
	}
	first := a.demands[protocol.Ifmap].FirstRow()
	a.sched = protocol.Schedule{FirstRow: first, FirstCycle: a.nextCycle}
	a.ready = a.ready[:0]
	a.waitRead = 2
	a.toBuffer(protocol.Ifmap, &protocol.ReadFoldReq{Demand: a.demands[protocol.Ifmap]})
	a.toBuffer(protocol.Filter, &protocol.ReadFoldReq{Demand: a.demands[protocol.Filter]})
}

// writeSegment issues rows from segFrom up to and including the next row
// whose reads were late (or to the end of the fold) to the write buffer.
func (a *Array) writeSegment() {
	d := a.demands[protocol.Ofmap]
	to := d.Rows()
	if a.nextRdy < len(a.ready) {
		to = int(a.ready[a.nextRdy].Row-d.FirstRow()) + 1
	}
	a.toBuffer(protocol.Ofmap, &protocol.WriteReq{Demand: d, From: a.segFrom, To: to, Cycle: a.nextCycle})
	a.segFrom = to
}

// endSegment applies the stall of the segment's last row: the largest of
// its write wait and its reads' lateness.
func (a *Array) endSegment(m *protocol.WriteRsp) {
	d := a.demands[protocol.Ofmap]
	a.sched.Jumps = append(a.sched.Jumps, m.Jumps...)
	stall := m.LastAccepted - m.LastCycle
	lastRow := d.FirstRow() + int64(a.segFrom) - 1
	if a.nextRdy < len(a.ready) && a.ready[a.nextRdy].Row == lastRow {
		stall = max(stall, a.ready[a.nextRdy].Cycle-m.LastCycle-1)
		a.nextRdy++
	}
	a.lastDone = m.LastAccepted
	a.nextCycle = m.LastCycle + 1 + stall
	if a.segFrom < d.Rows() {
		if stall > 0 {
			a.sched.Jumps = append(a.sched.Jumps, protocol.RowReady{Row: lastRow + 1, Cycle: a.nextCycle})
		}
		a.writeSegment()
		return
	}
	for _, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter} {
		a.toBuffer(op, &protocol.FoldTimingReq{Demand: a.demands[op], Schedule: a.sched})
	}
	a.outbox.Queue(a.ctrl, a.fold.Src, &FoldDoneRsp{Fold: a.fold.Fold, Count: a.fold.Count})
	a.fold = nil
}

// mergeReady merges two row-sorted lateness lists, keeping the later cycle
// for a row in both.
func mergeReady(a, b []protocol.RowReady) []protocol.RowReady {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return append(a, b...)
	}
	out := make([]protocol.RowReady, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Row < b[j].Row):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].Row < a[i].Row:
			out = append(out, b[j])
			j++
		default:
			out = append(out, protocol.RowReady{Row: a[i].Row, Cycle: max(a[i].Cycle, b[j].Cycle)})
			i++
			j++
		}
	}
	return out
}
