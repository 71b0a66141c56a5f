package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/vector"
)

// VectorLayer holds the figures of one layer the vector unit ran.
type VectorLayer struct {
	ID    int // position among the run's vector layers
	After int // GEMM layers of the network before it
	Layer vector.Layer
	// Result is the unit's timing; a fused layer's is zero.
	Result vector.Result
	// FusedInto names the GEMM layer whose drain applied a fused layer.
	FusedInto string
	SRAM      [3]Access // ifmap and filter reads, ofmap writes
	DRAM      [3]Access
	Memory    *[3]dram.AdapterStats // real memory only
	ArrayPEs  int64                 // the array, idle during the layer
}

// VectorHeader is the header of VECTOR_REPORT.csv.
const VectorHeader = "LayerID, Layer, Op, Elements, Compute Cycles, Stall Cycles, Total Cycles, DRAM Read Words, DRAM Write Words, Fused,"

// NetworkHeader is the header of NETWORK_REPORT.csv.
const NetworkHeader = "GEMM Layers, Vector Layers, Fused Layers, GEMM Cycles, Vector Cycles, Stall Cycles, Total Cycles, Non-GEMM Share %,"

// vectorID is a vector layer's LayerID in the reports GEMM layers share
// (ENERGY_REPORT.csv, DRAM_REPORT.csv): V and its position.
func vectorID(v *VectorLayer) string { return "V" + strconv.Itoa(v.ID) }

func (v *VectorLayer) vectorRow() string {
	r := v.Result
	return csvLine(strconv.Itoa(v.ID), v.Layer.Name, v.Layer.Op, itoa(v.Layer.Elements),
		itoa(r.ComputeCycles), itoa(r.StallCycles), itoa(r.TotalCycles),
		itoa(v.DRAM[0].Words+v.DRAM[1].Words), itoa(v.DRAM[2].Words), v.FusedInto)
}

// asLayer is the vector layer as the energy and DRAM reports see a layer:
// its cycles, stalls and traffic, no MACs.
func (v *VectorLayer) asLayer() *Layer {
	return &Layer{Layer: v.ID, Name: v.Layer.Name, TotalCycles: v.Result.TotalCycles,
		StallCycles: v.Result.StallCycles, StallBy: v.Result.StallBy, Memory: v.Memory,
		ArrayPEs: v.ArrayPEs, SRAM: v.SRAM, DRAM: v.DRAM}
}

// Network is the split of a run's cycles that NETWORK_REPORT.csv and the
// summary line give.
type Network struct {
	GEMMLayers, VectorLayers, Fused int
	// GEMM and Vector are the cycles the array and the unit computed
	// (Total - Stall of their layers); Stall the stall cycles of both.
	GEMM, Vector, Stall int64
	VectorStall         int64 // the vector layers' part of Stall
}

// Total is all the cycles.
func (n Network) Total() int64 { return n.GEMM + n.Vector + n.Stall }

// NonGEMMShare is the vector layers' cycles, their stalls included, as a
// percentage of the total.
func (n Network) NonGEMMShare() float64 {
	if n.Total() == 0 {
		return 0
	}
	return float64(n.Vector+n.VectorStall) * 100 / float64(n.Total())
}

// AddGEMM adds a GEMM layer.
func (n *Network) AddGEMM(r *Layer) {
	n.GEMMLayers++
	n.GEMM += r.TotalCycles - r.StallCycles
	n.Stall += r.StallCycles
}

// AddVector adds a vector layer.
func (n *Network) AddVector(v *VectorLayer) {
	n.VectorLayers++
	if v.FusedInto != "" {
		n.Fused++
	}
	n.Vector += v.Result.ComputeCycles
	n.Stall += v.Result.StallCycles
	n.VectorStall += v.Result.StallCycles
}

func (n Network) row() string {
	return csvLine(strconv.Itoa(n.GEMMLayers), strconv.Itoa(n.VectorLayers), strconv.Itoa(n.Fused),
		itoa(n.GEMM), itoa(n.Vector), itoa(n.Stall), itoa(n.Total()), py.Float(n.NonGEMMShare()))
}

// Summary is the share as the summary line gives it.
func (n Network) Summary() string {
	return fmt.Sprintf("GEMM %d + vector %d + stall %d cycles, non-GEMM share %.1f%% (%d vector layers, %d fused)",
		n.GEMM, n.Vector, n.Stall, n.NonGEMMShare(), n.VectorLayers, n.Fused)
}

// vectorReports are the reports a run with a vector unit adds:
// VECTOR_REPORT.csv (a row per vector layer) and NETWORK_REPORT.csv (one
// row, when the run completes).
func vectorReports(cfg config.Config) []Format {
	if cfg.Vector == nil {
		return nil
	}
	var net Network
	return []Format{
		{name: "VECTOR_REPORT.csv", header: VectorHeader, row: func(*Layer) string { return "" },
			vrow: (*VectorLayer).vectorRow},
		{name: "NETWORK_REPORT.csv", header: NetworkHeader,
			row:    func(r *Layer) string { net.AddGEMM(r); return "" },
			vrow:   func(v *VectorLayer) string { net.AddVector(v); return "" },
			footer: func() string { return net.row() }},
	}
}

// vectorEnergyPJ is the unit's arithmetic energy for v.
func vectorEnergyPJ(cfg config.Config, t config.EnergyTable, v *VectorLayer) float64 {
	return cfg.Vector.Config.EnergyPJ(v.Layer, t.AddPJ, t.MultPJ)
}

// VectorDone writes a finished vector layer's rows to the reports that
// have rows for vector layers; like LayerDone, a failed write is rolled
// back to the last complete row. Vector layers are written after the GEMM
// layers they follow in no particular relation: each report row names its
// layer.
func (o *Output) VectorDone(v *VectorLayer) error {
	for _, rf := range o.reports {
		rf.pending = rf.size
		if rf.vrow == nil {
			continue
		}
		text := rf.vrow(v)
		if rf.f == nil {
			f, err := fileio.Create(rf.path)
			if err == nil {
				rf.f, rf.size = f, 0
				text = rf.header + "\n" + text
			} else {
				err = fileErr(rf.path, err)
				for _, rf := range o.reports {
					rf.rollback()
				}
				return err
			}
		}
		n, err := io.WriteString(rf.f, text)
		rf.pending = rf.size + int64(n)
		if err != nil {
			for _, rf := range o.reports {
				rf.rollback()
			}
			return fileErr(rf.path, err)
		}
	}
	for _, rf := range o.reports {
		rf.size = rf.pending
	}
	return nil
}
