package systolic

import (
	"fmt"
	"math/bits"
)

// Dataflow selects how a layer is mapped onto the array.
type Dataflow int

// The three dataflows SCALE-Sim v2 supports.
const (
	OS Dataflow = iota // output stationary
	WS                 // weight stationary
	IS                 // input stationary
)

// ParseDataflow accepts the config spelling: "os", "ws" or "is"
// (case-sensitive, as SCALE-Sim compares them).
func ParseDataflow(s string) (Dataflow, error) {
	switch s {
	case "os":
		return OS, nil
	case "ws":
		return WS, nil
	case "is":
		return IS, nil
	}
	return OS, fmt.Errorf("unknown dataflow %q (allowed: os, ws, is)", s)
}

// String returns the config spelling.
func (d Dataflow) String() string {
	switch d {
	case OS:
		return "os"
	case WS:
		return "ws"
	case IS:
		return "is"
	}
	return fmt.Sprintf("Dataflow(%d)", int(d))
}

// LongName is the name SCALE-Sim prints in its banner.
func (d Dataflow) LongName() string {
	switch d {
	case WS:
		return "Weight Stationary"
	case IS:
		return "Input Stationary"
	}
	return "Output Stationary"
}

// Layer is one convolution (or GEMM, converted to a convolution) as SCALE-Sim
// describes it: an H x W x Ch input, N filters of Fh x Fw x Ch, strides Sh, Sw
// and no padding.
type Layer struct {
	Name   string
	H, W   int // IFMAP height and width
	Fh, Fw int // filter height and width
	Ch     int // input channels
	N      int // number of filters
	Sh, Sw int // strides
	// Sparse is the SCALE-Sim v3 topology's N:M filter sparsity, used
	// only when the accelerator has sparsity enabled (zero value: 1:1).
	Sparse Ratio
	// Batch is the number of inputs (npusim's [npusim] Batch; 0 means 1).
	// The inputs lie one after the other in the IFMAP (each H*W*Ch words)
	// and their output pixels follow each other, so a batch multiplies P:
	// more output pixels for a conv, more rows M for a GEMM.
	Batch int
}

// GEMM converts an M x K by K x N matrix multiply into the convolution SCALE-Sim
// simulates for it: H = M, W = K, a 1 x K filter, one channel, N filters.
func GEMM(name string, m, n, k int) Layer {
	return Layer{Name: name, H: m, W: k, Fh: 1, Fw: k, Ch: 1, N: n, Sh: 1, Sw: 1}
}

// Eh is the OFMAP height. SCALE-Sim uses ceil((H-Fh+Sh)/Sh), which can
// exceed the true output height when (H-Fh) is not a multiple of Sh; the
// extra windows read past the IFMAP edge (their addresses are -1).
func (l Layer) Eh() int { return ceilDiv(l.H-l.Fh+l.Sh, l.Sh) }

// Ew is the OFMAP width, computed like Eh.
func (l Layer) Ew() int { return ceilDiv(l.W-l.Fw+l.Sw, l.Sw) }

// P is the number of OFMAP pixels per filter, over the whole batch.
func (l Layer) P() int { return l.Eh() * l.Ew() * max(l.Batch, 1) }

// K is the convolution window size, Fh*Fw*Ch.
func (l Layer) K() int { return l.Fh * l.Fw * l.Ch }

// MACs is the number of multiply-accumulates, P*N*K, which SCALE-Sim uses
// for "Overall Util %".
func (l Layer) MACs() int64 { return int64(l.P()) * int64(l.N) * int64(l.K()) }

// Validate reports geometry SCALE-Sim cannot simulate.
func (l Layer) Validate() error {
	type field struct {
		name string
		v    int
	}
	for _, f := range []field{{"IFMAP Height", l.H}, {"IFMAP Width", l.W},
		{"Filter Height", l.Fh}, {"Filter Width", l.Fw}, {"Channels", l.Ch},
		{"Num Filter", l.N}, {"Strides", l.Sh}, {"Strides", l.Sw}, {"Batch", max(l.Batch, 1)}} {
		if f.v <= 0 {
			return fmt.Errorf("%s must be positive, got %d", f.name, f.v)
		}
	}
	// messages name the topology's columns
	if l.Fh > l.H {
		return fmt.Errorf("%s %d is larger than %s %d", "Filter Height", l.Fh, "IFMAP Height", l.H)
	}
	if l.Fw > l.W {
		return fmt.Errorf("%s %d is larger than %s %d", "Filter Width", l.Fw, "IFMAP Width", l.W)
	}
	return l.checkSize()
}

// MaxLayerWords bounds a layer's operand sizes (IFMAP, filter and OFMAP
// words) and its MACs: far beyond what can be simulated (2^52 MACs take
// years), and low enough that no address or cycle count of the layer
// overflows int64.
const MaxLayerWords = 1 << 52

// checkSize reports a layer whose sizes exceed MaxLayerWords.
func (l Layer) checkSize() error {
	mul := func(xs ...int) uint64 {
		p := uint64(1)
		for _, x := range xs {
			hi, lo := bits.Mul64(p, uint64(x))
			if hi != 0 || lo > MaxLayerWords {
				return MaxLayerWords + 1
			}
			p = lo
		}
		return p
	}
	k := mul(l.Fh, l.Fw, l.Ch)
	for _, s := range []struct {
		name string
		v    uint64
	}{
		{"IFMAP (Height x Width x Channels)", mul(l.H, l.W, l.Ch)},
		{"filter window (Height x Width x Channels)", k},
		{"filters (window x Num Filter)", mul(int(k), l.N)},
		{"OFMAP (pixels x Num Filter)", mul(l.Eh(), l.Ew(), l.N)},
		{"MACs", mul(l.Eh(), l.Ew(), l.N, int(k))},
	} {
		if s.v > MaxLayerWords {
			return fmt.Errorf("layer too large: %s exceeds 2^52", s.name)
		}
	}
	return nil
}

func ceilDiv(a, b int) int {
	if a >= 0 {
		return (a + b - 1) / b
	}
	return -((-a) / b)
}
