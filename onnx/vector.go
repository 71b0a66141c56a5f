package onnx

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
	"github.com/npusim/npusim/vector"
)

// VectorLayer is a node that is not a GEMM, kept for the vector unit.
type VectorLayer struct {
	// Layer is what the unit runs: Name is the sanitised node name, unique
	// among all of the model's layers; Elements the product of the output
	// shape from shape inference; In the words of the largest input, Aux
	// those of the other inputs. Layer.Fused is left false: fusing is the
	// runner's choice (see FusedInto).
	vector.Layer
	Node  string // the ONNX node name as written
	Index int    // the node's position in the graph
	// After is the number of compute Layers before the node in graph
	// order: the vector layer runs after Layers[After-1].
	After int
	// FusedInto names the GEMM layer whose ofmap drain can apply this node
	// (a fusion candidate), "" if none: an activation, or an elementwise
	// operator whose other operands are constants, that directly follows a
	// GEMM layer (or such a candidate) which has no other consumer.
	FusedInto string
	// AuxData is the part of Aux that is activations (the other addend of
	// a residual Add), which grows with the batch; the rest are weights.
	AuxData int64
}

// Dropped is a node that neither becomes a compute layer nor a vector
// layer, and why.
type Dropped struct {
	Node   string
	Op     string
	Index  int
	Reason string
}

// The reasons a node is dropped.
const (
	ReasonShape    = "computes a shape or a constant (no tensor data; folded at import)"
	ReasonRelabel  = "only relabels memory (the row-major data is unchanged)"
	ReasonView     = "a view: each output is a contiguous range of the input, read in place"
	ReasonAdjoin   = "concatenates along the outermost non-unit axis: producers write into adjacent memory"
	ReasonUnitPerm = "moves only unit axes: the row-major data is unchanged"
	ReasonNoShape  = "output shape unknown after shape inference: elements cannot be counted"
	ReasonNoCost   = "no vector cost model for this operator"
	ReasonControl  = "control flow: the operators of its subgraphs run as often as the data decides, known only at run time (unroll or constant-fold the model to count them)"
)

// fusible are the operators a GEMM layer's ofmap drain can apply: one
// element in, one element out, with at most constant operands.
var fusible = map[string]bool{
	"Relu": true, "Clip": true, "LeakyRelu": true, "Sigmoid": true, "Tanh": true,
	"Erf": true, "Gelu": true, "HardSigmoid": true, "HardSwish": true,
	"Add": true, "Sub": true, "Mul": true, "Div": true, "BatchNormalization": true,
}

// shapeOps compute shapes or constants, never tensor data.
var shapeOps = map[string]bool{
	"Constant": true, "Shape": true, "Size": true, "ConstantOfShape": true, "Range": true,
}

// vecState is what the walk over the graph needs to classify non-GEMM
// nodes: how often each tensor is consumed, which tensors are constants,
// and which tensors come out of a GEMM layer (or of a fusion candidate
// chained to one).
type vecState struct {
	uses   map[string]int
	consts map[string]bool
	gemmOf map[string]string // tensor -> GEMM layer whose drain can produce it
	seen   map[string]int
}

func newVecState(g *onnxpb.GraphProto) *vecState {
	vs := &vecState{uses: map[string]int{}, consts: map[string]bool{}, gemmOf: map[string]string{},
		seen: map[string]int{}}
	// Vector layer names avoid the compute layers' names, which are made
	// unique among themselves exactly as the walk will make them, so that
	// keeping vector layers renames no GEMM layer.
	gemmNames := map[string]int{}
	for i, n := range g.GetNode() {
		if computeOps[n.GetOpType()] {
			vs.seen[uniqueName(Sanitize(n.GetName(), n.GetOpType(), i), gemmNames)] = 1
		}
	}
	for _, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			vs.uses[in]++
		}
	}
	for _, o := range g.GetOutput() {
		vs.uses[o.GetName()]++ // a graph output is read by whoever runs the model
	}
	for _, t := range g.GetInitializer() {
		vs.consts[t.GetName()] = true
	}
	return vs
}

// gemm records that a compute node's output comes out of layer name.
func (vs *vecState) gemm(n *onnxpb.NodeProto, name string) {
	if out := n.GetOutput(); len(out) > 0 {
		vs.gemmOf[out[0]] = name
	}
}

// vectorNode classifies a non-GEMM node (shapes already inferred) as a
// vector layer or a dropped node.
func (m *Model) vectorNode(vs *vecState, e *env, n *onnxpb.NodeProto, i int) {
	op, ins, outs := n.GetOpType(), n.GetInput(), n.GetOutput()
	drop := func(reason string) {
		m.Dropped = append(m.Dropped, Dropped{Node: n.GetName(), Op: op, Index: i, Reason: reason})
	}
	if hasSubgraph(n) { // If, Loop, Scan: GEMM compute inside was refused
		drop(ReasonControl)
		return
	}
	constOut := len(outs) > 0
	for _, o := range outs {
		if e.valOf(o) == nil {
			constOut = false
		}
	}
	allConstIn := true
	for _, in := range ins {
		if in != "" && !vs.consts[in] && e.valOf(in) == nil {
			allConstIn = false
		}
	}
	if shapeOps[op] || constOut || (len(ins) > 0 && allConstIn) {
		for _, o := range outs {
			vs.consts[o] = true
		}
		drop(ReasonShape)
		return
	}
	if vector.Free(op) {
		drop(ReasonRelabel)
		return
	}
	// Elements: the product of the output shapes. A Split's outputs
	// together hold its input, whose shape is known even where the
	// outputs' are not (shape inference does not split shapes).
	var elems int64
	if op == "Split" && len(ins) > 0 {
		if s := e.shapeOf(ins[0]).size(); s > 0 {
			outs = nil
			elems = s
		}
	}
	for _, o := range outs {
		s := e.shapeOf(o).size()
		if s <= 0 {
			drop(ReasonNoShape)
			return
		}
		elems += s
	}
	x := e.shapeOf(firstData(ins, vs))
	switch op {
	case "Transpose":
		if onlyUnitAxesMove(x, attrsOf(n).ints("perm")) {
			drop(ReasonUnitPerm)
			return
		}
	case "Concat":
		if outerAxis(e.shapeOf(outs[0]), attrsOf(n).int("axis", 0)) {
			drop(ReasonAdjoin)
			return
		}
	case "Split":
		if outerAxis(x, attrsOf(n).int("axis", 0)) {
			drop(ReasonView)
			return
		}
	case "Slice":
		if sliceOuter(e, n, x) {
			drop(ReasonView)
			return
		}
	}
	if _, ok := vector.DefaultCosts()[op]; !ok {
		drop(ReasonNoCost)
		return
	}
	l := vector.Layer{Op: op, Elements: elems, Window: 1}
	// In: the largest input; Aux: the others (a second operand, weights
	// and biases), each read once. Integer constants (a Slice's starts,
	// a Clip's bounds given as shape-like values) are operands of the
	// instruction, not data.
	type input struct {
		words int64
		data  bool // an activation, which scales with the batch
	}
	var inputs []input
	for _, in := range ins {
		if in == "" || e.valOf(in) != nil {
			continue
		}
		s := e.shapeOf(in).size()
		if s <= 0 {
			s = 1
		}
		inputs = append(inputs, input{s, !vs.consts[in]})
	}
	sort.SliceStable(inputs, func(a, b int) bool { return inputs[a].words > inputs[b].words })
	if len(inputs) == 0 {
		inputs = []input{{elems, true}}
	}
	l.In = inputs[0].words
	var auxData int64
	for _, in := range inputs[1:] {
		l.Aux += in.words
		if in.data {
			auxData += in.words
		}
	}
	switch op {
	case "Slice":
		l.In = elems // it reads only the part it copies
	case "MaxPool", "AveragePool":
		k := attrsOf(n).ints("kernel_shape")
		w := int64(1)
		for _, v := range k {
			w *= max(v, 1)
		}
		l.Window = w
	case "GlobalAveragePool", "ReduceMean", "ReduceSum":
		l.Window = max(l.In/max(elems, 1), 1)
	}
	l.Name = uniqueName(Sanitize(n.GetName(), op, i), vs.seen)
	vl := VectorLayer{Layer: l, Node: n.GetName(), Index: i, After: len(m.Layers), AuxData: auxData}
	if fusible[op] && len(ins) > 0 {
		// the data input comes from a GEMM drain, every other input is a
		// constant, and nothing else reads that GEMM output
		var from string
		others := true
		for _, in := range ins {
			if g, ok := vs.gemmOf[in]; ok && from == "" && vs.uses[in] == 1 {
				from = g
				continue
			}
			if in != "" && !vs.consts[in] && e.valOf(in) == nil {
				others = false
			}
		}
		if from != "" && others {
			vl.FusedInto = from
			if len(outs) > 0 {
				vs.gemmOf[outs[0]] = from
			}
		}
	}
	m.Vector = append(m.Vector, vl)
}

// firstData is the first input that is not a constant, or the first input.
func firstData(ins []string, vs *vecState) string {
	for _, in := range ins {
		if in != "" && !vs.consts[in] {
			return in
		}
	}
	if len(ins) > 0 {
		return ins[0]
	}
	return ""
}

// onlyUnitAxesMove reports whether a permutation keeps the order of the
// axes longer than 1 (it then only relabels). An unknown shape moves.
func onlyUnitAxesMove(x shape, perm []int64) bool {
	if !x.static() {
		return false
	}
	if perm == nil { // the default reverses the axes
		perm = make([]int64, len(x))
		for i := range perm {
			perm[i] = int64(len(x) - 1 - i)
		}
	}
	last := int64(-1)
	for _, p := range perm {
		if p < 0 || int(p) >= len(x) {
			return false
		}
		if x[p] == 1 {
			continue
		}
		if p < last {
			return false
		}
		last = p
	}
	return true
}

// outerAxis reports whether every axis before axis is 1: the parts along
// it are then contiguous ranges of the whole.
func outerAxis(x shape, axis int64) bool {
	if !x.static() {
		return false
	}
	ax, err := normAxis(axis, len(x))
	if err != nil {
		return false
	}
	for _, d := range x[:ax] {
		if d != 1 {
			return false
		}
	}
	return true
}

// sliceOuter reports whether a Slice cuts only along its outermost
// non-unit axis with step 1 (a contiguous range).
func sliceOuter(e *env, n *onnxpb.NodeProto, x shape) bool {
	ins := n.GetInput()
	var axes, steps []int64
	if len(ins) > 3 && ins[3] != "" {
		axes = e.valOf(ins[3])
		if axes == nil {
			return false
		}
	} else if len(ins) > 1 {
		if s := e.valOf(ins[1]); s != nil {
			for i := range s {
				axes = append(axes, int64(i))
			}
		} else {
			return false
		}
	} else {
		axes = attrsOf(n).ints("axes")
	}
	if len(ins) > 4 && ins[4] != "" {
		if steps = e.valOf(ins[4]); steps == nil {
			return false
		}
	}
	for _, s := range steps {
		if s != 1 {
			return false
		}
	}
	if len(axes) != 1 {
		return false
	}
	return outerAxis(x, axes[0])
}

// VectorSummary is the one-line account of the non-GEMM nodes, e.g.
// "resnet18.onnx: 27 vector layers (Add 8, GlobalAveragePool 1, MaxPool 1,
// Relu 17), 17 fusion candidates; dropped 1 (Flatten 1)".
func (m *Model) VectorSummary() string {
	ops, dropped := map[string]int{}, map[string]int{}
	fuse := 0
	for _, v := range m.Vector {
		ops[v.Op]++
		if v.FusedInto != "" {
			fuse++
		}
	}
	for _, d := range m.Dropped {
		dropped[d.Op]++
	}
	return fmt.Sprintf("%s: %d vector layers (%s), %d fusion candidates; dropped %d (%s)",
		filepath.Base(m.Name), len(m.Vector), countList(ops), fuse, len(m.Dropped), countList(dropped))
}

// Batched returns the layer the unit runs for batch inputs (see
// Model.Systolic): activations grow with the batch, weights do not.
func (v VectorLayer) Batched(batch int) (vector.Layer, error) {
	l := v.Layer
	b := int64(max(batch, 1))
	const limit = 1 << 40
	if l.Elements > limit/b || l.In > limit/b || l.Aux > limit/b {
		return vector.Layer{}, fmt.Errorf("onnx: vector layer %s (%s): %d elements x batch %d is too large", l.Name, l.Op, l.Elements, batch)
	}
	l.Elements *= b
	l.In *= b
	l.Aux += v.AuxData * (b - 1)
	return l, nil
}

// LoweredBefore maps a VectorLayer's After (compute nodes before it) to
// the number of layers Systolic lowers those nodes to for batch: element i
// is the count for the first i compute layers.
func (m *Model) LoweredBefore(batch int) []int {
	out := make([]int, len(m.Layers)+1)
	for i, l := range m.Layers {
		out[i+1] = out[i] + int(mulSat(copiesOf(l, max(batch, 1)), max(l.Groups, 1)))
	}
	return out
}

// hasSubgraph reports whether n carries graphs (If's branches, Loop's
// and Scan's bodies).
func hasSubgraph(n *onnxpb.NodeProto) bool {
	for _, a := range n.GetAttribute() {
		if a.GetG() != nil || len(a.GetGraphs()) > 0 {
			return true
		}
	}
	return false
}
