package components_test

import (
	"fmt"

	"github.com/npusim/npusim/dram"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// A bigger simulator builds an accelerator on its own akita engine and runs
// layers on it one at a time. Here a 3x3 convolution (8x8x2 ifmap, 6
// filters) runs on an 8x8 weight-stationary array whose 1 kB buffers are
// fed by ideal DRAM channels of one word per cycle (SCALE-Sim's USER
// bandwidth mode): the array stalls for most of its cycles while the
// buffers refill.
//
// Every number printed is SCALE-Sim v2's own for this layer and
// accelerator (its COMPUTE_REPORT and DETAILED_ACCESS_REPORT, kept in
// testdata/golden/stall_8x8_ws_user1, layer 0), and the fold count is
// SCALE-Sim's formula: weight stationary maps K = 3x3x2 = 18 onto the 8
// rows and N = 6 onto the 8 columns, ceil(18/8) x ceil(6/8) = 3 folds,
// which use 18x6 of 3x8x8 PEs: 56.25%.
func ExampleAccelerator_RunLayer() {
	acc := components.MakeBuilder().
		WithEngine(sim.NewSerialEngine()).
		WithArray(8, 8).
		WithDataflow(systolic.WS).
		WithSRAMKB(1, 1, 1).
		WithBandwidth(1).
		Build("NPU")

	conv := systolic.Layer{Name: "tiny_conv", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 2, N: 6, Sh: 1, Sw: 1}
	res, err := acc.RunLayer(0, conv)
	if err != nil {
		panic(err)
	}
	fmt.Printf("folds %d, total cycles %d, stall cycles %d, mapping efficiency %.2f%%\n",
		res.Folds, res.TotalCycles, res.StallCycles, res.MappingEfficiency())

	for i, name := range []string{"ifmap", "filter", "ofmap"} {
		s := acc.DRAM[i].Stats()
		fmt.Printf("%-6s DRAM: %4d words, cycles %d..%d\n", name, s.Words, s.First, s.Last)
	}
	in, f, out := acc.Ifmap.Stats(), acc.Filter.Stats(), acc.Ofmap.Stats()
	fmt.Printf("ifmap  SRAM: %4d reads,  cycles %d..%d\n", in.Requests, in.First, in.Last)
	fmt.Printf("filter SRAM: %4d reads,  cycles %d..%d\n", f.Requests, f.First, f.Last)
	fmt.Printf("ofmap  SRAM: %4d writes, cycles %d..%d\n", out.Requests, out.First, out.Last)
	// Output:
	// folds 3, total cycles 584, stall cycles 411, mapping efficiency 56.25%
	// ifmap  DRAM: 1024 words, cycles -512..512
	// filter DRAM:  144 words, cycles -144..-1
	// ofmap  DRAM:  648 words, cycles 557..719
	// ifmap  SRAM:  648 reads,  cycles 9..572
	// filter SRAM:  108 reads,  cycles 1..535
	// ofmap  SRAM:  648 writes, cycles 15..582
}

// A convolution layer on SCALE-Sim's default accelerator (32x32, output
// stationary, 64 kB buffers, CALC bandwidth mode: the read buffers never
// stall and the DRAM channels record the bandwidth they would need).
//
// The numbers follow from SCALE-Sim v2's formulas, by hand: 26x26 = 676
// output pixels, K = 3x3x16 = 144, N = 64, so 676x64x144 = 6230016 MACs.
// Output stationary maps the 676 pixels onto the 32 rows and the 64
// filters onto the 32 columns: 22 x 2 = 44 folds of F = K + 32 + 32 - 2 =
// 206 cycles, and Total Cycles is the last cycle's index, 44x206 - 1 =
// 9063. 21 of the 22 row folds are full and the last uses 676 - 672 = 4
// rows: mapping efficiency (21 + 4/32) / 22 = 96.02%, and compute
// utilisation that times K/F = 144/206: 67.12%. The buffers hold the whole
// layer, so each ifmap word (28x28x16) and filter word (3x3x16x64) comes
// from DRAM once.
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
	fmt.Printf("ifmap DRAM: %d words, filter DRAM: %d words\n", acc.DRAM[0].Stats().Words, acc.DRAM[1].Stats().Words)
	// Output:
	// conv: 6230016 MACs, 44 folds, total cycles 9063, stall cycles 0
	// mapping efficiency 96.02%, compute util 67.12%
	// ifmap DRAM: 12544 words, filter DRAM: 9216 words
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
	hbm, err := dram.BuildMemory(engine, 1*sim.GHz, "HBM", dram.MemorySpec{Model: dram.AkitaHBM2, Channels: 2})
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
