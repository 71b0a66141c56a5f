package components_test

import (
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// slowDRAM is a second DRAM channel implementation, written here only
// against akita and components/protocol: it times a burst like the ideal
// channel (one line per cycle from At, read latency 1, write latency 0)
// plus a fixed extra latency, and counts the words it moved per requesting
// port.
type slowDRAM struct {
	*sim.TickingComponent

	top     sim.Port
	extra   int64
	words   map[sim.Port]int64
	ranges  map[sim.Port][]protocol.AddrRange
	reqs    int
	bursts  []*protocol.BurstReq // every burst, in arrival order
	pending *protocol.BurstRsp
}

func newSlowDRAM(name string, engine sim.Engine, extra int) *slowDRAM {
	return newSlowDRAMOwned(name, engine, extra, false)
}

// newSlowDRAMOwned is newSlowDRAM whose port belongs to a blockDRAM when
// blocks is set.
func newSlowDRAMOwned(name string, engine sim.Engine, extra int, blocks bool) *slowDRAM {
	d := &slowDRAM{extra: int64(extra), words: map[sim.Port]int64{}, ranges: map[sim.Port][]protocol.AddrRange{}}
	d.TickingComponent = sim.NewTickingComponent(name, engine, 1*sim.GHz, d)
	var owner sim.Component = d
	if blocks {
		owner = blockDRAM{d}
	}
	d.top = sim.NewLimitNumMsgPort(owner, 4, name+".Top")
	d.AddPort("Top", d.top)
	return d
}

// Tick answers one request per tick.
func (d *slowDRAM) Tick(now sim.VTimeInSec) bool {
	if d.pending != nil {
		d.pending.SendTime = now
		if d.top.Send(d.pending) != nil {
			return false
		}
		d.pending = nil
		return true
	}
	msg := d.top.Retrieve(now)
	if msg == nil {
		return false
	}
	req, ok := msg.(*protocol.BurstReq)
	if !ok {
		panic("slowDRAM: unexpected message")
	}
	lat := int64(1)
	if req.Write {
		lat = 0
	}
	d.reqs++
	d.bursts = append(d.bursts, req)
	d.words[req.Src] += req.Words
	d.ranges[req.Src] = append(d.ranges[req.Src], req.Ranges...)
	rsp := &protocol.BurstRsp{RspTo: req.ID, Done: req.At + int64(req.Lines) - 1 + lat + d.extra}
	rsp.ID = sim.GetIDGenerator().Generate()
	rsp.Src, rsp.Dst = d.top, req.Src
	d.pending = rsp
	return true
}

// swapBuilder is the accelerator both runs use: USER bandwidth mode with
// buffers small enough that fills and drains stall the array.
func swapBuilder(engine sim.Engine) components.Builder {
	return components.MakeBuilder().
		WithEngine(engine).
		WithArray(8, 8).
		WithDataflow(systolic.WS).
		WithSRAMKB(1, 1, 1).
		WithBandwidth(4)
}

var swapLayer = systolic.GEMM("fc", 64, 32, 128)

type swapRun struct {
	res   systolic.LayerResult
	words [3]int64 // per operand, as the DRAM side counted them
	reqs  int      // requests the replacement saw (0 for the ideal channels)
}

func runIdeal(t *testing.T) swapRun {
	t.Helper()
	acc := swapBuilder(sim.NewSerialEngine()).Build("Ideal")
	res, err := acc.RunLayer(0, swapLayer)
	if err != nil {
		t.Fatal(err)
	}
	var r swapRun
	r.res = res
	for i, ch := range acc.DRAM {
		if ch == nil {
			t.Fatalf("operand %d: no ideal channel without WithDRAM", i)
		}
		r.words[i] = ch.Stats().Words
	}
	return r
}

func runSlow(t *testing.T, extra int) swapRun {
	t.Helper()
	engine := sim.NewSerialEngine()
	d := newSlowDRAM("Slow", engine, extra)
	port := d.GetPortByName("Top")
	acc := swapBuilder(engine).WithDRAM(port, port, port).Build("Swapped")
	for i, ch := range acc.DRAM {
		if ch != nil {
			t.Fatalf("operand %d: ideal channel built although WithDRAM replaced it", i)
		}
	}
	res, err := acc.RunLayer(0, swapLayer)
	if err != nil {
		t.Fatal(err)
	}
	r := swapRun{res: res, reqs: d.reqs}
	for i, buf := range []sim.Component{acc.Ifmap, acc.Filter, acc.Ofmap} {
		r.words[i] = d.words[buf.GetPortByName("Bottom")]
	}
	return r
}

// TestDRAMSwap replaces all three DRAM channels through Builder.WithDRAM
// with one slowDRAM and checks that it really is the memory the buffers
// use: with no extra latency it moves the same words per operand and gives
// the same cycles as the ideal channels; with extra latency the array
// stalls longer.
func TestDRAMSwap(t *testing.T) {
	ideal := runIdeal(t)
	if ideal.res.StallCycles == 0 {
		t.Fatalf("test setup: the ideal run has no stalls; make the buffers smaller")
	}
	for i, w := range ideal.words {
		if w == 0 {
			t.Fatalf("test setup: operand %d moved no DRAM words", i)
		}
	}
	t.Logf("ideal: total %d, stalls %d, words %v", ideal.res.TotalCycles, ideal.res.StallCycles, ideal.words)

	same := runSlow(t, 0)
	if same.reqs == 0 {
		t.Fatal("the replacement channel saw no requests")
	}
	if same.words != ideal.words {
		t.Errorf("L=0: replacement moved %v words per operand, ideal channels %v", same.words, ideal.words)
	}
	if same.res.StallCycles != ideal.res.StallCycles || same.res.TotalCycles != ideal.res.TotalCycles {
		t.Errorf("L=0: stalls %d, total %d; ideal: stalls %d, total %d",
			same.res.StallCycles, same.res.TotalCycles, ideal.res.StallCycles, ideal.res.TotalCycles)
	}

	prev := same
	for _, extra := range []int{1, 5, 50} {
		slow := runSlow(t, extra)
		t.Logf("L=%d: total %d, stalls %d, words %v, requests %d",
			extra, slow.res.TotalCycles, slow.res.StallCycles, slow.words, slow.reqs)
		// Which lines a read buffer holds never depends on time, so the
		// reads are the same; only their lateness grows.
		for _, op := range []protocol.Operand{protocol.Ifmap, protocol.Filter} {
			if slow.words[op] != ideal.words[op] {
				t.Errorf("L=%d: %v reads %d words, ideal %d", extra, op, slow.words[op], ideal.words[op])
			}
		}
		if slow.words[protocol.Ofmap] == 0 {
			t.Errorf("L=%d: no ofmap words reached the replacement", extra)
		}
		if slow.res.StallCycles <= ideal.res.StallCycles {
			t.Errorf("L=%d: stalls %d, not more than the ideal channel's %d", extra, slow.res.StallCycles, ideal.res.StallCycles)
		}
		if slow.res.StallCycles < prev.res.StallCycles {
			t.Errorf("L=%d: stalls %d, fewer than with less latency (%d)", extra, slow.res.StallCycles, prev.res.StallCycles)
		}
		if slow.res.TotalCycles <= ideal.res.TotalCycles {
			t.Errorf("L=%d: total cycles %d, not more than the ideal channel's %d", extra, slow.res.TotalCycles, ideal.res.TotalCycles)
		}
		prev = slow
	}
}

// TestBurstRanges checks the addresses that bursts carry to a memory other
// than the ideal channel: the drains move exactly the words the array wrote
// (a weight-stationary layer writes each output once per row fold, as
// partial sums) and cover the whole output; the fills stay inside their
// operand and bring every word of it.
func TestBurstRanges(t *testing.T) {
	engine := sim.NewSerialEngine()
	d := newSlowDRAM("Rec", engine, 0)
	port := d.GetPortByName("Top")
	acc := swapBuilder(engine).WithDRAM(port, port, port).Build("NPU")
	if _, err := acc.RunLayer(0, swapLayer); err != nil {
		t.Fatal(err)
	}
	m, n, k := int64(swapLayer.H), int64(swapLayer.N), int64(swapLayer.W) // GEMM as conv: H=M, W=K
	off := acc.Offsets
	operands := []struct {
		buf       sim.Component
		base, len int64
		writes    int64 // words written to the buffer, for the ofmap
	}{
		{acc.Ifmap, off.Ifmap, m * k, 0},
		{acc.Filter, off.Filter, k * n, 0},
		{acc.Ofmap, off.Ofmap, m * n, acc.Ofmap.Stats().Requests},
	}
	for i, o := range operands {
		seen := map[int64]int{}
		moved := int64(0)
		for _, r := range d.ranges[o.buf.GetPortByName("Bottom")] {
			if r.Start < o.base || r.End > o.base+o.len || r.Len() <= 0 {
				t.Fatalf("operand %d: range [%d, %d) outside [%d, %d)", i, r.Start, r.End, o.base, o.base+o.len)
			}
			for a := r.Start; a < r.End; a++ {
				seen[a]++
			}
			moved += r.Len()
		}
		if int64(len(seen)) != o.len {
			t.Errorf("operand %d: bursts moved %d distinct words, want all %d", i, len(seen), o.len)
		}
		if o.writes > 0 && moved != o.writes {
			t.Errorf("operand %d: drains moved %d words, the array wrote %d", i, moved, o.writes)
		}
	}
}

// blockDRAM is a slowDRAM that says it serves 64-byte blocks
// (protocol.BlockServer), so the buffers count their words per block.
type blockDRAM struct{ *slowDRAM }

func (d blockDRAM) BurstFreq() sim.Freq  { return 1 * sim.GHz }
func (d blockDRAM) BurstBlockBytes() int { return 64 }

// TestBurstBlocks: in front of a memory that serves blocks, the buffers'
// bursts carry Blocks, not Ranges, and each burst's blocks count exactly
// the words that the same burst lists as ranges in front of a memory that
// does not.
func TestBurstBlocks(t *testing.T) {
	run := func(blocks bool) *slowDRAM {
		engine := sim.NewSerialEngine()
		d := newSlowDRAMOwned("Mem", engine, 0, blocks)
		port := d.GetPortByName("Top")
		acc := swapBuilder(engine).WithDRAM(port, port, port).Build("NPU")
		if _, err := acc.RunLayer(0, swapLayer); err != nil {
			t.Fatal(err)
		}
		return d
	}
	byRange, byBlock := run(false), run(true)
	if len(byRange.bursts) != len(byBlock.bursts) || len(byRange.bursts) == 0 {
		t.Fatalf("%d bursts with ranges, %d with blocks", len(byRange.bursts), len(byBlock.bursts))
	}
	for i, r := range byRange.bursts {
		b := byBlock.bursts[i]
		if r.Blocks != nil || b.Ranges != nil || b.BlockWords != 64 {
			t.Fatalf("burst %d: ranges run has %d blocks, blocks run %d ranges and %d-word blocks", i, len(r.Blocks), len(b.Ranges), b.BlockWords)
		}
		count := map[int64]int64{}
		for _, rg := range r.Ranges {
			for a := rg.Start; a < rg.End; a++ {
				count[a/64*64]++
			}
		}
		prev := int64(-1)
		for _, wb := range b.Blocks {
			if wb.Start <= prev || wb.Words != count[wb.Start] {
				t.Fatalf("burst %d: block %d has %d words, ranges put %d there (blocks in order: %v)", i, wb.Start, wb.Words, count[wb.Start], wb.Start > prev)
			}
			prev = wb.Start
			delete(count, wb.Start)
		}
		if len(count) != 0 {
			t.Fatalf("burst %d: ranges touch %d blocks its Blocks miss", i, len(count))
		}
	}
}
