package report_test

import (
	"fmt"

	"github.com/npusim/npusim/report"
)

// Load reads a run folder, npusim's or SCALE-Sim's. This one is SCALE-Sim
// v2's own output for its tiny golden case, so every figure below is in
// its CSV files.
func ExampleLoad() {
	run, err := report.Load("../testdata/golden/tiny_4x4_os_traces")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("compute cycles:", run.ComputeCycles())
	for _, l := range run.Layers {
		in := l.DRAM[0]
		fmt.Printf("layer %d: util %.2f%%, ifmap DRAM cycles %d..%d, %d words\n",
			l.ID, l.OverallUtil, in.Start, in.Stop, in.Words)
	}
	fmt.Println("total cycles:", run.Totals().TotalCycles)
	// Output:
	// compute cycles: [431 263 51]
	// layer 0: util 56.38%, ifmap DRAM cycles -13..-1, 128 words
	// layer 1: util 51.33%, ifmap DRAM cycles -25..-1, 243 words
	// layer 2: util 17.16%, ifmap DRAM cycles -2..-1, 20 words
	// total cycles: 745
}

// Compare gives b minus a, layer by layer: here SCALE-Sim's weight-
// stationary run of the same three layers against its output-stationary
// one.
func ExampleCompare() {
	os, err := report.Load("../testdata/golden/tiny_4x4_os_traces")
	if err != nil {
		fmt.Println(err)
		return
	}
	ws, err := report.Load("../testdata/golden/tiny_4x4_ws_traces")
	if err != nil {
		fmt.Println(err)
		return
	}
	diffs, err := report.Compare(os, ws)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range diffs {
		fmt.Printf("layer %d: %+d cycles\n", d.ID, d.TotalCycles)
	}
	// Output:
	// layer 0: +28 cycles
	// layer 1: +100 cycles
	// layer 2: +58 cycles
}
