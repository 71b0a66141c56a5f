package runner

import (
	"path/filepath"
	"strconv"

	"github.com/npusim/npusim/components/protocol"
)

const dramReportHeader = "LayerID, Operand, Requests, Request Bytes, Words, Bytes, Start Cycle, Stop Cycle, Avg BW GB/s, Avg BW words/cycle, Mean Latency, P99 Latency, Stall Cycles,"

// writeReport writes DRAM_REPORT.csv into dir for a run with a real
// memory: per layer and operand, the memory requests and their bytes (a
// request moves RequestBytes), the words and bytes the buffers asked for,
// the cycles the first and the last request completed, the achieved
// bandwidth over those cycles (Bytes / (Stop - Start + 1) cycles, in GB/s
// at the accelerator clock and in words per cycle), the mean and 99th
// percentile request latency in cycles (issue to response), and the
// stall cycles the operand caused (systolic.LayerResult.StallBy: a row's
// stall goes to the operand whose data or write was latest; the three
// rows of a layer add up to its Stall Cycles).
func (ms *memorySystem) writeReport(dir string) error {
	if ms == nil {
		return nil
	}
	return writeCSV(filepath.Join(dir, "DRAM_REPORT.csv"), dramReportHeader, 3*len(ms.layers), func(i int) string {
		l, op := ms.layers[i/3], i%3
		s := l.ops[op]
		cycles := float64(s.Last - s.First + 1)
		gbs, wpc := 0.0, 0.0
		if s.Any {
			gbs = float64(s.Bytes) / cycles * float64(ms.freq) / 1e9
			wpc = float64(s.Words) / cycles
		}
		return csvLine(strconv.Itoa(l.layer), protocol.Operand(op).String(),
			itoa(s.Requests), itoa(s.ReqBytes), itoa(s.Words), itoa(s.Bytes),
			itoa(s.First), itoa(s.Last), pyFloat(gbs), pyFloat(wpc),
			pyFloat(s.MeanLatency), itoa(s.P99Latency), itoa(l.stalls[op]))
	})
}
