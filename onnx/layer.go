package onnx

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
	"github.com/npusim/npusim/systolic"
)

// Kind tells a convolution layer from a matrix multiply.
type Kind int

// The two layer kinds.
const (
	ConvKind Kind = iota // Conv, ConvTranspose
	GEMMKind             // Gemm, MatMul
)

// String returns "conv" or "gemm".
func (k Kind) String() string {
	if k == GEMMKind {
		return "gemm"
	}
	return "conv"
}

// Layer is one compute node as the model describes it, before it is lowered
// to SCALE-Sim's convolutions.
//
// A ConvTranspose is described as the direct convolution it equals: over its
// input with stride-1 zeros inserted (InH = (H-1)*stride+1), padded by
// dilation*(k-1) minus its own pads (plus output_padding at the end), with
// stride 1. Its MACs then include the multiplications by inserted zeros, as
// a systolic array running it that way performs them.
type Layer struct {
	Name string // sanitised node name, unique in the model (see Sanitize)
	Node string // the ONNX node name as written
	Op   string // ONNX op type
	Kind Kind

	// Convolution fields (Kind == ConvKind). A 1-D convolution has InH,
	// KH, OutH, StrideH and DilH 1.
	InH, InW                             int // input feature map, without padding
	PadTop, PadLeft, PadBottom, PadRight int
	KH, KW                               int // kernel
	InC, OutC                            int // whole tensor, not per group
	StrideH, StrideW                     int
	DilH, DilW                           int
	Groups                               int
	OutH, OutW                           int

	// GEMM fields (Kind == GEMMKind): Batch independent M x K by K x N
	// products.
	M, N, K int
	// SharedB is true when B is the same for every row of A (a weight, or
	// any 2-D B): leading dimensions of A are then folded into M, and more
	// inputs (-batch) add rows to M. A batched MatMul of two activations
	// (attention's Q·Kᵀ and softmax·V) has SharedB false: its leading
	// dimensions are Batch, and more inputs add more products.
	SharedB bool

	// Batch is the number of independent copies: a conv's input batch (N
	// of NCHW), a batched MatMul's leading dimensions, 1 otherwise.
	Batch int
}

// MACs is the layer's multiply-accumulates: for a convolution
// Batch*OutH*OutW*OutC*(InC/Groups)*KH*KW, for a GEMM Batch*M*N*K. It
// saturates at math.MaxInt64.
func (l Layer) MACs() int64 {
	if l.Kind == GEMMKind {
		return mulSat(l.Batch, l.M, l.N, l.K)
	}
	return mulSat(l.Batch, l.OutH, l.OutW, l.OutC, l.InC/max(l.Groups, 1), l.KH, l.KW)
}

func mulSat(v ...int) int64 {
	p := int64(1)
	for _, x := range v {
		if x <= 0 {
			return 0
		}
		if p > math.MaxInt64/int64(x) {
			return math.MaxInt64
		}
		p *= int64(x)
	}
	return p
}

// Padding is the convention for a convolution's zero padding, which
// SCALE-Sim's layers cannot express.
type Padding int

// The two padding conventions.
const (
	// PadNone gives the unpadded ifmap, as SCALE-Sim's own topology CSVs do
	// (Resnet50.csv: Conv1 224x224 for a 7x7 stride-2 conv). Outputs and
	// MACs are then smaller than the model's.
	PadNone Padding = iota
	// PadInclude grows the ifmap by the pads, so that output sizes and MACs
	// equal the model's. Trailing rows and columns that no window reads
	// (when the stride does not divide the padded size) are left out,
	// because SCALE-Sim would otherwise count an extra output row.
	PadInclude
)

// ParsePadding accepts "none" and "include".
func ParsePadding(s string) (Padding, error) {
	switch s {
	case "none":
		return PadNone, nil
	case "include":
		return PadInclude, nil
	}
	return PadNone, fmt.Errorf("unknown padding %q (allowed: none, include)", s)
}

// String returns the -pad spelling.
func (p Padding) String() string {
	if p == PadInclude {
		return "include"
	}
	return "none"
}

// maxLayers bounds the lowered layers of a model, as the topology reader
// bounds a CSV's.
const maxLayers = 1 << 20

// Systolic lowers the model's layers to SCALE-Sim's convolutions, in order.
// batch (at least 1) multiplies the model's inputs: a model exported with
// batch 1 then runs batch inputs.
//
//   - A convolution with G groups becomes G layers, named <name>_g<i>, each
//     with InC/G channels and OutC/G filters, as SCALE-Sim's depthwise ("DP")
//     expansion does for G = channels.
//   - A convolution runs once per input: Batch*batch copies, named
//     <name>_b<j> when there is more than one (SCALE-Sim layers have no
//     batch).
//   - A dilated kernel is simulated undilated over an ifmap shrunk by
//     (k-1)*(dilation-1): same kernel, output size and MACs.
//   - A GEMM is systolic.GEMM(M, N, K); with SharedB its M is multiplied by
//     batch, otherwise it runs Batch*batch times, named <name>_b<j>.
func (m *Model) Systolic(pad Padding, batch int) ([]systolic.Layer, error) {
	if batch < 1 {
		return nil, fmt.Errorf("batch must be at least 1, got %d", batch)
	}
	var out []systolic.Layer
	for _, l := range m.Layers {
		if n := mulSat(copiesOf(l, batch), max(l.Groups, 1)); n > int64(maxLayers-len(out)) {
			return nil, fmt.Errorf("onnx %s: node %q: more than %d layers after expanding groups and batch", m.Name, l.Name, maxLayers)
		}
		got, err := l.systolic(pad, batch)
		if err != nil {
			return nil, fmt.Errorf("onnx %s: node %q (%s): %w", m.Name, l.Name, l.Op, err)
		}
		out = append(out, got...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("onnx %s: no compute layers (Conv, ConvTranspose, Gemm or MatMul)", m.Name)
	}
	return out, nil
}

func copiesOf(l Layer, batch int) int {
	if l.Kind == GEMMKind && l.SharedB {
		return l.Batch
	}
	return int(mulSat(l.Batch, batch))
}

func (l Layer) systolic(pad Padding, batch int) ([]systolic.Layer, error) {
	copies := copiesOf(l, batch)
	var base systolic.Layer
	groups := 1
	if l.Kind == GEMMKind {
		m := int64(l.M)
		if l.SharedB {
			m = mulSat(l.M, batch)
		}
		if m > maxDim {
			return nil, fmt.Errorf("M = %d x batch %d is larger than %d", l.M, batch, maxDim)
		}
		base = systolic.GEMM(l.Name, int(m), l.N, l.K)
	} else {
		groups = l.Groups
		h, w := l.InH-(l.KH-1)*(l.DilH-1), l.InW-(l.KW-1)*(l.DilW-1)
		if pad == PadInclude {
			h, w = (l.OutH-1)*l.StrideH+l.KH, (l.OutW-1)*l.StrideW+l.KW
		}
		base = systolic.Layer{Name: l.Name, H: h, W: w, Fh: l.KH, Fw: l.KW,
			Ch: l.InC / groups, N: l.OutC / groups, Sh: l.StrideH, Sw: l.StrideW}
	}
	for _, v := range []int{base.H, base.W, base.Fh, base.Fw, base.Ch, base.N, base.Sh, base.Sw} {
		if v > maxDim {
			return nil, fmt.Errorf("layer %+v has a value larger than %d", base, maxDim)
		}
	}
	if err := base.Validate(); err != nil {
		if pad == PadNone && l.Kind == ConvKind {
			return nil, fmt.Errorf("%w (with -pad none the ifmap is %dx%d, unpadded; -pad include adds the pads)", err, base.H, base.W)
		}
		return nil, err
	}
	out := make([]systolic.Layer, 0, copies*groups)
	for b := 0; b < copies; b++ {
		for g := 0; g < groups; g++ {
			x := base
			if copies > 1 {
				x.Name += fmt.Sprintf("_b%d", b)
			}
			if groups > 1 {
				x.Name += fmt.Sprintf("_g%d", g)
			}
			out = append(out, x)
		}
	}
	return out, nil
}

// CSVHeader is the header WriteCSV writes: SCALE-Sim's conv topology
// columns, with the width stride.
const CSVHeader = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Stride Width,"

// WriteCSV writes layers as one SCALE-Sim conv-format topology CSV (read it
// with -i conv). GEMMs are written as the convolution SCALE-Sim itself turns
// a GEMM row into (H = M, W = K, a 1 x K filter, 1 channel, N filters,
// stride 1), so conv and GEMM layers share the file and simulate as they
// would from a GEMM topology.
func WriteCSV(w io.Writer, layers []systolic.Layer) error {
	var b strings.Builder
	b.WriteString(CSVHeader + "\n")
	for _, l := range layers {
		fmt.Fprintf(&b, "%s, %d, %d, %d, %d, %d, %d, %d, %d,\n", l.Name, l.H, l.W, l.Fh, l.Fw, l.Ch, l.N, l.Sh, l.Sw)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// convGeom works out a Conv or ConvTranspose node's layer from its input
// and weight shapes and attributes.
func (e *env) convGeom(n *onnxpb.NodeProto) (Layer, error) {
	in := n.GetInput()
	if len(in) < 2 {
		return Layer{}, fmt.Errorf("needs an input and a weight, has %d inputs", len(in))
	}
	x, wt := e.shapeOf(in[0]), e.shapeOf(in[1])
	if !x.static() {
		return Layer{}, notStatic(in[0], x)
	}
	if len(x) != 3 && len(x) != 4 {
		return Layer{}, fmt.Errorf("input %q has shape %v: only 1-D and 2-D convolutions (rank 3 or 4) are supported", in[0], x)
	}
	if !wt.static() || len(wt) != len(x) {
		return Layer{}, fmt.Errorf("weight %q has shape %v, expected a static rank-%d shape", in[1], wt, len(x))
	}
	x = append(shape{}, x...) // the zero insertion below must not change the graph's shape
	a := attrsOf(n)
	g := a.int("group", 1)
	if g <= 0 || g > maxDim {
		return Layer{}, fmt.Errorf("group %d must be positive", g)
	}
	// Lift 1-D to 2-D with a height of 1.
	rank := len(x)
	lift := func(v []int64, def int64, perAxis int) []int64 {
		if v == nil {
			return nil
		}
		if rank == 4 {
			return v
		}
		out := []int64{}
		for i := 0; i < len(v); i += perAxis {
			out = append(out, def)
			out = append(out, v[i:i+perAxis]...)
		}
		return out
	}
	if rank == 3 {
		x = shape{x[0], x[1], 1, x[2]}
		wt = shape{wt[0], wt[1], 1, wt[2]}
	}
	kern := lift(a.ints("kernel_shape"), 1, 1)
	if kern == nil {
		kern = wt[2:]
	}
	strides := lift(a.ints("strides"), 1, 1)
	dils := lift(a.ints("dilations"), 1, 1)
	var pads []int64
	if p := a.ints("pads"); p != nil {
		if len(p) != 2*(rank-2) {
			return Layer{}, fmt.Errorf("pads %v: expected %d values", p, 2*(rank-2))
		}
		if rank == 3 {
			pads = []int64{0, p[0], 0, p[1]}
		} else {
			pads = p
		}
	}
	if len(kern) != 2 || kern[0] != wt[2] || kern[1] != wt[3] {
		return Layer{}, fmt.Errorf("kernel_shape %v does not match weight %q %v", a.ints("kernel_shape"), in[1], wt)
	}
	for _, v := range [][]int64{strides, dils} {
		if v != nil && len(v) != 2 {
			return Layer{}, fmt.Errorf("strides %v or dilations %v do not fit a rank-%d input", a.ints("strides"), a.ints("dilations"), rank)
		}
	}
	autoPad := a.str("auto_pad", "NOTSET")
	l := Layer{Kind: ConvKind, Batch: int(x[0]), InC: int(x[1]), Groups: int(g),
		KH: int(kern[0]), KW: int(kern[1])}
	var outHW [2]int64
	var padsHW [2][2]int64
	for i := 0; i < 2; i++ {
		s, d := attrAt(strides, i, 1), attrAt(dils, i, 1)
		pb, pe := attrAt(pads, i, 0), attrAt(pads, i+2, 0)
		if n.GetOpType() == "Conv" {
			o, p, err := outSize(x[i+2], kern[i], s, d, pb, pe, autoPad, false)
			if err != nil {
				return Layer{}, err
			}
			outHW[i], padsHW[i] = o, p
			continue
		}
		o, p, err := transposeGeom(x[i+2], kern[i], s, d, pb, pe, attrAt(lift(a.ints("output_padding"), 0, 1), i, 0), autoPad, lift(a.ints("output_shape"), 1, 1), i)
		if err != nil {
			return Layer{}, err
		}
		// The equivalent direct conv: stride-s zero insertion, stride 1.
		outHW[i], padsHW[i] = o, p
		x[i+2] = (x[i+2]-1)*s + 1
	}
	if n.GetOpType() == "Conv" {
		if x[1]%g != 0 || wt[0]%g != 0 || wt[1]*g != x[1] {
			return Layer{}, fmt.Errorf("weight %q %v does not fit input %v with group %d", in[1], wt, x, g)
		}
		l.OutC = int(wt[0])
		l.StrideH, l.StrideW = int(attrAt(strides, 0, 1)), int(attrAt(strides, 1, 1))
	} else {
		if wt[0] != x[1] || x[1]%g != 0 {
			return Layer{}, fmt.Errorf("weight %q %v does not fit input %v with group %d", in[1], wt, x, g)
		}
		l.OutC = int(wt[1] * g)
		l.StrideH, l.StrideW = 1, 1
	}
	l.InH, l.InW = int(x[2]), int(x[3])
	l.DilH, l.DilW = int(attrAt(dils, 0, 1)), int(attrAt(dils, 1, 1))
	l.PadTop, l.PadBottom = int(padsHW[0][0]), int(padsHW[0][1])
	l.PadLeft, l.PadRight = int(padsHW[1][0]), int(padsHW[1][1])
	l.OutH, l.OutW = int(outHW[0]), int(outHW[1])
	for _, v := range []int{l.Batch, l.InC, l.OutC, l.InH, l.InW, l.OutH, l.OutW} {
		if v <= 0 || v > maxDim {
			return Layer{}, fmt.Errorf("input %v and weight %v give a layer with a size of %d", x, wt, v)
		}
	}
	return l, nil
}

// transposeGeom gives a ConvTranspose axis's output length and the pads of
// the equivalent direct convolution over the zero-inserted input. Negative
// equivalent pads (the node's pads exceed the kernel's reach) are not
// supported.
func transposeGeom(in, k, s, d, pb, pe, outPad int64, autoPad string, outShape []int64, i int) (int64, [2]int64, error) {
	if k <= 0 || s <= 0 || d <= 0 || pb < 0 || pe < 0 || outPad < 0 || k > maxDim || s > maxDim || d > maxDim || pb > maxDim || pe > maxDim || outPad > maxDim || in > maxDim/s {
		return 0, [2]int64{}, fmt.Errorf("kernel %d, stride %d, dilation %d, pads %d,%d and output_padding %d are out of range", k, s, d, pb, pe, outPad)
	}
	ext := d*(k-1) + 1
	full := s*(in-1) + outPad + ext
	if outShape != nil || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
		want := in * s
		if outShape != nil {
			want = attrAt(outShape, i, 0)
		}
		total := full - want
		if total < 0 {
			return 0, [2]int64{}, fmt.Errorf("output_shape %v is larger than the transposed convolution can give", outShape)
		}
		if autoPad == "SAME_UPPER" {
			pb, pe = total/2, total-total/2
		} else {
			pb, pe = total-total/2, total/2
		}
	} else if autoPad == "VALID" {
		pb, pe = 0, 0
	}
	out := full - pb - pe
	eb, ee := ext-1-pb, ext-1-pe+outPad
	if eb < 0 || ee < 0 || out <= 0 {
		return 0, [2]int64{}, fmt.Errorf("pads %d,%d exceed the kernel's reach %d: not supported", pb, pe, ext-1)
	}
	return out, [2]int64{eb, ee}, nil
}

// layer builds the layer of a compute node.
func (e *env) layer(n *onnxpb.NodeProto) (Layer, error) {
	switch n.GetOpType() {
	case "Conv", "ConvTranspose":
		return e.convGeom(n)
	}
	in := n.GetInput()
	if len(in) < 2 {
		return Layer{}, fmt.Errorf("needs two inputs, has %d", len(in))
	}
	a, b := e.shapeOf(in[0]), e.shapeOf(in[1])
	for i, s := range []shape{a, b} {
		if !s.static() || len(s) == 0 {
			return Layer{}, notStatic(in[i], s)
		}
	}
	l := Layer{Kind: GEMMKind, Batch: 1, SharedB: true}
	if n.GetOpType() == "Gemm" {
		if len(a) != 2 || len(b) != 2 {
			return Layer{}, fmt.Errorf("inputs %v and %v must be 2-D", a, b)
		}
		m, k := a[0], a[1]
		if attrsOf(n).int("transA", 0) != 0 {
			m, k = k, m
		}
		kb, nn := b[0], b[1]
		if attrsOf(n).int("transB", 0) != 0 {
			kb, nn = nn, kb
		}
		if k != kb {
			return Layer{}, fmt.Errorf("inputs %v and %v do not multiply (K %d vs %d)", a, b, k, kb)
		}
		l.M, l.N, l.K = int(m), int(nn), int(k)
	} else {
		if len(a) == 1 {
			a = shape{1, a[0]}
		}
		if len(b) == 1 {
			b = shape{b[0], 1}
		}
		if a[len(a)-1] != b[len(b)-2] {
			return Layer{}, fmt.Errorf("inputs %v and %v do not multiply (K %d vs %d)", a, b, a[len(a)-1], b[len(b)-2])
		}
		l.K, l.N = int(a[len(a)-1]), int(b[len(b)-1])
		if len(b) == 2 {
			m := shape(a[:len(a)-1]).size()
			if m < 0 {
				return Layer{}, fmt.Errorf("input %v is too large", a)
			}
			l.M = int(m)
		} else {
			l.SharedB = false
			l.M = int(a[len(a)-2])
			bs := broadcast(a[:len(a)-2], b[:len(b)-2])
			for i := range bs {
				ai, bi := i-(len(bs)-(len(a)-2)), i-(len(bs)-(len(b)-2))
				if ai >= 0 && bi >= 0 && a[ai] != b[bi] && a[ai] != 1 && b[bi] != 1 {
					return Layer{}, fmt.Errorf("batch dimensions of %v and %v do not broadcast", a, b)
				}
			}
			p := bs.size()
			if p < 0 {
				return Layer{}, fmt.Errorf("batch dimensions of %v and %v are too large", a, b)
			}
			l.Batch = int(p)
		}
	}
	for _, v := range []int{l.M, l.N, l.K} {
		if v <= 0 || v > maxDim {
			return Layer{}, fmt.Errorf("inputs %v and %v give M=%d N=%d K=%d: each must be between 1 and %d", a, b, l.M, l.N, l.K, maxDim)
		}
	}
	return l, nil
}

// notStatic is the error for a compute node's input whose shape is not
// known: a dimension above maxDim is known but too large, anything else is
// a dynamic shape the importer could not resolve.
func notStatic(name string, s shape) error {
	if s.tooLarge() {
		return fmt.Errorf("input %q has shape %v: a dimension or element count is larger than %d, npusim's limit", name, s, int64(maxDim))
	}
	return fmt.Errorf("input %q has no static shape (%v): a dynamic shape that could not be resolved", name, s)
}
