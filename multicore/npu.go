package multicore

import (
	"fmt"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/npusim/npusim/sram"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// Config describes a multi-core NPU: Cores copies of one core sharing one
// memory.
type Config struct {
	// Core builds each core; its engine, word size, bandwidth and DRAM
	// ports are set from the fields below.
	Core  components.Builder
	Cores int
	// Partition chooses the split of each layer; Grid is the split of the
	// Grid partition.
	Partition Partition
	Grid      Split
	// Memory is the shared memory. The ideal model (the zero value) gives
	// each core its own ideal channels: the cores then cannot contend.
	Memory dram.MemorySpec
	// Bandwidth is each core's interface width in words per cycle (USER
	// mode; 0 is CALC mode, which a real memory cannot serve) and
	// WordBytes its word size (0 means 1).
	Bandwidth, WordBytes int
	// Offsets are the whole layer's operand base addresses; shares get
	// their slices (Split.Shares).
	Offsets systolic.Offsets
	// EngineHooks are attached to every engine a run creates (a hook that
	// panics stops the run; the runner stops runs on SIGINT this way).
	EngineHooks []sim.Hook
	// Freq is the clock of the cores, the memory adapters and the
	// controller (0 means 1 GHz, the core builder's default).
	Freq sim.Freq
	// Parallel runs each layer on akita's parallel engine.
	Parallel bool
	// Trace, if not nil, gives each core's tracers as a run builds the
	// cores: Run asks it for every share (an empty one too, whose traces
	// stay empty), in core order, before the layer starts; RunLayer traces
	// only the run of the split it keeps. The DRAM rows come from the
	// core's ideal channels or from npusim's DRAM model
	// (dram.Controller.SetBurstTracer), each core's from its own buffers;
	// akita's memories write none. An error stops the run. The caller
	// completes the traces once the run returns.
	Trace func(core int) (CoreTracers, error)
}

// CoreTracers are where one core's trace rows go, as a single-core
// accelerator's: the SRAM rows of its ifmap, filter and ofmap buffers
// and the DRAM rows of the three operands (nil: not traced). An operand's
// DRAM rows need its SRAM tracer too: a buffer gives its bursts their
// lines' addresses only while it traces.
type CoreTracers struct {
	SRAM, DRAM [3]protocol.Tracer
}

// Traffic is one operand's activity with one memory during a layer: the
// first and last active cycles (relative to the layer's start), the words
// moved, and for a real memory the bytes its requests moved over the bus.
type Traffic struct {
	First, Last  int64
	Words, Bytes int64
	Any          bool
}

// CoreRun is one core's part of a layer run.
type CoreRun struct {
	Share  Share
	Result systolic.LayerResult // zero for an empty share
	// SRAM and DRAM are per operand (ifmap, filter, ofmap).
	SRAM, DRAM [3]Traffic
}

// LayerRun is a layer run on the cores.
type LayerRun struct {
	Split Split
	Cores []CoreRun
	// Cycles is the slowest core's Total Cycles, Slowest its index.
	Cycles  int64
	Slowest int
	// Span is the engine cycles from the first core's start to the end of
	// the last core's last DRAM traffic; MemBytes the bytes all requests
	// moved over the memory bus in it (0 with ideal channels).
	Span, MemBytes int64
	// Peak is the memory's peak bandwidth in bytes per cycle (0 with ideal
	// channels).
	Peak float64
	// Memory is what the memory served per operand, all cores together,
	// and DRAMCommands what npusim's DRAM model did (nil otherwise).
	Memory       *[3]dram.AdapterStats
	DRAMCommands *dramsim.Stats
}

func (c Config) freq() sim.Freq {
	if c.Freq == 0 {
		return 1 * sim.GHz
	}
	return c.Freq
}

// Shares splits l for split with the config's offsets.
func (c Config) Shares(l systolic.Layer, split Split) []Share { return split.Shares(l, c.Offsets) }

// RunLayer simulates layer index l on the cores with every split the
// partition considers, each on a fresh engine and memory, and returns the
// run with the fewest cycles (the first of equals, in Splits order).
func (c Config) RunLayer(index int, l systolic.Layer) (LayerRun, error) {
	if c.Cores < 1 {
		return LayerRun{}, fmt.Errorf("multicore: %d cores", c.Cores)
	}
	var best LayerRun
	cands := c.Partition.Candidates(c.Cores, c.Grid)
	trace := c.Trace
	if len(cands) > 1 {
		// Only the kept split is traced: it runs again below (a run is
		// deterministic), rather than every split writing traces.
		c.Trace = nil
	}
	for i, split := range cands {
		if split.Cores() != c.Cores {
			return LayerRun{}, fmt.Errorf("multicore: split %s does not use %d cores", split, c.Cores)
		}
		run, err := c.Run(index, c.Shares(l, split))
		if err != nil {
			return LayerRun{}, err
		}
		run.Split = split
		if i == 0 || run.Cycles < best.Cycles {
			best = run
		}
	}
	if trace != nil && len(cands) > 1 {
		c.Trace = trace
		run, err := c.Run(index, c.Shares(l, best.Split))
		if err != nil {
			return LayerRun{}, err
		}
		run.Split = best.Split
		best = run
	}
	return best, nil
}

// Run simulates shares concurrently, each on its own core, on a fresh
// engine and memory, and returns what each core did.
func (c Config) Run(index int, shares []Share) (LayerRun, error) {
	var engine sim.Engine = sim.NewSerialEngine()
	if c.Parallel {
		engine = sim.NewParallelEngine()
	}
	for _, h := range c.EngineHooks {
		engine.AcceptHook(h)
	}
	var mem *Memory
	if !c.Memory.IsIdeal() {
		var err error
		if mem, err = NewMemory(engine, c.freq(), "Memory", c.Memory, len(shares)); err != nil {
			return LayerRun{}, err
		}
	}
	ctrl := NewController("Controller", engine, c.freq())
	conn := sim.NewDirectConnection("CtrlConn", engine, c.freq())
	conn.PlugIn(ctrl.Port, len(shares)+4)
	accs := make([]*components.Accelerator, len(shares))
	for i, sh := range shares {
		name := fmt.Sprintf("Core[%d]", sh.Core)
		if mem != nil {
			accs[i] = mem.Attach(name, c.Core, c.WordBytes, c.Bandwidth)
		} else {
			accs[i] = c.Core.WithEngine(engine).WithWordBytes(max(c.WordBytes, 1)).
				WithBandwidth(c.Bandwidth).WithFreq(c.freq()).Build(name)
		}
		conn.PlugIn(accs[i].ControlPort(), 4)
		if c.Trace != nil {
			tr, err := c.Trace(sh.Core)
			if err != nil {
				return LayerRun{}, err
			}
			setTracers(accs[i], mem, i, tr)
		}
	}
	ids := make([]string, len(shares))
	for i, sh := range shares {
		if !sh.Empty() {
			off := sh.Offsets
			ids[i] = ctrl.Start(accs[i].ControlPort(), &systolic.RunLayerReq{Index: index, Layer: sh.Layer, Offsets: &off})
		}
	}
	if err := engine.Run(); err != nil {
		return LayerRun{}, fmt.Errorf("layer %d: %w", index, err)
	}
	run := LayerRun{Cores: make([]CoreRun, len(shares)), Slowest: -1}
	first, last := int64(-1), int64(0)
	for i, sh := range shares {
		cr := CoreRun{Share: sh}
		if !sh.Empty() {
			rsp := ctrl.Answer(ids[i])
			if rsp == nil {
				return LayerRun{}, fmt.Errorf("layer %d (%s): simulation stopped before the layer finished", index, sh.Layer.Name)
			}
			if rsp.Err != nil {
				return LayerRun{}, rsp.Err
			}
			cr.Result = rsp.Result
			cr.SRAM, cr.DRAM = traffic(accs[i], mem, i)
			if run.Slowest < 0 || cr.Result.TotalCycles > run.Cycles {
				run.Cycles, run.Slowest = cr.Result.TotalCycles, i
			}
			if first < 0 || cr.Result.Origin < first {
				first = cr.Result.Origin
			}
			last = max(last, cr.Result.Origin+cr.Result.End)
		}
		run.Cores[i] = cr
	}
	if first >= 0 {
		run.Span = last - first + 1
	}
	if mem != nil {
		run.MemBytes = mem.ReqBytes()
		run.Peak = mem.PeakBytesPerCycle(c.freq())
		run.Memory = &[3]dram.AdapterStats{mem.Stats(0), mem.Stats(1), mem.Stats(2)}
		run.DRAMCommands = mem.DRAMCommands()
	}
	return run, nil
}

// Alone runs share on its own: one core with the memory to itself, as a
// single-core NPU would run it.
func (c Config) Alone(index int, sh Share) (CoreRun, error) {
	run, err := c.Run(index, []Share{sh})
	if err != nil {
		return CoreRun{}, err
	}
	return run.Cores[0], nil
}

// setTracers hands core i's tracers to its buffers and to what serves
// their bursts: its ideal channels, or npusim's DRAM model in mem.
func setTracers(acc *components.Accelerator, mem *Memory, i int, tr CoreTracers) {
	acc.Ifmap.SetTracer(tr.SRAM[0])
	acc.Filter.SetTracer(tr.SRAM[1])
	acc.Ofmap.SetTracer(tr.SRAM[2])
	for op, t := range tr.DRAM {
		switch {
		case t == nil:
		case mem == nil && acc.DRAM[op] != nil:
			acc.DRAM[op].SetTracer(t)
		case mem != nil && mem.Ctrl != nil:
			mem.Ctrl.SetBurstTracer(mem.bufs[i][op], t)
		}
	}
}

// traffic reads core i's buffer statistics and its DRAM side: the ideal
// channels, or its adapters in mem.
func traffic(acc *components.Accelerator, mem *Memory, i int) (sr, dr [3]Traffic) {
	for op, rs := range []sram.ReadStats{acc.Ifmap.Stats(), acc.Filter.Stats()} {
		sr[op] = Traffic{First: rs.First, Last: rs.Last, Words: rs.Requests, Any: rs.Any}
	}
	ws := acc.Ofmap.Stats()
	sr[2] = Traffic{First: ws.First, Last: ws.Last, Words: ws.Requests, Any: ws.Any}
	for op := range dr {
		if mem != nil {
			dr[op] = mem.Traffic(i, op)
		} else if ch := acc.DRAM[op]; ch != nil {
			s := ch.Stats()
			dr[op] = Traffic{First: s.First, Last: s.Last, Words: s.Words, Any: s.Any}
		}
	}
	return sr, dr
}
