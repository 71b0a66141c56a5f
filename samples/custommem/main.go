// Command custommem shows how to add a memory component to npusim: a
// compressing link (link.go, an akita component of about 80 lines) is put
// between each operand buffer of a 32x32 output-stationary NPU and its
// DRAM channel through components.Builder.WithDRAM, and AlexNet is run
// with and without it. It prints, per layer, the stall cycles and the DRAM
// words of both.
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

const bandwidth = 10 // words per cycle of each DRAM interface (USER mode)

func core(engine sim.Engine) components.Builder {
	return components.MakeBuilder().WithEngine(engine).
		WithArray(32, 32).WithDataflow(systolic.OS).WithSRAMKB(64, 64, 64).WithBandwidth(bandwidth)
}

// run simulates the layers and returns per layer the stall cycles and
// the DRAM words (all operands) below the buffers.
func run(layers []systolic.Layer, compress bool) (stalls, words []int64, total int64) {
	engine := sim.NewSerialEngine()
	b := core(engine)
	var channels [3]*dram.Channel
	if compress {
		// One link per operand, each in front of an ideal channel of its
		// own, on a connection of our own; the builder plugs the links'
		// Top ports into the buffers.
		conn := sim.NewDirectConnection("LinkConn", engine, 1*sim.GHz)
		var tops [3]sim.Port
		for op, name := range []string{"Ifmap", "Filter", "Ofmap"} {
			link := NewLink(name+"Link", engine, 1*sim.GHz, ratios[op], latency, 0)
			channels[op] = dram.MakeBuilder().WithEngine(engine).WithWordsPerCycle(bandwidth).Build(name + "DRAM")
			conn.PlugIn(link.GetPortByName("Bottom"), 4)
			conn.PlugIn(channels[op].GetPortByName("Top"), 4)
			link.SetDRAM(channels[op].GetPortByName("Top"))
			tops[op] = link.GetPortByName("Top")
		}
		b = b.WithDRAM(tops[0], tops[1], tops[2])
	}
	acc := b.Build("NPU")
	if !compress {
		channels = acc.DRAM
	}
	for i, l := range layers {
		for _, ch := range channels {
			ch.ResetStats()
		}
		res, err := acc.RunLayer(i, l)
		if err != nil {
			fmt.Fprintln(os.Stderr, "custommem:", err)
			os.Exit(1)
		}
		var w int64
		for _, ch := range channels {
			w += ch.Stats().Words
		}
		stalls, words = append(stalls, res.StallCycles), append(words, w)
		total += res.TotalCycles
	}
	return stalls, words, total
}

func main() { write(os.Stdout) }

// write runs AlexNet with and without the links and prints the table to w.
func write(w io.Writer) {
	layers, err := topology.Parse("alexnet.csv", bytes.NewReader(alexnet), topology.Conv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "custommem:", err)
		os.Exit(1)
	}
	baseStalls, baseWords, baseCycles := run(layers, false)
	stalls, words, cycles := run(layers, true)
	fmt.Fprintf(w, "AlexNet, 32x32 OS, 64 kB buffers, %d words/cycle DRAM; compressing link %.1f/%.1f/%.1f (ifmap/filter/ofmap), +%d cycles\n",
		bandwidth, ratios[0], ratios[1], ratios[2], latency)
	fmt.Fprintf(w, "%-8s %14s %14s %14s %14s\n", "layer", "stalls", "with link", "DRAM words", "with link")
	var s0, s1, w0, w1 int64
	for i, l := range layers {
		fmt.Fprintf(w, "%-8s %14d %14d %14d %14d\n", l.Name, baseStalls[i], stalls[i], baseWords[i], words[i])
		s0, s1, w0, w1 = s0+baseStalls[i], s1+stalls[i], w0+baseWords[i], w1+words[i]
	}
	fmt.Fprintf(w, "%-8s %14d %14d %14d %14d\n", "total", s0, s1, w0, w1)
	fmt.Fprintf(w, "cycles: %d without the link, %d with it (%.2fx faster)\n", baseCycles, cycles, float64(baseCycles)/float64(cycles))
}
