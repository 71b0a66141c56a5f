package report

import (
	"strconv"
	"strings"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/py"
)

// DRAMHeader is the header of DRAM_REPORT.csv, written when a real memory
// ([dram] section) replaces SCALE-Sim's ideal channels.
const DRAMHeader = "LayerID, Operand, Requests, Request Bytes, Words, Bytes, Start Cycle, Stop Cycle, Avg BW GB/s, Avg BW words/cycle, Mean Latency, P99 Latency, Stall Cycles, Row Hits, Row Misses, Row Conflicts, Refresh Cycles, Read To Write, Write To Read,"

// dramReports lists DRAM_REPORT.csv for a run with a real memory (none
// for the ideal channels). It has three rows per layer, one per operand:
// the memory requests and their bytes (a request moves RequestBytes), the
// words and bytes the buffers asked for, the cycles the first and the last
// request completed, the achieved bandwidth over those cycles (Bytes /
// (Stop - Start + 1) cycles, in GB/s at the accelerator's clock and
// in words per cycle), the mean and 99th percentile request latency in
// cycles (issue to response), and the stall cycles the operand caused
// (systolic.LayerResult.StallBy: a row's stall goes to the operand whose
// data or write was latest; a layer's three rows add up to its Stall
// Cycles). With npusim's DRAM model the last six columns give what the
// whole memory did during the layer, the same on the layer's three rows:
// READ/WRITE commands that hit an open row, that opened a closed bank
// (miss) or that followed a precharge of another row (conflict), the DRAM
// cycles its ranks spent refreshing (refreshes x tRFC), and the data-bus
// turnarounds (a WRITE after a READ, a READ after a WRITE); they are empty
// for the other memories. Latencies are in DRAM cycles with npusim's DRAM
// model (offer to completion), accelerator cycles otherwise.
func dramReports(cfg config.Config) []Format {
	if cfg.DRAM.IsIdeal() {
		return nil
	}
	clock := float64(cfg.Clock())
	return []Format{{name: "DRAM_REPORT.csv", header: DRAMHeader,
		row:  func(r *Layer) string { return dramRows(r, clock) },
		vrow: func(v *VectorLayer) string { return dramRowsID(vectorID(v), v.asLayer(), clock) }}}
}

// dramRows formats a layer's three DRAM_REPORT.csv rows.
func dramRows(r *Layer, clock float64) string { return dramRowsID(strconv.Itoa(r.Layer), r, clock) }

// dramRowsID formats the rows with the given LayerID; a layer without
// memory figures (a fused vector layer) has none.
func dramRowsID(id string, r *Layer, clock float64) string {
	if r.Memory == nil {
		return ""
	}
	var rows strings.Builder
	cmd := []string{"", "", "", "", "", ""}
	if d := r.DRAMCommands; d != nil {
		cmd = []string{itoa(d.RowHits), itoa(d.RowMisses), itoa(d.RowConflicts), itoa(d.RefreshCycles), itoa(d.ReadToWrite), itoa(d.WriteToRead)}
	}
	for op, s := range r.Memory {
		cycles := float64(s.Last - s.First + 1)
		gbs, wpc := 0.0, 0.0
		if s.Any {
			gbs = float64(s.Bytes) / cycles * clock / 1e9
			wpc = float64(s.Words) / cycles
		}
		items := []string{id, protocol.Operand(op).String(),
			itoa(s.Requests), itoa(s.ReqBytes), itoa(s.Words), itoa(s.Bytes),
			itoa(s.First), itoa(s.Last), py.Float(gbs), py.Float(wpc),
			py.Float(s.MeanLatency), itoa(s.P99Latency), itoa(r.StallBy[op])}
		rows.WriteString(csvLine(append(items, cmd...)...))
	}
	return rows.String()
}
