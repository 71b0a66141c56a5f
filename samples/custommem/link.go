package main

import (
	"math"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// Link is a compressing link between an operand buffer and its DRAM: the
// data crosses the DRAM interface compressed by Ratio (say 2 for weights
// stored 2:1), so a burst of L lines and W words becomes one of ceil(L/Ratio)
// lines and ceil(W/Ratio) words below the link, and the (de)compressor adds
// Latency cycles to each burst. It speaks npusim's burst protocol on both
// sides: "Top" takes the buffer's protocol.BurstReq, "Bottom" sends the
// compressed burst to any component that serves them (the ideal channel, a
// dram.Adapter) and answers the buffer when that burst is done.
type Link struct {
	*protocol.TickingComponent
	top, bottom sim.Port
	dram        sim.Port // the port below that serves bursts
	Ratio       float64
	Latency     int64

	clock   *protocol.Clock
	outbox  protocol.Outbox
	pending map[string]*protocol.BurstReq // the buffer's request, by the ID of the one sent below
	// Bursts and Saved count the bursts served and the words compression
	// kept off the DRAM interface.
	Bursts, Saved int64
}

// NewLink builds a link on engine at freq; connect its "Bottom" port to
// dram's connection and call SetDRAM.
func NewLink(name string, engine sim.Engine, freq sim.Freq, ratio float64, latency int) *Link {
	l := &Link{Ratio: ratio, Latency: int64(latency), pending: map[string]*protocol.BurstReq{}}
	l.TickingComponent = protocol.NewTickingComponent(name, engine, freq, l)
	l.clock = protocol.NewClock(engine, freq, l.TickingComponent)
	l.top = sim.NewLimitNumMsgPort(l, 4, name+".Top")
	l.bottom = sim.NewLimitNumMsgPort(l, 4, name+".Bottom")
	l.AddPort("Top", l.top)
	l.AddPort("Bottom", l.bottom)
	return l
}

// SetDRAM points the link at the port that serves its compressed bursts.
func (l *Link) SetDRAM(p sim.Port) { l.dram = p }

// Tick forwards what it can and sleeps; a message or a free port wakes it.
func (l *Link) Tick(now sim.VTimeInSec) bool {
	progress := false
	for l.step(now) {
		progress = true
	}
	return progress
}

func (l *Link) step(now sim.VTimeInSec) bool {
	progress := l.clock.Flush(&l.outbox, now)
	if msg := l.top.Retrieve(now); msg != nil {
		req := msg.(*protocol.BurstReq)
		down := *req // same origin, start cycle, direction, line width
		down.MsgMeta = sim.MsgMeta{}
		down.Lines = int(math.Ceil(float64(req.Lines) / l.Ratio))
		down.Words = int64(math.Ceil(float64(req.Words) / l.Ratio))
		down.Data, down.Ranges = nil, nil // the compressed lines have addresses of their own
		l.Saved += req.Words - down.Words
		l.outbox.Queue(l.bottom, l.dram, &down)
		l.pending[down.ID] = req
		return true
	}
	if msg := l.bottom.Retrieve(now); msg != nil {
		rsp := msg.(*protocol.BurstRsp)
		req := l.pending[rsp.RspTo]
		delete(l.pending, rsp.RspTo)
		l.Bursts++
		// Done counts from the request's Origin on both sides; like the
		// ideal channel, answer one cycle before it, the hop to the buffer.
		done := rsp.Done + l.Latency
		l.outbox.QueueAt(l.top, req.Src, &protocol.BurstRsp{RspTo: req.ID, Done: done}, l.clock.Time(req.Origin+done-1))
		return true
	}
	return progress
}
