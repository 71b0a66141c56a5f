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
	outbox      []sim.Msg
	inFlight    int
	blocked     bool // waiting for the response of the last burst
	lastDone    int64
}

func (p *ports) init(c sim.Component, name string) {
	p.top = sim.NewLimitNumMsgPort(c, 4, name+".Top")
	c.AddPort("Top", p.top)
	p.bottom = sim.NewLimitNumMsgPort(c, 4, name+".Bottom")
	c.AddPort("Bottom", p.bottom)
}

// SetDRAM points the bottom port at a DRAM channel's port.
func (p *ports) SetDRAM(port sim.Port) { p.dram = port }

// flush sends what it can; it reports whether the outbox is empty.
func (p *ports) flush(now sim.VTimeInSec, progress *bool) bool {
	for len(p.outbox) > 0 {
		m := p.outbox[0]
		m.Meta().SendTime = now
		if m.Meta().Src.Send(m) != nil {
			return false
		}
		p.outbox[0] = nil
		p.outbox = p.outbox[1:]
		*progress = true
	}
	return true
}

// reply queues msg from the top port to the sender of req.
func (p *ports) reply(req sim.Msg, msg sim.Msg) {
	meta := msg.Meta()
	meta.ID = sim.GetIDGenerator().Generate()
	meta.Src, meta.Dst = p.top, req.Meta().Src
	p.outbox = append(p.outbox, msg)
}

// burst queues a request to the DRAM channel behind the bottom port.
// blocking bursts stop the policy until the response arrives.
func (p *ports) burst(b *protocol.BurstReq, blocking bool) {
	b.ID = sim.GetIDGenerator().Generate()
	b.Src, b.Dst = p.bottom, p.dram
	p.outbox = append(p.outbox, b)
	p.inFlight++
	if blocking {
		p.blocked = true
	}
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

// exchange sends what is queued and takes burst responses. It reports
// whether anything happened, and whether the owner may go on: nothing is
// left to send and no burst is awaited. When the awaited burst completes,
// unblocked gets its completion cycle.
func (p *ports) exchange(now sim.VTimeInSec, unblocked func(done int64)) (progress, free bool) {
	if !p.flush(now, &progress) {
		return progress, false
	}
	wasBlocked := p.blocked
	if p.collect(now) {
		progress = true
		if wasBlocked && !p.blocked {
			unblocked(p.lastDone)
		}
	}
	return progress, !p.blocked
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
