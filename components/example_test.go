package components_test

import (
	"fmt"
	"github.com/npusim/npusim/dram"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// A bigger simulator builds an accelerator on its own akita engine and runs
// layers on it one at a time. Here a 64x128 by 128x32 matrix multiply runs
// on a 16x16 weight-stationary array whose buffers are fed by 8-word-wide
// ideal DRAM channels (SCALE-Sim's USER bandwidth mode). The buffers are
// small, so the array stalls while they refill.
func ExampleAccelerator_RunLayer() {
	acc := components.MakeBuilder().
		WithEngine(sim.NewSerialEngine()).
		WithArray(16, 16).
		WithDataflow(systolic.WS).
		WithSRAMKB(1, 1, 1).
		WithBandwidth(8).
		Build("NPU")

	res, err := acc.RunLayer(0, systolic.GEMM("fc", 64, 32, 128))
	if err != nil {
		panic(err)
	}
	fmt.Printf("folds %d, total cycles %d, stall cycles %d, mapping efficiency %.2f%%\n",
		res.Folds, res.TotalCycles, res.StallCycles, res.MappingEfficiency())

	for i, name := range []string{"ifmap", "filter", "ofmap"} {
		s := acc.DRAM[i].Stats()
		fmt.Printf("%-6s DRAM: %5d words, cycles %d..%d\n", name, s.Words, s.First, s.Last)
	}
	in, f, out := acc.Ifmap.Stats(), acc.Filter.Stats(), acc.Ofmap.Stats()
	fmt.Printf("ifmap  SRAM: %5d reads,  cycles %d..%d\n", in.Requests, in.First, in.Last)
	fmt.Printf("filter SRAM: %5d reads,  cycles %d..%d\n", f.Requests, f.First, f.Last)
	fmt.Printf("ofmap  SRAM: %5d writes, cycles %d..%d\n", out.Requests, out.First, out.Last)
	// Output:
	// folds 16, total cycles 4642, stall cycles 2883, mapping efficiency 100.00%
	// ifmap  DRAM: 32768 words, cycles -64..4094
	// filter DRAM: 36352 words, cycles -64..4549
	// ofmap  DRAM: 16391 words, cycles 78..4706
	// ifmap  SRAM: 16384 reads,  cycles 17..4628
	// filter SRAM:  4096 reads,  cycles 1..4549
	// ofmap  SRAM: 16384 writes, cycles 31..4642
}

// A convolution layer on SCALE-Sim's default accelerator (32x32, output
// stationary, 64 kB buffers, CALC bandwidth mode: the read buffers never
// stall and the DRAM channels record the bandwidth they would need).
func ExampleAccelerator_RunLayer_conv() {
	acc := components.MakeBuilder().
		WithEngine(sim.NewSerialEngine()).
		Build("NPU")

	conv := systolic.Layer{Name: "conv", H: 28, W: 28, Fh: 3, Fw: 3, Ch: 16, N: 64, Sh: 1, Sw: 1}
	res, err := acc.RunLayer(0, conv)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %d MACs, %d folds, total cycles %d, stall cycles %d\n",
		conv.Name, conv.MACs(), res.Folds, res.TotalCycles, res.StallCycles)
	fmt.Printf("mapping efficiency %.2f%%, compute util %.2f%%\n", res.MappingEfficiency(), res.ComputeUtil())
	for i, name := range []string{"ifmap", "filter", "ofmap"} {
		s := acc.DRAM[i].Stats()
		fmt.Printf("%-6s DRAM: %6d words, %.3f words/cycle\n", name, s.Words, float64(s.Words)/float64(s.Last-s.First+1))
	}
	// Output:
	// conv: 6230016 MACs, 44 folds, total cycles 9063, stall cycles 0
	// mapping efficiency 96.02%, compute util 67.12%
	// ifmap  DRAM:  12544 words, 9.576 words/cycle
	// filter DRAM:   9216 words, 9.375 words/cycle
	// ofmap  DRAM:  43295 words, 16.588 words/cycle
}

// driver is a component of a bigger simulator (a host CPU, a GPU's command
// processor) that runs layers on an accelerator through its control port.
type driver struct {
	*sim.TickingComponent
	port    sim.Port
	pending []sim.Msg
	done    []*systolic.RunLayerRsp
}

func newDriver(engine sim.Engine) *driver {
	d := &driver{}
	d.TickingComponent = sim.NewTickingComponent("Driver", engine, 1*sim.GHz, d)
	d.port = sim.NewLimitNumMsgPort(d, 4, "Driver.Port")
	return d
}

func (d *driver) Tick(now sim.VTimeInSec) bool {
	progress := false
	for len(d.pending) > 0 {
		d.pending[0].Meta().SendTime = now
		if d.port.Send(d.pending[0]) != nil {
			break
		}
		d.pending, progress = d.pending[1:], true
	}
	for msg := d.port.Retrieve(now); msg != nil; msg = d.port.Retrieve(now) {
		d.done = append(d.done, msg.(*systolic.RunLayerRsp))
		progress = true
	}
	return progress
}

// A component of your own drives the accelerator: it sends RunLayerReqs to
// the control port, and the accelerator answers each when the layer is
// over. Both layers are queued at once and run one after the other.
func ExampleAccelerator_ControlPort() {
	engine := sim.NewSerialEngine()
	acc := components.MakeBuilder().WithEngine(engine).
		WithArray(8, 8).WithSRAMKB(1, 1, 1).WithBandwidth(4).Build("NPU")
	d := newDriver(engine)
	conn := sim.NewDirectConnection("Conn", engine, 1*sim.GHz)
	conn.PlugIn(d.port, 4)
	conn.PlugIn(acc.ControlPort(), 4)
	for i, l := range []systolic.Layer{systolic.GEMM("fc1", 32, 16, 64), systolic.GEMM("fc2", 32, 8, 16)} {
		d.pending = append(d.pending, systolic.MakeRunLayerReqBuilder().
			WithSrc(d.port).WithDst(acc.ControlPort()).WithIndex(i).WithLayer(l).Build())
	}
	d.TickLater(0)
	if err := engine.Run(); err != nil {
		panic(err)
	}
	for _, rsp := range d.done {
		r := rsp.Result
		fmt.Printf("layer %d: %d cycles, from engine cycle %d to %d\n", r.Layer, r.TotalCycles, r.Origin, r.Origin+r.End)
	}
	// Output:
	// layer 0: 2006 cycles, from engine cycle 136 to 2270
	// layer 1: 119 cycles, from engine cycle 2405 to 2588
}

// Two accelerators share one HBM2 memory: each buffer talks to an adapter
// that turns its bursts into akita memory requests, and everything is on
// one connection of the caller's (WithMemoryPorts: the builder plugs
// nothing). They contend for the memory (TestSharedMemoryPorts checks that
// sharing slows an accelerator down).
func ExampleBuilder_WithMemoryPorts() {
	engine := sim.NewSerialEngine()
	hbm, err := dram.BuildMemory(engine, 1*sim.GHz, "HBM", dram.MemorySpec{Model: dram.HBM2, Channels: 2})
	if err != nil {
		panic(err)
	}
	bus := sim.NewDirectConnection("Bus", engine, 1*sim.GHz)
	for _, p := range hbm.Ports() {
		bus.PlugIn(p, 256)
	}
	ab := hbm.AdapterBuilder().WithEngine(engine).WithFreq(1 * sim.GHz).WithBytesPerCycle(4)
	var accs []*components.Accelerator
	for i, name := range []string{"NPU0", "NPU1"} {
		base := int64(i) << 20
		var tops [3]sim.Port
		for op := range tops {
			a := ab.Build(fmt.Sprintf("%s.Adapter%d", name, op))
			bus.PlugIn(a.GetPortByName("Top"), 8)
			bus.PlugIn(a.GetPortByName("Bottom"), 64)
			tops[op] = a.GetPortByName("Top")
		}
		acc := components.MakeBuilder().WithEngine(engine).
			WithArray(8, 8).WithSRAMKB(1, 1, 1).WithBandwidth(4).
			WithOffsets(systolic.Offsets{Ifmap: base, Filter: 4<<20 + base, Ofmap: 8<<20 + base}).
			WithMemoryPorts(tops[0], tops[1], tops[2]).Build(name)
		for _, p := range acc.MemoryPorts() {
			bus.PlugIn(p, 4)
		}
		accs = append(accs, acc)
	}
	d := newDriver(engine)
	conn := sim.NewDirectConnection("Ctrl", engine, 1*sim.GHz)
	conn.PlugIn(d.port, 4)
	names := map[string]string{} // request ID -> accelerator
	for _, acc := range accs {
		conn.PlugIn(acc.ControlPort(), 4)
		req := systolic.MakeRunLayerReqBuilder().
			WithSrc(d.port).WithDst(acc.ControlPort()).WithLayer(systolic.GEMM("fc", 32, 16, 64)).Build()
		names[req.ID] = acc.Name
		d.pending = append(d.pending, req)
	}
	d.TickLater(0)
	if err := engine.Run(); err != nil {
		panic(err)
	}
	for _, rsp := range d.done {
		fmt.Printf("%s: %d cycles, %d stall cycles\n", names[rsp.RspTo], rsp.Result.TotalCycles, rsp.Result.StallCycles)
	}
	// Output:
	// NPU0: 2968 cycles, 2345 stall cycles
	// NPU1: 3126 cycles, 2503 stall cycles
}
