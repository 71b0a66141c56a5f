package components

import (
	"fmt"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/vector"
	"github.com/sarchlab/akita/v3/sim"
)

// WithVectorUnit adds a vector unit built by vb beside the PE array. It
// shares the array's buffers: its "Ifmap", "Filter" and "Ofmap" ports are
// plugged into the on-chip connection next to the array's and talk to the
// buffers' "Top" ports with the same messages, so a vector layer reads and
// writes through the same SRAM buffers and DRAM path (ideal channels or a
// real memory) as a GEMM layer. The accelerator's engine, clock and operand
// offsets replace vb's. Layers run one at a time on the accelerator: a
// vector layer never overlaps a GEMM layer.
func (b Builder) WithVectorUnit(vb vector.Builder) Builder { b.vector = &vb; return b }

// buildVector builds and wires the vector unit, if one was asked for.
func (b Builder) buildVector(acc *Accelerator, onChip sim.Connection) {
	if b.vector == nil {
		return
	}
	o := b.offsets
	acc.Vector = b.vector.WithEngine(b.engine).WithFreq(b.freq).
		WithOffsets(vector.Offsets{In: o.Ifmap, Aux: o.Filter, Out: o.Ofmap}).
		Build(acc.Name + ".Vector")
	for _, p := range []string{"Ifmap", "Filter", "Ofmap"} {
		onChip.PlugIn(acc.Vector.GetPortByName(p), 4)
	}
	acc.Vector.Connect(acc.Ifmap.GetPortByName("Top"), acc.Filter.GetPortByName("Top"), acc.Ofmap.GetPortByName("Top"))
}

// VectorControlPort is the port through which another component runs
// vector layers (vector.RunReq) on the accelerator; nil without a vector
// unit.
func (acc *Accelerator) VectorControlPort() sim.Port {
	if acc.Vector == nil {
		return nil
	}
	return acc.Vector.GetPortByName("Ctrl")
}

// RunVectorLayer simulates one vector layer to completion on the
// accelerator's engine, as RunLayer does a GEMM layer; the buffers' and
// channels' statistics for the layer can be read afterwards.
func (acc *Accelerator) RunVectorLayer(index int, l vector.Layer) (vector.Result, error) {
	if acc.Vector == nil {
		return vector.Result{}, fmt.Errorf("layer %d (%s): the accelerator has no vector unit", index, l.Name)
	}
	if acc.vhost == nil {
		acc.vhost = newVectorHost(acc.Name+".VectorHost", acc.engine, acc.freq)
		conn := sim.NewDirectConnection(acc.Name+".VectorHostConn", acc.engine, acc.freq)
		conn.PlugIn(acc.vhost.port, 4)
		conn.PlugIn(acc.VectorControlPort(), 4)
	}
	acc.ResetStats()
	acc.vhost.send(acc.VectorControlPort(), &vector.RunReq{Index: index, Layer: l})
	if err := acc.engine.Run(); err != nil {
		return vector.Result{}, fmt.Errorf("layer %d (%s): %w", index, l.Name, err)
	}
	rsp := acc.vhost.rsp
	if rsp == nil {
		return vector.Result{}, fmt.Errorf("layer %d (%s): simulation stopped before the layer finished", index, l.Name)
	}
	return rsp.Result, rsp.Err
}

// vectorHost is the driver behind RunVectorLayer: it sends one request to
// the vector unit's control port and keeps the answer.
type vectorHost struct {
	*protocol.TickingComponent
	port   sim.Port
	outbox protocol.Outbox
	rsp    *vector.RunRsp
}

func newVectorHost(name string, engine sim.Engine, freq sim.Freq) *vectorHost {
	h := &vectorHost{}
	h.TickingComponent = protocol.NewTickingComponent(name, engine, freq, h)
	h.port = sim.NewLimitNumMsgPort(h, 4, name+".Port")
	h.AddPort("Port", h.port)
	return h
}

func (h *vectorHost) send(dst sim.Port, req *vector.RunReq) {
	h.rsp = nil
	h.outbox.Queue(h.port, dst, req)
	h.TickLater(h.Engine.CurrentTime())
}

// Tick sends the request and takes the answer.
func (h *vectorHost) Tick(now sim.VTimeInSec) bool {
	progress := h.outbox.Flush(now)
	if msg := h.port.Retrieve(now); msg != nil {
		h.rsp = msg.(*vector.RunRsp)
		progress = true
	}
	return progress
}
