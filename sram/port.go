// Package sram holds npusim's on-chip buffers: the double-buffered operand
// read buffers (ifmap, filter) and the ofmap write buffer. Each is an akita
// component with a "Top" port facing the PE array and a "Bottom" port facing
// a DRAM channel; their prefetch and drain policies are SCALE-Sim v2's.
package sram

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// ports is the messaging common to the buffers: an ordered outbox, the
// burst requests in flight, and a flag for "the policy cannot go on until
// the last burst completes".
type ports struct {
	top, bottom sim.Port
	dram        sim.Port // the DRAM channel's port
	outbox      protocol.Outbox
	inFlight    int
	blocked     bool // waiting for the response of the last burst
	lastDone    int64
	traceSlots  []int64 // scratch for traceRow
}

func (p *ports) init(c sim.Component, name string) {
	p.top = sim.NewLimitNumMsgPort(c, 4, name+".Top")
	c.AddPort("Top", p.top)
	p.bottom = sim.NewLimitNumMsgPort(c, 4, name+".Bottom")
	c.AddPort("Bottom", p.bottom)
}

// SetDRAM points the bottom port at a DRAM channel's port.
func (p *ports) SetDRAM(port sim.Port) { p.dram = port }

// reply queues msg from the top port to the sender of req.
func (p *ports) reply(req sim.Msg, msg sim.Msg) {
	p.outbox.Queue(p.top, req.Meta().Src, msg)
}

// burst queues a request to the DRAM channel behind the bottom port.
// blocking bursts stop the policy until the response arrives.
func (p *ports) burst(b *protocol.BurstReq, blocking bool) {
	p.outbox.Queue(p.bottom, p.dram, b)
	p.inFlight++
	if blocking {
		p.blocked = true
	}
}

// traceRow writes one SRAM trace row: the cycle, then the width slots of a
// demand row, -1 outside [lo, hi) where Demand.Row left them unset.
func (p *ports) traceRow(t protocol.Tracer, cycle int64, width int, row []int64, lo, hi int) {
	if cap(p.traceSlots) < width {
		p.traceSlots = make([]int64, width)
	}
	slots := p.traceSlots[:width]
	for i := range slots {
		slots[i] = -1
	}
	copy(slots[lo:hi], row[lo:hi])
	t.Row(cycle, slots)
}

// collect takes burst responses; it reports whether it took any.
func (p *ports) collect(now sim.VTimeInSec) bool {
	took := false
	for {
		m := p.bottom.Retrieve(now)
		if m == nil {
			return took
		}
		took = true
		p.inFlight--
		p.lastDone = m.(*protocol.BurstRsp).Done
		if p.inFlight == 0 {
			p.blocked = false
		}
	}
}

// exchange takes burst responses and sends what is queued. It reports
// whether anything happened, and whether the owner may go on: nothing is
// left to send and no burst is awaited. When the awaited burst completes,
// unblocked gets its completion cycle. Responses are taken first: a
// channel whose responses are not taken stops taking requests, so a buffer
// with a full outbox would otherwise wait on itself.
func (p *ports) exchange(now sim.VTimeInSec, unblocked func(done int64)) (progress, free bool) {
	wasBlocked := p.blocked
	if p.collect(now) {
		progress = true
		if wasBlocked && !p.blocked {
			unblocked(p.lastDone)
		}
	}
	if p.outbox.Flush(now) {
		progress = true
	}
	return progress, p.outbox.Empty() && !p.blocked
}

// next hands the next request from the array to handle; it reports
// whether there was one.
func (p *ports) next(now sim.VTimeInSec, handle func(sim.Msg)) bool {
	msg := p.top.Retrieve(now)
	if msg == nil {
		return false
	}
	handle(msg)
	return true
}
