// Command soc is a small SoC on one akita engine: two NPUs of different
// shapes, a 128x128 weight-stationary one running a transformer block and
// a 32x32 output-stationary one running a small CNN, at the same time over
// one HBM2 stack, beside a traffic generator standing for a GPU that
// streams through memory on its own schedule. It prints, per NPU, its
// cycles alone and shared and the slowdown, and the memory's achieved
// bandwidth.
//
//	go run ./samples/soc
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/mem/mem"
	"github.com/sarchlab/akita/v3/sim"
)

// npu is one accelerator of the SoC and the network it runs.
type npu struct {
	name      string
	core      components.Builder
	bandwidth int // words per cycle of its memory interface
	net       []systolic.Layer
}

var npus = []npu{
	{"NPU-A 128x128 WS", components.MakeBuilder().WithArray(128, 128).WithDataflow(systolic.WS).
		WithSRAMKB(256, 256, 128).WithOffsets(systolic.Offsets{Ifmap: 0, Filter: 1 << 24, Ofmap: 2 << 24}), 128,
		[]systolic.Layer{ // one transformer encoder block, 128 tokens, d = 256
			systolic.GEMM("qkv", 128, 768, 256), systolic.GEMM("scores", 128, 128, 64),
			systolic.GEMM("context", 128, 64, 128), systolic.GEMM("proj", 128, 256, 256),
			systolic.GEMM("ff1", 128, 1024, 256), systolic.GEMM("ff2", 128, 256, 1024)}},
	{"NPU-B 32x32 OS", components.MakeBuilder().WithArray(32, 32).WithDataflow(systolic.OS).
		WithSRAMKB(32, 32, 16).WithOffsets(systolic.Offsets{Ifmap: 3 << 24, Filter: 4 << 24, Ofmap: 5 << 24}), 16,
		[]systolic.Layer{ // a small CNN on a 32x32 image
			{Name: "conv1", H: 34, W: 34, Fh: 3, Fw: 3, Ch: 3, N: 32, Sh: 1, Sw: 1},
			{Name: "conv2", H: 32, W: 32, Fh: 3, Fw: 3, Ch: 32, N: 64, Sh: 2, Sw: 2},
			{Name: "conv3", H: 15, W: 15, Fh: 3, Fw: 3, Ch: 64, N: 64, Sh: 2, Sw: 2},
			{Name: "fc", H: 1, W: 1, Fh: 1, Fw: 1, Ch: 64 * 7 * 7, N: 10, Sh: 1, Sw: 1}}},
}

// gpuRequests is how many 64-byte reads the GPU stands for, one every
// gpuPeriod cycles.
const (
	gpuRequests = 40000
	gpuPeriod   = 1
)

func main() { write(os.Stdout) }

// write simulates the SoC and prints the table to w.
func write(w io.Writer) {
	alone := make([]int64, len(npus))
	for i := range npus {
		r := simulate([]bool{i == 0, i == 1}, false)
		alone[i] = r.end[i]
	}
	gpu := simulate([]bool{false, false}, true)
	all := simulate([]bool{true, true}, true)

	fmt.Fprintln(w, "Two NPUs and a GPU-like traffic generator on one HBM2 stack (8 channels, 256 B/cycle peak at 1 GHz)")
	fmt.Fprintf(w, "%-18s %12s %12s %9s\n", "", "alone", "shared", "slowdown")
	for i, n := range npus {
		fmt.Fprintf(w, "%-18s %12d %12d %8.2fx\n", n.name, alone[i], all.end[i], float64(all.end[i])/float64(alone[i]))
	}
	fmt.Fprintf(w, "%-18s %12d %12d %8.2fx\n", "GPU (traffic gen)", gpu.gpuEnd, all.gpuEnd, float64(all.gpuEnd)/float64(gpu.gpuEnd))
	fmt.Fprintf(w, "memory: %d bytes in %d cycles shared: %.1f B/cycle achieved of %.0f peak (%.0f%%)\n",
		all.bytes, all.span, float64(all.bytes)/float64(all.span), all.peak, 100*float64(all.bytes)/float64(all.span)/all.peak)
}

// result is what one simulation gave: each NPU's last cycle (0 if it did
// not run), the GPU's, and the memory's bytes over the run's cycles.
type result struct {
	end         []int64
	gpuEnd      int64
	bytes, span int64
	peak        float64
}

// simulate builds the SoC with the NPUs in run (and the GPU if gpu) on a
// fresh engine, runs every network to its end and measures it.
func simulate(run []bool, gpu bool) result {
	engine := sim.NewSerialEngine()
	clients := 0
	for _, r := range run {
		if r {
			clients++
		}
	}
	hbm, err := multicore.NewMemory(engine, 1*sim.GHz, "HBM", dram.MemorySpec{Model: dram.HBM2}, max(clients, 1))
	if err != nil {
		fail(err)
	}
	var gen *trafficGen
	if gpu {
		gen = newTrafficGen(engine, hbm, 6<<24, gpuRequests, gpuPeriod)
	}
	host := multicore.NewController("Host", engine, 1*sim.GHz)
	ctrl := sim.NewDirectConnection("HostConn", engine, 1*sim.GHz)
	ctrl.PlugIn(host.Port, 16)
	ids := make([][]string, len(npus))
	for i, n := range npus {
		if !run[i] {
			continue
		}
		acc := hbm.Attach(fmt.Sprintf("NPU%d", i), n.core, 1, n.bandwidth)
		ctrl.PlugIn(acc.ControlPort(), 4)
		for j, l := range n.net { // the accelerator queues them and runs them in order
			ids[i] = append(ids[i], host.Start(acc.ControlPort(), &systolic.RunLayerReq{Index: j, Layer: l}))
		}
	}
	if clients == 0 { // the memory's controllers join with the last NPU
		hbm.Attach("Idle", components.MakeBuilder(), 1, 1)
	}
	if err := engine.Run(); err != nil {
		fail(err)
	}
	r := result{end: make([]int64, len(npus)), peak: hbm.PeakBytesPerCycle(1 * sim.GHz)}
	for i := range npus {
		for _, id := range ids[i] {
			rsp := host.Answer(id)
			if rsp == nil || rsp.Err != nil {
				fail(fmt.Errorf("%s: layer did not finish: %+v", npus[i].name, rsp))
			}
			r.end[i] = max(r.end[i], rsp.Result.Origin+rsp.Result.End)
		}
		r.span = max(r.span, r.end[i])
	}
	r.bytes = hbm.ReqBytes()
	if gen != nil {
		r.gpuEnd = gen.last
		r.bytes += gen.bytes
		r.span = max(r.span, r.gpuEnd)
	}
	return r
}

// trafficGen stands for a GPU: it reads n consecutive 64-byte blocks from
// base, one every period cycles of its own clock whatever the memory does
// (at most 256 outstanding), and counts what comes back.
type trafficGen struct {
	*sim.TickingComponent
	port         sim.Port
	mem          *multicore.Memory
	next, base   uint64
	left, period int
	inflight     int
	bytes, last  int64
	nextIssue    sim.VTimeInSec
}

func newTrafficGen(engine sim.Engine, m *multicore.Memory, base uint64, n, period int) *trafficGen {
	g := &trafficGen{mem: m, base: base, left: n, period: period}
	g.TickingComponent = sim.NewTickingComponent("GPU", engine, 1*sim.GHz, g)
	g.port = sim.NewLimitNumMsgPort(g, 256, "GPU.Port")
	g.AddPort("Port", g.port)
	m.Conn.PlugIn(g.port, 256)
	g.TickLater(0)
	return g
}

func (g *trafficGen) Tick(now sim.VTimeInSec) bool {
	progress := false
	for msg := g.port.Retrieve(now); msg != nil; msg = g.port.Retrieve(now) {
		g.inflight--
		g.bytes += 64
		g.last = int64(g.Freq.Cycle(now))
		progress = true
	}
	if g.left > 0 && g.inflight < 256 && now >= g.nextIssue {
		addr, dst := g.mem.Route(g.base + g.next*64)
		req := mem.ReadReqBuilder{}.WithSendTime(now).WithSrc(g.port).
			WithDst(dst).WithAddress(addr).WithByteSize(64).Build()
		if g.port.Send(req) == nil {
			g.next++
			g.left--
			g.inflight++
			g.nextIssue = g.Freq.NCyclesLater(g.period, now)
			progress = true
		}
	}
	if g.left > 0 && !progress {
		// keep our own time: wake at the next issue slot
		g.TickLater(max(g.nextIssue, g.Freq.NextTick(now)))
	}
	return progress
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "soc:", err)
	os.Exit(1)
}
