package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/npusim/npusim/systolic"
)

// TestDRAMReportExact pins DRAM_REPORT.csv of a tiny run over a fixed
// memory, every value worked out by hand, for three latencies.
//
// The layer is a 16x16x16 GEMM on memBaseConfig's 16x16 weight-stationary
// array, with 8 words per cycle, 1-byte words and 64-byte requests. Each
// operand is 256 words (M*K, K*N, M*N) in one fill or drain; its offset
// (0, 10000000, 20000000) is a multiple of 64, so it is 4 requests of 64
// bytes.
//
// With SCALE-Sim's ideal channel (checked first) the layer takes 61 cycles
// without a stall: the filter is read from cycle 1, the ifmap from 17, and
// each read operand arrives as 32 lines of 8 words over cycles -32..-1
// (the fill starts at S = -33); the ofmap drains from cycle 61.
//
// Over the fixed memory, request k of a fill leaves when the interface has
// moved its 64 bytes, at S + 8(k+1) - 1 = -26 + 8k, and its response comes
// back Latency + 2 cycles later (one cycle from the adapter to the
// controller and one back; Width 64 starts all four at once): at
// Latency - 24 + 8k. A fill is complete with its last response, at cycle
// Latency. The filter, read first, then makes the array wait Latency - 1
// cycles (none for Latency 0); the ifmap, first read 16 cycles later, adds
// none. The ofmap drain starts with the layer's last cycle T = 61 +
// stalls, so its responses come at T + 7 + Latency + 2 + 8k. The average
// bandwidth is 256 bytes over the 25 cycles from the first to the last
// response: 10.24 bytes (and words) per cycle, 10.24 GB/s at 1 GHz.
func TestDRAMReportExact(t *testing.T) {
	l := systolic.GEMM("g", 16, 16, 16)
	ideal, dir := runMem(t, "", l)
	if r := ideal[0]; r.TotalCycles != 61 || r.StallCycles != 0 || r.DRAM[0].Start != -32 || r.DRAM[0].Stop != -1 || r.DRAM[1].Start != -32 || r.DRAM[2].Start != 61 {
		t.Fatalf("ideal channel: %d cycles, %d stalls, DRAM %+v", r.TotalCycles, r.StallCycles, r.DRAM)
	}
	if _, err := os.Stat(filepath.Join(dir, "DRAM_REPORT.csv")); !os.IsNotExist(err) {
		t.Errorf("the ideal channel wrote DRAM_REPORT.csv (%v)", err)
	}
	for _, lat := range []int64{0, 10, 40} {
		stall := max(0, lat-1)
		total := 61 + stall
		reps, dir := runMem(t, fmt.Sprintf("[dram]\nModel = fixed\nLatency = %d\nWidth = 64\n", lat), l)
		// The last six columns are npusim's DRAM model's; a fixed memory
		// leaves them empty.
		want := "LayerID, Operand, Requests, Request Bytes, Words, Bytes, Start Cycle, Stop Cycle, Avg BW GB/s, Avg BW words/cycle, Mean Latency, P99 Latency, Stall Cycles, Row Hits, Row Misses, Row Conflicts, Refresh Cycles, Read To Write, Write To Read,\n" +
			fmt.Sprintf("0, IFMAP, 4, 256, 256, 256, %d, %d, 10.24, 10.24, %d.0, %d, 0, , , , , , ,\n", lat-24, lat, lat+2, lat+2) +
			fmt.Sprintf("0, FILTER, 4, 256, 256, 256, %d, %d, 10.24, 10.24, %d.0, %d, %d, , , , , , ,\n", lat-24, lat, lat+2, lat+2, stall) +
			fmt.Sprintf("0, OFMAP, 4, 256, 256, 256, %d, %d, 10.24, 10.24, %d.0, %d, 0, , , , , , ,\n", total+lat+9, total+lat+33, lat+2, lat+2)
		got, err := os.ReadFile(filepath.Join(dir, "DRAM_REPORT.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("Latency %d: DRAM_REPORT.csv\n%s\nwant\n%s", lat, got, want)
		}
		if r := reps[0]; r.TotalCycles != total || r.StallCycles != stall {
			t.Errorf("Latency %d: %d cycles, %d stalls; want %d and %d", lat, r.TotalCycles, r.StallCycles, total, stall)
		}
	}
}
