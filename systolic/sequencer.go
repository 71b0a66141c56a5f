package systolic

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// LayerReq starts a layer at the array.
type LayerReq struct {
	sim.MsgMeta
	Layer   int
	Mapping *Mapping
}

// Meta returns the message meta.
func (m *LayerReq) Meta() *sim.MsgMeta { return &m.MsgMeta }

// FoldReq asks the array to compute folds [Fold, Fold+Count) of the current
// layer, one after the other.
type FoldReq struct {
	sim.MsgMeta
	Fold  int
	Count int
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
	Folds       int

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

// Sequencer walks a layer's folds in SCALE-Sim's order (column folds
// outside, row folds inside), handing the array one fold at a time (or a few
// consecutive ones when they are short). It knows nothing about memory.
type Sequencer struct {
	*sim.TickingComponent

	out      sim.Port
	arrayDst sim.Port
	outbox   protocol.Outbox

	m        *Mapping
	layer    int
	nextFold int
	started  bool
	done     bool
	result   LayerResult
}

// BuildSequencer creates a sequencer with port "Out" toward the array.
func (b Builder) BuildSequencer(name string) *Sequencer {
	s := &Sequencer{}
	s.TickingComponent = sim.NewTickingComponent(name, b.engine, b.freq, s)
	s.out = sim.NewLimitNumMsgPort(s, 4, name+".Out")
	s.AddPort("Out", s.out)
	return s
}

// Connect points the sequencer at the array's "Ctrl" port.
func (s *Sequencer) Connect(arrayCtrl sim.Port) { s.arrayDst = arrayCtrl }

// StartLayer queues layer index i, mapped as m; run the engine to simulate
// it, then read Result.
func (s *Sequencer) StartLayer(i int, m *Mapping) {
	s.m, s.layer = m, i
	s.nextFold, s.started, s.done = 0, false, false
	s.TickLater(s.Engine.CurrentTime())
}

// Done reports whether the layer started last has finished.
func (s *Sequencer) Done() bool { return s.done }

// Result returns the array's figures for the finished layer.
func (s *Sequencer) Result() LayerResult { return s.result }

// Tick sends the next requests and takes the array's answers until there is
// nothing left to do; a message or a free connection wakes it again.
func (s *Sequencer) Tick(now sim.VTimeInSec) bool {
	for s.step(now) {
	}
	return false
}

func (s *Sequencer) step(now sim.VTimeInSec) bool {
	progress := s.outbox.Flush(now)
	if s.m == nil || s.done {
		return progress
	}
	if !s.started {
		s.started = true
		s.send(&LayerReq{Layer: s.layer, Mapping: s.m})
		s.sendFold()
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
				Item: FoldProgress{Layer: s.layer, Done: m.Fold + m.Count, Total: s.m.NumFolds()}})
		}
		if s.nextFold < s.m.NumFolds() {
			s.sendFold()
		} else {
			s.send(&EndLayerReq{})
		}
	case *LayerDoneRsp:
		s.result = m.Result
		s.done = true
	default:
		panic("systolic: sequencer got an unknown message")
	}
	return true
}

// minBatchRows is the fewest demand rows the sequencer hands the array at
// once: short folds (small arrays, short streams) are handed over several
// at a time, so that the messages per fold do not dominate the work.
const minBatchRows = 512

func (s *Sequencer) sendFold() {
	n := max(1, minBatchRows/s.m.FoldLen())
	n = min(n, s.m.NumFolds()-s.nextFold)
	s.send(&FoldReq{Fold: s.nextFold, Count: n})
	s.nextFold += n
}

func (s *Sequencer) send(msg sim.Msg) {
	s.outbox.Queue(s.out, s.arrayDst, msg)
}
