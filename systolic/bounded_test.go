package systolic

import (
	"runtime"
	"testing"

	"github.com/npusim/npusim/components/protocol"
)

// TestDemandRowsUntabulated checks the demand against the reference with
// the window decomposed on the fly, as it is for windows too large to
// tabulate.
func TestDemandRowsUntabulated(t *testing.T) {
	defer func(n int) { maxWindowTable = n }(maxWindowTable)
	maxWindowTable = 0
	TestDemandRows(t)
}

// TestMappingMemoryBounded maps a GEMM whose K is 2^31-1 and asks for
// demand rows deep into it: the mapping must not hold anything per window
// element.
func TestMappingMemoryBounded(t *testing.T) {
	const k = 1<<31 - 1
	for _, df := range []Dataflow{OS, WS, IS} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m := NewMapping(GEMM("G", 1, 1, k), df, 32, 32, Offsets{})
		buf := make([]int64, 32)
		d := m.Demand(m.Fold(m.NumFolds()-1), protocol.Ifmap)
		d.Row(d.Rows()-40, buf)
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Errorf("%v: mapping a K = 2^31-1 GEMM allocated %d bytes", df, grew)
		}
		runtime.KeepAlive(m)
	}
}
