package components

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
)

// host is the driver behind Accelerator.RunLayer and RunVectorLayer: it
// sends one request to a control port and keeps the answer, of type Rsp.
type host[Rsp sim.Msg] struct {
	*protocol.TickingComponent
	port   sim.Port
	outbox protocol.Outbox
	rsp    Rsp // the zero value (nil) until the answer arrives
}

func newHost[Rsp sim.Msg](name string, engine sim.Engine, freq sim.Freq) *host[Rsp] {
	h := &host[Rsp]{}
	h.TickingComponent = protocol.NewTickingComponent(name, engine, freq, h)
	h.port = sim.NewLimitNumMsgPort(h, 4, name+".Port")
	h.AddPort("Port", h.port)
	return h
}

func (h *host[Rsp]) send(dst sim.Port, req sim.Msg) {
	var none Rsp
	h.rsp = none
	h.outbox.Queue(h.port, dst, req)
	h.TickLater(h.Engine.CurrentTime())
}

func (h *host[Rsp]) take() Rsp { return h.rsp }

// Tick sends the request and takes the answer.
func (h *host[Rsp]) Tick(now sim.VTimeInSec) bool {
	progress := h.outbox.Flush(now)
	if msg := h.port.Retrieve(now); msg != nil {
		h.rsp = msg.(Rsp)
		progress = true
	}
	return progress
}
