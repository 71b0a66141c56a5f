package onnx

import (
	"encoding/binary"
	"fmt"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

// maxDim bounds every dimension and element count the importer works with,
// so that arithmetic on hostile files cannot overflow and the layers stay
// within what the topology reader accepts.
const maxDim = 1<<31 - 1

// maxVals bounds the constant integer tensors (shape vectors and the like)
// that are propagated.
const maxVals = 1 << 12

// shape is a tensor shape: nil is an unknown rank, -1 an unknown dimension,
// tooLarge a known one above maxDim.
type shape []int64

// tooLarge marks a static dimension (or element count) above maxDim: known,
// but too large to simulate, which errors must not call dynamic.
const tooLarge = -2

// tooLarge reports whether s has a dimension above maxDim.
func (s shape) tooLarge() bool {
	for _, d := range s {
		if d == tooLarge {
			return true
		}
	}
	return false
}

func (s shape) static() bool {
	if s == nil {
		return false
	}
	for _, d := range s {
		if d < 0 {
			return false
		}
	}
	return true
}

func (s shape) String() string {
	if s == nil {
		return "unknown"
	}
	out := "["
	for i, d := range s {
		if i > 0 {
			out += ","
		}
		if d == tooLarge {
			out += fmt.Sprintf(">%d", int64(maxDim))
		} else if d < 0 {
			out += "?"
		} else {
			out += fmt.Sprint(d)
		}
	}
	return out + "]"
}

// size is the element count of a static shape, tooLarge if it (or a
// dimension) is above maxDim, or -1.
func (s shape) size() int64 {
	if s == nil {
		return -1
	}
	n, big := int64(1), false
	for _, d := range s {
		switch {
		case d == tooLarge:
			big = true
		case d < 0:
			return -1
		default:
			if n *= d; n > maxDim {
				big, n = true, 1
			}
		}
	}
	if big && n != 0 {
		return tooLarge
	}
	return n
}

// tensor is what the importer knows about a value: its shape and, for small
// integer tensors (shape vectors, axes, Constant outputs), its contents.
type tensor struct {
	shape shape
	val   []int64 // nil if unknown
}

// env holds the tensors seen so far.
type env struct {
	t     map[string]*tensor
	opset int64
}

func newEnv(opset int64) *env { return &env{t: map[string]*tensor{}, opset: opset} }

func (e *env) set(name string, t *tensor) {
	if name != "" {
		e.t[name] = t
	}
}

// shapeOf is the shape of a node input; "" (an omitted optional input) and
// unknown names give nil.
func (e *env) shapeOf(name string) shape {
	if t := e.t[name]; t != nil {
		return t.shape
	}
	return nil
}

func (e *env) valOf(name string) []int64 {
	if t := e.t[name]; t != nil {
		return t.val
	}
	return nil
}

// setTensor records an initializer or Constant value: its dims, and its
// contents if it is a small integer tensor that holds data (stripped float
// weights hold none and need none).
func (e *env) setTensor(name string, tp *onnxpb.TensorProto) {
	s := shape{}
	for _, d := range tp.GetDims() {
		if d > maxDim {
			s = append(s, tooLarge)
		} else if d < 0 {
			s = append(s, -1)
		} else {
			s = append(s, d)
		}
	}
	e.set(name, &tensor{shape: s, val: intData(tp, s.size())})
}

// intData reads an INT64 or INT32 tensor of n elements, or returns nil.
func intData(tp *onnxpb.TensorProto, n int64) []int64 {
	if n < 0 || n > maxVals {
		return nil
	}
	var v []int64
	switch onnxpb.TensorProto_DataType(tp.GetDataType()) {
	case onnxpb.TensorProto_INT64:
		if raw := tp.GetRawData(); len(raw) > 0 {
			if int64(len(raw)) != 8*n {
				return nil
			}
			for i := int64(0); i < n; i++ {
				v = append(v, int64(binary.LittleEndian.Uint64(raw[8*i:])))
			}
		} else {
			v = append(v, tp.GetInt64Data()...)
		}
	case onnxpb.TensorProto_INT32:
		if raw := tp.GetRawData(); len(raw) > 0 {
			if int64(len(raw)) != 4*n {
				return nil
			}
			for i := int64(0); i < n; i++ {
				v = append(v, int64(int32(binary.LittleEndian.Uint32(raw[4*i:]))))
			}
		} else {
			for _, x := range tp.GetInt32Data() {
				v = append(v, int64(x))
			}
		}
	default:
		return nil
	}
	if int64(len(v)) != n {
		return nil
	}
	if v == nil {
		v = []int64{}
	}
	return v
}

// declaredShape reads a value_info shape, substituting bound symbols.
func declaredShape(vi *onnxpb.ValueInfoProto, syms map[string]int64) shape {
	tt := vi.GetType().GetTensorType()
	if tt == nil || tt.GetShape() == nil {
		return nil
	}
	s := shape{}
	for _, d := range tt.GetShape().GetDim() {
		switch v := d.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if v.DimValue >= 0 && v.DimValue <= maxDim {
				s = append(s, v.DimValue)
			} else if v.DimValue > maxDim {
				s = append(s, tooLarge)
			} else {
				s = append(s, -1)
			}
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			if x, ok := syms[v.DimParam]; ok {
				s = append(s, x)
			} else {
				s = append(s, -1)
			}
		default:
			s = append(s, -1)
		}
	}
	return s
}

// attrs gives typed access to a node's attributes.
type attrs map[string]*onnxpb.AttributeProto

func attrsOf(n *onnxpb.NodeProto) attrs {
	a := attrs{}
	for _, x := range n.GetAttribute() {
		a[x.GetName()] = x
	}
	return a
}

func (a attrs) int(name string, def int64) int64 {
	if x, ok := a[name]; ok {
		return x.GetI()
	}
	return def
}

func (a attrs) ints(name string) []int64 {
	if x, ok := a[name]; ok {
		return x.GetInts()
	}
	return nil
}

func (a attrs) str(name, def string) string {
	if x, ok := a[name]; ok {
		return string(x.GetS())
	}
	return def
}

// normAxis turns a possibly negative axis into 0..rank-1.
func normAxis(ax int64, rank int) (int, error) {
	if ax < 0 {
		ax += int64(rank)
	}
	if ax < 0 || ax >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", ax, rank)
	}
	return int(ax), nil
}

// broadcast applies ONNX's multidirectional (numpy) broadcasting.
func broadcast(shapes ...shape) shape {
	rank := 0
	for _, s := range shapes {
		if s == nil {
			return nil
		}
		rank = max(rank, len(s))
	}
	out := make(shape, rank)
	for i := range out {
		d := int64(1)
		for _, s := range shapes {
			j := i - (rank - len(s))
			if j < 0 {
				continue
			}
			switch x := s[j]; {
			case x == tooLarge:
				d = tooLarge
			case x < 0:
				if d == 1 {
					d = -1
				}
			case x != 1:
				d = x
			}
		}
		out[i] = d
	}
	return out
}

// elementwise ops whose output has the broadcast shape of their inputs.
var broadcastOps = map[string]bool{
	"Add": true, "Sub": true, "Mul": true, "Div": true, "Pow": true, "Max": true, "Min": true,
	"Mean": true, "Sum": true, "Equal": true, "Less": true, "LessOrEqual": true, "Greater": true,
	"GreaterOrEqual": true, "And": true, "Or": true, "Xor": true, "Where": true, "PRelu": true,
	"Mod": true, "BitShift": true,
}

// unary ops whose first output has the shape of their first input.
var sameShapeOps = map[string]bool{
	"Relu": true, "LeakyRelu": true, "Elu": true, "Selu": true, "Celu": true, "Sigmoid": true,
	"HardSigmoid": true, "HardSwish": true, "Tanh": true, "Softmax": true, "LogSoftmax": true,
	"Hardmax": true, "Clip": true, "Sqrt": true, "Exp": true, "Log": true, "Abs": true,
	"Neg": true, "Erf": true, "Gelu": true, "Dropout": true, "Identity": true,
	"BatchNormalization": true, "InstanceNormalization": true, "LayerNormalization": true,
	"GroupNormalization": true, "LRN": true, "Cast": true, "CastLike": true, "Softplus": true,
	"Softsign": true, "Not": true, "Reciprocal": true, "Floor": true, "Ceil": true, "Round": true,
	"Sign": true, "Sin": true, "Cos": true, "Tan": true, "Mish": true, "ThresholdedRelu": true,
	"Shrink": true, "IsNaN": true, "IsInf": true, "QuantizeLinear": true, "DequantizeLinear": true,
	"MeanVarianceNormalization": true, "CumSum": true,
}

// infer sets the output tensors of n from its inputs. It records what it
// can and returns an error only when an input it needs is malformed; an
// unknown output shape is left nil and reported by whoever needs it.
func (e *env) infer(n *onnxpb.NodeProto) error {
	op, in, out := n.GetOpType(), n.GetInput(), n.GetOutput()
	a := attrsOf(n)
	arg := func(i int) string {
		if i < len(in) {
			return in[i]
		}
		return ""
	}
	x := e.shapeOf(arg(0))
	setOut := func(s shape, val []int64) {
		if len(out) > 0 {
			e.set(out[0], &tensor{shape: s, val: val})
		}
	}
	switch {
	case op == "Constant":
		if t := a["value"]; t != nil && t.GetT() != nil {
			if len(out) > 0 {
				e.setTensor(out[0], t.GetT())
			}
		} else if t := a["value_int"]; t != nil {
			setOut(shape{}, []int64{t.GetI()})
		} else if t := a["value_ints"]; t != nil {
			setOut(shape{int64(len(t.GetInts()))}, append([]int64{}, t.GetInts()...))
		} else if t := a["value_float"]; t != nil {
			setOut(shape{}, nil)
		} else if t := a["value_floats"]; t != nil {
			setOut(shape{int64(len(t.GetFloats()))}, nil)
		}
	case op == "Conv", op == "ConvTranspose":
		g, err := e.convGeom(n)
		if err != nil {
			return err
		}
		if len(x) == 3 {
			setOut(shape{int64(g.Batch), int64(g.OutC), int64(g.OutW)}, nil)
		} else {
			setOut(shape{int64(g.Batch), int64(g.OutC), int64(g.OutH), int64(g.OutW)}, nil)
		}
	case op == "MaxPool", op == "AveragePool", op == "LpPool":
		if x == nil || len(x) < 3 {
			return nil
		}
		s := append(shape{}, x...)
		k := a.ints("kernel_shape")
		if len(k) != len(x)-2 {
			return fmt.Errorf("kernel_shape %v does not fit input %v", k, x)
		}
		for i := range k {
			d, _, err := outSize(x[i+2], k[i], attrAt(a.ints("strides"), i, 1), attrAt(a.ints("dilations"), i, 1),
				attrAt(a.ints("pads"), i, 0), attrAt(a.ints("pads"), i+len(k), 0), a.str("auto_pad", "NOTSET"), a.int("ceil_mode", 0) != 0)
			if err != nil {
				return err
			}
			s[i+2] = d
		}
		setOut(s, nil)
	case op == "GlobalAveragePool", op == "GlobalMaxPool", op == "GlobalLpPool":
		if x == nil || len(x) < 2 {
			return nil
		}
		s := append(shape{}, x[:2]...)
		for range x[2:] {
			s = append(s, 1)
		}
		setOut(s, nil)
	case op == "Gemm":
		ma, mb := e.shapeOf(arg(0)), e.shapeOf(arg(1))
		if len(ma) != 2 || len(mb) != 2 {
			return nil
		}
		m := ma[0]
		if a.int("transA", 0) != 0 {
			m = ma[1]
		}
		nn := mb[1]
		if a.int("transB", 0) != 0 {
			nn = mb[0]
		}
		setOut(shape{m, nn}, nil)
	case op == "MatMul":
		setOut(matmulShape(e.shapeOf(arg(0)), e.shapeOf(arg(1))), nil)
	case op == "Flatten":
		if x == nil {
			return nil
		}
		ax, err := normAxis(a.int("axis", 1), len(x)+1)
		if err != nil {
			return err
		}
		setOut(shape{shape(x[:ax]).size(), shape(x[ax:]).size()}, nil)
	case op == "Reshape":
		setOut(reshape(x, e.valOf(arg(1)), a.int("allowzero", 0) != 0), nil)
	case op == "Transpose":
		if x == nil {
			return nil
		}
		perm := a.ints("perm")
		if perm == nil {
			for i := len(x) - 1; i >= 0; i-- {
				perm = append(perm, int64(i))
			}
		}
		if len(perm) != len(x) {
			return fmt.Errorf("perm %v does not fit input %v", perm, x)
		}
		s := make(shape, len(x))
		for i, p := range perm {
			if p < 0 || p >= int64(len(x)) {
				return fmt.Errorf("perm %v does not fit input %v", perm, x)
			}
			s[i] = x[p]
		}
		setOut(s, nil)
	case op == "Concat":
		var s shape
		var vals []int64
		for i, name := range in {
			si := e.shapeOf(name)
			if si == nil || (s != nil && len(si) != len(s)) {
				return nil
			}
			if i == 0 {
				s = append(shape{}, si...)
				vals = append([]int64{}, e.valOf(name)...)
				if e.valOf(name) == nil {
					vals = nil
				}
				continue
			}
			ax, err := normAxis(a.int("axis", 0), len(s))
			if err != nil {
				return err
			}
			switch {
			case s[ax] == tooLarge || si[ax] == tooLarge:
				s[ax] = tooLarge
			case s[ax] < 0 || si[ax] < 0:
				s[ax] = -1
			case s[ax]+si[ax] > maxDim:
				s[ax] = tooLarge
			default:
				s[ax] += si[ax]
			}
			if v := e.valOf(name); vals != nil && v != nil && len(s) == 1 {
				vals = append(vals, v...)
			} else {
				vals = nil
			}
		}
		setOut(s, vals)
	case broadcastOps[op]:
		var shapes []shape
		for _, name := range in {
			shapes = append(shapes, e.shapeOf(name))
		}
		s := broadcast(shapes...)
		setOut(s, arith(op, s, e.valOf(arg(0)), e.valOf(arg(1)), len(in)))
	case sameShapeOps[op]:
		var val []int64
		if op == "Cast" || op == "Identity" {
			val = e.valOf(arg(0))
		}
		setOut(x, val)
	case op == "Shape":
		if x == nil {
			return nil
		}
		start, end := a.int("start", 0), a.int("end", int64(len(x)))
		lo, hi := clampRange(start, end, int64(len(x)))
		s := x[lo:hi]
		var val []int64
		if s.static() {
			val = append([]int64{}, s...)
		}
		setOut(shape{int64(len(s))}, val)
	case op == "Size":
		setOut(shape{}, nil)
	case op == "Gather":
		setOut(e.gather(x, e.valOf(arg(0)), e.shapeOf(arg(1)), e.valOf(arg(1)), a.int("axis", 0)))
	case op == "Unsqueeze", op == "Squeeze":
		axes := a.ints("axes")
		if e.opset >= 13 && len(in) > 1 {
			axes = e.valOf(arg(1))
			if axes == nil {
				return nil
			}
		}
		s, err := squeeze(op == "Unsqueeze", x, axes)
		if err != nil {
			return err
		}
		setOut(s, e.valOf(arg(0)))
	case len(op) > 6 && op[:6] == "Reduce", op == "ArgMax", op == "ArgMin":
		setOut(e.reduce(n, a, x))
	case op == "Slice":
		setOut(e.slice(n, a, x))
	case op == "ConstantOfShape":
		if v := e.valOf(arg(0)); v != nil {
			setOut(shape(append([]int64{}, v...)), nil)
		}
	case op == "Expand":
		if v := e.valOf(arg(1)); v != nil {
			setOut(broadcast(x, shape(v)), nil)
		}
	}
	return nil
}

// attrAt is v[i], or def when v is shorter.
func attrAt(v []int64, i int, def int64) int64 {
	if i < len(v) {
		return v[i]
	}
	return def
}

// outSize is the output length of a convolution or pooling window along
// one axis, and the begin and end pads it actually uses (auto_pad decides
// them when it is not NOTSET).
func outSize(in, k, s, d, padB, padE int64, autoPad string, ceil bool) (int64, [2]int64, error) {
	pads := [2]int64{padB, padE}
	if in < 0 {
		return in, pads, nil // unknown, or too large, stays so
	}
	if k <= 0 || s <= 0 || d <= 0 || padB < 0 || padE < 0 || k > maxDim || s > maxDim || d > maxDim || padB > maxDim || padE > maxDim {
		return 0, pads, fmt.Errorf("kernel %d, stride %d, dilation %d and pads %d,%d must be positive (pads non-negative) and at most %d", k, s, d, padB, padE, int64(maxDim))
	}
	ext := d*(k-1) + 1
	switch autoPad {
	case "NOTSET", "":
	case "VALID":
		pads = [2]int64{0, 0}
	case "SAME_UPPER", "SAME_LOWER":
		out := (in + s - 1) / s
		total := max(0, (out-1)*s+ext-in)
		if autoPad == "SAME_UPPER" {
			pads = [2]int64{total / 2, total - total/2}
		} else {
			pads = [2]int64{total - total/2, total / 2}
		}
	default:
		return 0, pads, fmt.Errorf("unknown auto_pad %q", autoPad)
	}
	span := in + pads[0] + pads[1] - ext
	if span < 0 {
		return 0, pads, fmt.Errorf("window %d (kernel %d, dilation %d) is larger than the padded input %d", ext, k, d, in+pads[0]+pads[1])
	}
	if ceil {
		out := (span+s-1)/s + 1
		// Rounding up may add a window that starts in the end padding,
		// reading no input: it is dropped (PyTorch's rule, which ONNX
		// Runtime follows).
		if (out-1)*s >= in+pads[0] {
			out--
		}
		return out, pads, nil
	}
	return span/s + 1, pads, nil
}

// matmulShape is numpy's matmul result shape.
func matmulShape(a, b shape) shape {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	var batch shape
	if len(a) > 2 || len(b) > 2 {
		ba, bb := shape{}, shape{}
		if len(a) > 2 {
			ba = a[:len(a)-2]
		}
		if len(b) > 2 {
			bb = b[:len(b)-2]
		}
		batch = broadcast(ba, bb)
	}
	s := append(shape{}, batch...)
	if len(a) >= 2 {
		s = append(s, a[len(a)-2])
	}
	if len(b) >= 2 {
		s = append(s, b[len(b)-1])
	}
	return s
}

// reshape applies a Reshape target (0 copies a dimension unless allowzero,
// -1 is inferred).
func reshape(x shape, target []int64, allowZero bool) shape {
	if target == nil {
		return nil
	}
	s := make(shape, len(target))
	infer := -1
	for i, d := range target {
		switch {
		case d == 0 && !allowZero:
			if x == nil || i >= len(x) {
				return nil
			}
			s[i] = x[i]
		case d == -1:
			if infer >= 0 {
				return nil
			}
			infer = i
		case d < 0 || d > maxDim:
			return nil
		default:
			s[i] = d
		}
	}
	if infer >= 0 {
		s[infer] = 1
		known := s.size()
		total := x.size()
		if total == tooLarge && known > 0 {
			s[infer] = tooLarge
		} else if known <= 0 || total < 0 || total%known != 0 {
			s[infer] = -1
		} else {
			s[infer] = total / known
		}
	}
	return s
}

// arith folds integer arithmetic on small constant vectors (shape
// computations such as Shape -> Gather -> Div).
func arith(op string, s shape, a, b []int64, nIn int) []int64 {
	if nIn != 2 || a == nil || b == nil || s.size() < 0 || s.size() > maxVals {
		return nil
	}
	n := int(s.size())
	at := func(v []int64, i int) (int64, bool) {
		switch len(v) {
		case 1:
			return v[0], true
		case n:
			return v[i], true
		}
		return 0, false
	}
	out := make([]int64, n)
	for i := range out {
		x, ok1 := at(a, i)
		y, ok2 := at(b, i)
		if !ok1 || !ok2 {
			return nil
		}
		switch op {
		case "Add":
			out[i] = x + y
		case "Sub":
			out[i] = x - y
		case "Mul":
			out[i] = x * y
		case "Div":
			if y == 0 {
				return nil
			}
			out[i] = x / y
		case "Max":
			out[i] = max(x, y)
		case "Min":
			out[i] = min(x, y)
		default:
			return nil
		}
	}
	return out
}

func clampRange(start, end, n int64) (int64, int64) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = min(max(start, 0), n)
	end = min(max(end, 0), n)
	if end < start {
		end = start
	}
	return start, end
}

func (e *env) gather(x shape, xv []int64, idx shape, iv []int64, axis int64) (shape, []int64) {
	if x == nil || idx == nil {
		return nil, nil
	}
	ax, err := normAxis(axis, len(x))
	if err != nil {
		return nil, nil
	}
	s := append(append(append(shape{}, x[:ax]...), idx...), x[ax+1:]...)
	if xv == nil || iv == nil || len(x) != 1 || int64(len(xv)) != x[0] {
		return s, nil
	}
	var val []int64
	for _, i := range iv {
		if i < 0 {
			i += x[0]
		}
		if i < 0 || i >= x[0] {
			return s, nil
		}
		val = append(val, xv[i])
	}
	return s, val
}

func squeeze(unsqueeze bool, x shape, axes []int64) (shape, error) {
	if x == nil {
		return nil, nil
	}
	if unsqueeze {
		rank := len(x) + len(axes)
		mark := make([]bool, rank)
		for _, ax := range axes {
			i, err := normAxis(ax, rank)
			if err != nil {
				return nil, err
			}
			mark[i] = true
		}
		s := shape{}
		j := 0
		for i := 0; i < rank; i++ {
			if mark[i] {
				s = append(s, 1)
			} else if j < len(x) {
				s = append(s, x[j])
				j++
			}
		}
		return s, nil
	}
	drop := make([]bool, len(x))
	for _, ax := range axes {
		i, err := normAxis(ax, len(x))
		if err != nil {
			return nil, err
		}
		drop[i] = true
	}
	s := shape{}
	for i, d := range x {
		if (axes == nil && d == 1) || drop[i] {
			continue
		}
		if axes == nil && d < 0 {
			return nil, nil
		}
		s = append(s, d)
	}
	return s, nil
}

func (e *env) reduce(n *onnxpb.NodeProto, a attrs, x shape) (shape, []int64) {
	if x == nil {
		return nil, nil
	}
	axes := a.ints("axes")
	if a.int("noop_with_empty_axes", 0) == 0 && len(n.GetInput()) > 1 && n.GetInput()[1] != "" {
		axes = e.valOf(n.GetInput()[1])
		if axes == nil {
			return nil, nil
		}
	}
	if op := n.GetOpType(); op == "ArgMax" || op == "ArgMin" {
		axes = []int64{a.int("axis", 0)}
	}
	keep := a.int("keepdims", 1) != 0
	red := make([]bool, len(x))
	for _, ax := range axes {
		i, err := normAxis(ax, len(x))
		if err != nil {
			return nil, nil
		}
		red[i] = true
	}
	s := shape{}
	for i, d := range x {
		r := red[i] || len(axes) == 0
		switch {
		case r && keep:
			s = append(s, 1)
		case !r:
			s = append(s, d)
		}
	}
	return s, nil
}

func (e *env) slice(n *onnxpb.NodeProto, a attrs, x shape) (shape, []int64) {
	in := n.GetInput()
	var starts, ends, axes, steps []int64
	if e.opset < 10 {
		starts, ends, axes = a.ints("starts"), a.ints("ends"), a.ints("axes")
	} else {
		get := func(i int) ([]int64, bool) {
			if i >= len(in) || in[i] == "" {
				return nil, true
			}
			v := e.valOf(in[i])
			return v, v != nil
		}
		var ok [4]bool
		starts, ok[0] = get(1)
		ends, ok[1] = get(2)
		axes, ok[2] = get(3)
		steps, ok[3] = get(4)
		if !ok[0] || !ok[1] || !ok[2] || !ok[3] {
			return nil, nil
		}
	}
	if x == nil || len(starts) != len(ends) {
		return nil, nil
	}
	s := append(shape{}, x...)
	xv := e.valOf(in[0])
	var lo, hi, step int64 = 0, 0, 1
	for i := range starts {
		ax := int64(i)
		if axes != nil {
			if i >= len(axes) {
				return nil, nil
			}
			ax = axes[i]
		}
		k, err := normAxis(ax, len(x))
		if err != nil {
			return nil, nil
		}
		st := attrAt(steps, i, 1)
		if st != 1 || x[k] < 0 {
			s[k] = -1 // only unit steps are worked out
			xv = nil
			continue
		}
		lo, hi = clampRange(max(min(starts[i], maxDim), -maxDim), max(min(ends[i], maxDim), -maxDim), x[k])
		step = st
		s[k] = hi - lo
	}
	if xv != nil && len(x) == 1 && len(starts) == 1 && step == 1 && int64(len(xv)) == x[0] {
		return s, append([]int64{}, xv[lo:hi]...)
	}
	return s, nil
}
