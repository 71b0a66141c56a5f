package multicore

import (
	"fmt"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/sarchlab/akita/v3/sim"
)

// Memory is one memory system that several accelerators share: akita
// memory controllers (dram.Memory) and, per attached accelerator, one
// dram.Adapter per operand buffer, all on one DirectConnection. The
// adapters' requests meet at the controllers, whose queues, banks and
// buses they share: that is where contention comes from.
type Memory struct {
	*dram.Memory // nil with npusim's DRAM model
	// Ctrl is npusim's DRAM model, when the spec names it (Memory and
	// Adapters are then nil): each attached accelerator's buffers send it
	// their bursts through a port of their own.
	Ctrl *dram.Controller
	// Adapters holds, per attached accelerator in the order of Attach, its
	// ifmap, filter and ofmap adapters.
	Adapters [][3]*dram.Adapter
	// Conn joins the adapters and the controllers; other memory clients
	// (a traffic generator, a cache) may plug into it too.
	Conn *sim.DirectConnection

	engine  sim.Engine
	freq    sim.Freq
	name    string
	clients int // accelerators to attach before the controllers are plugged in
	spec    dram.MemorySpec
	bufs    [][3]sim.Port // per attached accelerator, its buffers' Bottom ports (Ctrl)
}

// NewMemory builds the memory spec describes on engine for clients
// accelerators; freq is the accelerators' clock. spec must not be ideal.
// The controllers join the connection when the clients-th accelerator is
// attached: attach exactly clients.
func NewMemory(engine sim.Engine, freq sim.Freq, name string, spec dram.MemorySpec, clients int) (*Memory, error) {
	if spec.UsesController() {
		if err := spec.Validate(); err != nil {
			return nil, err
		}
		if spec.IsDRAMsim() {
			if _, err := spec.LoadDRAMsim(); err != nil {
				return nil, err
			}
		}
		// The controller is built at the first Attach, which knows the
		// cores' word size and interface width.
		return &Memory{engine: engine, freq: freq, name: name, spec: spec, clients: max(clients, 1),
			Conn: sim.NewDirectConnection(name+".Conn", engine, freq)}, nil
	}
	m, err := dram.BuildMemory(engine, freq, name, spec)
	if err != nil {
		return nil, err
	}
	sm := &Memory{Memory: m, engine: engine, freq: freq, name: name,
		Conn: sim.NewDirectConnection(name+".Conn", engine, freq)}
	sm.clients = max(clients, 1)
	return sm, nil
}

// Attach builds an accelerator from b on the memory's engine, with its
// three buffers behind new adapters. wordBytes is the accelerator's word
// size and wordsPerCycle its interface width (the builder's WithBandwidth;
// a real memory needs USER mode): each adapter moves at most that many
// words per cycle, as the ideal channel it replaces.
func (m *Memory) Attach(name string, b components.Builder, wordBytes, wordsPerCycle int) *components.Accelerator {
	wordBytes = max(wordBytes, 1)
	bytesPerCycle := wordsPerCycle * wordBytes
	if m.spec.UsesController() {
		if m.Ctrl == nil {
			b := dram.MakeControllerBuilder().WithEngine(m.engine).
				WithAcceleratorFreq(m.freq).WithWordBytes(wordBytes).
				WithBytesPerCycle(bytesPerCycle).WithRequestsPerCycle(max(1, wordsPerCycle))
			if m.spec.IsDRAMsim() {
				cfg, _ := m.spec.LoadDRAMsim() // NewMemory loaded it
				b = b.WithConfig(cfg)
			} else {
				// Fixed: MaxInFlight per operand of every core, as the
				// adapters had.
				s := m.spec.Defaults()
				b = b.WithFixed(s.Latency, s.Width*s.Channels, 3*m.clients*s.MaxInFlight, s.RequestBytes)
			}
			m.Ctrl = b.Build(m.name)
			m.Ctrl.Reset() // cycle 0 is the first burst's
			// Other clients (a traffic generator) reach it through Conn.
			m.Conn.PlugIn(m.Ctrl.GetPortByName("Top"), 256)
		}
		p := m.Ctrl.NewTopPort(fmt.Sprintf("Top[%d]", len(m.bufs)))
		acc := b.WithEngine(m.engine).WithWordBytes(wordBytes).WithBandwidth(wordsPerCycle).WithFreq(m.freq).
			WithDRAM(p, p, p).Build(name)
		bufs := [3]sim.Port{acc.Ifmap.GetPortByName("Bottom"), acc.Filter.GetPortByName("Bottom"), acc.Ofmap.GetPortByName("Bottom")}
		for _, b := range bufs {
			// Each accelerator's interface paces its own bursts.
			m.Ctrl.SetSenderRate(b, max(1, wordsPerCycle), bytesPerCycle)
		}
		m.bufs = append(m.bufs, bufs)
		return acc
	}
	issue := max(1, (bytesPerCycle+m.Spec.RequestBytes-1)/m.Spec.RequestBytes)
	ab := m.AdapterBuilder().WithEngine(m.engine).WithFreq(m.freq).WithWordBytes(wordBytes).
		WithBytesPerCycle(bytesPerCycle).WithIssuePerCycle(issue)
	var ads [3]*dram.Adapter
	for op, o := range []string{"Ifmap", "Filter", "Ofmap"} {
		ads[op] = ab.Build(fmt.Sprintf("%s.%s.%sAdapter", m.name, name, o))
		m.Conn.PlugIn(ads[op].GetPortByName("Bottom"), m.Spec.MaxInFlight)
	}
	m.Adapters = append(m.Adapters, ads)
	if len(m.Adapters) == m.clients {
		// The controllers go last, as in the runner's single-core memory:
		// a DirectConnection serves its ports round robin in plug-in
		// order, so the order is part of the timing. Their answers queue on
		// their side: room for every request the adapters may have in
		// flight.
		for _, p := range m.Ports() {
			m.Conn.PlugIn(p, 3*m.clients*m.Spec.MaxInFlight)
		}
	}
	return b.WithEngine(m.engine).WithWordBytes(wordBytes).WithBandwidth(wordsPerCycle).
		WithDRAM(ads[0].GetPortByName("Top"), ads[1].GetPortByName("Top"), ads[2].GetPortByName("Top")).
		Build(name)
}

// ReqBytes is what crossed the memory bus for the attached accelerators
// since their adapters' last ResetStats: requests x request size.
func (m *Memory) ReqBytes() int64 {
	if m.Ctrl != nil {
		// The controller's own Stats count every client on its
		// connection (a traffic generator too): sum the accelerators'.
		var n int64
		for _, bufs := range m.bufs {
			for _, p := range bufs {
				n += m.Ctrl.StatsOf(p).ReqBytes
			}
		}
		return n
	}
	var n int64
	for _, ads := range m.Adapters {
		for _, a := range ads {
			n += a.Stats().ReqBytes
		}
	}
	return n
}

// PeakBytesPerCycle is the memory's peak bandwidth in bytes per cycle of a
// clock of frequency f.
func (m *Memory) PeakBytesPerCycle(f sim.Freq) float64 {
	if m.Ctrl != nil {
		return m.Ctrl.PeakBytesPerCycle(f)
	}
	return m.Memory.PeakBytesPerCycle(f)
}

// Traffic returns what the memory served for operand op of the i-th
// attached accelerator since its last ResetStats.
func (m *Memory) Traffic(i, op int) Traffic {
	if m.Ctrl != nil {
		s := m.Ctrl.StatsOf(m.bufs[i][op])
		return Traffic{First: s.First, Last: s.Last, Words: s.Words, Bytes: s.ReqBytes, Any: s.Any}
	}
	s := m.Adapters[i][op].Stats()
	return Traffic{First: s.First, Last: s.Last, Words: s.Words, Bytes: s.ReqBytes, Any: s.Any}
}

// Stats sums what the memory served for operand op over the attached
// accelerators since their last ResetStats: counts add up, First is the
// earliest and Last the latest (each relative to its core's Origin), P99
// is the largest core's.
func (m *Memory) Stats(op int) dram.AdapterStats {
	var all dram.AdapterStats
	n := len(m.Adapters)
	if m.Ctrl != nil {
		n = len(m.bufs)
	}
	for i := range n {
		var s dram.AdapterStats
		if m.Ctrl != nil {
			c := m.Ctrl.StatsOf(m.bufs[i][op])
			s = dram.AdapterStats{Bursts: c.Bursts, Requests: c.Requests, Words: c.Words, Bytes: c.Bytes,
				ReqBytes: c.ReqBytes, First: c.First, Last: c.Last, Any: c.Any, LatencySum: c.LatencySum, P99Latency: c.P99Latency}
		} else {
			s = m.Adapters[i][op].Stats()
		}
		all.Bursts += s.Bursts
		all.Requests += s.Requests
		all.Words += s.Words
		all.Bytes += s.Bytes
		all.ReqBytes += s.ReqBytes
		all.LatencySum += s.LatencySum
		all.P99Latency = max(all.P99Latency, s.P99Latency)
		if s.Any {
			if !all.Any || s.First < all.First {
				all.First = s.First
			}
			all.Last, all.Any = max(all.Last, s.Last), true
		}
	}
	if all.Requests > 0 {
		all.MeanLatency = float64(all.LatencySum) / float64(all.Requests)
	}
	return all
}

// DRAMCommands is what npusim's DRAM model did (nil for akita memories).
func (m *Memory) DRAMCommands() *dramsim.Stats {
	if m.Ctrl == nil {
		return nil
	}
	d := m.Ctrl.Stats().DRAM
	return &d
}

// Route returns where a client on Conn sends a request for byte address
// addr: the address the memory expects (akita memories' bank interleaving
// applied, as the adapters apply it) and the port that serves it. With
// npusim's DRAM model, call it after the first Attach.
func (m *Memory) Route(addr uint64) (uint64, sim.Port) {
	if m.Ctrl != nil {
		return addr, m.Ctrl.GetPortByName("Top")
	}
	if m.Converter != nil {
		addr = m.Converter.ConvertExternalToInternal(addr)
	}
	return addr, m.Finder.Find(addr)
}
