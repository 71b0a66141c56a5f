package dram

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

// Stats is what a channel moved during a layer.
type Stats struct {
	Words int64 // words read or written, as the requests count them
	// First and Last are the completion cycles of the first and the last
	// line moved, in the order they were requested (SCALE-Sim's Start and
	// Stop); Any is false when nothing moved.
	First, Last int64
	Any         bool
	// Latest is the latest completion of any line: later than Last when a
	// burst requested earlier completed after the last one (SCALE-Sim's
	// final ofmap drain overlaps a drain still in flight).
	Latest int64
}

// Channel is the ideal DRAM channel.
type Channel struct {
	*protocol.TickingComponent

	top           sim.Port
	clock         *protocol.Clock
	readLatency   int64
	writeLatency  int64
	wordsPerCycle int
	tracer        protocol.Tracer
	stats         Stats
	outbox        protocol.Outbox
}

// Builder builds Channels.
type Builder struct {
	engine        sim.Engine
	freq          sim.Freq
	readLatency   int64
	writeLatency  int64
	wordsPerCycle int
}

// MakeBuilder returns a Builder with SCALE-Sim's latencies: 1 cycle for
// reads, 0 for writes.
func MakeBuilder() Builder {
	return Builder{freq: 1 * sim.GHz, readLatency: 1}
}

// WithEngine sets the engine.
func (b Builder) WithEngine(e sim.Engine) Builder { b.engine = e; return b }

// WithFreq sets the clock.
func (b Builder) WithFreq(f sim.Freq) Builder { b.freq = f; return b }

// WithReadLatency sets the cycles from a read line's issue to its data.
func (b Builder) WithReadLatency(n int) Builder { b.readLatency = int64(n); return b }

// WithWriteLatency sets the cycles from a write line's issue to its
// completion.
func (b Builder) WithWriteLatency(n int) Builder { b.writeLatency = int64(n); return b }

// WithWordsPerCycle sets the channel's bandwidth. Zero (the default) makes
// it as wide as any request's lines: one line per cycle, whatever its
// width, which is what SCALE-Sim's CALC mode assumes.
func (b Builder) WithWordsPerCycle(n int) Builder { b.wordsPerCycle = n; return b }

// Build creates a channel; its port is named "Top".
func (b Builder) Build(name string) *Channel {
	c := &Channel{readLatency: b.readLatency, writeLatency: b.writeLatency, wordsPerCycle: b.wordsPerCycle}
	c.TickingComponent = protocol.NewTickingComponent(name, b.engine, b.freq, c)
	c.clock = protocol.NewClock(b.engine, b.freq, c.TickingComponent)
	c.top = sim.NewLimitNumMsgPort(c, 4, name+".Top")
	c.AddPort("Top", c.top)
	c.outbox.OnSend = c.traceAnswer
	return c
}

// traceAnswer ends the channel's task for a burst when its answer leaves.
// The task ("req_in", under the burst's own task) exists only for tracers
// attached with tracing.CollectTrace.
func (c *Channel) traceAnswer(m sim.Msg) {
	if rsp, ok := m.(*protocol.BurstRsp); ok && c.NumHooks() > 0 {
		tracing.EndTask(rsp.RspTo+"@"+c.Name(), c)
	}
}

// SetTracer sets where trace rows go (nil: nowhere).
func (c *Channel) SetTracer(t protocol.Tracer) { c.tracer = t }

// Stats returns what the channel moved since the last ResetStats.
func (c *Channel) Stats() Stats { return c.stats }

// ResetStats starts a new layer.
func (c *Channel) ResetStats() { c.stats = Stats{} }

// BurstFreq is the clock the channel counts a burst's cycles in.
func (c *Channel) BurstFreq() sim.Freq { return c.Freq }

// Tick serves the queued requests. Like every npusim component, it works
// until it has nothing left to do and then sleeps: a new request, a free
// connection or the time of an answer wakes it.
func (c *Channel) Tick(now sim.VTimeInSec) bool {
	for c.step(now) {
	}
	return false
}

func (c *Channel) step(now sim.VTimeInSec) bool {
	progress := c.clock.Flush(&c.outbox, now)
	msg := c.top.Retrieve(now)
	if msg == nil {
		return progress
	}
	req := msg.(*protocol.BurstReq)
	if c.NumHooks() > 0 {
		tracing.StartTask(tracing.MsgIDAtReceiver(req, c), req.ID, c, "req_in", "BurstReq", req)
	}
	rsp := &protocol.BurstRsp{RspTo: req.ID, Done: c.serve(req)}
	rsp.TrafficBytes = protocol.HeaderBytes
	if !req.Write {
		rsp.TrafficBytes += int(req.Words)
	}
	c.outbox.QueueAt(c.top, req.Src, rsp, c.clock.Time(req.Origin+rsp.Done-1))
	return true
}

func (c *Channel) serve(req *protocol.BurstReq) int64 {
	lat := c.readLatency
	if req.Write {
		lat = c.writeLatency
	}
	perLine := int64(1) // cycles per line
	if c.wordsPerCycle > 0 && req.LineWords > c.wordsPerCycle {
		perLine = int64((req.LineWords + c.wordsPerCycle - 1) / c.wordsPerCycle)
	}
	first := req.At + perLine - 1 + lat
	last := first + (int64(req.Lines)-1)*perLine
	c.stats.Words += req.Words
	if req.Lines > 0 {
		if !c.stats.Any {
			c.stats.First, c.stats.Any = first, true
			c.stats.Latest = last
		}
		c.stats.Last = last
		c.stats.Latest = max(c.stats.Latest, last)
	}
	if c.tracer != nil && req.Data != nil {
		for j, line := range req.Data {
			c.tracer.Row(first+int64(j)*perLine, line)
		}
	}
	return last
}
