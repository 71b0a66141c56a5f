// Command mesh puts four NPU cores and four HBM2 memory controllers on
// akita's on-chip network, a 2x2 mesh: core i and controller i share mesh
// node i, and the memory's addresses are interleaved over the four
// controllers, so three quarters of each core's requests cross the mesh. A
// convolution layer is split four ways (multicore's 2x2 split: two parts of
// the output rows times two parts of the filters). It prints each core's
// cycles alone on the memory, with the four cores on one direct
// connection (no network), and on the mesh, and how busy each mesh link
// was. This is the NoC ONNXim gets from Booksim, in a few dozen lines of
// Go wiring akita's own components.
//
//	go run ./samples/mesh
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/noc/networking/mesh"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

const freq = 1 * sim.GHz

var (
	// core is each core: 16x16 weight stationary, small buffers, a
	// 16-word memory interface.
	core      = components.MakeBuilder().WithArray(16, 16).WithDataflow(systolic.WS).WithSRAMKB(8, 8, 4)
	coreWidth = 16
	layer     = systolic.Layer{Name: "conv", H: 18, W: 18, Fh: 3, Fw: 3, Ch: 16, N: 64, Sh: 1, Sw: 1}
	split     = multicore.Split{Pixels: 2, Filters: 2}
	offsets   = systolic.Offsets{Ifmap: 0, Filter: 1 << 22, Ofmap: 2 << 22}
)

// wiring is how the cores reach the memory.
type wiring int

const (
	direct wiring = iota // one akita DirectConnection: no latency, no contention but the memory's
	onMesh               // the 2x2 mesh
)

func main() { write(os.Stdout) }

// write runs the three set-ups and prints the table to w.
func write(w io.Writer) {
	shares := split.Shares(layer, offsets)
	alone := make([]int64, len(shares))
	for i := range shares {
		r := simulate(shares, []int{i}, direct)
		alone[i] = r.cycles[i]
	}
	shared := simulate(shares, []int{0, 1, 2, 3}, direct)
	meshed := simulate(shares, []int{0, 1, 2, 3}, onMesh)

	fmt.Fprintf(w, "%s split %s over four 16x16 WS cores; HBM2, 4 channels on a 2x2 mesh\n", layer.Name, split)
	fmt.Fprintf(w, "%-8s %-22s %9s %9s %9s\n", "core", "share", "alone", "direct", "mesh")
	for i, sh := range shares {
		fmt.Fprintf(w, "core %d   rows %2d-%2d filters %2d-%2d %9d %9d %9d\n", i,
			sh.Rows[0], sh.Rows[1], sh.Filters[0], sh.Filters[1], alone[i], shared.cycles[i], meshed.cycles[i])
	}
	fmt.Fprintf(w, "mesh links (flits of %d bytes, one per cycle; busy share of %d cycles):\n", flitBytes, meshed.span)
	for _, l := range meshed.links {
		fmt.Fprintf(w, "  %-30s %7d flits %5.1f%%\n", linkName(l.name), l.flits, 100*float64(l.flits)/float64(meshed.span))
	}
}

// flitBytes is the mesh's flit; each link moves one flit per cycle.
const flitBytes = 32

// run is what one simulation gave.
type run struct {
	cycles []int64     // per core: the layer's total cycles (0 if it did not run)
	ofmap  []int64     // per core: the results it wrote
	span   int64       // the engine cycle the last core finished
	links  []linkFlits // mesh only
	res    []systolic.LayerResult
}

type linkFlits struct {
	name  string
	flits int64
}

// simulate runs the shares of the cores in active on a fresh engine, the
// cores reaching the memory as w says.
func simulate(shares []multicore.Share, active []int, w wiring) run {
	engine := sim.NewSerialEngine()
	m, err := dram.BuildMemory(engine, freq, "HBM", dram.MemorySpec{Model: dram.AkitaHBM2, Channels: 4})
	if err != nil {
		fail(err)
	}
	host := multicore.NewController("Host", engine, freq)
	ctrl := sim.NewDirectConnection("HostConn", engine, freq)
	ctrl.PlugIn(host.Port, 8)

	var conn *sim.DirectConnection
	var net *mesh.Connector
	flits := &flitCounter{flits: map[string]int64{}}
	switch w {
	case direct:
		conn = sim.NewDirectConnection("MemConn", engine, freq)
		for _, p := range m.Ports() {
			conn.PlugIn(p, 256)
		}
	case onMesh:
		net = mesh.NewConnector().WithEngine(engine).WithFreq(freq).
			WithFlitSize(flitBytes).WithSwitchLatency(2).WithNoCTracer(flits)
		net.CreateNetwork("Mesh")
	}

	ab := m.AdapterBuilder().WithEngine(engine).WithFreq(freq).
		WithBytesPerCycle(coreWidth).WithIssuePerCycle(1)
	ids := map[int]string{}
	accs := map[int]*components.Accelerator{}
	for _, i := range active {
		name := fmt.Sprintf("Core%d", i)
		// Each core's three buffers talk to adapters of their own over a
		// local connection (the user-owned wiring: MemoryPorts); the
		// adapters' memory side is what goes on the network.
		var ads [3]*dram.Adapter
		local := sim.NewDirectConnection(name+".Local", engine, freq)
		for op, o := range []string{"Ifmap", "Filter", "Ofmap"} {
			ads[op] = ab.Build(name + "." + o + "Adapter")
			local.PlugIn(ads[op].GetPortByName("Top"), 4)
		}
		acc := core.WithEngine(engine).WithBandwidth(coreWidth).
			WithMemoryPorts(ads[0].GetPortByName("Top"), ads[1].GetPortByName("Top"), ads[2].GetPortByName("Top")).
			Build(name)
		for _, p := range acc.MemoryPorts() {
			local.PlugIn(p, 4)
		}
		bottoms := []sim.Port{ads[0].GetPortByName("Bottom"), ads[1].GetPortByName("Bottom"), ads[2].GetPortByName("Bottom")}
		switch w {
		case direct:
			for _, p := range bottoms {
				conn.PlugIn(p, m.Spec.MaxInFlight)
			}
		case onMesh:
			// node i of the 2x2 mesh holds core i's adapters and controller i
			net.AddTile([3]int{i % 2, i / 2, 0}, append(bottoms, m.Ports()[i]))
		}
		ctrl.PlugIn(acc.ControlPort(), 4)
		sh := shares[i]
		ids[i] = host.Start(acc.ControlPort(), systolic.MakeRunLayerReqBuilder().
			WithIndex(0).WithLayer(sh.Layer).WithOffsets(sh.Offsets).Build())
		accs[i] = acc
	}
	if w == onMesh {
		for i, p := range m.Ports() { // controllers of idle cores' nodes
			if accs[i] == nil {
				net.AddTile([3]int{i % 2, i / 2, 0}, []sim.Port{p})
			}
		}
		net.EstablishNetwork()
	}
	if err := engine.Run(); err != nil {
		fail(err)
	}

	r := run{cycles: make([]int64, len(shares)), ofmap: make([]int64, len(shares)), res: make([]systolic.LayerResult, len(shares))}
	for i, id := range ids {
		rsp := host.Answer(id)
		if rsp == nil || rsp.Err != nil {
			fail(fmt.Errorf("core %d: layer did not finish: %+v", i, rsp))
		}
		r.cycles[i] = rsp.Result.TotalCycles
		r.res[i] = rsp.Result
		r.ofmap[i] = accs[i].Ofmap.Stats().Requests
		r.span = max(r.span, rsp.Result.Origin+rsp.Result.End)
	}
	for name, n := range flits.flits {
		r.links = append(r.links, linkFlits{name, n})
	}
	sort.Slice(r.links, func(a, b int) bool { return r.links[a].name < r.links[b].name })
	return r
}

// linkName shortens akita's name of a link direction,
// "Mesh.SW[x][y][0].Dir.Mesh.SW[x'][y'][0].Dir'", to "SW[x][y] Dir -> SW[x'][y']".
func linkName(s string) string {
	s = strings.ReplaceAll(s, "[0].", ".")
	parts := strings.Split(strings.ReplaceAll(s, "Mesh.", ""), ".")
	if len(parts) != 4 {
		return s
	}
	return fmt.Sprintf("%s %s -> %s", parts[0], parts[1], parts[2])
}

// flitCounter is an akita tracer that counts the flits crossing each
// mesh link in each direction (the links trace one task per flit).
type flitCounter struct {
	mu    sync.Mutex
	flits map[string]int64
}

func (c *flitCounter) StartTask(t tracing.Task) {
	if t.What != "flit_through_channel" {
		return
	}
	c.mu.Lock()
	c.flits[t.Where]++
	c.mu.Unlock()
}

func (c *flitCounter) StepTask(tracing.Task) {}
func (c *flitCounter) EndTask(tracing.Task)  {}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mesh:", err)
	os.Exit(1)
}
