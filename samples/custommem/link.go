package main

import (
	"cmp"
	"math"
	"slices"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// Link is a compressing link between an operand buffer and its DRAM: the
// operand is stored compressed by Ratio (say 2 for weights stored 2:1), so
// a burst of L lines and W words becomes one of ceil(L/Ratio) lines and
// ceil(W/Ratio) words below the link, and the (de)compressor adds Latency
// cycles to each burst. It speaks npusim's burst protocol on both sides:
// "Top" takes the buffer's protocol.BurstReq, "Bottom" sends the
// compressed burst to any component that serves them (dram.Controller,
// the ideal channel, a dram.Adapter) and answers the buffer when that
// burst is done.
//
// The compressed operand has addresses of its own, which a real memory
// serves: word a (from Base up) is stored at Base + (a-Base)/Ratio, in the
// original order, so a run of words [s, e) lives in the compressed words
// from Base + floor((s-Base)/Ratio) to Base + ceil((e-Base)/Ratio). The
// burst below lists those (see compress), so the memory fetches fewer
// blocks and the interface moves the burst's words divided by Ratio. A
// burst without address ranges (a buffer not built to report them) goes
// on unchanged and is answered when the memory answers it: the link cannot
// say where its compressed data would be.
type Link struct {
	*protocol.TickingComponent
	top, bottom sim.Port
	dram        sim.Port // the port below that serves bursts
	Ratio       float64
	Latency     int64
	Base        int64 // the first word address of the compressed operand

	clock   *protocol.Clock
	outbox  protocol.Outbox
	pending map[string]pendingBurst // by the ID of the burst sent below
	// Bursts counts the bursts answered, Passed those of them that went on
	// unchanged. In and Out are the words the compressed bursts' ranges
	// list above the link and below it: what the memory's interface would
	// have moved without the link, and what it moved.
	Bursts, Passed, In, Out int64
}

// pendingBurst is a buffer's burst waiting for the one sent below.
type pendingBurst struct {
	req        *protocol.BurstReq
	compressed bool
}

// NewLink builds a link on engine at freq for an operand stored from word
// base; connect its "Bottom" port to the memory's connection and call
// SetDRAM.
func NewLink(name string, engine sim.Engine, freq sim.Freq, ratio float64, latency int, base int64) *Link {
	l := &Link{Ratio: ratio, Latency: int64(latency), Base: base, pending: map[string]pendingBurst{}}
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

// ResetStats starts new counts (a new layer).
func (l *Link) ResetStats() { l.Bursts, l.Passed, l.In, l.Out = 0, 0, 0, 0 }

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
		compressed := len(req.Ranges) > 0
		if compressed {
			down.Lines = int(math.Ceil(float64(req.Lines) / l.Ratio))
			down.Words = int64(math.Ceil(float64(req.Words) / l.Ratio))
			down.Data = nil // the lines' addresses are the uncompressed ones
			var in, out int64
			down.Ranges, in, out = l.compress(req.Ranges)
			l.In += in
			l.Out += out
		}
		l.outbox.Queue(l.bottom, l.dram, &down)
		l.pending[down.ID] = pendingBurst{req, compressed}
		return true
	}
	if msg := l.bottom.Retrieve(now); msg != nil {
		rsp := msg.(*protocol.BurstRsp)
		p := l.pending[rsp.RspTo]
		delete(l.pending, rsp.RspTo)
		l.Bursts++
		done := rsp.Done
		if p.compressed {
			done += l.Latency
		} else {
			l.Passed++
		}
		// Done counts from the request's Origin on both sides; like the
		// ideal channel, answer one cycle before it, the hop to the buffer.
		l.outbox.QueueAt(l.top, p.req.Src, &protocol.BurstRsp{RspTo: p.req.ID, Done: done}, l.clock.Time(p.req.Origin+done-1))
		return true
	}
	return progress
}

// compress maps a burst's word runs to the compressed operand and returns
// the runs the memory serves, with the words listed above the link (in)
// and below it (out).
//
// A buffer lists a burst's words in the order it needs them, one run each
// and a word as often as it needs it (SCALE-Sim counts a fill that way),
// and its interface moves every word listed while the memory fetches each
// block once. The compressed burst keeps both sides of that: its runs
// cover the compressed images of the words, sorted and merged, so the
// memory fetches those blocks once each; then, so that the interface
// moves the listed words compressed by Ratio, ceil(in/Ratio) words in
// all, the merged runs are listed again, in turn, until they hold that
// many (never fewer than the images themselves).
func (l *Link) compress(ranges []protocol.AddrRange) (out []protocol.AddrRange, in, listed int64) {
	img := make([]protocol.AddrRange, 0, len(ranges))
	for _, r := range ranges {
		if r.End <= r.Start {
			continue
		}
		in += r.Len()
		img = append(img, protocol.AddrRange{Start: l.at(r.Start, math.Floor), End: l.at(r.End, math.Ceil)})
	}
	slices.SortFunc(img, func(a, b protocol.AddrRange) int { return cmp.Compare(a.Start, b.Start) })
	merged := img[:0]
	var distinct int64
	for _, r := range img {
		if k := len(merged); k > 0 && r.Start <= merged[k-1].End {
			if r.End > merged[k-1].End {
				distinct += r.End - merged[k-1].End
				merged[k-1].End = r.End
			}
			continue
		}
		merged = append(merged, r)
		distinct += r.Len()
	}
	listed = max(distinct, int64(math.Ceil(float64(in)/l.Ratio)))
	out = merged
	for extra, i := listed-distinct, 0; extra > 0; i = (i + 1) % len(merged) {
		r := merged[i]
		r.End = min(r.End, r.Start+extra)
		out = append(out, r)
		extra -= r.Len()
	}
	return out, in, listed
}

// at is where word boundary a of the operand lies in the compressed one,
// rounded by round; words below Base are not compressed.
func (l *Link) at(a int64, round func(float64) float64) int64 {
	if a <= l.Base {
		return a
	}
	return l.Base + int64(round(float64(a-l.Base)/l.Ratio))
}
