package dram

import (
	"fmt"
	"slices"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// rowRecorder keeps trace rows.
type rowRecorder struct{ rows []string }

func (r *rowRecorder) Row(cycle int64, addrs []int64) {
	r.rows = append(r.rows, fmt.Sprint(cycle, addrs))
}

func span(from, to int64) []int64 {
	var out []int64
	for a := from; a < to; a++ {
		out = append(out, a)
	}
	return out
}

// TestControllerBurstTrace checks the rule of traceBurst on a memory whose
// timing is worked by hand: a fixed latency of 5 cycles (plus the 2 hops
// of fixedHops), 64-byte blocks, one request per cycle, 1-byte words. A
// burst's blocks are requested in address order, one per cycle from
// Origin+At, and each completes 7 cycles later.
//
//   - a read at At 0 of words [0, 192): blocks 0, 64 and 128 requested at
//     cycles 0, 1, 2, done at 7, 8, 9. Its lines, in this order: block 0
//     (7); padding (with the line ahead: 7); block 64 and word 5000, which
//     no block of the burst holds (8); block 128 and, out of order, a word
//     of block 0 (9); block 0 again (done at 7, but not before the line
//     ahead: 9). The burst's Done is 9, its last row's cycle.
//   - a write at At 20 of words [1000, 1064): blocks 960 and 1024 at 20
//     and 21, done at 27 and 28. Lines: padding first (the burst's first
//     completion, 27), block 960 (27), blocks 960 and 1024 (28).
//   - a burst at At 40 with no ranges moves nothing and is answered at
//     At+Lines: its two lines at 41 and 42.
func TestControllerBurstTrace(t *testing.T) {
	engine := sim.NewSerialEngine()
	ctrl := MakeControllerBuilder().WithEngine(engine).WithFixed(5, 8, 64, 64).WithAcceleratorFreq(sim.GHz).Build("Mem")
	const origin = 10
	pad := []int64{-1, -1}
	bursts := []*protocol.BurstReq{
		{Origin: origin, At: 0, Lines: 5, LineWords: 64, Ranges: []protocol.AddrRange{{Start: 0, End: 192}},
			Data: [][]int64{span(0, 64), pad, append(span(64, 128), 5000), append(span(128, 191), 3), span(0, 32)}},
		{Origin: origin, At: 20, Write: true, Lines: 3, LineWords: 40, Ranges: []protocol.AddrRange{{Start: 1000, End: 1064}},
			Data: [][]int64{pad, span(1000, 1024), span(1010, 1064)}},
		{Origin: origin, At: 40, Lines: 2, LineWords: 1, Data: [][]int64{{7}, {8}}},
	}
	want := [][]int64{{7, 7, 8, 9, 9}, {27, 27, 28}, {41, 42}}
	for _, b := range bursts {
		b.ID = sim.GetIDGenerator().Generate()
	}
	s := &burstSender{bursts: append([]*protocol.BurstReq(nil), bursts...), rsps: map[string]*protocol.BurstRsp{}, arrived: map[string]int64{}, freq: sim.GHz}
	s.TickingComponent = sim.NewTickingComponent("Buf", engine, sim.GHz, s)
	s.port = sim.NewLimitNumMsgPort(s, 4, "Buf.Port")
	s.dst = ctrl.GetPortByName("Top")
	conn := sim.NewDirectConnection("Conn", engine, sim.GHz)
	conn.PlugIn(s.port, 4)
	conn.PlugIn(ctrl.GetPortByName("Top"), 4)
	rec := &rowRecorder{}
	ctrl.SetBurstTracer(s.port, rec)
	s.TickLater(0)
	if err := engine.Run(); err != nil {
		t.Fatal(err)
	}
	var wantRows []string
	for i, b := range bursts {
		for j, line := range b.Data {
			wantRows = append(wantRows, fmt.Sprint(want[i][j], line))
		}
		if d := s.rsps[b.ID].Done; d != want[i][len(want[i])-1] {
			t.Errorf("burst %d: Done %d, want its last row's cycle %d", i, d, want[i][len(want[i])-1])
		}
	}
	if !slices.Equal(rec.rows, wantRows) {
		t.Errorf("rows:\n%q\nwant\n%q", rec.rows, wantRows)
	}

	// Untraced, the same bursts leave no rows.
	ctrl.SetBurstTracer(s.port, nil)
	ctrl.Reset()
	rec.rows = nil
	for _, b := range bursts {
		b.ID = sim.GetIDGenerator().Generate()
		b.Origin += 100
	}
	s.bursts = bursts
	s.TickLater(engine.CurrentTime())
	if err := engine.Run(); err != nil {
		t.Fatal(err)
	}
	if len(rec.rows) != 0 || s.rsps[bursts[0].ID] == nil {
		t.Errorf("untraced: %d rows, answered %v", len(rec.rows), s.rsps[bursts[0].ID] != nil)
	}
}
