package dram

import (
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/sarchlab/akita/v3/mem/mem"
	"github.com/sarchlab/akita/v3/sim"
)

// memDriver sends one 64-byte mem.ReadReq or mem.WriteReq per trace line,
// in the DRAM cycle before the line's arrival (the controller takes it in
// the next cycle), and records the DRAM cycle each answer was sent.
type memDriver struct {
	*sim.TickingComponent
	port, dst sim.Port
	freq      sim.Freq
	reqs      []dramsim.Request
	next      int
	ids       map[string]int
	done      []int64
}

func newMemDriver(engine sim.Engine, freq sim.Freq, reqs []dramsim.Request) *memDriver {
	d := &memDriver{freq: freq, reqs: reqs, ids: map[string]int{}, done: make([]int64, len(reqs))}
	d.TickingComponent = sim.NewTickingComponent("Driver", engine, freq, d)
	d.port = sim.NewLimitNumMsgPort(d, 1<<16, "Driver.Port")
	return d
}

func (d *memDriver) Tick(now sim.VTimeInSec) bool {
	for msg := d.port.Retrieve(now); msg != nil; msg = d.port.Retrieve(now) {
		var to string
		switch r := msg.(type) {
		case *mem.DataReadyRsp:
			to = r.RespondTo
		case *mem.WriteDoneRsp:
			to = r.RespondTo
		}
		d.done[d.ids[to]] = int64(math.Round(float64(msg.Meta().SendTime) * float64(d.freq)))
	}
	cyc := int64(math.Round(float64(now) * float64(d.freq)))
	for d.next < len(d.reqs) && d.reqs[d.next].Arrival-1 <= cyc {
		r := d.reqs[d.next]
		var msg sim.Msg
		if r.Write {
			msg = mem.WriteReqBuilder{}.WithSendTime(now).WithSrc(d.port).WithDst(d.dst).WithAddress(r.Addr).WithData(make([]byte, 64)).Build()
		} else {
			msg = mem.ReadReqBuilder{}.WithSendTime(now).WithSrc(d.port).WithDst(d.dst).WithAddress(r.Addr).WithByteSize(64).Build()
		}
		if d.port.Send(msg) != nil {
			return true
		}
		d.ids[msg.Meta().ID] = d.next
		d.next++
	}
	return d.next < len(d.reqs)
}

// TestControllerMemRequestsMatchReplay: a trace sent as akita memory
// requests gets, request for request, the completion cycles of
// dramsim.Replay (and so DRAMsim3's), through the event-driven component.
func TestControllerMemRequestsMatchReplay(t *testing.T) {
	for _, c := range []struct {
		preset, trace string
		n             int
	}{
		{"ddr4", "mnk_gemm_os", 0},
		{"ddr4", "synth_random", 5000},
		{"hbm2", "alexnet_conv1_ws_user10", 5000},
		{"lpddr4", "synth_stream", 5000},
	} {
		t.Run(c.preset+"/"+c.trace, func(t *testing.T) {
			cfg, err := dramsim.Preset(c.preset)
			if err != nil {
				t.Fatal(err)
			}
			reqs, err := dramsim.ReadTrace(filepath.Join("../testdata/dram-golden", c.trace, "requests.trace"))
			if err != nil {
				t.Fatal(err)
			}
			if c.n > 0 {
				reqs = reqs[:c.n]
			}
			// Arrival 0 cannot be sent a cycle earlier: shift the trace.
			for i := range reqs {
				reqs[i].Arrival++
			}
			want, _, err := dramsim.Replay(cfg, reqs, dramsim.ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			engine := sim.NewSerialEngine()
			ctrl := MakeControllerBuilder().WithEngine(engine).WithConfig(cfg).WithTopBufSize(1 << 16).Build("Mem")
			d := newMemDriver(engine, sim.Freq(cfg.FreqHz()), reqs)
			d.dst = ctrl.GetPortByName("Top")
			conn := sim.NewDirectConnection("Conn", engine, sim.Freq(cfg.FreqHz()))
			conn.PlugIn(d.port, 1<<16)
			conn.PlugIn(ctrl.GetPortByName("Top"), 1<<16)
			engine.Schedule(sim.MakeTickEvent(0, d))
			if err := engine.Run(); err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i := range reqs {
				if d.done[i] != want[i].Done {
					if bad < 3 {
						t.Errorf("request %d (%+v): done %d, replay %d", i, reqs[i], d.done[i], want[i].Done)
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d requests differ", bad, len(reqs))
			}
			if ctrl.Busy() || ctrl.Err() != nil {
				t.Errorf("busy %v, err %v", ctrl.Busy(), ctrl.Err())
			}
		})
	}
}

// burstSender sends its bursts at their engine cycle Origin+At (accelerator
// clock) and keeps the answers with the accelerator cycle each arrived.
type burstSender struct {
	*sim.TickingComponent
	port, dst sim.Port
	bursts    []*protocol.BurstReq
	rsps      map[string]*protocol.BurstRsp
	arrived   map[string]int64
	freq      sim.Freq
}

func (b *burstSender) Tick(now sim.VTimeInSec) bool {
	for msg := b.port.Retrieve(now); msg != nil; msg = b.port.Retrieve(now) {
		r := msg.(*protocol.BurstRsp)
		b.rsps[r.RspTo] = r
		b.arrived[r.RspTo] = int64(math.Round(float64(now) * float64(b.freq)))
	}
	cyc := int64(math.Round(float64(now) * float64(b.freq)))
	for len(b.bursts) > 0 && b.bursts[0].Origin+b.bursts[0].At <= cyc {
		m := b.bursts[0]
		m.Src, m.Dst, m.SendTime = b.port, b.dst, now
		if b.port.Send(m) != nil {
			return true
		}
		b.bursts = b.bursts[1:]
	}
	return len(b.bursts) > 0
}

// TestControllerBurst: a buffer's bursts, each one message, are expanded
// into the memory requests of their ranges; the answers carry the
// completion the same requests get from dramsim.Replay, arrive at that
// cycle, and the controller wakes far fewer times than there are requests.
func TestControllerBurst(t *testing.T) {
	for _, preset := range []string{"ddr4", "hbm2"} {
		t.Run(preset, func(t *testing.T) {
			cfg, _ := dramsim.Preset(preset)
			accel := 1 * sim.GHz
			const origin = 10
			// A 128 KiB read fill at 0, a 32 KiB write drain from word 1 MiB
			// at 100 with two ranges sharing a block, a small read at 5000.
			bursts := []*protocol.BurstReq{
				{Origin: origin, At: 0, Lines: 2048, LineWords: 64, Ranges: []protocol.AddrRange{{Start: 0, End: 131072}}},
				{Origin: origin, At: 100, Write: true, Lines: 512, LineWords: 64, Ranges: []protocol.AddrRange{{Start: 1 << 20, End: 1<<20 + 16000}, {Start: 1<<20 + 15990, End: 1<<20 + 32768}}},
				{Origin: origin, At: 5000, Lines: 4, LineWords: 64, Ranges: []protocol.AddrRange{{Start: 777, End: 1033}}},
			}
			for _, b := range bursts {
				b.ID = sim.GetIDGenerator().Generate()
			}
			// The requests the controller should make: one per 64-byte
			// block, one per accelerator cycle from Origin+At per sender
			// (the drain's queue behind the fill's), each in the first DRAM
			// cycle at or after its accelerator cycle; the memory's cycle 0
			// is the first burst's first (Origin+0).
			ratio := cfg.FreqHz() / float64(accel)
			var reqs []dramsim.Request
			var owner []int
			slot := int64(-1)
			for i, b := range bursts {
				blocks, _, _ := splitRanges(b.Ranges, 1, uint64(cfg.RequestBytes))
				for _, blk := range blocks {
					slot = max(slot+1, origin+b.At)
					arr := int64(math.Ceil(float64(slot-origin)*ratio - 1e-6))
					reqs = append(reqs, dramsim.Request{Addr: blk, Write: b.Write, Arrival: arr})
					owner = append(owner, i)
				}
			}
			// Replay wants arrival order; the bursts' requests interleave.
			order := make([]int, len(reqs))
			for i := range order {
				order[i] = i
			}
			sortStable(order, func(a, b int) bool { return reqs[a].Arrival < reqs[b].Arrival })
			sorted := make([]dramsim.Request, len(reqs))
			for i, j := range order {
				sorted[i] = reqs[j]
			}
			res, _, err := dramsim.Replay(cfg, sorted, dramsim.ReplayOptions{})
			if err != nil {
				t.Fatal(err)
			}
			last := make([]int64, len(bursts))
			for i, j := range order {
				last[owner[j]] = max(last[owner[j]], res[i].Done)
			}

			engine := sim.NewSerialEngine()
			ctrl := MakeControllerBuilder().WithEngine(engine).WithConfig(cfg).WithAcceleratorFreq(accel).Build("Mem")
			ticks := 0
			engine.AcceptHook(hookFunc(func(ctx sim.HookCtx) {
				if ctx.Pos == sim.HookPosBeforeEvent {
					if e, ok := ctx.Item.(sim.TickEvent); ok && e.Handler() == ctrl.TickingComponent {
						ticks++
					}
				}
			}))
			s := &burstSender{bursts: append([]*protocol.BurstReq(nil), bursts...), rsps: map[string]*protocol.BurstRsp{}, arrived: map[string]int64{}, freq: accel}
			s.TickingComponent = sim.NewTickingComponent("Buf", engine, accel, s)
			s.port = sim.NewLimitNumMsgPort(s, 4, "Buf.Port")
			s.dst = ctrl.GetPortByName("Top")
			conn := sim.NewDirectConnection("Conn", engine, accel)
			conn.PlugIn(s.port, 4)
			conn.PlugIn(ctrl.GetPortByName("Top"), 4)
			s.TickLater(0)
			if err := engine.Run(); err != nil {
				t.Fatal(err)
			}
			for i, b := range bursts {
				rsp := s.rsps[b.ID]
				if rsp == nil {
					t.Fatalf("burst %d: no answer", i)
				}
				want := int64(math.Ceil(float64(last[i])/ratio - 1e-6))
				if rsp.Done != want {
					t.Errorf("burst %d: Done %d, want %d (DRAM cycle %d)", i, rsp.Done, want, last[i])
				}
				if got := s.arrived[b.ID]; got != origin+rsp.Done {
					t.Errorf("burst %d: answer handled at cycle %d, want Origin+Done = %d", i, got, origin+rsp.Done)
				}
			}
			st := ctrl.Stats()
			if st.Requests != int64(len(reqs)) || st.Bursts != 3 || st.DRAM.Reads+st.DRAM.Writes != int64(len(reqs)) {
				t.Errorf("stats %+v, want %d requests", st, len(reqs))
			}
			if ticks == 0 || ticks*4 > len(reqs) {
				t.Errorf("%d controller ticks for %d requests: expected far fewer", ticks, len(reqs))
			}
			t.Logf("%d requests, %d ticks", len(reqs), ticks)
		})
	}
}

type hookFunc func(sim.HookCtx)

func (f hookFunc) Func(ctx sim.HookCtx) { f(ctx) }

func sortStable(x []int, less func(a, b int) bool) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && less(x[j], x[j-1]); j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}

func ExampleController() {
	engine := sim.NewSerialEngine()
	cfg, _ := dramsim.Preset("ddr4")
	ctrl := MakeControllerBuilder().WithEngine(engine).WithConfig(cfg).Build("Mem")
	fmt.Println(ctrl.Name(), cfg.Channels, "channel,", cfg.Ranks, "ranks,", cfg.RequestBytes, "bytes per request")
	// Output: Mem 1 channel, 2 ranks, 64 bytes per request
}

// TestSenderRate: a sender given a wider interface (SetSenderRate) gets
// its burst's requests in sooner, and so its answer.
func TestSenderRate(t *testing.T) {
	done := func(rate int) int64 {
		cfg, _ := dramsim.Preset("hbm2")
		engine := sim.NewSerialEngine()
		ctrl := MakeControllerBuilder().WithEngine(engine).WithConfig(cfg).WithAcceleratorFreq(sim.GHz).Build("Mem")
		b := &protocol.BurstReq{Origin: 10, Lines: 64, LineWords: 64, Ranges: []protocol.AddrRange{{Start: 0, End: 64 * 512}}}
		b.ID = sim.GetIDGenerator().Generate()
		s := &burstSender{bursts: []*protocol.BurstReq{b}, rsps: map[string]*protocol.BurstRsp{}, arrived: map[string]int64{}, freq: sim.GHz}
		s.TickingComponent = sim.NewTickingComponent("Buf", engine, sim.GHz, s)
		s.port = sim.NewLimitNumMsgPort(s, 4, "Buf.Port")
		s.dst = ctrl.GetPortByName("Top")
		if rate > 0 {
			ctrl.SetSenderRate(s.port, rate, 0)
		}
		conn := sim.NewDirectConnection("Conn", engine, sim.GHz)
		conn.PlugIn(s.port, 4)
		conn.PlugIn(ctrl.GetPortByName("Top"), 4)
		s.TickLater(0)
		if err := engine.Run(); err != nil {
			t.Fatal(err)
		}
		return s.rsps[b.ID].Done
	}
	one, eight := done(0), done(8)
	// 512 requests one per cycle take at least 511 cycles to arrive.
	if one < 511 || eight >= one {
		t.Errorf("done %d at one request per cycle, %d at eight", one, eight)
	}
}

// TestSplitBlocksMatchesRanges: a burst that counts its words per block
// (BurstReq.Blocks, of the request size or a fraction of it) becomes the
// same requests with the same payloads as the same words listed as
// ranges; a burst counting per block larger than a request is refused.
func TestSplitBlocksMatchesRanges(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, wordBytes := range []uint64{1, 2, 4} {
		for _, blockBytes := range []uint64{64, 32, 8} {
			if blockBytes < wordBytes {
				continue
			}
			blockWords := int64(blockBytes / wordBytes)
			engine := sim.NewSerialEngine()
			cfg, _ := dramsim.Preset("ddr4")
			c := MakeControllerBuilder().WithEngine(engine).WithConfig(cfg).WithWordBytes(int(wordBytes)).Build("Mem")
			var ranges []protocol.AddrRange
			count := map[int64]int64{}
			for range 3000 {
				a := rng.Int63n(20000)
				if rng.Intn(4) == 0 {
					a = rng.Int63n(1 << 30)
				}
				ranges = append(ranges, protocol.AddrRange{Start: a, End: a + 1})
				count[a/blockWords*blockWords]++
			}
			var bs []protocol.WordBlock
			for s, w := range count {
				bs = append(bs, protocol.WordBlock{Start: s, Words: w})
			}
			sort.Slice(bs, func(i, j int) bool { return bs[i].Start < bs[j].Start })
			gb, gp, gw := c.splitBlocksInto(bs, blockWords, nil, nil)
			wb, wp, ww := splitRanges(ranges, wordBytes, c.reqBytes)
			if !reflect.DeepEqual(gb, wb) || !reflect.DeepEqual(gp, wp) || gw != ww {
				t.Errorf("word %d B, block %d B: blocks give %d requests %d words, ranges %d requests %d words", wordBytes, blockBytes, len(gb), gw, len(wb), ww)
			}
		}
	}
	engine := sim.NewSerialEngine()
	cfg, _ := dramsim.Preset("ddr4")
	c := MakeControllerBuilder().WithEngine(engine).WithConfig(cfg).Build("Mem")
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "serves 64-byte blocks, a burst counts its 1-byte words per block of 128 words") {
			t.Errorf("a 128-word block on a 64-byte memory: %v, want a refusal", r)
		}
	}()
	c.splitBlocksInto([]protocol.WordBlock{{Start: 0, Words: 3}}, 128, nil, nil)
}
