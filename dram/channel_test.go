package dram

import (
	"fmt"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// requester is a minimal akita component that sends BurstReqs to a channel
// one per tick, in order, and collects the BurstRsps.
type requester struct {
	*sim.TickingComponent

	port   sim.Port
	dst    sim.Port
	toSend []*protocol.BurstReq
	rsps   []*protocol.BurstRsp
}

func newRequester(name string, engine sim.Engine) *requester {
	r := &requester{}
	r.TickingComponent = sim.NewTickingComponent(name, engine, 1*sim.GHz, r)
	r.port = sim.NewLimitNumMsgPort(r, 4, name+".Port")
	r.AddPort("Port", r.port)
	return r
}

func (r *requester) Tick(now sim.VTimeInSec) bool {
	progress := false
	for {
		msg := r.port.Retrieve(now)
		if msg == nil {
			break
		}
		rsp, ok := msg.(*protocol.BurstRsp)
		if !ok {
			panic(fmt.Sprintf("requester: unexpected %T", msg))
		}
		r.rsps = append(r.rsps, rsp)
		progress = true
	}
	if len(r.toSend) > 0 {
		req := r.toSend[0]
		req.Src, req.Dst, req.SendTime = r.port, r.dst, now
		if r.port.Send(req) == nil {
			r.toSend = r.toSend[1:]
			progress = true
		}
	}
	return progress
}

// rig is a channel wired to a requester on a serial engine.
type rig struct {
	engine sim.Engine
	ch     *Channel
	req    *requester
}

func newRig(b Builder) *rig {
	e := sim.NewSerialEngine()
	ch := b.WithEngine(e).Build("DRAM")
	r := newRequester("Req", e)
	top := ch.GetPortByName("Top")
	r.dst = top
	conn := sim.NewDirectConnection("Conn", e, 1*sim.GHz)
	conn.PlugIn(r.port, 4)
	conn.PlugIn(top, 4)
	return &rig{engine: e, ch: ch, req: r}
}

// run sends reqs in order and returns the responses, matched to the
// requests by RspTo.
func (g *rig) run(t *testing.T, reqs ...*protocol.BurstReq) []*protocol.BurstRsp {
	t.Helper()
	for _, q := range reqs {
		q.ID = sim.GetIDGenerator().Generate()
	}
	g.req.rsps = nil
	g.req.toSend = append(g.req.toSend, reqs...)
	g.req.TickLater(g.engine.CurrentTime())
	if err := g.engine.Run(); err != nil {
		t.Fatal(err)
	}
	if len(g.req.rsps) != len(reqs) {
		t.Fatalf("%d responses to %d requests", len(g.req.rsps), len(reqs))
	}
	byID := map[string]*protocol.BurstRsp{}
	for _, rsp := range g.req.rsps {
		if _, dup := byID[rsp.RspTo]; dup {
			t.Fatalf("two responses to request %s", rsp.RspTo)
		}
		byID[rsp.RspTo] = rsp
		if rsp.GetRspTo() != rsp.RspTo {
			t.Errorf("GetRspTo() = %q, RspTo = %q", rsp.GetRspTo(), rsp.RspTo)
		}
		if rsp.Dst != g.req.port {
			t.Errorf("response %s not addressed to the requester", rsp.ID)
		}
	}
	out := make([]*protocol.BurstRsp, len(reqs))
	for i, q := range reqs {
		rsp, ok := byID[q.ID]
		if !ok {
			t.Fatalf("no response with RspTo = request %d's ID %q", i, q.ID)
		}
		if rsp.ID == "" || rsp.ID == q.ID {
			t.Errorf("request %d: response ID %q (must be its own)", i, rsp.ID)
		}
		out[i] = rsp
	}
	return out
}

func read(at int64, lines int, words int64) *protocol.BurstReq {
	return &protocol.BurstReq{At: at, Lines: lines, Words: words}
}

func write(at int64, lines int, words int64) *protocol.BurstReq {
	return &protocol.BurstReq{Write: true, At: at, Lines: lines, Words: words}
}

// wantDone is At + Lines - 1 + latency.
func wantDone(q *protocol.BurstReq, readLat, writeLat int64) int64 {
	lat := readLat
	if q.Write {
		lat = writeLat
	}
	return q.At + int64(q.Lines) - 1 + lat
}

func checkDone(t *testing.T, reqs []*protocol.BurstReq, rsps []*protocol.BurstRsp, readLat, writeLat int64) {
	t.Helper()
	for i, q := range reqs {
		if want := wantDone(q, readLat, writeLat); rsps[i].Done != want {
			t.Errorf("request %d (write %v, At %d, Lines %d): Done = %d, want %d",
				i, q.Write, q.At, q.Lines, rsps[i].Done, want)
		}
	}
}

func TestChannelDefaultLatencies(t *testing.T) {
	g := newRig(MakeBuilder())
	reqs := []*protocol.BurstReq{
		read(-100, 0, 0),  // no lines: must not set First
		read(-5, 3, 6),    // lines complete at -4, -3, -2
		write(10, 2, 7),   // lines complete at 10, 11
		write(1000, 0, 0), // no lines: must not move Last
	}
	rsps := g.run(t, reqs...)
	checkDone(t, reqs, rsps, 1, 0)
	if rsps[1].Done != -2 || rsps[2].Done != 11 {
		t.Errorf("Done = %d, %d, want -2, 11", rsps[1].Done, rsps[2].Done)
	}
	if got, want := g.ch.Stats(), (Stats{Words: 13, First: -4, Last: 11, Any: true, Latest: 11}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}

	g.ch.ResetStats()
	if got := g.ch.Stats(); got != (Stats{}) {
		t.Errorf("after ResetStats: %+v, want zero", got)
	}

	// Only zero-line requests: nothing moved.
	rsps = g.run(t, read(3, 0, 0), write(4, 0, 0))
	if rsps[0].Done != 3 || rsps[1].Done != 3 {
		t.Errorf("zero-line Done = %d, %d, want 3, 3", rsps[0].Done, rsps[1].Done)
	}
	if got := g.ch.Stats(); got.Any || got.First != 0 || got.Last != 0 || got.Words != 0 {
		t.Errorf("after zero-line requests only: %+v, want nothing moved", got)
	}

	// First and Last follow request order, not time: a write completing
	// late is requested before a read completing early.
	g.ch.ResetStats()
	reqs = []*protocol.BurstReq{write(10, 2, 7), read(-5, 3, 6)}
	rsps = g.run(t, reqs...)
	checkDone(t, reqs, rsps, 1, 0)
	if got, want := g.ch.Stats(), (Stats{Words: 13, First: 10, Last: -2, Any: true, Latest: 11}); got != want {
		t.Errorf("Stats = %+v, want %+v (request order)", got, want)
	}
}

func TestChannelCustomLatencies(t *testing.T) {
	g := newRig(MakeBuilder().WithReadLatency(4).WithWriteLatency(2))
	reqs := []*protocol.BurstReq{read(-5, 3, 6), write(10, 2, 7), read(20, 0, 0), read(0, 1, 4)}
	rsps := g.run(t, reqs...)
	checkDone(t, reqs, rsps, 4, 2)
	if rsps[0].Done != 1 || rsps[1].Done != 13 || rsps[3].Done != 4 {
		t.Errorf("Done = %d, %d, %d, want 1, 13, 4", rsps[0].Done, rsps[1].Done, rsps[3].Done)
	}
	// First: line 0 of the read at -5 completes at -1; Last: the single
	// line of the read at 0 completes at 4.
	if got, want := g.ch.Stats(), (Stats{Words: 17, First: -1, Last: 4, Any: true, Latest: 13}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

type traceRow struct {
	cycle int64
	addrs []int64
}

type recTracer struct{ rows []traceRow }

func (r *recTracer) Row(cycle int64, addrs []int64) {
	r.rows = append(r.rows, traceRow{cycle, append([]int64(nil), addrs...)})
}

func TestChannelTracer(t *testing.T) {
	for _, lat := range [][2]int{{1, 0}, {4, 2}} {
		t.Run(fmt.Sprintf("read%d_write%d", lat[0], lat[1]), func(t *testing.T) {
			g := newRig(MakeBuilder().WithReadLatency(lat[0]).WithWriteLatency(lat[1]))
			tr := &recTracer{}
			g.ch.SetTracer(tr)
			rd := read(-5, 3, 6)
			rd.Data = [][]int64{{1, 2}, {3, 4}, {5, -1}}
			noData := read(50, 4, 8) // traced nowhere: no Data
			wr := write(10, 2, 7)
			wr.Data = [][]int64{{100, 101, 102, 103}, {104, 105, 106, -1}}
			empty := write(70, 0, 0)
			empty.Data = [][]int64{}
			rsps := g.run(t, rd, noData, wr, empty)
			checkDone(t, []*protocol.BurstReq{rd, noData, wr, empty}, rsps, int64(lat[0]), int64(lat[1]))

			rl, wl := int64(lat[0]), int64(lat[1])
			want := []traceRow{
				{-5 + rl, []int64{1, 2}},
				{-4 + rl, []int64{3, 4}},
				{-3 + rl, []int64{5, -1}},
				{10 + wl, []int64{100, 101, 102, 103}},
				{11 + wl, []int64{104, 105, 106, -1}},
			}
			if fmt.Sprint(tr.rows) != fmt.Sprint(want) {
				t.Errorf("trace rows = %v, want %v", tr.rows, want)
			}
			if got, want := g.ch.Stats(), (Stats{Words: 21, First: -5 + rl, Last: 11 + wl, Any: true, Latest: 53 + rl}); got != want {
				t.Errorf("Stats = %+v, want %+v", got, want)
			}

			// Without a tracer nothing is recorded anywhere.
			g.ch.SetTracer(nil)
			tr.rows = nil
			rd2 := read(0, 1, 2)
			rd2.Data = [][]int64{{9, 9}}
			g.run(t, rd2)
			if len(tr.rows) != 0 {
				t.Errorf("rows after SetTracer(nil): %v", tr.rows)
			}
		})
	}
}
