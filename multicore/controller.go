package multicore

import (
	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// Controller starts layers on accelerators through their control ports
// and keeps the answers: the host side of a multi-core NPU. Plug Port into
// a connection with the accelerators' ControlPorts.
type Controller struct {
	*protocol.TickingComponent
	Port   sim.Port
	outbox protocol.Outbox
	rsps   map[string]*systolic.RunLayerRsp // by request ID
}

// NewController builds a controller on engine at freq.
func NewController(name string, engine sim.Engine, freq sim.Freq) *Controller {
	c := &Controller{rsps: map[string]*systolic.RunLayerRsp{}}
	c.TickingComponent = protocol.NewTickingComponent(name, engine, freq, c)
	c.Port = sim.NewLimitNumMsgPort(c, 16, name+".Port")
	c.AddPort("Port", c.Port)
	return c
}

// Start queues a request for the accelerator whose control port is dst
// and returns its ID; the request leaves at the controller's next tick.
func (c *Controller) Start(dst sim.Port, req *systolic.RunLayerReq) string {
	c.outbox.Queue(c.Port, dst, req)
	c.TickLater(c.Engine.CurrentTime())
	return req.ID
}

// Answer returns the answer to request id, nil while it has not arrived.
func (c *Controller) Answer(id string) *systolic.RunLayerRsp { return c.rsps[id] }

// Tick sends the queued requests and takes the answers.
func (c *Controller) Tick(now sim.VTimeInSec) bool {
	progress := c.outbox.Flush(now)
	for {
		msg := c.Port.Retrieve(now)
		if msg == nil {
			return progress
		}
		rsp := msg.(*systolic.RunLayerRsp)
		c.rsps[rsp.RspTo] = rsp
		progress = true
	}
}
