package sram

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

// ports is the messaging common to the buffers: an ordered outbox whose
// bursts leave at their own cycle, the bursts in flight, and a flag for "the
// policy cannot go on until the last burst completes".
type ports struct {
	comp        *protocol.TickingComponent
	clock       *protocol.Clock
	origin      int64 // engine cycle of the layer's cycle 0
	top, bottom sim.Port
	dram        sim.Port // the DRAM channel's port
	outbox      protocol.Outbox
	inFlight    int
	blocked     bool // waiting for the response of the last burst
	lastDone    int64
	traceSlots  []int64 // scratch for traceRow
	addrs       bool    // bursts carry their address ranges
	task        string  // the tracing task bursts queued now belong to
}

func (p *ports) init(c *protocol.TickingComponent, engine sim.Engine, freq sim.Freq, name string) {
	p.comp = c
	p.clock = protocol.NewClock(engine, freq, c)
	p.outbox.OnSend = p.traceSend
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

// replyAt queues msg from the top port to the sender of req, to leave at
// the layer's cycle cycle.
func (p *ports) replyAt(req sim.Msg, msg sim.Msg, cycle int64) {
	p.outbox.QueueAt(p.top, req.Meta().Src, msg, p.clock.Time(p.origin+cycle))
}

// burst queues a request to the DRAM channel behind the bottom port, to
// leave at its cycle At (at once if that is past: SCALE-Sim's CALC-mode
// estimate dates its fetches backwards). blocking bursts stop the policy
// until the response arrives.
func (p *ports) burst(b *protocol.BurstReq, blocking bool) {
	b.Origin = p.origin
	b.ParentTask = p.task
	b.TrafficBytes = protocol.HeaderBytes
	if b.Write {
		b.TrafficBytes += int(b.Words)
	}
	p.outbox.QueueAt(p.bottom, p.dram, b, p.clock.Time(p.origin+b.At))
	p.inFlight++
	if blocking {
		p.blocked = true
	}
}

// traceSend starts an akita tracing task for each burst as it leaves (a
// "fill" or a "drain", ended by its answer), for tracers attached to the
// buffer with tracing.CollectTrace; without one it costs a check.
func (p *ports) traceSend(m sim.Msg) {
	b, ok := m.(*protocol.BurstReq)
	if !ok || p.comp.NumHooks() == 0 {
		return
	}
	what := "fill"
	if b.Write {
		what = "drain"
	}
	tracing.StartTask(b.ID, b.ParentTask, p.comp, "burst", what, b)
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
		rsp := m.(*protocol.BurstRsp)
		p.lastDone = rsp.Done
		tracing.EndTask(rsp.RspTo, p.comp)
		if p.inFlight == 0 {
			p.blocked = false
		}
	}
}

// exchange takes burst responses and sends what is due; it reports whether
// anything happened. When the awaited burst completes, unblocked gets its
// completion cycle. Responses are taken first: a channel whose responses
// are not taken stops taking requests, so a buffer with a full outbox would
// otherwise wait on itself.
func (p *ports) exchange(now sim.VTimeInSec, unblocked func(done int64)) bool {
	progress := false
	wasBlocked := p.blocked
	if p.collect(now) {
		progress = true
		if wasBlocked && !p.blocked {
			unblocked(p.lastDone)
		}
	}
	if p.clock.Flush(&p.outbox, now) {
		progress = true
	}
	return progress
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
