package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

// droppedOnPurpose lists, per shipped model, the nodes that become neither
// a compute layer nor a vector layer, by op type, and the reason each
// one's kind is dropped for. docs/vector.md lists the same.
var droppedOnPurpose = map[string]map[string][]string{
	"alexnet":      {"Flatten": {ReasonRelabel}},
	"resnet18":     {"Flatten": {ReasonRelabel}},
	"vgg16":        {"Flatten": {ReasonRelabel}},
	"mobilenet_v2": {"Flatten": {ReasonRelabel}, "Constant": repeat(ReasonShape, 70)},
	"transformer_encoder": {
		// the bounds of the packed-QKV Slices: Shape -> Gather -> Add ->
		// Div -> Mul, with their Constants, all folded at import
		"Constant": repeat(ReasonShape, 34), "Shape": repeat(ReasonShape, 2), "Gather": repeat(ReasonShape, 2),
		"Add": repeat(ReasonShape, 2), "Div": repeat(ReasonShape, 2), "Mul": repeat(ReasonShape, 6),
		"Reshape": repeat(ReasonRelabel, 10),
		// batch_first's [1,128,256] <-> [128,1,256]: only the unit axis moves
		"Transpose": repeat(ReasonUnitPerm, 4),
	},
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// graphOf reads a test model's graph directly, independent of the
// importer.
func graphOf(t *testing.T, model string) *onnxpb.GraphProto {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", model+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	return mp.GetGraph()
}

// Every node of the five models is accounted for: per op type, compute
// layers + vector layers + nodes dropped on purpose = nodes of that type
// in the graph; and the dropped ones are exactly the expected ones, for
// the expected reasons.
func TestVectorLayersMatchGraph(t *testing.T) {
	for _, name := range models {
		t.Run(name, func(t *testing.T) {
			g := graphOf(t, name)
			nodes := map[string]int{}
			for _, n := range g.GetNode() {
				nodes[n.GetOpType()]++
			}
			m, err := Load(filepath.Join("testdata", name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, l := range m.Layers {
				got[l.Op]++
			}
			vec := map[string]int{}
			for _, v := range m.Vector {
				got[v.Op]++
				vec[v.Op]++
			}
			reasons := map[string][]string{}
			for _, d := range m.Dropped {
				got[d.Op]++
				reasons[d.Op] = append(reasons[d.Op], d.Reason)
			}
			for op, n := range nodes {
				if got[op] != n {
					t.Errorf("%s: %d nodes in the graph, %d accounted for", op, n, got[op])
				}
				want := n - len(droppedOnPurpose[name][op])
				if op == "Conv" || op == "Gemm" || op == "MatMul" {
					continue
				}
				if vec[op] != want {
					t.Errorf("%s: %d vector layers, want %d (%d nodes, %d dropped on purpose)", op, vec[op], want, n, len(droppedOnPurpose[name][op]))
				}
			}
			for op, want := range droppedOnPurpose[name] {
				if strings.Join(reasons[op], "|") != strings.Join(want, "|") {
					t.Errorf("%s dropped for %q, want %q", op, reasons[op], want)
				}
			}
			for op := range reasons {
				if _, ok := droppedOnPurpose[name][op]; !ok {
					t.Errorf("%s nodes dropped unexpectedly: %q", op, reasons[op])
				}
			}
		})
	}
}

// Elements is the product of the node's output shape, as the file's own
// value_info (ONNX shape inference, run at export) gives it.
func TestVectorElementsFromShapeInference(t *testing.T) {
	for _, name := range models {
		g := graphOf(t, name)
		shapes := map[string]int64{}
		for _, vi := range append(append([]*onnxpb.ValueInfoProto{}, g.GetValueInfo()...), g.GetOutput()...) {
			p := int64(1)
			if vi.GetType().GetTensorType().GetShape() == nil {
				p = -1 // no shape at all
			}
			for _, d := range vi.GetType().GetTensorType().GetShape().GetDim() {
				if p < 0 {
					break
				}
				if _, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); !ok {
					p = -1
					break
				}
				p *= d.GetDimValue()
			}
			shapes[vi.GetName()] = p
		}
		outOf := map[int][]string{}
		for i, n := range g.GetNode() {
			outOf[i] = n.GetOutput()
		}
		m, err := Load(filepath.Join("testdata", name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, v := range m.Vector {
			var want int64
			for _, o := range outOf[v.Index] {
				want += shapes[o]
			}
			if want <= 0 {
				// the transformer's six packed-QKV Slices, whose value_info
				// is not static (testdata/README.md): 128x4x64 each, as the
				// Reshape that follows says
				if v.Op != "Slice" || v.Elements != 128*4*64 {
					t.Errorf("%s %s: no static value_info and %d elements", name, v.Name, v.Elements)
				}
				continue
			}
			checked++
			if v.Elements != want {
				t.Errorf("%s %s (%s): %d elements, value_info says %d", name, v.Name, v.Op, v.Elements, want)
			}
		}
		if checked == 0 {
			t.Errorf("%s: no vector layer checked", name)
		}
	}
}

// Fusion candidates: an activation, or an elementwise op with constant
// operands, right after a GEMM layer that nothing else reads.
func TestFusionCandidates(t *testing.T) {
	cases := []struct {
		model string
		want  map[string]string // vector layer -> GEMM layer, for a few
		count int
	}{
		{"resnet18", map[string]string{
			"/relu/Relu":                 "/conv1/Conv",
			"/layer1/layer1.0/relu/Relu": "/layer1/layer1.0/conv1/Conv",
			// the residual Add reads another tensor, and the Relu after it
			// follows the Add, not a GEMM
			"/layer1/layer1.0/Add": "", "/layer1/layer1.0/relu_1/Relu": "",
			"/maxpool/MaxPool": ""}, 9},
		{"mobilenet_v2", nil, 35}, // every Clip (ReLU6) follows its Conv
		{"transformer_encoder", map[string]string{
			"/layers.0/linear1/Add":       "/layers.0/linear1/MatMul", // bias
			"/layers.0/Relu":              "/layers.0/linear1/MatMul", // chained after the bias
			"/layers.0/Add_1":             "",                         // residual
			"/layers.0/self_attn/Softmax": ""}, 8},
	}
	for _, c := range cases {
		m, err := Load(filepath.Join("testdata", c.model+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]VectorLayer{}
		n := 0
		for _, v := range m.Vector {
			by[v.Name] = v
			if v.FusedInto != "" {
				n++
			}
		}
		if n != c.count {
			t.Errorf("%s: %d fusion candidates, want %d", c.model, n, c.count)
		}
		for name, gemm := range c.want {
			v, ok := by[name]
			if !ok {
				t.Errorf("%s: no vector layer %s", c.model, name)
				continue
			}
			if v.FusedInto != gemm {
				t.Errorf("%s %s: fused into %q, want %q", c.model, name, v.FusedInto, gemm)
			}
		}
	}
}

// Keeping vector layers renames no GEMM layer, and vector layer names are
// unique among all layers.
func TestVectorNamesUnique(t *testing.T) {
	for _, name := range models {
		m, err := Load(filepath.Join("testdata", name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, l := range m.Layers {
			seen[l.Name] = true
		}
		for _, v := range m.Vector {
			if seen[v.Name] {
				t.Errorf("%s: name %s used twice", name, v.Name)
			}
			seen[v.Name] = true
		}
	}
}

func TestVectorBatched(t *testing.T) {
	v := VectorLayer{AuxData: 100}
	v.Name, v.Op, v.Elements, v.In, v.Aux = "add", "Add", 100, 100, 164 // 100 activations + 64 weights
	l, err := v.Batched(4)
	if err != nil {
		t.Fatal(err)
	}
	if l.Elements != 400 || l.In != 400 || l.Aux != 464 {
		t.Errorf("batch 4: %+v", l)
	}
}

// The rules of docs/vector.md on a small graph with the operators the
// shipped models lack: what relabels, what moves, Aux words, windows,
// fusion chains.
func TestVectorRules(t *testing.T) {
	g := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 4, 8, 8)},
		inits: []*onnxpb.TensorProto{weight("w", 8, 4, 1, 1), weight("bn_s", 8), weight("bn_b", 8),
			weight("bn_m", 8), weight("bn_v", 8), weight("ln_s", 16), weight("ln_b", 16)},
		nodes: []*onnxpb.NodeProto{
			node("Conv", "conv", []string{"x", "w"}, []string{"c"}),                                                  // [1,8,8,8]
			node("BatchNormalization", "bn", []string{"c", "bn_s", "bn_b", "bn_m", "bn_v"}, []string{"b"}),           // fused: constants
			node("Sigmoid", "sig", []string{"b"}, []string{"s"}),                                                     // fused: chained
			node("Mul", "silu", []string{"b", "s"}, []string{"y"}),                                                   // b has two readers: not fused
			node("Transpose", "t_unit", []string{"y"}, []string{"yt"}, ints("perm", 1, 0, 2, 3)),                     // [8,1,8,8]: unit axis only
			node("Transpose", "t_move", []string{"yt"}, []string{"ym"}, ints("perm", 0, 1, 3, 2)),                    // swaps 8x8: moves
			node("Concat", "cat_outer", []string{"ym", "ym"}, []string{"co"}, intAttr("axis", 0)),                    // [16,1,8,8]: adjacent
			node("Concat", "cat_inner", []string{"ym", "ym"}, []string{"ci"}, intAttr("axis", 3)),                    // [8,1,8,16]: moves
			node("Split", "split", []string{"co"}, []string{"s1", "s2"}, intAttr("axis", 0)),                         // contiguous halves
			node("MaxPool", "pool", []string{"y"}, []string{"p"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2)), // [1,8,4,4]
			node("GlobalAveragePool", "gap", []string{"y"}, []string{"g"}),                                           // [1,8,1,1]
			node("LayerNormalization", "ln", []string{"ci", "ln_s", "ln_b"}, []string{"l"}, intAttr("axis", -1)),     // over the last axis (16)
		},
	}
	m, err := g.parse(t)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		op                     string
		elems, window, in, aux int64
		fused                  string
	}
	wants := map[string]want{
		"bn":        {"BatchNormalization", 512, 1, 512, 32, "conv"},
		"sig":       {"Sigmoid", 512, 1, 512, 0, ""},
		"silu":      {"Mul", 512, 1, 512, 512, ""},
		"t_move":    {"Transpose", 512, 1, 512, 0, ""},
		"cat_inner": {"Concat", 1024, 1, 512, 512, ""},
		"pool":      {"MaxPool", 128, 4, 512, 0, ""},
		"gap":       {"GlobalAveragePool", 8, 64, 512, 0, ""},
		"ln":        {"LayerNormalization", 1024, 1, 1024, 32, ""},
	}
	got := map[string]VectorLayer{}
	for _, v := range m.Vector {
		got[v.Name] = v
	}
	for name, w := range wants {
		v, ok := got[name]
		if !ok {
			t.Errorf("%s: no vector layer", name)
			continue
		}
		if g := (want{v.Op, v.Elements, v.Window, v.In, v.Aux, v.FusedInto}); g != w {
			t.Errorf("%s: %+v, want %+v", name, g, w)
		}
	}
	if len(m.Vector) != len(wants) {
		t.Errorf("%d vector layers, want %d", len(m.Vector), len(wants))
	}
	dropped := map[string]string{}
	for _, d := range m.Dropped {
		dropped[d.Node] = d.Reason
	}
	for name, reason := range map[string]string{"t_unit": ReasonUnitPerm, "cat_outer": ReasonAdjoin, "split": ReasonView} {
		if dropped[name] != reason {
			t.Errorf("%s dropped for %q, want %q", name, dropped[name], reason)
		}
	}
}
