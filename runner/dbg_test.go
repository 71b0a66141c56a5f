package runner

import (
	"os"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

type bHook struct {
	eng  sim.Engine
	reqs map[string]*protocol.BurstReq
	recv map[string]int64
	out  []string
	t    *testing.T
	n    int
}

func (h *bHook) Func(ctx sim.HookCtx) {
	now := int64(float64(h.eng.CurrentTime())*1e9 + 0.5)
	switch m := ctx.Item.(type) {
	case *protocol.BurstReq:
		if ctx.Pos == sim.HookPosPortMsgRetrieve {
			h.reqs[m.ID] = m
			h.recv[m.ID] = now
		}
	case *protocol.BurstRsp:
		if ctx.Pos == sim.HookPosPortMsgSend && h.n < 15 {
			r := h.reqs[m.RspTo]
			var words int64
			for _, x := range r.Ranges {
				words += x.Len()
			}
			h.t.Logf("write=%v origin %d at %d lines %d lw %d words %d ranges %d rwords %d recv %d done %d (ideal %d)", r.Write, r.Origin, r.At, r.Lines, r.LineWords, r.Words, len(r.Ranges), words, h.recv[m.RspTo]-r.Origin, m.Done, r.At+int64(r.Lines))
			h.n++
		}
	}
}

func TestDbg(t *testing.T) {
	c := "../testdata/golden/rect_16x4_os_user4"
	data, _ := os.ReadFile(c + "/scale.cfg")
	cfg, err := ParseConfig("x", append(data, []byte("\n[dram]\nModel = fixed\nLatency = 0\nWidth = 16\n")...))
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := LoadTopology(c+"/topology.csv", Conv)
	eng := sim.NewSerialEngine()
	acc, ms := newAccelerator(cfg, eng)
	h := &bHook{eng: eng, reqs: map[string]*protocol.BurstReq{}, recv: map[string]int64{}, t: t}
	ms.adapters[0].GetPortByName("Top").AcceptHook(h)
	res, err := acc.RunLayer(0, layers[0])
	t.Log(res.StallCycles, err)
	t.Logf("%+v", ms.adapters[0].Stats())
}
