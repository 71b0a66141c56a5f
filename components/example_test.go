package components_test

import (
	"fmt"

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
	acc := components.NewAcceleratorBuilder().
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
	acc := components.NewAcceleratorBuilder().
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
