package sram_test

import (
	"fmt"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/sram"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// The buffers count what the array asked of them. On SCALE-Sim's tiny
// golden case (a 4x4 output-stationary array, 1 kB buffers, CALC mode),
// layer 0's counts and cycles are those of SCALE-Sim v2's
// testdata/golden/tiny_4x4_os_traces/DETAILED_ACCESS_REPORT.csv.
func ExampleReadBuffer_Stats() {
	acc := components.MakeBuilder().
		WithEngine(sim.NewSerialEngine()).
		WithArray(4, 4).
		WithSRAMKB(1, 1, 1).
		Build("NPU")
	conv := systolic.Layer{Name: "tiny_conv", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 2, N: 6, Sh: 1, Sw: 1}
	if _, err := acc.RunLayer(0, conv); err != nil {
		fmt.Println(err)
		return
	}
	var in, f sram.ReadStats = acc.Ifmap.Stats(), acc.Filter.Stats()
	var out sram.WriteStats = acc.Ofmap.Stats()
	fmt.Printf("ifmap SRAM:  %d reads, cycles %d..%d\n", in.Requests, in.First, in.Last)
	fmt.Printf("filter SRAM: %d reads, cycles %d..%d\n", f.Requests, f.First, f.Last)
	fmt.Printf("ofmap SRAM:  %d writes, cycles %d..%d\n", out.Requests, out.First, out.Last)
	// Output:
	// ifmap SRAM:  1296 reads, cycles 1..429
	// filter SRAM: 972 reads, cycles 1..427
	// ofmap SRAM:  360 writes, cycles 17..429
}

// In USER mode a read buffer fetches at Bandwidth words per cycle and the
// array waits for it; the write buffer drains at the same rate. The figures
// are layer 0 of SCALE-Sim v2's stall_8x8_os_user1 golden case (8x8, 1 kB
// buffers, 1 word per cycle): its COMPUTE_REPORT.csv and
// DETAILED_ACCESS_REPORT.csv.
func ExampleWriteBuffer_Stats() {
	acc := components.MakeBuilder().
		WithEngine(sim.NewSerialEngine()).
		WithArray(8, 8).
		WithSRAMKB(1, 1, 1).
		WithBandwidth(1).
		Build("NPU")
	conv := systolic.Layer{Name: "tiny_conv", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 2, N: 6, Sh: 1, Sw: 1}
	res, err := acc.RunLayer(0, conv)
	if err != nil {
		fmt.Println(err)
		return
	}
	var out sram.WriteStats = acc.Ofmap.Stats()
	fmt.Printf("%d cycles, %d stalls; ofmap SRAM %d writes, cycles %d..%d\n",
		res.TotalCycles, res.StallCycles, out.Requests, out.First, out.Last)
	// Output:
	// 560 cycles, 401 stalls; ofmap SRAM 296 writes, cycles 17..558
}
