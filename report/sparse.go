package report

import (
	"math/bits"
	"strconv"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
)

// SCALE-Sim v3's report headers (v2's plus one column each; SPARSE_REPORT
// is new, and its header really ends in ", ").
const (
	v3ComputeHeader   = "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,"
	v3BandwidthHeader = "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg FILTER Metadata SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,"
	sparseHeader      = "LayerID, Sparsity Representation, Original Filter Storage, New Storage (Filter+Metadata), Filter Metadata Storage, Avg FILTER Metadata SRAM BW, "
)

// SparseStorage is one layer's SPARSE_REPORT row: the filter's storage in
// 32-bit words, dense and compressed, as SCALE-Sim v3 computes it.
type SparseStorage struct {
	Rep string
	// Original is K*N; Metadata the representation's index data; New the
	// kept weights plus Metadata. csr/csc give integers, ellpack_block a
	// fraction (Float is then true).
	Original      int64
	New, Metadata float64
	Float         bool
	// NNZ is the number of weights kept, Rows the compressed filter's rows.
	NNZ  int64
	Rows int
}

// sparseStorage computes v3's storage figures for layer l:
//
//	csr:           metadata = nnz + (K+1)     (column ids + row pointers)
//	csc:           metadata = nnz + (N+1)
//	ellpack_block: metadata = Fr*N*ceil(log2 M)/32, M from the topology
//
// with new = nnz + metadata (ellpack: Fr*N + metadata).
func sparseStorage(v3 *config.V3Config, l systolic.Layer) SparseStorage {
	fr, nnz := v3.Sparsity.FilterShape(l)
	k, n := int64(l.K()), int64(l.N)
	s := SparseStorage{Rep: v3.SparseRep, Original: k * n, NNZ: nnz, Rows: fr}
	switch v3.SparseRep {
	case "csr":
		s.Metadata = float64(nnz + k + 1)
		s.New = float64(2*nnz + k + 1)
	case "csc":
		s.Metadata = float64(nnz + n + 1)
		s.New = float64(2*nnz + n + 1)
	default: // ellpack_block
		width := int64(bits.Len(uint(l.Sparse.Norm().M - 1))) // ceil(log2 M)
		s.Float = true
		s.Metadata = float64(int64(fr)*n*width) / 32
		s.New = float64(int64(fr)*n) + s.Metadata
	}
	return s
}

func (s SparseStorage) num(x float64) string {
	if s.Float {
		return py.Float(x)
	}
	return strconv.FormatInt(int64(x), 10)
}

// v3Layer is a layer's report in SCALE-Sim v3's layout.
type v3Layer struct {
	r  *Layer
	v3 *config.V3Config
	sp *SparseStorage // nil without sparsity support
	// ifmapReads is SRAM IFMAP Reads: layer-wise weight-stationary runs
	// multiply it by M/N (a float), v3's way of charging one input block
	// once per M/N rows that share it.
	ifmapReads string
	ifmapBW    float64
}

func newV3Layer(v3 *config.V3Config, df systolic.Dataflow, l systolic.Layer, r *Layer) v3Layer {
	v := v3Layer{r: r, v3: v3}
	reads := float64(r.SRAM[protocol.Ifmap].Words)
	v.ifmapReads = itoa(r.SRAM[protocol.Ifmap].Words)
	if v3.Sparsity.Enabled {
		s := sparseStorage(v3, l)
		v.sp = &s
		if !v3.Sparsity.RowWise && df == systolic.WS {
			ratio := l.Sparse.Norm()
			reads *= float64(ratio.M) / float64(ratio.N)
			v.ifmapReads = py.Float(reads)
		}
	}
	v.ifmapBW = reads / float64(r.TotalCycles)
	return v
}

// inclPrefetch is v3's "Total Cycles (incl. prefetch)": the OFMAP DRAM
// stop cycle minus the earlier of the IFMAP and FILTER DRAM start cycles.
func (v v3Layer) inclPrefetch() int64 {
	d := v.r.DRAM
	return d[protocol.Ofmap].Stop - min(d[protocol.Ifmap].Start, d[protocol.Filter].Start)
}

func (v v3Layer) metadataBW() float64 { return v.sp.Metadata / float64(v.r.TotalCycles) }

func (v v3Layer) computeRow() string {
	r := v.r
	return csvLine(strconv.Itoa(r.Layer), itoa(v.inclPrefetch()), itoa(r.TotalCycles), itoa(r.StallCycles),
		py.Float(r.OverallUtil()), py.Float(r.MappingEfficiency), py.Float(r.ComputeUtil))
}

func (v v3Layer) bandwidthRow() string {
	r := v.r
	items := []string{strconv.Itoa(r.Layer), py.Float(v.ifmapBW), py.Float(r.SRAMBandwidth(1))}
	if v.sp != nil {
		items = append(items, py.Float(v.metadataBW()))
	}
	items = append(items, py.Float(r.SRAMBandwidth(2)))
	for i := range 3 {
		items = append(items, py.Float(r.DRAMBandwidth(i)))
	}
	return csvLine(items...)
}

func (v v3Layer) detailedRow() string {
	r := v.r
	items := []string{strconv.Itoa(r.Layer)}
	for i, a := range append(r.SRAM[:], r.DRAM[:]...) {
		words := itoa(a.Words)
		if i == 0 {
			words = v.ifmapReads
		}
		items = append(items, cycle(a.Start), cycle(a.Stop), words)
	}
	return csvLine(items...)
}

func (v v3Layer) sparseRow() string {
	s := v.sp
	return csvLine(strconv.Itoa(v.r.Layer), s.Rep, itoa(s.Original), s.num(s.New), s.num(s.Metadata),
		py.Float(v.metadataBW()))
}
