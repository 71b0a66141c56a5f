package components_test

import (
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// testHost stands for a host CPU: it starts one layer on each accelerator
// through their control ports and records what comes back, and when.
type testHost struct {
	*sim.TickingComponent
	port    sim.Port
	pending []sim.Msg
	rsps    map[string]*systolic.RunLayerRsp // by request ID
	at      map[string]sim.VTimeInSec
}

func newTestHost(engine sim.Engine) *testHost {
	h := &testHost{rsps: map[string]*systolic.RunLayerRsp{}, at: map[string]sim.VTimeInSec{}}
	h.TickingComponent = sim.NewTickingComponent("Host", engine, 1*sim.GHz, h)
	h.port = sim.NewLimitNumMsgPort(h, 4, "Host.Port")
	h.AddPort("Port", h.port)
	return h
}

func (h *testHost) run(dst sim.Port, l systolic.Layer) string {
	req := &systolic.RunLayerReq{Index: 0, Layer: l}
	req.ID = sim.GetIDGenerator().Generate()
	req.Src, req.Dst = h.port, dst
	h.pending = append(h.pending, req)
	return req.ID
}

func (h *testHost) Tick(now sim.VTimeInSec) bool {
	progress := false
	for len(h.pending) > 0 {
		h.pending[0].Meta().SendTime = now
		if h.port.Send(h.pending[0]) != nil {
			break
		}
		h.pending = h.pending[1:]
		progress = true
	}
	if msg := h.port.Retrieve(now); msg != nil {
		rsp := msg.(*systolic.RunLayerRsp)
		h.rsps[rsp.RspTo], h.at[rsp.RspTo] = rsp, now
		progress = true
	}
	return progress
}

// metronome is a component that keeps its own time: it wakes every period
// cycles, n times, wherever the accelerators are.
type metronome struct {
	*sim.TickingComponent
	period, left int
	ticks        []sim.VTimeInSec
}

func (m *metronome) Tick(now sim.VTimeInSec) bool {
	m.ticks = append(m.ticks, now)
	if m.left--; m.left > 0 {
		m.Engine.Schedule(sim.MakeTickEvent(m.Freq.NCyclesLater(m.period, now), m.TickingComponent))
	}
	return false
}

var (
	cosimBig   = components.MakeBuilder().WithArray(16, 16).WithDataflow(systolic.WS).WithSRAMKB(2, 2, 2).WithBandwidth(4)
	cosimSmall = components.MakeBuilder().WithArray(8, 4).WithDataflow(systolic.OS).WithSRAMKB(1, 1, 1).WithBandwidth(2)
	cosimL1    = systolic.GEMM("fc1", 96, 48, 200)
	cosimL2    = systolic.Layer{Name: "conv", H: 20, W: 20, Fh: 3, Fw: 3, Ch: 4, N: 12, Sh: 1, Sw: 1}
)

// TestTwoAcceleratorsShareAnEngine drives two accelerators on one engine
// through their control ports, beside a component that keeps its own time,
// and checks that each finishes a layer at the same modelled cycles, with
// the same figures, as when it runs alone: with ideal channels nothing is
// shared, so nothing may change. It does so on akita's serial engine, then
// 20 times on its parallel engine.
func TestTwoAcceleratorsShareAnEngine(t *testing.T) {
	cosimOn(t, sim.NewSerialEngine())
	runs := 20
	if testing.Short() {
		runs = 3
	}
	for i := 0; i < runs; i++ {
		cosimOn(t, sim.NewParallelEngine())
	}
}

func cosimOn(t *testing.T, engine sim.Engine) {
	t.Helper()
	alone := func(b components.Builder, l systolic.Layer) (systolic.LayerResult, [3]int64) {
		acc := b.WithEngine(sim.NewSerialEngine()).Build("NPU")
		res, err := acc.RunLayer(0, l)
		if err != nil {
			t.Fatal(err)
		}
		var words [3]int64
		for i, ch := range acc.DRAM {
			words[i] = ch.Stats().Words
		}
		return res, words
	}
	soloA, wordsA := alone(cosimBig, cosimL1)
	soloB, wordsB := alone(cosimSmall, cosimL2)
	if soloA.StallCycles == 0 || soloB.StallCycles == 0 {
		t.Fatalf("test setup: want stalls in both solo runs, got %d and %d", soloA.StallCycles, soloB.StallCycles)
	}

	a := cosimBig.WithEngine(engine).Build("NPUA")
	b := cosimSmall.WithEngine(engine).Build("NPUB")
	host := newTestHost(engine)
	conn := sim.NewDirectConnection("HostConn", engine, 1*sim.GHz)
	conn.PlugIn(host.port, 4)
	conn.PlugIn(a.ControlPort(), 4)
	conn.PlugIn(b.ControlPort(), 4)
	met := &metronome{period: 2500, left: 50}
	met.TickingComponent = sim.NewTickingComponent("Metronome", engine, 1*sim.GHz, met)
	engine.Schedule(sim.MakeTickEvent(0, met.TickingComponent))

	idA := host.run(a.ControlPort(), cosimL1)
	idB := host.run(b.ControlPort(), cosimL2)
	host.TickLater(0)
	if err := engine.Run(); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name  string
		id    string
		acc   *components.Accelerator
		solo  systolic.LayerResult
		words [3]int64
	}{{"A", idA, a, soloA, wordsA}, {"B", idB, b, soloB, wordsB}} {
		rsp := host.rsps[c.id]
		if rsp == nil || rsp.Err != nil {
			t.Fatalf("%s: no answer or an error: %+v", c.name, rsp)
		}
		got := rsp.Result
		if got.TotalCycles != c.solo.TotalCycles || got.StallCycles != c.solo.StallCycles ||
			got.End != c.solo.End || got.StallBy != c.solo.StallBy || got.Folds != c.solo.Folds {
			t.Errorf("%s shared: total %d, stalls %d (%v), end %d; alone: total %d, stalls %d (%v), end %d",
				c.name, got.TotalCycles, got.StallCycles, got.StallBy, got.End,
				c.solo.TotalCycles, c.solo.StallCycles, c.solo.StallBy, c.solo.End)
		}
		for i, ch := range c.acc.DRAM {
			if w := ch.Stats().Words; w != c.words[i] {
				t.Errorf("%s operand %d: %d DRAM words shared, %d alone", c.name, i, w, c.words[i])
			}
		}
		// engine time is modelled time: the answer reaches the host at
		// the layer's end, plus the hops array -> sequencer -> host
		end := int64((1 * sim.GHz).Cycle(host.at[c.id]))
		if want := got.Origin + got.End + 2; end != want {
			t.Errorf("%s: answer at engine cycle %d, want Origin %d + End %d + 2", c.name, end, got.Origin, got.End)
		}
	}
	if len(met.ticks) != 50 {
		t.Fatalf("the metronome ticked %d times, want 50", len(met.ticks))
	}
	for i, at := range met.ticks {
		if c := (1 * sim.GHz).Cycle(at); c != uint64(2500*i) {
			t.Fatalf("metronome tick %d at cycle %d, want %d", i, c, 2500*i)
		}
	}
	if last := met.ticks[len(met.ticks)-1]; last < max(host.at[idA], host.at[idB]) {
		t.Fatalf("test setup: the metronome stopped at %v, before the layers ended", last)
	}
}
