package multicore

import (
	"fmt"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/sarchlab/akita/v3/sim"
)

// Memory is one memory system that several accelerators share: akita
// memory controllers (dram.Memory) and, per attached accelerator, one
// dram.Adapter per operand buffer, all on one DirectConnection. The
// adapters' requests meet at the controllers, whose queues, banks and
// buses they share: that is where contention comes from.
type Memory struct {
	*dram.Memory
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
}

// NewMemory builds the memory spec describes on engine for clients
// accelerators; freq is the accelerators' clock. spec must not be ideal.
// The controllers join the connection when the clients-th accelerator is
// attached: attach exactly clients.
func NewMemory(engine sim.Engine, freq sim.Freq, name string, spec dram.MemorySpec, clients int) (*Memory, error) {
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
	var n int64
	for _, ads := range m.Adapters {
		for _, a := range ads {
			n += a.Stats().ReqBytes
		}
	}
	return n
}
