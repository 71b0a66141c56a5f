package multicore

import (
	"fmt"

	"github.com/npusim/npusim/systolic"
)

// Partition is how a layer is split across cores.
type Partition int

// The partitions.
const (
	// Filters splits the output channels (the layer's filters, a GEMM's N).
	Filters Partition = iota
	// Pixels splits the output rows (the ifmap rows, with the filter-height
	// overlap; a GEMM's M).
	Pixels
	// Auto simulates every factorisation of the core count into pixel
	// parts x filter parts and keeps the one with the fewest cycles.
	Auto
	// Grid uses one given factorisation (Split).
	Grid
)

// ParsePartition accepts the config spelling: filters, pixels, auto or
// grid.
func ParsePartition(s string) (Partition, error) {
	for p := Filters; p <= Grid; p++ {
		if p.String() == s {
			return p, nil
		}
	}
	return Filters, fmt.Errorf("unknown partition %q (allowed: filters, pixels, auto, grid)", s)
}

// String returns the config spelling.
func (p Partition) String() string {
	switch p {
	case Filters:
		return "filters"
	case Pixels:
		return "pixels"
	case Auto:
		return "auto"
	case Grid:
		return "grid"
	}
	return fmt.Sprintf("Partition(%d)", int(p))
}

// Split is a factorisation of the cores: Pixels parts of the output rows
// times Filters parts of the output channels. Core i takes pixel part
// i / Filters and filter part i % Filters.
type Split struct{ Pixels, Filters int }

// String is "PxF", e.g. "2x2".
func (s Split) String() string { return fmt.Sprintf("%dx%d", s.Pixels, s.Filters) }

// Cores is the number of cores the split uses.
func (s Split) Cores() int { return s.Pixels * s.Filters }

// Splits returns every factorisation of cores, from all filters (1 x
// cores) to all pixels (cores x 1).
func Splits(cores int) []Split {
	var out []Split
	for p := 1; p <= cores; p++ {
		if cores%p == 0 {
			out = append(out, Split{Pixels: p, Filters: cores / p})
		}
	}
	return out
}

// Candidates returns the splits a partition considers for cores; grid is
// used only with Grid.
func (p Partition) Candidates(cores int, grid Split) []Split {
	switch p {
	case Filters:
		return []Split{{1, cores}}
	case Pixels:
		return []Split{{cores, 1}}
	case Grid:
		return []Split{grid}
	}
	return Splits(cores)
}

// Share is one core's part of a layer: itself a layer, with the operand
// base addresses that make its addresses the right slice of the shared
// tensors.
type Share struct {
	Core int
	// Rows and Filters are the output rows [Rows[0], Rows[1]) and the
	// filters [Filters[0], Filters[1]) of the whole layer the share
	// computes. An empty range means the core has nothing to do (more
	// parts than rows or filters); Layer is then the zero Layer.
	Rows, Filters [2]int
	Layer         systolic.Layer
	Offsets       systolic.Offsets
}

// Empty reports whether the core has no work in this layer.
func (s Share) Empty() bool { return s.Rows[0] >= s.Rows[1] || s.Filters[0] >= s.Filters[1] }

// Shares splits l for the cores of s; base are the whole layer's operand
// offsets. The tensors are SCALE-Sim's layouts: the ifmap row-major H x W x
// Ch, the filters one after the other (K = Fh*Fw*Ch words each), the ofmap
// pixel-major P x N. The offsets are chosen so that
//
//   - the ifmap: a share of output rows [e0, e1) reads ifmap rows
//     [e0*Sh, (e1-1)*Sh+Fh) (the last share keeps the rows up to H, so
//     SCALE-Sim's rounding up of Eh stays with it), which start at
//     Ifmap + e0*Sh*W*Ch: neighbouring shares read the Fh-Sh overlapping
//     rows twice;
//   - the filters: filters [f0, f1) start at Filter + f0*K;
//   - the ofmap: output rows [e0, e1) and filters [f0, f1) are written as
//     their own pixel-major block of (e1-e0)*Ew x (f1-f0) words at Ofmap +
//     e0*Ew*N + (e1-e0)*Ew*f0. Every output word lies in exactly one block
//     and the blocks tile the ofmap (with one filter part this is the
//     ofmap's own layout; with several, each pixel part's rows are stored
//     filter part by filter part).
//
// With Batch > 1 a pixel split splits each input's rows, and a share reads
// its inputs (H' rows each) one after the other from its ifmap offset: a
// layout of its own rather than a slice of the whole batch (the work and
// the traffic are the same); its outputs form one block of (e1-e0)*Ew*Batch
// pixels, so the ofmap blocks still tile.
func (s Split) Shares(l systolic.Layer, base systolic.Offsets) []Share {
	eh, ew := l.Eh(), l.Ew()
	out := make([]Share, 0, s.Cores())
	for i := range s.Cores() {
		pi, fi := i/s.Filters, i%s.Filters
		sh := Share{Core: i,
			Rows:    [2]int{pi * eh / s.Pixels, (pi + 1) * eh / s.Pixels},
			Filters: [2]int{fi * l.N / s.Filters, (fi + 1) * l.N / s.Filters}}
		if sh.Empty() {
			out = append(out, sh)
			continue
		}
		e0, e1 := sh.Rows[0], sh.Rows[1]
		f0, f1 := sh.Filters[0], sh.Filters[1]
		sl := l
		sl.Name = fmt.Sprintf("%s.core%d", l.Name, i)
		sl.N = f1 - f0
		if s.Pixels > 1 {
			sl.H = (e1-1-e0)*l.Sh + l.Fh
			if e1 == eh {
				sl.H = l.H - e0*l.Sh
			}
		}
		rowWords := int64(ew) * int64(max(l.Batch, 1)) // output words of a row, over the batch
		sh.Layer = sl
		sh.Offsets = systolic.Offsets{
			Ifmap:  base.Ifmap + int64(e0)*int64(l.Sh)*int64(l.W)*int64(l.Ch),
			Filter: base.Filter + int64(f0)*int64(l.K()),
			Ofmap:  base.Ofmap + int64(e0)*rowWords*int64(l.N) + int64(e1-e0)*rowWords*int64(f0),
		}
		out = append(out, sh)
	}
	return out
}
