package systolic

import (
	"fmt"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// RunLayerReq asks an accelerator, through its sequencer's "Ctrl" port, to
// simulate one layer. Requests are served one after the other, in the order
// they arrive; each is answered with a RunLayerRsp once the layer, its DRAM
// traffic included, has finished.
type RunLayerReq struct {
	sim.MsgMeta
	// Index is the layer's number, as reports and traces name it.
	Index int
	Layer Layer
	// Offsets, if not nil, replace the accelerator's operand base addresses
	// for this layer: a core of a multi-core NPU runs its share of a layer
	// on its slice of the shared tensors.
	Offsets *Offsets
}

// Meta returns the message meta.
func (m *RunLayerReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// RunLayerReqBuilder builds RunLayerReqs, with a fresh ID, as akita's
// message builders do.
type RunLayerReqBuilder struct {
	src, dst sim.Port
	sendTime sim.VTimeInSec
	index    int
	layer    Layer
	offsets  *Offsets
}

// MakeRunLayerReqBuilder returns an empty builder.
func MakeRunLayerReqBuilder() RunLayerReqBuilder { return RunLayerReqBuilder{} }

// WithSrc sets the port the answer goes to.
func (b RunLayerReqBuilder) WithSrc(p sim.Port) RunLayerReqBuilder { b.src = p; return b }

// WithDst sets the accelerator's control port.
func (b RunLayerReqBuilder) WithDst(p sim.Port) RunLayerReqBuilder { b.dst = p; return b }

// WithSendTime sets the send time.
func (b RunLayerReqBuilder) WithSendTime(t sim.VTimeInSec) RunLayerReqBuilder {
	b.sendTime = t
	return b
}

// WithIndex sets the layer's number.
func (b RunLayerReqBuilder) WithIndex(i int) RunLayerReqBuilder { b.index = i; return b }

// WithLayer sets the layer.
func (b RunLayerReqBuilder) WithLayer(l Layer) RunLayerReqBuilder { b.layer = l; return b }

// WithOffsets replaces the accelerator's operand base addresses for the
// layer.
func (b RunLayerReqBuilder) WithOffsets(o Offsets) RunLayerReqBuilder { b.offsets = &o; return b }

// Build returns the request with a new ID.
func (b RunLayerReqBuilder) Build() *RunLayerReq {
	r := &RunLayerReq{Index: b.index, Layer: b.layer, Offsets: b.offsets}
	r.ID = sim.GetIDGenerator().Generate()
	r.Src, r.Dst, r.SendTime = b.src, b.dst, b.sendTime
	return r
}

// RunLayerRsp answers a RunLayerReq. Err is set, and Result empty, when the
// layer cannot be simulated (it fails Layer.Validate, or the accelerator's
// sparsity cannot map it).
type RunLayerRsp struct {
	sim.MsgMeta
	RspTo  string
	Result LayerResult
	Err    error
}

// Meta returns the message meta.
func (m *RunLayerRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// GetRspTo returns the ID of the request.
func (m *RunLayerRsp) GetRspTo() string { return m.RspTo }

// LayerReq starts a layer at the array.
type LayerReq struct {
	sim.MsgMeta
	Layer   int
	Mapping *Mapping
}

// Meta returns the message meta.
func (m *LayerReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// FoldReq asks the array to compute folds [Fold, Fold+Count) of the current
// layer, one after the other. Last marks the layer's last folds.
type FoldReq struct {
	sim.MsgMeta
	Fold  int
	Count int
	Last  bool
}

// Meta returns the message meta.
func (m *FoldReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// FoldDoneRsp says the array has issued every row of the folds of a
// FoldReq.
type FoldDoneRsp struct {
	sim.MsgMeta
	Fold  int
	Count int
}

// Meta returns the message meta.
func (m *FoldDoneRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// EndLayerReq asks the array to finish the layer (buffers drain).
type EndLayerReq struct {
	sim.MsgMeta
}

// Meta returns the message meta.
func (m *EndLayerReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// LayerDoneRsp carries the array's figures for the finished layer.
type LayerDoneRsp struct {
	sim.MsgMeta
	Result LayerResult
}

// Meta returns the message meta.
func (m *LayerDoneRsp) Meta() *sim.MsgMeta { return &m.MsgMeta }

// LayerResult is the compute side of a finished layer.
type LayerResult struct {
	Layer int
	// TotalCycles is SCALE-Sim's "Total Cycles": the cycle the last row's
	// ofmap write was accepted, which is one less than the cycles the
	// layer took (a SCALE-Sim quirk kept for compatibility).
	TotalCycles int64
	StallCycles int64
	// StallBy splits StallCycles by the operand that caused each stall
	// (ifmap, filter, ofmap): a row's stall goes to the read that was
	// latest, or to the ofmap buffer when the write waited longest. Every
	// stall comes from memory: the PE array itself never waits.
	StallBy [3]int64
	Folds   int
	// Origin is the engine cycle of the layer's cycle 0; End is the layer
	// cycle at which the layer was over, its last DRAM traffic included
	// (at least TotalCycles).
	Origin, End int64

	mappingSum, utilSum float64 // summed in fold order, as SCALE-Sim does
}

// MappingEfficiency is SCALE-Sim's "Mapping Efficiency %".
func (r LayerResult) MappingEfficiency() float64 {
	return r.mappingSum / float64(r.Folds) * 100
}

// ComputeUtil is SCALE-Sim's "Compute Util %".
func (r LayerResult) ComputeUtil() float64 {
	return r.utilSum / float64(r.Folds) * 100
}

// HookPosFoldDone is the hook position a Sequencer invokes after each fold;
// the hook's Item is a FoldProgress. Runners use it to show progress.
var HookPosFoldDone = &sim.HookPos{Name: "FoldDone"}

// FoldProgress says how many of a layer's folds are done.
type FoldProgress struct {
	Layer       int
	Done, Total int
}

// Sequencer is the accelerator's controller. Another component (a host, a
// GPU model, the standalone driver behind Accelerator.RunLayer) sends it
// RunLayerReqs on its "Ctrl" port; it maps each layer onto the array and
// walks its folds in SCALE-Sim's order (column folds outside, row folds
// inside), handing the array one fold at a time (or a few consecutive ones
// when they are short) on its "Out" port. It knows nothing about memory.
type Sequencer struct {
	*protocol.TickingComponent

	ctrl, out sim.Port
	arrayDst  sim.Port
	outbox    protocol.Outbox

	rows, cols int
	dataflow   Dataflow
	offsets    Offsets
	sparsity   Sparsity

	queue    []*RunLayerReq // waiting behind the current layer
	req      *RunLayerReq   // the layer being simulated
	m        *Mapping
	nextFold int
}

// BuildSequencer creates a sequencer with port "Ctrl" (toward whoever
// starts layers) and port "Out" (toward the array). It maps layers with the
// builder's array size, dataflow and offsets.
func (b Builder) BuildSequencer(name string) *Sequencer {
	s := &Sequencer{rows: b.rows, cols: b.cols, dataflow: b.dataflow, offsets: b.offsets, sparsity: b.sparsity}
	s.TickingComponent = protocol.NewTickingComponent(name, b.engine, b.freq, s)
	s.ctrl = sim.NewLimitNumMsgPort(s, 4, name+".Ctrl")
	s.AddPort("Ctrl", s.ctrl)
	s.out = sim.NewLimitNumMsgPort(s, 4, name+".Out")
	s.AddPort("Out", s.out)
	return s
}

// Connect points the sequencer at the array's "Ctrl" port.
func (s *Sequencer) Connect(arrayCtrl sim.Port) { s.arrayDst = arrayCtrl }

// Tick takes requests and the array's answers and sends what they produce
// until there is nothing left to do; a message or a free connection wakes
// it again.
func (s *Sequencer) Tick(now sim.VTimeInSec) bool {
	for s.step(now) {
	}
	return false
}

func (s *Sequencer) step(now sim.VTimeInSec) bool {
	progress := s.outbox.Flush(now)
	if msg := s.ctrl.Retrieve(now); msg != nil {
		req, ok := msg.(*RunLayerReq)
		if !ok {
			panic(fmt.Sprintf("systolic: sequencer got an unknown control message %T", msg))
		}
		s.queue = append(s.queue, req)
		return true
	}
	if s.req == nil && len(s.queue) > 0 {
		s.begin()
		return true
	}
	msg := s.out.Retrieve(now)
	if msg == nil {
		return progress
	}
	switch m := msg.(type) {
	case *FoldDoneRsp:
		if s.NumHooks() > 0 {
			s.InvokeHook(sim.HookCtx{Domain: s, Pos: HookPosFoldDone,
				Item: FoldProgress{Layer: s.req.Index, Done: m.Fold + m.Count, Total: s.m.NumFolds()}})
		}
		if s.nextFold < s.m.NumFolds() {
			s.sendFold()
		} else {
			s.send(&EndLayerReq{})
		}
	case *LayerDoneRsp:
		s.outbox.Queue(s.ctrl, s.req.Src, &RunLayerRsp{RspTo: s.req.ID, Result: m.Result})
		s.req, s.m = nil, nil
	default:
		panic(fmt.Sprintf("systolic: sequencer got an unknown message %T", msg))
	}
	return true
}

// begin starts the first queued layer, or answers it at once with the
// reason it cannot run.
func (s *Sequencer) begin() {
	req := s.queue[0]
	s.queue = s.queue[1:]
	if req.Src == nil {
		panic(fmt.Sprintf("systolic: %s: RunLayerReq without a source port: nowhere to answer (build it with MakeRunLayerReqBuilder)", s.Name()))
	}
	if req.ID == "" {
		// The answer could not be told from another one: refuse the layer.
		s.outbox.Queue(s.ctrl, req.Src, &RunLayerRsp{
			Err: fmt.Errorf("layer %d (%s): RunLayerReq has no ID (build it with MakeRunLayerReqBuilder)", req.Index, req.Layer.Name)})
		return
	}
	off := s.offsets
	if req.Offsets != nil {
		off = *req.Offsets
	}
	m, err := s.mapping(req.Layer, off)
	if err != nil {
		s.outbox.Queue(s.ctrl, req.Src, &RunLayerRsp{RspTo: req.ID,
			Err: fmt.Errorf("layer %d (%s): %w", req.Index, req.Layer.Name, err)})
		return
	}
	s.req, s.m = req, m
	s.nextFold = 0
	s.send(&LayerReq{Layer: req.Index, Mapping: s.m})
	s.sendFold()
}

func (s *Sequencer) mapping(l Layer, off Offsets) (*Mapping, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return NewSparseMapping(l, s.dataflow, s.rows, s.cols, off, s.sparsity)
}

// minBatchRows is the fewest demand rows the sequencer hands the array at
// once: short folds (small arrays, short streams) are handed over several
// at a time, so that the messages per fold do not dominate the work.
const minBatchRows = 512

func (s *Sequencer) sendFold() {
	n := max(1, minBatchRows/s.m.FoldLen())
	n = min(n, s.m.NumFolds()-s.nextFold)
	s.send(&FoldReq{Fold: s.nextFold, Count: n, Last: s.nextFold+n == s.m.NumFolds()})
	s.nextFold += n
}

func (s *Sequencer) send(msg sim.Msg) {
	s.outbox.Queue(s.out, s.arrayDst, msg)
}
