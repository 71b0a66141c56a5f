package dram

import (
	"fmt"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/mem/mem"
	"github.com/sarchlab/akita/v3/sim"
)

// sendEarly is how many cycles before Origin+At the driver sends a burst:
// buffers never send early, but the adapter must not start a burst before
// its cycle anyway.
const sendEarly = 30

// driver plays a buffer: it sends its bursts, each sendEarly cycles before
// engine cycle Origin+At, and records the answers.
type driver struct {
	*sim.TickingComponent
	out    sim.Port
	dst    sim.Port
	bursts []*protocol.BurstReq
	next   int
	done   map[string]int64 // burst ID -> Done
}

func newDriver(engine sim.Engine, bursts []*protocol.BurstReq) *driver {
	d := &driver{bursts: bursts, done: map[string]int64{}}
	d.TickingComponent = sim.NewTickingComponent("Driver", engine, 1*sim.GHz, d)
	d.out = sim.NewLimitNumMsgPort(d, 4, "Driver.Out")
	d.AddPort("Out", d.out)
	return d
}

func (d *driver) Tick(now sim.VTimeInSec) bool {
	progress := false
	for msg := d.out.Retrieve(now); msg != nil; msg = d.out.Retrieve(now) {
		rsp := msg.(*protocol.BurstRsp)
		d.done[rsp.RspTo] = rsp.Done
		progress = true
	}
	cycle := int64(d.Freq.Cycle(now))
	for d.next < len(d.bursts) {
		b := d.bursts[d.next]
		if due := b.Origin + b.At - sendEarly; cycle < due {
			d.TickLater(sim.VTimeInSec(float64(due-1) / 1e9))
			return progress
		}
		b.Src, b.Dst, b.SendTime = d.out, d.dst, now
		if d.out.Send(b) != nil {
			return progress
		}
		d.next++
		progress = true
	}
	return progress
}

// recorder counts the requests that reach the memory, with their
// addresses and the cycles they were sent.
type recorder struct {
	reqs  int
	addrs []uint64
	sent  []int64
}

func (r *recorder) Func(ctx sim.HookCtx) {
	if ctx.Pos != sim.HookPosPortMsgRecvd {
		return
	}
	if req, ok := ctx.Item.(mem.AccessReq); ok {
		r.reqs++
		r.addrs = append(r.addrs, req.GetAddress())
		r.sent = append(r.sent, int64(req.Meta().SendTime*1e9+0.5))
	}
}

type memRig struct {
	engine  sim.Engine
	memory  *Memory
	adapter *Adapter
	drv     *driver
	rec     *recorder
}

func newMemRig(t testing.TB, spec MemorySpec, wordBytes, bytesPerCycle int, bursts []*protocol.BurstReq) *memRig {
	t.Helper()
	engine := sim.NewSerialEngine()
	m, err := BuildMemory(engine, 1*sim.GHz, "Mem", spec)
	if err != nil {
		t.Fatal(err)
	}
	a := m.AdapterBuilder().WithEngine(engine).WithFreq(1 * sim.GHz).WithWordBytes(wordBytes).
		WithBytesPerCycle(bytesPerCycle).Build("Adapter")
	d := newDriver(engine, bursts)
	d.dst = a.GetPortByName("Top")
	up := sim.NewDirectConnection("Up", engine, 1*sim.GHz)
	up.PlugIn(d.out, 4)
	up.PlugIn(a.GetPortByName("Top"), 4)
	down := sim.NewDirectConnection("Down", engine, 1*sim.GHz)
	down.PlugIn(a.GetPortByName("Bottom"), 16)
	rec := &recorder{}
	for _, p := range m.Ports() {
		down.PlugIn(p, 16)
		p.AcceptHook(rec)
	}
	d.TickLater(0)
	return &memRig{engine: engine, memory: m, adapter: a, drv: d, rec: rec}
}

func (r *memRig) run(t testing.TB) {
	t.Helper()
	if err := r.engine.Run(); err != nil {
		t.Fatal(err)
	}
	for _, b := range r.drv.bursts {
		if _, ok := r.drv.done[b.ID]; !ok {
			t.Fatalf("burst %s (At %d) was never answered", b.ID, b.At)
		}
	}
	if r.adapter.Busy() {
		t.Fatal("adapter still busy after the run")
	}
}

func mkBurst(write bool, origin, at int64, ranges ...protocol.AddrRange) *protocol.BurstReq {
	b := &protocol.BurstReq{Write: write, Origin: origin, At: at, Ranges: ranges, Lines: len(ranges), LineWords: 1}
	b.ID = sim.GetIDGenerator().Generate()
	return b
}

// streams is a set of bursts mixing reads and writes, contiguous and
// scattered ranges, ranges sharing a request block, word sizes above one.
func streams() []*protocol.BurstReq {
	var bs []*protocol.BurstReq
	at := int64(0)
	for i := range 12 {
		var rs []protocol.AddrRange
		base := int64(1000 + 5000*i)
		for j := range 20 {
			s := base + int64(j*37)
			rs = append(rs, protocol.AddrRange{Start: s, End: s + int64(9+j%5)})
		}
		rs = append(rs, protocol.AddrRange{Start: 10_000_000 + int64(i)*4096, End: 10_000_000 + int64(i)*4096 + 1500})
		bs = append(bs, mkBurst(i%3 == 2, 100, at, rs...))
		at += 40
	}
	return bs
}

// TestAdapterMovesItsRanges checks, for every memory model, that the
// adapter moves exactly the bursts' words (bytes = words x word size),
// that every request address lies in a block its bursts' ranges touch,
// that the requests are the distinct blocks, and that no burst completes
// before its start or before the memory could have answered.
func TestAdapterMovesItsRanges(t *testing.T) {
	for _, spec := range []MemorySpec{
		{Model: Fixed, Latency: 20},
		{Model: Fixed, Latency: 3, Channels: 3, Width: 2},
		{Model: AkitaHBM2, Channels: 4},
		{Model: AkitaDDR4},
		{Model: AkitaDDR4, Channels: 2, RequestBytes: 128},
		{Model: AkitaHBM2},
	} {
		for _, wb := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("%s-%dch-%dB-w%d", spec.Model, spec.Channels, spec.RequestBytes, wb), func(t *testing.T) {
				bursts := streams()
				bpc := 16 // an interface of 16 bytes per cycle, or none
				if wb == 4 {
					bpc = 0
				}
				r := newMemRig(t, spec, wb, bpc, bursts)
				r.run(t)
				unit := uint64(r.memory.Spec.RequestBytes)
				blocks := map[uint64]bool{}
				burstOf := map[uint64]*protocol.BurstReq{}
				var words int64
				for _, b := range bursts {
					for _, rg := range b.Ranges {
						words += rg.Len()
						for a := uint64(rg.Start*int64(wb)) &^ (unit - 1); a < uint64(rg.End*int64(wb)); a += unit {
							if blocks[a] && burstOf[a] != b {
								t.Fatalf("test setup: bursts share block %#x", a)
							}
							blocks[a] = true
							burstOf[a] = b
						}
					}
				}
				s := r.adapter.Stats()
				if s.Words != words || s.Bytes != words*int64(wb) {
					t.Errorf("moved %d words, %d bytes; the ranges hold %d words, %d bytes", s.Words, s.Bytes, words, words*int64(wb))
				}
				// Every block is requested once per burst that touches it;
				// these bursts never share a block.
				if s.Requests != int64(len(blocks)) || r.rec.reqs != len(blocks) {
					t.Errorf("%d requests completed, %d reached memory; the ranges touch %d blocks", s.Requests, r.rec.reqs, len(blocks))
				}
				for i, a := range r.rec.addrs {
					ext := a
					if r.memory.Converter != nil {
						ext = r.memory.Converter.ConvertInternalToExternal(a)
					}
					if ext%unit != 0 || !blocks[ext] {
						t.Fatalf("request at %#x (linear %#x) is not a block of the bursts' ranges", a, ext)
					}
					// These bursts touch disjoint blocks: find the request's
					// burst and check it did not leave before Origin+At.
					if b := burstOf[ext]; r.rec.sent[i] < b.Origin+b.At {
						t.Errorf("request %#x sent at cycle %d, before its burst's start %d", ext, r.rec.sent[i], b.Origin+b.At)
					}
				}
				if s.Bursts != int64(len(bursts)) {
					t.Errorf("%d bursts answered, want %d", s.Bursts, len(bursts))
				}
				for _, b := range bursts {
					if d := r.drv.done[b.ID]; d <= b.At {
						t.Errorf("burst at %d done at %d: not after its start", b.At, d)
					}
				}
				if s.MeanLatency <= 0 || s.P99Latency < int64(s.MeanLatency) {
					t.Errorf("latency mean %.1f, p99 %d", s.MeanLatency, s.P99Latency)
				}
				t.Logf("%d requests, %d B, first %d last %d, latency mean %.1f p99 %d",
					s.Requests, s.Bytes, s.First, s.Last, s.MeanLatency, s.P99Latency)
			})
		}
	}
}
