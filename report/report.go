package report

import (
	"strconv"
	"strings"

	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
)

// Layer holds every figure SCALE-Sim v2 reports for one layer.
type Layer struct {
	Layer       int
	Name        string
	TotalCycles int64
	StallCycles int64
	StallBy     [3]int64 // StallCycles split by the operand that caused them
	// Memory holds, per operand, what the real memory of a [dram] section
	// served during the layer; nil with SCALE-Sim's ideal channels.
	Memory *[3]dram.AdapterStats
	// DRAMCommands is what npusim's DRAM model did during the layer, the
	// whole memory (row hits, refreshes...); nil for other memories.
	DRAMCommands *dramsim.Stats
	// DRAMEnergyPJ is npusim's DRAM model's energy for the layer from its
	// config's [power] section, by operand (ENERGY_REPORT.csv's DRAM
	// columns take it in place of the per-word constant); nil for other
	// memories.
	DRAMEnergyPJ *[3]float64
	MACs         int64
	ArrayPEs     int64

	MappingEfficiency float64 // %
	ComputeUtil       float64 // %

	SRAM [3]Access // ifmap, filter, ofmap
	DRAM [3]Access

	Shape systolic.Layer // the layer simulated, for reports that need its shape
}

// Access is one operand's traffic with one memory: first and last active
// cycles and the words moved.
type Access struct {
	Start, Stop int64
	Words       int64
}

// OverallUtil is SCALE-Sim's "Overall Util %": MACs over PE-cycles, with
// its cycle count (one less than the cycles taken).
func (r *Layer) OverallUtil() float64 {
	return float64(r.MACs*100) / float64(r.TotalCycles*r.ArrayPEs)
}

// SRAMBandwidth is the average SRAM words per cycle of operand i.
func (r *Layer) SRAMBandwidth(i int) float64 {
	return float64(r.SRAM[i].Words) / float64(r.TotalCycles)
}

// DRAMBandwidth is the average DRAM words per cycle of operand i over the
// cycles it was active.
func (r *Layer) DRAMBandwidth(i int) float64 {
	a := r.DRAM[i]
	return float64(a.Words) / float64(a.Stop-a.Start+1)
}

// The headers of SCALE-Sim v2's three reports, as it writes them.
const (
	ComputeHeader   = "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,"
	BandwidthHeader = "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,"
	DetailedHeader  = "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,"
)

// csvLine joins items SCALE-Sim's way: ", " between items and a trailing
// comma.
func csvLine(items ...string) string { return strings.Join(items, ", ") + ",\n" }

func itoa(x int64) string { return strconv.FormatInt(x, 10) }

// cycle formats a start or stop cycle, which SCALE-Sim reports as a float.
func cycle(x int64) string { return py.Float(float64(x)) }

func (r *Layer) computeRow() string {
	return csvLine(strconv.Itoa(r.Layer), itoa(r.TotalCycles), itoa(r.StallCycles),
		py.Float(r.OverallUtil()), py.Float(r.MappingEfficiency), py.Float(r.ComputeUtil))
}

func (r *Layer) bandwidthRow() string {
	items := []string{strconv.Itoa(r.Layer)}
	for i := range 3 {
		items = append(items, py.Float(r.SRAMBandwidth(i)))
	}
	for i := range 3 {
		items = append(items, py.Float(r.DRAMBandwidth(i)))
	}
	return csvLine(items...)
}

func (r *Layer) detailedRow() string {
	items := []string{strconv.Itoa(r.Layer)}
	for _, a := range append(r.SRAM[:], r.DRAM[:]...) {
		items = append(items, cycle(a.Start), cycle(a.Stop), itoa(a.Words))
	}
	return csvLine(items...)
}

// WriteReports writes COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and
// DETAILED_ACCESS_REPORT.csv into dir.
func WriteReports(dir string, layers []Layer) error {
	w := newOutput(dir, reportFiles, len(layers))
	for i := range layers {
		if err := w.LayerDone(&layers[i]); err != nil {
			return w.Fail(err)
		}
	}
	return w.Finish()
}
