// Package protocol defines the messages npusim's components exchange: the
// PE array with its operand buffers, and the buffers with their DRAM
// channels.
//
// # Timing model
//
// Engine time is modelled time. A layer starts at an engine cycle Origin
// (LayerStartReq), chosen late enough that the buffers' first DRAM fills,
// which SCALE-Sim places before the layer's cycle 0, can leave at their own
// time; the layer's cycle c is engine cycle Origin+c. Messages still carry
// cycles in their fields (At, Done, Cycle...), relative to Origin: a
// component works out when things happen at fold or burst granularity and
// sends each message no earlier than the engine time it stands for (bursts
// at Origin+At, write answers at the cycle the last row was accepted). A
// fold, a DRAM burst or a drain is one transaction, so a layer costs a
// handful of engine events per fold, never one per cycle or per word.
//
// # Array <-> buffers
//
//	array -> read buffer : LayerBeginReq, LayerStartReq, ReadFoldReq, FoldTimingReq, LayerEndReq
//	read buffer -> array : LayerBeginRsp, ReadFoldRsp, LayerEndRsp
//	array -> write buffer: LayerBeginReq, LayerStartReq, WriteReq, LayerEndReq
//	write buffer -> array: LayerBeginRsp, WriteRsp, LayerEndRsp
//
// # Buffers <-> DRAM
//
//	buffer -> channel: BurstReq (a read fill or a write drain)
//	channel -> buffer: BurstRsp (the cycle the last line completed)
//
// A DRAM channel is any akita component that answers BurstReq with BurstRsp;
// see package dram for the one SCALE-Sim's numbers come from.
package protocol

import "github.com/sarchlab/akita/v3/sim"

// Operand names one of the three operand streams.
type Operand int

// The three operands of a layer.
const (
	Ifmap Operand = iota
	Filter
	Ofmap
)

// String returns SCALE-Sim's spelling, as in trace file names.
func (o Operand) String() string {
	switch o {
	case Ifmap:
		return "IFMAP"
	case Filter:
		return "FILTER"
	}
	return "OFMAP"
}

// Demand is what the array reads from (or writes to) one buffer during one
// fold: one row of word addresses per cycle, Width slots wide. It is
// computed on demand from the fold geometry, never stored.
type Demand interface {
	// Operand the demand belongs to.
	Operand() Operand
	// FirstRow is the layer-wide index of local row 0.
	FirstRow() int64
	// Rows is the number of rows (cycles) of the fold.
	Rows() int
	// Width is the number of slots (SRAM ports) per row.
	Width() int
	// Row writes the addresses of local row t into buf[lo:hi]; slots outside
	// [lo, hi) are empty, slots inside may hold -1 too (an operand cell that
	// has no data). buf must have Width() slots.
	Row(t int, buf []int64) (lo, hi int)
	// Requests is the SRAM request count of the fold, SCALE-Sim's way.
	Requests() int64
	// Slice identifies the set of addresses the demand touches: two demands
	// of a layer with the same Slice touch the same addresses (in the same
	// order). Buffers use it to skip re-checking a slice they know is
	// resident.
	Slice() int64
}

// DemandStream is a layer's demand on one operand, fold by fold. A USER-mode
// read buffer walks it ahead of the array: what is resident never depends
// on time, so the buffer knows which fills it needs before the array gets
// there, and can send each at the cycle SCALE-Sim dates it.
type DemandStream interface {
	NumFolds() int
	FoldDemand(fold int) Demand
}

// FillOrder is the order in which a USER-bandwidth read buffer expects a
// layer's operand to arrive from DRAM (SCALE-Sim's prefetch matrix,
// flattened), -1 marking padding.
type FillOrder interface {
	// Len is the number of entries, padding included.
	Len() int64
	// Cursor starts a walk at entry 0.
	Cursor() FillCursor
}

// FillCursor walks a FillOrder.
type FillCursor interface {
	// Next returns the next entry; calling it more than Len times is an error.
	Next() int64
}

// Tracer receives trace rows: a cycle and the addresses of that cycle. The
// slice is only valid during the call.
type Tracer interface {
	Row(cycle int64, addrs []int64)
}

// LayerBeginReq starts a layer at a buffer.
type LayerBeginReq struct {
	sim.MsgMeta
	Layer int
	// Fill is the operand's DRAM fill order (read buffers in USER mode use
	// it; others ignore it).
	Fill FillOrder
	// Stream is the operand's demand (read buffers in USER mode walk it).
	Stream DemandStream
	// Task is the akita tracing task of the layer ("" when the sender is
	// not traced): the parent of the buffer's bursts before the first fold.
	Task string
}

// Meta returns the message meta.
func (m *LayerBeginReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// LayerBeginRsp answers a LayerBeginReq: the buffer needs the layer to start
// at least Lead cycles from now (its first fill is dated that early).
type LayerBeginRsp struct {
	sim.MsgMeta
	Operand Operand
	Lead    int64
}

// Meta returns the message meta.
func (m *LayerBeginRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// LayerStartReq fixes the engine cycle of the layer's cycle 0.
type LayerStartReq struct {
	sim.MsgMeta
	Origin int64
}

// Meta returns the message meta.
func (m *LayerStartReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// ReadFoldReq asks a read buffer to serve one fold's demand (or that of a
// run of consecutive folds, which continue each other row for row). The buffer
// answers with, for every row that had to wait for DRAM, the cycle its data
// is ready; that does not depend on when the rows are issued. It may answer
// in parts (see ReadFoldRsp.Through) while it waits for fills.
type ReadFoldReq struct {
	sim.MsgMeta
	Demand Demand
	// Task is the akita tracing task of the fold ("" when untraced): the
	// parent of the bursts the buffer sends while serving it.
	Task string
}

// Meta returns the message meta.
func (m *ReadFoldReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// RowReady says the data of row Row (layer-wide index) is ready at Cycle.
type RowReady struct {
	Row   int64
	Cycle int64
}

// ReadFoldRsp answers a ReadFoldReq, listing the rows that waited for DRAM in
// increasing row order. It covers the layer rows before Through: when
// Through is short of the request's last row, the buffer is waiting for a
// fill that row Through needs, and another ReadFoldRsp follows.
type ReadFoldRsp struct {
	sim.MsgMeta
	Operand Operand
	Ready   []RowReady
	Through int64
}

// Meta returns the message meta.
func (m *ReadFoldRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// Schedule maps a fold's rows to the cycles the array issued them. Cycles
// increase by one per row except at the listed jumps (stalls).
type Schedule struct {
	FirstRow   int64
	FirstCycle int64
	Jumps      []RowReady // rows whose cycle is more than one after the previous row's
}

// Cycle returns the cycle of layer-wide row r, which must lie at or after
// FirstRow. Rows are looked up in increasing order by the callers, so a
// hint (the index of the last jump used) keeps the lookup linear overall.
func (s *Schedule) Cycle(r int64, hint *int) int64 {
	base, cyc := s.FirstRow, s.FirstCycle
	i := *hint
	for i < len(s.Jumps) && s.Jumps[i].Row <= r {
		i++
	}
	*hint = i
	if i > 0 {
		base, cyc = s.Jumps[i-1].Row, s.Jumps[i-1].Cycle
	}
	return cyc + r - base
}

// FoldTimingReq tells a read buffer when the array issued each row of the
// fold it served last, so that it can time what depends on the array's
// clock (SCALE-Sim's CALC-mode DRAM estimate and the SRAM trace).
type FoldTimingReq struct {
	sim.MsgMeta
	Demand   Demand
	Schedule Schedule
}

// Meta returns the message meta.
func (m *FoldTimingReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// WriteReq asks the write buffer to accept rows [From, To) of a fold's
// demand, the first at cycle Cycle. Each row after the first is issued the
// cycle after the previous one was accepted. Last marks the layer's last
// rows: the buffer then drains everything it holds.
type WriteReq struct {
	sim.MsgMeta
	Demand   Demand
	From, To int
	Cycle    int64
	Last     bool
	// Task is the akita tracing task of the fold ("" when untraced): the
	// parent of the drains the rows cause.
	Task string
}

// Meta returns the message meta.
func (m *WriteReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// WriteRsp answers a WriteReq, at the cycle the last row was accepted: the
// cycle that row was issued and the cycle it was accepted, plus every row in
// between whose issue was delayed because the buffer was full.
type WriteRsp struct {
	sim.MsgMeta
	LastCycle    int64
	LastAccepted int64
	Jumps        []RowReady
}

// Meta returns the message meta.
func (m *WriteRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// LayerEndReq ends a layer: buffers complete or drain what they hold.
// LastCycle is the cycle the array's last row was accepted.
type LayerEndReq struct {
	sim.MsgMeta
	LastCycle int64
}

// Meta returns the message meta.
func (m *LayerEndReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// LayerEndRsp says a buffer has finished the layer, DRAM traffic included.
type LayerEndRsp struct {
	sim.MsgMeta
	Operand Operand
}

// Meta returns the message meta.
func (m *LayerEndRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// AddrRange is a run of consecutive word addresses [Start, End).
type AddrRange struct {
	Start, End int64
}

// Len is the number of words in the range.
func (r AddrRange) Len() int64 { return r.End - r.Start }

// WordBlock counts the words a burst moves in one aligned block of
// memory: Start is the word address of the block's first word, Words how
// many of the burst's words fall in the block.
type WordBlock struct {
	Start, Words int64
}

// BurstReq moves Lines lines of LineWords words between a buffer and DRAM,
// starting at cycle At: a fill (read) or a drain (write). A channel at
// least LineWords words per cycle wide moves one line per cycle.
//
// Cycles are relative to the layer's cycle 0, which is engine cycle Origin
// (engine time Origin periods of the sender's clock). A buffer sends a
// burst at engine cycle Origin+At or later, never earlier.
type BurstReq struct {
	sim.MsgMeta
	Write     bool
	Origin    int64
	At        int64
	Lines     int
	LineWords int
	// Words is the amount of data the burst moves, as SCALE-Sim counts it
	// (its fills count padding; its drains count some).
	Words int64
	// Data holds the addresses of each line when traces are recorded, else
	// nil.
	Data [][]int64
	// Ranges are the word addresses the burst really moves, as runs, when
	// the buffer was built to report them (a memory that needs addresses
	// is behind it), else nil. Their total length can differ from Words,
	// which follows SCALE-Sim's counting.
	Ranges []AddrRange
	// Blocks replace Ranges when the buffer was built to count its words
	// per aligned block of BlockWords words (a memory that serves whole
	// blocks is behind it, see BlockServer): every block the burst
	// touches, in increasing address order, once, with the number of its
	// words the burst moves. A convolution's fill visits a block's words
	// far apart, so its Ranges hold about one run per word; its Blocks one
	// entry per block (1/64 of that for one-byte words in 64-byte blocks).
	Blocks     []WordBlock
	BlockWords int64
	// ParentTask is the akita tracing task the burst belongs to (the fold,
	// or the layer, being served when it was queued; "" when untraced).
	// The buffer traces the burst as a task with the message's ID under
	// it; whoever serves the burst traces its work under that ID (see
	// dram.Channel and dram.Adapter), so that a trace links each memory
	// request to the fold that caused it.
	ParentTask string
}

// Meta returns the message meta.
func (m *BurstReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// BurstServer is a component that serves BurstReqs and says which clock
// it counts their cycles in. A burst's At, Origin and Done are cycles of
// the accelerator's clock, so whatever serves it must run that clock;
// components.Builder refuses a memory port whose component says otherwise.
type BurstServer interface {
	BurstFreq() sim.Freq
}

// BlockServer is a BurstServer that serves memory in aligned blocks of
// BurstBlockBytes bytes (a power of two) and takes bursts that count their
// words per block (BurstReq.Blocks). components.Builder makes the buffers
// in front of one send Blocks whenever a block holds a power-of-two
// number of words, Ranges otherwise.
type BlockServer interface {
	BurstServer
	BurstBlockBytes() int
}

// BurstRsp completes a BurstReq; Done is the cycle its last line completed,
// relative to the request's Origin. A responder that times the burst itself
// (the ideal channel) sends it at engine cycle Origin+Done-1, so that the
// buffer, one hop away, handles it at Origin+Done; one that learns the
// completion from a memory sends it as soon as it knows.
type BurstRsp struct {
	sim.MsgMeta
	RspTo string
	Done  int64
}

// Meta returns the message meta.
func (m *BurstRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// GetRspTo returns the ID of the request.
func (m *BurstRsp) GetRspTo() string { return m.RspTo }
