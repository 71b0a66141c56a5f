package runner

import (
	"bufio"
	"fmt"
	"os"
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
// layer's stall cycles. The stall cycles are the layer's total, whatever
// their cause, and repeated on the three rows: the array does not yet say
// which operand it waited for.
func (ms *memorySystem) writeReport(dir string) error {
	if ms == nil {
		return nil
	}
	path := filepath.Join(dir, "DRAM_REPORT.csv")
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	w.WriteString(dramReportHeader + "\n")
	for _, l := range ms.layers {
		for op, s := range l.ops {
			cycles := float64(s.Last - s.First + 1)
			gbs, wpc := 0.0, 0.0
			if s.Any {
				gbs = float64(s.Bytes) / cycles * float64(ms.freq) / 1e9
				wpc = float64(s.Words) / cycles
			}
			w.WriteString(csvLine(strconv.Itoa(l.layer), protocol.Operand(op).String(),
				itoa(s.Requests), itoa(s.ReqBytes), itoa(s.Words), itoa(s.Bytes),
				itoa(s.First), itoa(s.Last), pyFloat(gbs), pyFloat(wpc),
				pyFloat(s.MeanLatency), itoa(s.P99Latency), itoa(l.stalls)))
		}
	}
	err = w.Flush()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
