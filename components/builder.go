package components

import (
	"fmt"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/sram"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/vector"
	"github.com/sarchlab/akita/v3/sim"
)

// Accelerator is one systolic-array NPU: its components and connections.
type Accelerator struct {
	Name      string
	Sequencer *systolic.Sequencer
	Array     *systolic.Array
	Ifmap     *sram.ReadBuffer
	Filter    *sram.ReadBuffer
	Ofmap     *sram.WriteBuffer
	// The ideal DRAM channels, by operand; nil where WithDRAM supplied
	// another component.
	DRAM [3]*dram.Channel

	Rows, Cols int
	Dataflow   systolic.Dataflow
	Offsets    systolic.Offsets
	// Sparsity is SCALE-Sim v3's filter sparsity (zero value: dense).
	Sparsity systolic.Sparsity
	// WordBytes is the size of a word in bytes: a buffer of k kB holds
	// k*1024/WordBytes words, and word address a is byte address
	// a*WordBytes for a memory that counts bytes.
	WordBytes int

	// Vector is the vector unit (WithVectorUnit), nil without one.
	Vector *vector.Unit

	engine sim.Engine
	freq   sim.Freq
	host   *host[*systolic.RunLayerRsp] // the driver behind RunLayer, made on first use
	vhost  *host[*vector.RunRsp]        // the driver behind RunVectorLayer
	// the components behind the memory ports given to the builder (those
	// with statistics are reset by ResetStats)
	memory []sim.Component
}

// Builder builds Accelerators. Its zero configuration is SCALE-Sim's
// default example: a 32x32 output-stationary array with 64 kB buffers in
// CALC bandwidth mode.
type Builder struct {
	engine     sim.Engine
	freq       sim.Freq
	rows, cols int
	dataflow   systolic.Dataflow
	sramKB     [3]int
	offsets    systolic.Offsets
	bandwidth  int
	dramPorts  [3]sim.Port
	userWired  bool // the caller wires the memory ports (WithMemoryPorts)
	sparsity   systolic.Sparsity
	wordBytes  int
	inline     bool
	vector     *vector.Builder // WithVectorUnit
}

// NewAcceleratorBuilder returns a Builder with the defaults.
//
// Deprecated: use MakeBuilder, akita's spelling.
func NewAcceleratorBuilder() Builder { return MakeBuilder() }

// MakeBuilder returns a Builder with the defaults.
func MakeBuilder() Builder {
	return Builder{
		freq:     1 * sim.GHz,
		rows:     32,
		cols:     32,
		dataflow: systolic.OS,
		sramKB:   [3]int{64, 64, 64},
		offsets:  systolic.Offsets{Ifmap: 0, Filter: 10000000, Ofmap: 20000000},
	}
}

// WithEngine sets the akita engine (required).
func (b Builder) WithEngine(e sim.Engine) Builder { b.engine = e; return b }

// WithFreq sets the clock of every component.
func (b Builder) WithFreq(f sim.Freq) Builder { b.freq = f; return b }

// WithArray sets the PE array to rows x cols.
func (b Builder) WithArray(rows, cols int) Builder { b.rows, b.cols = rows, cols; return b }

// WithDataflow sets the dataflow.
func (b Builder) WithDataflow(df systolic.Dataflow) Builder { b.dataflow = df; return b }

// WithSRAMKB sets the ifmap, filter and ofmap buffer sizes in kB.
func (b Builder) WithSRAMKB(ifmap, filter, ofmap int) Builder {
	b.sramKB = [3]int{ifmap, filter, ofmap}
	return b
}

// WithOffsets sets the base addresses of the three operands.
func (b Builder) WithOffsets(o systolic.Offsets) Builder { b.offsets = o; return b }

// WithBandwidth sets the DRAM interface width in words per cycle for all
// three buffers (SCALE-Sim's USER mode). Zero selects CALC mode: the read
// buffers estimate the bandwidth they need and never stall, and the ofmap
// buffer drains one array width per cycle.
func (b Builder) WithBandwidth(wordsPerCycle int) Builder { b.bandwidth = wordsPerCycle; return b }

// WithSparsity enables SCALE-Sim v3's filter sparsity; each layer's N:M
// ratio is its Layer.Sparse.
func (b Builder) WithSparsity(sp systolic.Sparsity) Builder { b.sparsity = sp; return b }

// WithWordBytes sets the word size in bytes (default 1, SCALE-Sim's
// assumption): a buffer of k kB then holds k*1024/n words.
func (b Builder) WithWordBytes(n int) Builder { b.wordBytes = n; return b }

// bufferWords is buffer i's capacity in words.
func (b Builder) bufferWords(i int) int64 {
	return int64(b.sramKB[i]) * 1024 / int64(max(b.wordBytes, 1))
}

// blockWords is the block, in words, in which operand i's memory serves
// bursts when it says so (protocol.BlockServer) and a block holds a
// power-of-two number of words: its buffer then counts words per block
// (BurstReq.Blocks). 0: the buffer lists word ranges.
func (b Builder) blockWords(i int) int64 {
	p := b.dramPorts[i]
	if p == nil {
		return 0
	}
	s, ok := p.Component().(protocol.BlockServer)
	if !ok {
		return 0
	}
	bytes, word := int64(s.BurstBlockBytes()), int64(max(b.wordBytes, 1))
	if bytes <= 0 || bytes%word != 0 {
		return 0
	}
	if n := bytes / word; n&(n-1) == 0 {
		return n
	}
	return 0
}

// WithInlineWalks keeps the whole simulation on the engine's goroutine:
// the read buffers do not walk long folds on goroutines of their own. For
// a program that runs several accelerators at once on all cores.
func (b Builder) WithInlineWalks(on bool) Builder { b.inline = on; return b }

// WithDRAM replaces the ideal DRAM channels with other components: the
// ports that serve protocol.BurstReq for the ifmap, filter and ofmap
// buffers. They may belong to one component or to three; a nil port keeps
// the ideal channel for that operand. The buffers' bursts then carry the
// word addresses they move (protocol.BurstReq.Ranges), which a real memory
// needs and the ideal channel does not.
//
// The builder plugs these ports and the buffers into a connection of its
// own, so they must serve this accelerator only: a port plugged into two
// connections answers on the last one. To share a memory between
// accelerators, or to put it behind a NoC, use WithMemoryPorts.
func (b Builder) WithDRAM(ifmap, filter, ofmap sim.Port) Builder {
	b.dramPorts = [3]sim.Port{ifmap, filter, ofmap}
	b.userWired = false
	return b
}

// WithMemoryPorts is WithDRAM for memory the caller wires: the buffers
// send their bursts to these ports (all three required), and the builder
// plugs neither them nor the buffers' own memory ports anywhere. Plug
// Accelerator.MemoryPorts and the memory side into connections of your
// own: one connection shared by several accelerators and their memory, an
// on-chip network, a link model. A component behind a port that says
// which clock it counts bursts in (protocol.BurstServer, as dram.Adapter
// does) must run the builder's clock.
func (b Builder) WithMemoryPorts(ifmap, filter, ofmap sim.Port) Builder {
	b.dramPorts = [3]sim.Port{ifmap, filter, ofmap}
	b.userWired = true
	return b
}

// Check reports what makes the configuration unable to work, or nil.
// Build panics with the same error, as akita's builders do: a wrong
// configuration is a programming error (runner validates user input).
func (b Builder) Check() error {
	if b.engine == nil {
		return fmt.Errorf("components: Builder needs an engine (WithEngine)")
	}
	if b.freq <= 0 {
		return fmt.Errorf("components: clock must be positive, got %v Hz", float64(b.freq))
	}
	if b.rows <= 0 || b.cols <= 0 {
		return fmt.Errorf("components: array must be at least 1x1, got %dx%d", b.rows, b.cols)
	}
	for i, kb := range b.sramKB {
		if kb <= 0 {
			return fmt.Errorf("components: %s buffer size must be positive, got %d kB", protocol.Operand(i), kb)
		}
	}
	if b.wordBytes < 0 || int64(min(b.sramKB[0], b.sramKB[1], b.sramKB[2]))*1024 < int64(b.wordBytes) {
		return fmt.Errorf("components: word size %d bytes does not fit the buffers", b.wordBytes)
	}
	if b.bandwidth < 0 {
		return fmt.Errorf("components: bandwidth must be >= 0 (0 = CALC), got %d", b.bandwidth)
	}
	replaced := b.dramPorts != [3]sim.Port{}
	if replaced && b.bandwidth == 0 {
		// CALC mode's read buffers date fetches backwards from an estimate
		// and never wait: a memory behind them would time nothing.
		return fmt.Errorf("components: CALC mode (bandwidth 0) works with the ideal channels only; set WithBandwidth to use another memory")
	}
	for i, p := range b.dramPorts {
		if p == nil {
			if b.userWired {
				return fmt.Errorf("components: WithMemoryPorts needs all three ports, the %s one is nil", protocol.Operand(i))
			}
			continue
		}
		if s, ok := p.Component().(protocol.BurstServer); ok && s.BurstFreq() != b.freq {
			return fmt.Errorf("components: %s memory port %s counts bursts at %v Hz, the accelerator runs at %v Hz: give both the same clock",
				protocol.Operand(i), p.Name(), float64(s.BurstFreq()), float64(b.freq))
		}
	}
	return nil
}

// Build creates and wires the accelerator. Component names start with name.
func (b Builder) Build(name string) *Accelerator {
	if err := b.Check(); err != nil {
		panic(err.Error())
	}
	acc := &Accelerator{
		Name: name, Rows: b.rows, Cols: b.cols,
		Dataflow: b.dataflow, Offsets: b.offsets, Sparsity: b.sparsity, WordBytes: max(b.wordBytes, 1),
		engine: b.engine, freq: b.freq,
	}
	ab := systolic.MakeBuilder().WithEngine(b.engine).WithFreq(b.freq).
		WithArray(b.rows, b.cols).WithDataflow(b.dataflow).WithOffsets(b.offsets).WithSparsity(b.sparsity)
	acc.Array = ab.Build(name + ".Array")
	acc.Sequencer = ab.BuildSequencer(name + ".Sequencer")

	replaced := b.dramPorts != [3]sim.Port{}
	sb := sram.MakeBuilder().WithEngine(b.engine).WithFreq(b.freq).WithBandwidth(b.bandwidth).
		WithAddressRanges(replaced). // a memory other than the ideal channel gets real addresses
		WithCausalDrains(replaced).  // and drains it can start when they are dated
		WithInlineWalks(b.inline)
	acc.Ifmap = sb.WithOperand(protocol.Ifmap).WithSizeWords(b.bufferWords(0)).WithAddressBlocks(b.blockWords(0)).BuildReadBuffer(name + ".IfmapBuffer")
	acc.Filter = sb.WithOperand(protocol.Filter).WithSizeWords(b.bufferWords(1)).WithAddressBlocks(b.blockWords(1)).BuildReadBuffer(name + ".FilterBuffer")
	ofmapBW := b.bandwidth
	if ofmapBW == 0 {
		ofmapBW = b.cols // SCALE-Sim's CALC mode drains one array width per cycle
	}
	acc.Ofmap = sb.WithBandwidth(ofmapBW).WithSizeWords(b.bufferWords(2)).WithAddressBlocks(b.blockWords(2)).BuildWriteBuffer(name + ".OfmapBuffer")

	ctrl := sim.NewDirectConnection(name+".CtrlConn", b.engine, b.freq)
	ctrl.PlugIn(acc.Sequencer.GetPortByName("Out"), 4)
	ctrl.PlugIn(acc.Array.GetPortByName("Ctrl"), 4)
	acc.Sequencer.Connect(acc.Array.GetPortByName("Ctrl"))

	bufs := [3]sim.Component{acc.Ifmap, acc.Filter, acc.Ofmap}
	arrayPorts := [3]string{"Ifmap", "Filter", "Ofmap"}
	onChip := sim.NewDirectConnection(name+".SRAMConn", b.engine, b.freq)
	for i, buf := range bufs {
		onChip.PlugIn(acc.Array.GetPortByName(arrayPorts[i]), 4)
		onChip.PlugIn(buf.GetPortByName("Top"), 4)
	}
	acc.Array.Connect(acc.Ifmap.GetPortByName("Top"), acc.Filter.GetPortByName("Top"), acc.Ofmap.GetPortByName("Top"))

	seen := map[sim.Component]bool{}
	for _, p := range b.dramPorts {
		if p != nil && !seen[p.Component()] {
			seen[p.Component()] = true
			acc.memory = append(acc.memory, p.Component())
		}
	}
	if b.userWired {
		for i, buf := range bufs {
			buf.(interface{ SetDRAM(sim.Port) }).SetDRAM(b.dramPorts[i])
		}
		return acc
	}
	offChip := sim.NewDirectConnection(name+".DRAMConn", b.engine, b.freq)
	plugged := map[sim.Port]bool{}
	dramNames := [3]string{"IfmapDRAM", "FilterDRAM", "OfmapDRAM"}
	for i, buf := range bufs {
		port := b.dramPorts[i]
		if port == nil {
			// USER mode: the channel is as wide as the configured interface;
			// CALC mode: as wide as each request needs (the estimate).
			ch := dram.MakeBuilder().WithEngine(b.engine).WithFreq(b.freq).
				WithWordsPerCycle(b.bandwidth).Build(name + "." + dramNames[i])
			acc.DRAM[i] = ch
			port = ch.GetPortByName("Top")
		}
		if !plugged[port] {
			offChip.PlugIn(port, 4)
			plugged[port] = true
		}
		offChip.PlugIn(buf.GetPortByName("Bottom"), 4)
		buf.(interface{ SetDRAM(sim.Port) }).SetDRAM(port)
	}
	b.buildVector(acc, onChip)
	return acc
}

// ControlPort is the port through which another component runs layers on
// the accelerator: it sends a systolic.RunLayerReq and gets a
// systolic.RunLayerRsp once the layer is over. Plug it into a connection of
// your own to drive the accelerator from a host or GPU model on a shared
// engine; RunLayer does the same through a driver of its own, so use one
// or the other on an accelerator, not both.
func (acc *Accelerator) ControlPort() sim.Port { return acc.Sequencer.GetPortByName("Ctrl") }

// MemoryPorts returns the buffers' memory-side ports (ifmap, filter,
// ofmap), the ones that send protocol.BurstReq. With WithMemoryPorts the
// caller plugs them into a connection of its own; otherwise the builder
// has plugged them already.
func (acc *Accelerator) MemoryPorts() [3]sim.Port {
	return [3]sim.Port{acc.Ifmap.GetPortByName("Bottom"), acc.Filter.GetPortByName("Bottom"), acc.Ofmap.GetPortByName("Bottom")}
}

// Freq is the accelerator's clock: the cycles of its results and of its
// bursts are cycles of it.
func (acc *Accelerator) Freq() sim.Freq { return acc.freq }

// ResetStats starts new per-layer statistics in the ideal DRAM channels
// and in the components behind the memory ports given to the builder that
// keep statistics (a ResetStats method, as dram.Adapter has); the buffers
// reset theirs when a layer begins. A component driving the accelerator
// through its control port calls it between layers. A memory component
// shared with other accelerators is reset for all of them.
func (acc *Accelerator) ResetStats() {
	for _, ch := range acc.DRAM {
		if ch != nil {
			ch.ResetStats()
		}
	}
	for _, c := range acc.memory {
		if r, ok := c.(interface{ ResetStats() }); ok {
			r.ResetStats()
		}
	}
}

// RunLayer simulates one layer to completion on the accelerator's engine
// and returns the array's figures. The buffers' and channels' statistics
// for the layer can be read afterwards. It is the standalone way to use an
// accelerator: it sends the layer to the control port from a driver of its
// own and runs the engine until everything on it is idle.
func (acc *Accelerator) RunLayer(index int, l systolic.Layer) (systolic.LayerResult, error) {
	if acc.host == nil {
		acc.host = newHost[*systolic.RunLayerRsp](acc.Name+".Host", acc.engine, acc.freq)
		conn := sim.NewDirectConnection(acc.Name+".HostConn", acc.engine, acc.freq)
		conn.PlugIn(acc.host.port, 4)
		conn.PlugIn(acc.ControlPort(), 4)
	}
	acc.ResetStats()
	acc.host.send(acc.ControlPort(), &systolic.RunLayerReq{Index: index, Layer: l})
	if err := acc.engine.Run(); err != nil {
		return systolic.LayerResult{}, fmt.Errorf("layer %d (%s): %w", index, l.Name, err)
	}
	rsp := acc.host.take()
	if rsp == nil {
		return systolic.LayerResult{}, fmt.Errorf("layer %d (%s): simulation stopped before the layer finished", index, l.Name)
	}
	return rsp.Result, rsp.Err
}
