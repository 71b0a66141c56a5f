package multicore_test

import (
	"fmt"

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
