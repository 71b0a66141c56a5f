package vector_test

import (
	"fmt"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/vector"
	"github.com/sarchlab/akita/v3/sim"
)

// The closed form of a Softmax over a 128x128 attention score matrix on
// the default unit: 1 + ceil(5*16384/32) cycles.
func ExampleConfig_ComputeCycles() {
	cfg := vector.DefaultConfig()
	c, _ := cfg.ComputeCycles(vector.Layer{Name: "softmax", Op: "Softmax", Elements: 128 * 128, In: 128 * 128})
	fmt.Println(cfg.Lanes, "lanes,", c, "cycles")
	// Output:
	// 32 lanes, 2561 cycles
}

// A residual Add of two 56x56x64 tensors runs on the vector unit of an
// accelerator whose DRAM delivers 8 words per cycle per buffer: the 32
// lanes want 32 words per cycle from each input, so the layer stalls on
// memory.
func ExampleUnit() {
	acc := components.NewAcceleratorBuilder().
		WithEngine(sim.NewSerialEngine()).
		WithBandwidth(8).
		WithVectorUnit(vector.MakeBuilder()).
		Build("NPU")
	n := int64(56 * 56 * 64)
	r, err := acc.RunVectorLayer(0, vector.Layer{Name: "add", Op: "Add", Elements: n, In: n, Aux: n})
	if err != nil {
		panic(err)
	}
	fmt.Printf("compute %d, stall %d, total %d cycles\n", r.ComputeCycles, r.StallCycles, r.TotalCycles)
	fmt.Printf("DRAM words: read %d + %d, written %d\n",
		acc.DRAM[0].Stats().Words, acc.DRAM[1].Stats().Words, acc.DRAM[2].Stats().Words)
	// Output:
	// compute 6273, stall 18430, total 24703 cycles
	// DRAM words: read 229376 + 229376, written 200711
}
