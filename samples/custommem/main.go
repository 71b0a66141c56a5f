// Command custommem shows how to add a memory component to npusim: a
// compressing link (link.go, an akita component of about 170 lines) is put
// between each operand buffer of a 32x32 output-stationary NPU and npusim's
// DRAM model (a DDR4 memory timed as DRAMsim3 times it) through
// components.Builder.WithDRAM, and AlexNet is run with and without it. It
// prints, per layer, the stall cycles, the words and the memory requests
// of both.
//
//	go run ./samples/custommem
package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"os"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
	"github.com/sarchlab/akita/v3/sim"
)

//go:embed alexnet.csv
var alexnet []byte

// The compression ratios of the ifmap, filter and ofmap traffic (weights
// stored 2:1, activations after ReLU 1.5:1) and the (de)compressor's
// latency in cycles.
var (
	ratios  = [3]float64{1.5, 2, 1.5}
	latency = 4
)

// The operands' word addresses in memory (SCALE-Sim's defaults); each
// link compresses its operand from its offset up.
var offsets = systolic.Offsets{Ifmap: 0, Filter: 10000000, Ofmap: 20000000}

const (
	bandwidth = 10     // words per cycle of each buffer's memory interface (USER mode)
	preset    = "ddr4" // the memory: a dramsim preset
)

func core(engine sim.Engine) components.Builder {
	return components.MakeBuilder().WithEngine(engine).
		WithArray(32, 32).WithDataflow(systolic.OS).WithSRAMKB(64, 64, 64).
		WithOffsets(offsets).WithBandwidth(bandwidth)
}

// memory builds npusim's DRAM model as runner does for a [dram] section
// naming the preset: one memory shared by the three operands, each
// sender's bursts paced by its interface (bandwidth one-byte words per
// cycle).
func memory(engine sim.Engine) *dram.Controller {
	ctrl := dram.MakeControllerBuilder().WithEngine(engine).WithConfig(memConfig()).
		WithAcceleratorFreq(1 * sim.GHz).WithBytesPerCycle(bandwidth).WithRequestsPerCycle(bandwidth).
		Build("DRAM")
	ctrl.Reset()
	return ctrl
}

func memConfig() *dramsim.Config {
	cfg, err := dramsim.Preset(preset)
	if err != nil {
		fail(err)
	}
	return cfg
}

// result is what one run of the network gave, per layer: the stall
// cycles, the words and the requests the memory served; and over all
// layers the cycles and, per operand, the words the memory served and,
// with links, the words above and below the links.
type result struct {
	stalls, words, requests  []int64
	cycles                   int64
	opWords, linkIn, linkOut [3]int64
}

// run simulates the layers on the DRAM model, with the links between the
// buffers and the memory if compress.
func run(layers []systolic.Layer, compress bool) result {
	engine := sim.NewSerialEngine()
	ctrl := memory(engine)
	top := ctrl.GetPortByName("Top")
	b := core(engine).WithDRAM(top, top, top)
	var links [3]*Link
	if compress {
		// One link per operand, their Bottom ports and the memory on a
		// connection of our own; the builder plugs the links' Top ports
		// into the buffers.
		conn := sim.NewDirectConnection("LinkConn", engine, 1*sim.GHz)
		conn.PlugIn(top, 16)
		base := [3]int64{offsets.Ifmap, offsets.Filter, offsets.Ofmap}
		var tops [3]sim.Port
		for op, name := range []string{"Ifmap", "Filter", "Ofmap"} {
			links[op] = NewLink(name+"Link", engine, 1*sim.GHz, ratios[op], latency, base[op])
			conn.PlugIn(links[op].GetPortByName("Bottom"), 4)
			links[op].SetDRAM(top)
			tops[op] = links[op].GetPortByName("Top")
		}
		b = b.WithDRAM(tops[0], tops[1], tops[2])
	}
	acc := b.Build("NPU")
	// The memory's senders: the links' Bottom ports, or the buffers'.
	senders := acc.MemoryPorts()
	if compress {
		for op, l := range links {
			senders[op] = l.GetPortByName("Bottom")
		}
	}
	var r result
	for i, l := range layers {
		res, err := acc.RunLayer(i, l)
		if err == nil {
			err = ctrl.Err()
		}
		if err != nil {
			fail(err)
		}
		s := ctrl.Stats()
		r.stalls = append(r.stalls, res.StallCycles)
		r.words = append(r.words, s.Words)
		r.requests = append(r.requests, s.Requests)
		r.cycles += res.TotalCycles
		for op, p := range senders {
			r.opWords[op] += ctrl.StatsOf(p).Words
			if links[op] != nil {
				r.linkIn[op] += links[op].In
				r.linkOut[op] += links[op].Out
				links[op].ResetStats()
			}
		}
		// Each layer starts on an idle memory (runner's default).
		ctrl.Reset()
	}
	return r
}

func main() {
	base, comp := simulate()
	write(os.Stdout, base, comp)
}

// simulate runs AlexNet without the links and with them, each run on an
// engine of its own, at the same time.
func simulate() (base, comp result) {
	sim.GetIDGenerator() // made before the runs share it (akita makes it unlocked)
	done := make(chan struct{})
	go func() {
		base = run(network(), false)
		close(done)
	}()
	comp = run(network(), true)
	<-done
	return base, comp
}

func network() []systolic.Layer {
	layers, err := topology.Parse("alexnet.csv", bytes.NewReader(alexnet), topology.Conv)
	if err != nil {
		fail(err)
	}
	return layers
}

// write prints the table of both runs to w.
func write(w io.Writer, base, comp result) {
	cfg := memConfig()
	fmt.Fprintf(w, "AlexNet, 32x32 OS, 64 kB buffers, %d words/cycle per buffer; npusim's DRAM model, %s (%s, %d channel)\n",
		bandwidth, cfg.Protocol, cfg.Name, cfg.Channels)
	fmt.Fprintf(w, "compressing link %.1f/%.1f/%.1f (ifmap/filter/ofmap), +%d cycles; requests of %d bytes\n",
		ratios[0], ratios[1], ratios[2], latency, cfg.RequestBytes)
	fmt.Fprintf(w, "%-6s %11s %11s %11s %11s %11s %11s\n", "layer", "stalls", "with link", "DRAM words", "with link", "DRAM reqs", "with link")
	var t [6]int64
	for i, l := range network() {
		row := [6]int64{base.stalls[i], comp.stalls[i], base.words[i], comp.words[i], base.requests[i], comp.requests[i]}
		fmt.Fprintf(w, "%-6s %11d %11d %11d %11d %11d %11d\n", l.Name, row[0], row[1], row[2], row[3], row[4], row[5])
		for k := range t {
			t[k] += row[k]
		}
	}
	fmt.Fprintf(w, "%-6s %11d %11d %11d %11d %11d %11d\n", "total", t[0], t[1], t[2], t[3], t[4], t[5])
	fmt.Fprintf(w, "cycles: %d without the link, %d with it (%.2fx faster)\n", base.cycles, comp.cycles, float64(base.cycles)/float64(comp.cycles))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "custommem:", err)
	os.Exit(1)
}
