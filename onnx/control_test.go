package onnx

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

func graphAttr(name string, nodes ...*onnxpb.NodeProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_GRAPH.Enum(),
		G: &onnxpb.GraphProto{Name: proto.String(name), Node: nodes}}
}

// TestComputeInControlFlow: compute inside an If branch or a Loop body
// (at any depth) is refused, naming the node that holds it and the one
// inside; control flow without compute is skipped like any other node.
func TestComputeInControlFlow(t *testing.T) {
	conv := node("Conv", "inner_conv", []string{"x", "w"}, []string{"y"})
	gemm := node("Gemm", "inner_gemm", []string{"a", "b"}, []string{"c"})
	add := node("Add", "inner_add", []string{"x", "x"}, []string{"y"})
	base := func(extra ...*onnxpb.NodeProto) graph {
		g := convGraph(vi("x", 1, 3, 8, 8))
		g.inputs = append(g.inputs, vi("cond"))
		g.nodes = append(g.nodes, extra...)
		return g
	}
	onlyIf := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 3, 8, 8), vi("cond")},
		inits:  []*onnxpb.TensorProto{weight("w", 4, 3, 3, 3)},
		nodes: []*onnxpb.NodeProto{node("If", "if0", []string{"cond"}, []string{"y"},
			graphAttr("then_branch", conv), graphAttr("else_branch", add))},
	}
	cases := []struct {
		name string
		g    graph
		want string
	}{
		{"if", onlyIf, `onnx m.onnx: node "if0" (If): compute inside its then_branch graph (Conv node "inner_conv") is not supported: whether and how often a subgraph runs is known only at run time (unroll or constant-fold the model first)`},
		{"loop", base(node("Loop", "loop0", []string{"", "cond"}, []string{"z"}, graphAttr("body", add, gemm))),
			`onnx m.onnx: node "loop0" (Loop): compute inside its body graph (Gemm node "inner_gemm") is not supported: `},
		{"loop in if", base(node("If", "outer", []string{"cond"}, []string{"z"}, graphAttr("then_branch", add),
			graphAttr("else_branch", node("Loop", "l", []string{"", "cond"}, []string{"q"}, graphAttr("body", add, node("MatMul", "", []string{"a", "b"}, []string{"c"})))))),
			`onnx m.onnx: node "outer" (If): compute inside its else_branch graph (MatMul node #1) is not supported: `},
		{"scan", base(node("Scan", "scan0", []string{"x"}, []string{"z"}, graphAttr("body", node("LSTM", "rnn", []string{"x"}, []string{"y"})))),
			`onnx m.onnx: node "scan0" (Scan): compute inside its body graph (LSTM node "rnn") is not supported: `},
	}
	for _, c := range cases {
		_, err := c.g.parse(t)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant %q", c.name, err, c.want)
		}
	}
	// Without compute inside, an If is skipped and counted.
	m, err := base(node("If", "if1", []string{"cond"}, []string{"z"}, graphAttr("then_branch", add), graphAttr("else_branch", add))).parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 1 || m.Skipped["If"] != 1 {
		t.Errorf("got %d layers, skipped %v", len(m.Layers), m.Skipped)
	}
	// Its branches' vector operators are not imported, and the model says
	// why (not "no vector cost model").
	found := false
	for _, d := range m.Dropped {
		if d.Op == "If" {
			found = d.Reason == ReasonControl
		}
	}
	if !found || len(m.Vector) != 0 {
		t.Errorf("If dropped as %+v, %d vector layers; want it dropped as control flow", m.Dropped, len(m.Vector))
	}
}
