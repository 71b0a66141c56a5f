package components

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// host is the driver behind Accelerator.RunLayer: it sends one request to
// the accelerator's control port and keeps the answer.
type host struct {
	*protocol.TickingComponent
	port   sim.Port
	outbox protocol.Outbox
	rsp    *systolic.RunLayerRsp
}

func newHost(name string, engine sim.Engine, freq sim.Freq) *host {
	h := &host{}
	h.TickingComponent = protocol.NewTickingComponent(name, engine, freq, h)
	h.port = sim.NewLimitNumMsgPort(h, 4, name+".Port")
	h.AddPort("Port", h.port)
	return h
}

func (h *host) send(dst sim.Port, req *systolic.RunLayerReq) {
	h.rsp = nil
	h.outbox.Queue(h.port, dst, req)
	h.TickLater(h.Engine.CurrentTime())
}

func (h *host) take() *systolic.RunLayerRsp { return h.rsp }

func (h *host) Tick(now sim.VTimeInSec) bool {
	progress := h.outbox.Flush(now)
	if msg := h.port.Retrieve(now); msg != nil {
		h.rsp = msg.(*systolic.RunLayerRsp)
		progress = true
	}
	return progress
}
