package main

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/internal/readmetest"
	"github.com/sarchlab/akita/v3/sim"
)

// The two AlexNet runs, simulated once for the tests that read them.
var (
	simOnce    sync.Once
	base, comp result
)

func runs() (result, result) {
	simOnce.Do(func() { base, comp = simulate() })
	return base, comp
}

// TestREADME runs the sample and checks that docs/multicore.md, the page
// that describes it, shows its output.
func TestREADME(t *testing.T) {
	b, c := runs()
	var out strings.Builder
	write(&out, b, c)
	readmetest.ShowsVerbatim(t, "../../docs/multicore.md", out.String())
}

// TestCompressionOnDRAM checks what the links do to the DRAM model: the
// memory serves fewer requests and the interfaces move fewer words in
// every layer, no layer stalls longer, and the links' counts add up with
// the memory's in both runs.
func TestCompressionOnDRAM(t *testing.T) {
	b, c := runs()
	n := len(network())
	if len(b.stalls) != n || len(c.stalls) != n {
		t.Fatalf("%d layers, runs gave %d and %d", n, len(b.stalls), len(c.stalls))
	}
	for i := range n {
		if c.requests[i] >= b.requests[i] || c.words[i] >= b.words[i] {
			t.Errorf("layer %d: with the links %d requests, %d words; without %d, %d", i, c.requests[i], c.words[i], b.requests[i], b.words[i])
		}
		if c.stalls[i] > b.stalls[i] {
			t.Errorf("layer %d: %d stall cycles with the links, %d without", i, c.stalls[i], b.stalls[i])
		}
		if b.requests[i] == 0 || b.stalls[i] == 0 {
			t.Errorf("layer %d: no requests (%d) or no stalls (%d) without the links", i, b.requests[i], b.stalls[i])
		}
	}
	if c.cycles >= b.cycles {
		t.Errorf("%d cycles with the links, %d without", c.cycles, b.cycles)
	}
	for op, r := range ratios {
		// The buffers ask for the same words with or without the links,
		// and what the links send is what the memory served.
		if c.linkIn[op] != b.opWords[op] {
			t.Errorf("operand %d: %d words above the link, %d served without it", op, c.linkIn[op], b.opWords[op])
		}
		if c.linkOut[op] != c.opWords[op] {
			t.Errorf("operand %d: %d words below the link, the memory served %d", op, c.linkOut[op], c.opWords[op])
		}
		// Compressed by the ratio: at least words/ratio (each burst
		// rounds up), and fewer than without.
		if min := int64(math.Ceil(float64(c.linkIn[op]) / r)); c.linkOut[op] < min || c.linkOut[op] >= c.linkIn[op] {
			t.Errorf("operand %d: %d words compressed %.1f:1 became %d, want [%d, %d)", op, c.linkIn[op], r, c.linkOut[op], min, c.linkIn[op])
		}
	}
	for _, x := range []result{b, c} {
		var layers, ops int64
		for i := range n {
			layers += x.words[i]
		}
		for _, w := range x.opWords {
			ops += w
		}
		if layers != ops {
			t.Errorf("the memory served %d words by layer, %d by operand", layers, ops)
		}
	}
}

func TestCompressRanges(t *testing.T) {
	r := func(s, e int64) protocol.AddrRange { return protocol.AddrRange{Start: s, End: e} }
	for _, c := range []struct {
		name        string
		ratio       float64
		base        int64
		in          []protocol.AddrRange
		want        []protocol.AddrRange
		words, list int64
	}{
		// Words 100..113 at 2:1 live in 100..106; 99 is below Base.
		{"merged", 2, 100, []protocol.AddrRange{r(100, 101), r(101, 102), r(100, 101), r(110, 114), r(99, 100)},
			[]protocol.AddrRange{r(99, 101), r(105, 107)}, 8, 4},
		// A word listed six times crosses the interface four times at 1.5:1.
		{"repeated", 1.5, 0, []protocol.AddrRange{r(0, 1), r(0, 1), r(0, 1), r(0, 1), r(0, 1), r(0, 1)},
			[]protocol.AddrRange{r(0, 1), r(0, 1), r(0, 1), r(0, 1)}, 6, 4},
		// 14 words listed, 7 compressed: the runs' images listed in turn,
		// the last one cut.
		{"cycled", 2, 0, []protocol.AddrRange{r(0, 4), r(8, 10), r(0, 4), r(0, 4)},
			[]protocol.AddrRange{r(0, 2), r(4, 5), r(0, 2), r(4, 5), r(0, 1)}, 14, 7},
		// Scattered words need a compressed word each, more than 3/2.
		{"scattered", 2, 0, []protocol.AddrRange{r(8, 9), r(0, 1), r(4, 5), r(6, 6)},
			[]protocol.AddrRange{r(0, 1), r(2, 3), r(4, 5)}, 3, 3},
		// 1.5:1 straddles: words [1, 2) live in compressed [0, 2).
		{"straddle", 1.5, 0, []protocol.AddrRange{r(1, 2)}, []protocol.AddrRange{r(0, 2)}, 1, 2},
	} {
		l := &Link{Ratio: c.ratio, Base: c.base}
		got, in, out := l.compress(slices.Clone(c.in))
		if !slices.Equal(got, c.want) || in != c.words || out != c.list {
			t.Errorf("%s: compress(%v) = %v, %d, %d; want %v, %d, %d", c.name, c.in, got, in, out, c.want, c.words, c.list)
		}
	}
}

// sender sends bursts to a port and keeps the answers.
type sender struct {
	*sim.TickingComponent
	port  sim.Port
	dst   sim.Port
	queue []*protocol.BurstReq
	got   map[string]int64 // Done by request ID
}

func (s *sender) Tick(now sim.VTimeInSec) bool {
	progress := false
	for msg := s.port.Retrieve(now); msg != nil; msg = s.port.Retrieve(now) {
		rsp := msg.(*protocol.BurstRsp)
		s.got[rsp.RspTo] = rsp.Done
		progress = true
	}
	for len(s.queue) > 0 {
		req := s.queue[0]
		req.ID, req.Src, req.Dst, req.SendTime = sim.GetIDGenerator().Generate(), s.port, s.dst, now
		if s.port.Send(req) != nil {
			break
		}
		s.queue = s.queue[1:]
		progress = true
	}
	return progress
}

// TestLinkOnIdealChannel times two reads through a 2:1 link in front of
// the ideal channel: one with ranges goes on as half its lines and is
// answered Latency later, one without goes on and comes back unchanged.
func TestLinkOnIdealChannel(t *testing.T) {
	engine := sim.NewSerialEngine()
	link := NewLink("Link", engine, 1*sim.GHz, 2, 4, 0)
	ch := dram.MakeBuilder().WithEngine(engine).WithWordsPerCycle(8).Build("DRAM")
	s := &sender{got: map[string]int64{}}
	s.TickingComponent = sim.NewTickingComponent("Sender", engine, 1*sim.GHz, s)
	s.port = sim.NewLimitNumMsgPort(s, 4, "Sender.Port")
	s.dst = link.GetPortByName("Top")
	up := sim.NewDirectConnection("Up", engine, 1*sim.GHz)
	up.PlugIn(s.port, 4)
	up.PlugIn(link.GetPortByName("Top"), 4)
	down := sim.NewDirectConnection("Down", engine, 1*sim.GHz)
	down.PlugIn(link.GetPortByName("Bottom"), 4)
	down.PlugIn(ch.GetPortByName("Top"), 4)
	link.SetDRAM(ch.GetPortByName("Top"))
	withRanges := &protocol.BurstReq{Lines: 8, LineWords: 8, Words: 64, Ranges: []protocol.AddrRange{{Start: 0, End: 64}}}
	without := &protocol.BurstReq{At: 100, Lines: 8, LineWords: 8, Words: 64}
	s.queue = []*protocol.BurstReq{withRanges, without}
	s.TickLater(0)
	if err := engine.Run(); err != nil {
		t.Fatal(err)
	}
	// The ideal channel completes line j of a read at At+j+1.
	if d, ok := s.got[withRanges.ID]; !ok || d != 4+4 {
		t.Errorf("compressed read answered %v (%d), want Done 8 (4 lines + 4 cycles)", ok, d)
	}
	if d, ok := s.got[without.ID]; !ok || d != 100+8 {
		t.Errorf("read without ranges answered %v (%d), want Done 108", ok, d)
	}
	if link.Bursts != 2 || link.Passed != 1 || link.In != 64 || link.Out != 32 {
		t.Errorf("link counted %d bursts, %d passed, %d words in, %d out; want 2, 1, 64, 32", link.Bursts, link.Passed, link.In, link.Out)
	}
	if w := ch.Stats().Words; w != 32+64 {
		t.Errorf("channel moved %d words, want 96", w)
	}
}
