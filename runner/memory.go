package runner

import (
	"fmt"
	"io"
	"math"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// memorySystem is the real memory a [dram] section asks for: the akita
// memory controllers and one adapter per operand buffer, all sharing the
// controllers through one connection. A nil *memorySystem stands for
// SCALE-Sim's ideal channels; its methods then do nothing.
type memorySystem struct {
	mem       *dram.Memory
	adapters  [3]*dram.Adapter
	wordBytes int
	freq      sim.Freq
	// ctrl is npusim's DRAM model, when the spec names it (then mem and
	// adapters are nil): the three buffers send it their bursts directly.
	ctrl       *dram.Controller
	continuous bool
	bufs       [3]sim.Port     // the buffers' Bottom ports, to split its figures by operand
	fixed      dram.MemorySpec // Model = fixed (ctrl a fixed-latency memory)
}

// newMemorySystem builds the memory cfg.DRAM describes on engine, with
// adapters at freq (the accelerator's clock) for words of wordBytes
// bytes, or returns nil for the ideal channels. In USER mode each
// adapter's interface moves Bandwidth words per cycle, like the ideal
// channel it replaces, and issues up to Bandwidth requests per cycle.
func newMemorySystem(cfg config.Config, engine sim.Engine, freq sim.Freq, wordBytes int) *memorySystem {
	if cfg.DRAM.IsIdeal() {
		return nil
	}
	bytesPerCycle := 0
	if cfg.BandwidthMode == config.USER {
		bytesPerCycle = cfg.Bandwidth[0] * wordBytes
	}
	// Each word lane of the interface can carry a word of a different
	// request: a fill whose words are scattered over many blocks is not
	// held to one block per cycle.
	issue := max(1, bytesPerCycle/wordBytes)
	if cfg.DRAM.Model == dram.Fixed {
		// A fixed latency (accelerator cycles), Width requests per cycle
		// per channel, MaxInFlight outstanding per operand, as the akita
		// controllers behind adapters had; no tick per cycle.
		s := cfg.DRAM.Defaults()
		ctrl := dram.MakeControllerBuilder().WithEngine(engine).
			WithFixed(s.Latency, s.Width*s.Channels, 3*s.MaxInFlight, s.RequestBytes).
			WithAcceleratorFreq(freq).WithWordBytes(wordBytes).
			WithBytesPerCycle(bytesPerCycle).WithRequestsPerCycle(issue).
			Build("NPU.Memory")
		ctrl.Reset()
		return &memorySystem{ctrl: ctrl, wordBytes: wordBytes, freq: freq, fixed: s}
	}
	if cfg.DRAM.IsDRAMsim() {
		dcfg, err := cfg.DRAM.LoadDRAMsim()
		if err != nil {
			panic(fmt.Sprintf("runner: %v", err)) // ParseConfig loaded it already
		}
		ctrl := dram.MakeControllerBuilder().WithEngine(engine).WithConfig(dcfg).
			WithAcceleratorFreq(freq).WithWordBytes(wordBytes).
			WithBytesPerCycle(bytesPerCycle).WithRequestsPerCycle(issue).
			Build("NPU.Memory")
		// Each layer starts on an idle memory at its own cycle 0 (Reset
		// again after every layer unless Continuous).
		ctrl.Reset()
		return &memorySystem{ctrl: ctrl, continuous: cfg.DRAM.Continuous, wordBytes: wordBytes, freq: freq}
	}
	// ParseConfig validated the spec; an error here is a programming error.
	m, err := dram.BuildMemory(engine, freq, "NPU.Memory", cfg.DRAM)
	if err != nil {
		panic(fmt.Sprintf("runner: %v", err))
	}
	ms := &memorySystem{mem: m, wordBytes: wordBytes, freq: freq}
	ab := m.AdapterBuilder().WithEngine(engine).WithFreq(freq).WithWordBytes(wordBytes).
		WithBytesPerCycle(bytesPerCycle).WithIssuePerCycle(issue)
	conn := sim.NewDirectConnection("NPU.MemConn", engine, freq)
	for op := range ms.adapters {
		a := ab.Build(fmt.Sprintf("NPU.%sMemAdapter", []string{"Ifmap", "Filter", "Ofmap"}[op]))
		ms.adapters[op] = a
		conn.PlugIn(a.GetPortByName("Bottom"), m.Spec.MaxInFlight)
	}
	for _, p := range m.Ports() {
		conn.PlugIn(p, 3*m.Spec.MaxInFlight)
	}
	return ms
}

// energy is the DRAM model's energy for the layer (its Total Cycles in
// memory cycles), by operand: READ energy goes to the ifmap and the filter
// by their requests, WRITE energy to the ofmap, the rest (activates,
// refreshes, standby) to the three by their requests.
func (ms *memorySystem) energy(d dramsim.Stats, rep *report.Layer) *[3]float64 {
	return dramEnergy(ms.ctrl.Config(), d, rep, ms.freq)
}

// dramEnergy is memorySystem.energy for a memory of config c behind an
// accelerator clocked at freq.
func dramEnergy(c *dramsim.Config, d dramsim.Stats, rep *report.Layer, freq sim.Freq) *[3]float64 {
	cycles := int64(math.Ceil(float64(rep.TotalCycles) * c.FreqHz() / float64(freq)))
	e := c.Energy(d, cycles)
	var req [3]float64
	for op := range req {
		req[op] = float64(rep.Memory[op].Requests)
	}
	all, reads := req[0]+req[1]+req[2], req[0]+req[1]
	share := func(x, of float64) float64 {
		if of == 0 {
			return 0
		}
		return x / of
	}
	rest := e.ActivatePJ + e.RefreshPJ + e.BackgroundPJ
	var out [3]float64
	for op := range out {
		out[op] = rest * share(req[op], all)
		if all == 0 {
			out[op] = rest / 3
		}
	}
	out[0] += e.ReadPJ * share(req[0], reads)
	out[1] += e.ReadPJ * share(req[1], reads)
	out[2] += e.WritePJ
	return &out
}

// err is the memory's own error (a config whose timings leave no room to
// serve its requests), if any.
func (ms *memorySystem) err() error {
	if ms == nil || ms.ctrl == nil {
		return nil
	}
	return ms.ctrl.Err()
}

// attach records the buffers whose bursts the memory serves, to report
// its figures by operand.
func (ms *memorySystem) attach(acc *components.Accelerator) {
	if ms == nil {
		return
	}
	for op, b := range []sim.Component{acc.Ifmap, acc.Filter, acc.Ofmap} {
		ms.bufs[op] = b.GetPortByName("Bottom")
	}
}

// printBanner says which memory the run uses.
func (ms *memorySystem) printBanner(w io.Writer) {
	switch {
	case ms == nil:
	case ms.ctrl != nil && ms.ctrl.Config() == nil:
		f := ms.fixed
		fmt.Fprintf(w, "DRAM: fixed latency %d cycles, %d requests/cycle, %d-byte requests (no tick per cycle)\n", f.Latency, f.Width*f.Channels, f.RequestBytes)
	case ms.ctrl != nil:
		c := ms.ctrl.Config()
		fmt.Fprintf(w, "DRAM: %s (npusim's DRAM model, DRAMsim3 timing): %s, %d channel(s) x %d rank(s) x %d banks, tCK %g ns\n",
			c.Name, c.Protocol, c.Channels, c.Ranks, c.Banks, c.Timing.TCK)
	default:
		fmt.Fprintf(w, "DRAM: %s\n", ms.mem.Describe())
	}
}

// ports returns the adapters' Top ports for components.Builder.WithDRAM
// (all nil for the ideal channels).
func (ms *memorySystem) ports() (ifmap, filter, ofmap sim.Port) {
	if ms == nil {
		return nil, nil, nil
	}
	if ms.ctrl != nil {
		p := ms.ctrl.GetPortByName("Top")
		return p, p, p
	}
	return ms.adapters[0].GetPortByName("Top"), ms.adapters[1].GetPortByName("Top"), ms.adapters[2].GetPortByName("Top")
}

// checkCapacity checks that the operands of every layer, at their
// configured offsets, fit in the memory.
func (ms *memorySystem) checkCapacity(cfg config.Config, layers []systolic.Layer) error {
	if ms == nil {
		return nil
	}
	spans := []dram.Span{
		{Operand: protocol.Ifmap.String(), Start: cfg.IfmapOffset, End: cfg.IfmapOffset},
		{Operand: protocol.Filter.String(), Start: cfg.FilterOffset, End: cfg.FilterOffset},
		{Operand: protocol.Ofmap.String(), Start: cfg.OfmapOffset, End: cfg.OfmapOffset},
	}
	for _, l := range layers {
		sizes := [3]int64{
			int64(l.H) * int64(l.W) * int64(l.Ch),
			int64(l.N) * int64(l.K()),
			int64(l.P()) * int64(l.N),
		}
		for i, n := range sizes {
			spans[i].End = max(spans[i].End, spans[i].Start+n)
		}
	}
	return ms.checkSpans(cfg, spans)
}

// checkSpans checks that operands at the given word spans fit in the
// memory.
func (ms *memorySystem) checkSpans(cfg config.Config, spans []dram.Span) error {
	if ms.ctrl != nil {
		// DRAMsim3 drops the address bits above its mapping (addresses
		// wrap); npusim refuses operands beyond the memory instead.
		var capacity uint64
		name := dram.Fixed
		if c := ms.ctrl.Config(); c != nil {
			capacity, name = uint64(c.Channels)*uint64(c.ChannelSizeMB)<<20, c.Name
		} else {
			capacity = uint64(ms.fixed.Channels) * dram.FixedCapacity
		}
		for _, sp := range spans {
			if end := uint64(sp.End) * uint64(ms.wordBytes); sp.End < 0 || end > capacity {
				return fmt.Errorf("config %s: [dram]: %s occupies bytes %d to %d, beyond the %s memory's %d bytes (%d MiB)",
					cfg.Path, sp.Operand, uint64(sp.Start)*uint64(ms.wordBytes), end, name, capacity, capacity>>20)
			}
		}
		return nil
	}
	if err := ms.mem.CheckCapacity(ms.wordBytes, spans); err != nil {
		return fmt.Errorf("config %s: [%s]: %w", cfg.Path, "dram", err)
	}
	return nil
}

// collect records the layer's memory figures in its report (Memory, for
// DRAM_REPORT.csv, and the DRAM columns: first and last request
// completion, words moved) and resets the adapters for the next layer.
func (ms *memorySystem) collect(rep *report.Layer) {
	if ms == nil {
		return
	}
	rep.Memory = new([3]dram.AdapterStats)
	if ms.ctrl != nil {
		for op, src := range ms.bufs {
			s := ms.ctrl.StatsOf(src)
			rep.Memory[op] = dram.AdapterStats{Bursts: s.Bursts, Requests: s.Requests, Words: s.Words, Bytes: s.Bytes,
				ReqBytes: s.ReqBytes, First: s.First, Last: s.Last, Any: s.Any,
				LatencySum: s.LatencySum, P99Latency: s.P99Latency, MeanLatency: s.MeanLatency}
			rep.DRAM[op] = report.Access{Start: s.First, Stop: s.Last, Words: s.Words}
		}
		if ms.ctrl.Config() != nil {
			d := ms.ctrl.Stats().DRAM
			rep.DRAMCommands = &d
			rep.DRAMEnergyPJ = ms.energy(d, rep)
		}
		switch {
		case ms.continuous:
			ms.ctrl.ResetStats()
		case ms.ctrl.Busy():
			// The layer stopped (an error or a stopped run): the worker
			// serves no more layers.
		default:
			ms.ctrl.Reset()
		}
		return
	}
	for op, a := range ms.adapters {
		s := a.Stats()
		rep.Memory[op] = s
		rep.DRAM[op] = report.Access{Start: s.First, Stop: s.Last, Words: s.Words}
		a.ResetStats()
	}
}
