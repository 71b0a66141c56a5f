package runner

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/sarchlab/akita/v3/sim"
)

// burstTimes checks, for every burst a buffer sends, that it leaves no
// earlier than the engine time of its cycle At.
type burstTimes struct {
	t     *testing.T
	freq  sim.Freq
	check func(*protocol.BurstReq) bool // which bursts must be causal
	sent  int
	bad   []string
	// how late the array sent a segment to the write buffer, at most
	origin, maxLag int64
	// drains sent after their cycle (SCALE-Sim dates its final drain from
	// the last row's cycle even when a drain was still in flight then)
	lateDrains int64
}

func (h *burstTimes) Func(ctx sim.HookCtx) {
	if ctx.Pos != sim.HookPosPortMsgSend {
		return
	}
	if st, ok := ctx.Item.(*protocol.LayerStartReq); ok {
		h.origin = st.Origin
		return
	}
	if w, ok := ctx.Item.(*protocol.WriteReq); ok {
		lag := int64(h.freq.Cycle(w.SendTime)) - (h.origin + w.Cycle)
		h.maxLag = max(h.maxLag, lag)
		return
	}
	b, ok := ctx.Item.(*protocol.BurstReq)
	if !ok || !h.check(b) {
		return
	}
	h.sent++
	at := int64(h.freq.Cycle(b.SendTime))
	if at < b.Origin+b.At && len(h.bad) < 5 {
		h.bad = append(h.bad, fmt.Sprintf("burst for cycle %d (engine %d) sent at engine cycle %d", b.At, b.Origin+b.At, at))
	}
	if b.Write && at > b.Origin+b.At {
		h.lateDrains++
	}
}

// TestEngineTimeIsModelledTime runs every golden case layer by layer and
// checks the timing invariants of the timed co-simulation: in USER mode no
// burst leaves before engine cycle Origin+At (in CALC mode, where SCALE-Sim
// dates read fetches backwards from the demand, this holds for drains); a
// layer ends, in engine time, at Origin+End, where End covers Total Cycles
// and every DRAM completion and exceeds the later of them by no more than
// the hops of the end-of-layer handshake, plus the round trip of each
// drain that left late (a chunk of the final drain dated before a drain in
// flight completed: the next chunk waits for its answer).
func TestEngineTimeIsModelledTime(t *testing.T) {
	cases, _ := filepath.Glob("../testdata/golden/*/KIND")
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	for _, kindFile := range cases {
		dir := filepath.Dir(kindFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg, layers, _ := loadGolden(t, dir)
			engine := sim.NewSerialEngine()
			acc := NewAccelerator(cfg, engine)
			h := &burstTimes{t: t, freq: 1 * sim.GHz, check: func(b *protocol.BurstReq) bool {
				return cfg.BandwidthMode == config.USER || b.Write
			}}
			acc.Ifmap.GetPortByName("Bottom").AcceptHook(h)
			acc.Filter.GetPortByName("Bottom").AcceptHook(h)
			acc.Ofmap.GetPortByName("Bottom").AcceptHook(h)
			acc.Array.GetPortByName("Ofmap").AcceptHook(h)
			for i, l := range layers {
				h.lateDrains, h.maxLag = 0, 0
				res, err := acc.RunLayer(i, l)
				if err != nil {
					t.Fatal(err)
				}
				if h.maxLag > maxArrayLag {
					t.Errorf("layer %d: the array sent a segment %d cycles after its first row's cycle, want at most %d", i, h.maxLag, maxArrayLag)
				}
				now := int64((1 * sim.GHz).Cycle(engine.CurrentTime()))
				if now != res.Origin+res.End+controlHops {
					t.Errorf("layer %d: engine at cycle %d when RunLayer returned, want Origin %d + End %d + %d", i, now, res.Origin, res.End, controlHops)
				}
				last := res.TotalCycles
				for _, ch := range acc.DRAM {
					if s := ch.Stats(); s.Any {
						last = max(last, s.Latest)
					}
				}
				limit := last + endHandshake + 3*h.lateDrains
				if res.End < last || res.End > limit {
					t.Errorf("layer %d: ended at cycle %d; Total Cycles %d, last DRAM completion %d: want at most %d",
						i, res.End, res.TotalCycles, last, limit)
				}
			}
			if h.sent == 0 {
				t.Fatal("no burst checked")
			}
			for _, b := range h.bad {
				t.Error(b)
			}
		})
	}
}

// maxArrayLag bounds how far the array's engine time trails its modelled
// time: at a fold's start the fold's end reaches the sequencer, the next
// fold the array, its demand the read buffers (which may walk it on their
// own goroutine, a tick) and their answer the array.
const maxArrayLag = 8

// controlHops is the time the end of a layer takes to reach the component
// that asked for it: array to sequencer to host, which handles it a cycle
// after it arrives.
const controlHops = 3

// endHandshake is the most a layer's end lags its last event: the last
// write answer reaches the array, the fold's end the sequencer, the end of
// the layer the array and the buffers; in CALC mode the read buffers then
// send their last fetches (SCALE-Sim's complete_all_prefetches, dated in
// the past) and answer once those are back; the answers reach the array.
const endHandshake = 7
