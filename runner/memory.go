package runner

import (
	"fmt"
	"io"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/dram"
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
	// ParseConfig validated the spec; an error here is a programming error.
	m, err := dram.BuildMemory(engine, freq, "NPU.Memory", cfg.DRAM)
	if err != nil {
		panic(fmt.Sprintf("runner: %v", err))
	}
	ms := &memorySystem{mem: m, wordBytes: wordBytes, freq: freq}
	bytesPerCycle := 0
	if cfg.BandwidthMode == config.USER {
		bytesPerCycle = cfg.Bandwidth[0] * wordBytes
	}
	// Each word lane of the interface can carry a word of a different
	// request: a fill whose words are scattered over many blocks is not
	// held to one block per cycle.
	issue := max(1, bytesPerCycle/wordBytes)
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

// printBanner says which memory the run uses.
func (ms *memorySystem) printBanner(w io.Writer) {
	if ms != nil {
		fmt.Fprintf(w, "DRAM: %s\n", ms.mem.Describe())
	}
}

// ports returns the adapters' Top ports for components.Builder.WithDRAM
// (all nil for the ideal channels).
func (ms *memorySystem) ports() (ifmap, filter, ofmap sim.Port) {
	if ms == nil {
		return nil, nil, nil
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
	for op, a := range ms.adapters {
		s := a.Stats()
		rep.Memory[op] = s
		rep.DRAM[op] = report.Access{Start: s.First, Stop: s.Last, Words: s.Words}
		a.ResetStats()
	}
}
