package multicore_test

import (
	"fmt"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/systolic"
)

// Split.Shares cuts a layer into one layer per core, with operand offsets
// that make each share's addresses its slice of the shared tensors. The
// offsets, worked by hand for a 64x64x32 GEMM (an ifmap of 64 rows of 32
// words, 64 filters of 32 words, an ofmap of 64 pixels x 64 filters) split
// 2x2:
//
//   - ifmap: rows from e0, at 0 + e0*32: 0 or 1024;
//   - filters: from filter f0, at 10000000 + f0*32: 10000000 or 10001024;
//   - ofmap: one pixel-major block per share, at
//     20000000 + e0*64 + (rows in the part)*f0: 20000000, 20001024,
//     20002048 and 20003072.
func ExampleSplit_Shares() {
	qk := systolic.GEMM("qk", 64, 64, 32)
	base := systolic.Offsets{Ifmap: 0, Filter: 10000000, Ofmap: 20000000}
	for _, s := range (multicore.Split{Pixels: 2, Filters: 2}).Shares(qk, base) {
		fmt.Printf("core %d: rows %d:%d, filters %d:%d, %d MACs, offsets %d %d %d\n",
			s.Core, s.Rows[0], s.Rows[1], s.Filters[0], s.Filters[1], s.Layer.MACs(),
			s.Offsets.Ifmap, s.Offsets.Filter, s.Offsets.Ofmap)
	}
	// Output:
	// core 0: rows 0:32, filters 0:32, 32768 MACs, offsets 0 10000000 20000000
	// core 1: rows 0:32, filters 32:64, 32768 MACs, offsets 0 10001024 20001024
	// core 2: rows 32:64, filters 0:32, 32768 MACs, offsets 1024 10000000 20002048
	// core 3: rows 32:64, filters 32:64, 32768 MACs, offsets 1024 10001024 20003072
}

// Splits lists every factorisation of the cores into pixel parts x filter
// parts: what Partition = auto tries for each layer.
func ExampleSplits() {
	fmt.Println(multicore.Splits(4))
	fmt.Println(multicore.Splits(6))
	// Output:
	// [1x4 2x2 4x1]
	// [1x6 2x3 3x2 6x1]
}

// rowCounter counts trace rows.
type rowCounter struct{ rows int }

func (c *rowCounter) Row(int64, []int64) { c.rows++ }

// Config.Trace gives each core its tracers, as a single-core accelerator
// has them: here counters of each core's filter SRAM rows (one per cycle
// the array reads filters) and filter DRAM rows (one per line of filters
// fetched; a buffer gives its bursts their addresses only while its SRAM
// trace is on, so DRAM rows need the SRAM tracer too). A 2-core filter
// split of a 16x16x16 GEMM on 8x8 WS cores gives each core 8 filters of
// 16 words: 128 words, 16 lines of 8.
func ExampleConfig_Trace() {
	var sram, filter [2]rowCounter
	c := multicore.Config{
		Core:      components.MakeBuilder().WithArray(8, 8).WithDataflow(systolic.WS).WithSRAMKB(64, 64, 64),
		Cores:     2,
		Partition: multicore.Filters,
		Bandwidth: 8,
		Offsets:   systolic.Offsets{Ifmap: 0, Filter: 10000000, Ofmap: 20000000},
		Trace: func(core int) (multicore.CoreTracers, error) {
			var tr multicore.CoreTracers
			tr.SRAM[1], tr.DRAM[1] = &sram[core], &filter[core]
			return tr, nil
		},
	}
	if _, err := c.RunLayer(0, systolic.GEMM("g", 16, 16, 16)); err != nil {
		fmt.Println(err)
		return
	}
	for k := range 2 {
		fmt.Printf("core %d: %d filter SRAM rows, %d filter DRAM rows\n", k, sram[k].rows, filter[k].rows)
	}
	// Output:
	// core 0: 76 filter SRAM rows, 16 filter DRAM rows
	// core 1: 76 filter SRAM rows, 16 filter DRAM rows
}
