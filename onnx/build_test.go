package onnx

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

// Helpers that build small ONNX models in memory.

// vi declares a float tensor; a negative dimension is symbolic ("d<i>").
func vi(name string, dims ...int64) *onnxpb.ValueInfoProto {
	var ds []*onnxpb.TensorShapeProto_Dimension
	for i, d := range dims {
		if d < 0 {
			ds = append(ds, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "d" + string(rune('0'+i))}})
		} else {
			ds = append(ds, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
		}
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(1), Shape: &onnxpb.TensorShapeProto{Dim: ds}}}}}
}

// weight is a stripped float initializer: dims, no data.
func weight(name string, dims ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(1)}
}

func ints(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Ints: v, Type: onnxpb.AttributeProto_INTS.Enum()}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), I: proto.Int64(v), Type: onnxpb.AttributeProto_INT.Enum()}
}

func node(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String(name), Input: in, Output: out, Attribute: attrs}
}

// graph is a model under construction.
type graph struct {
	nodes  []*onnxpb.NodeProto
	inits  []*onnxpb.TensorProto
	inputs []*onnxpb.ValueInfoProto
}

func (g graph) proto() *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}},
		Graph:       &onnxpb.GraphProto{Name: proto.String("g"), Node: g.nodes, Initializer: g.inits, Input: g.inputs},
	}
}

func (g graph) bytes(t testing.TB) []byte {
	t.Helper()
	data, err := proto.Marshal(g.proto())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (g graph) parse(t *testing.T) (*Model, error) {
	t.Helper()
	return Parse("m.onnx", g.bytes(t))
}

func valueInts(name string, v ...int64) *onnxpb.NodeProto {
	return node("Constant", name, nil, []string{name}, &onnxpb.AttributeProto{Name: proto.String("value_ints"), Ints: v, Type: onnxpb.AttributeProto_INTS.Enum()})
}

// attentionGraph is single-head-pair self-attention on x [1,6,8] whose
// reshape target is computed from Shape(x) at run time, as PyTorch exports
// it: Shape -> Gather -> Div -> Concat -> Reshape [6,2,4],
// Transpose to [2,6,4], Q·Kᵀ [2,6,6], Softmax, ·V [2,6,4].
func attentionGraph() graph {
	return graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 6, 8)},
		nodes: []*onnxpb.NodeProto{
			node("Shape", "shape", []string{"x"}, []string{"s"}),
			valueInts("i2", 2),
			node("Squeeze", "sq", []string{"i2"}, []string{"i2s"}),
			node("Gather", "gather", []string{"s", "i2s"}, []string{"d"}),
			valueInts("two", 2),
			node("Div", "div", []string{"d", "two"}, []string{"hd"}),
			valueInts("c6", 6),
			valueInts("c2", 2),
			node("Concat", "cat", []string{"c6", "c2", "hd"}, []string{"target"}, intAttr("axis", 0)),
			node("Reshape", "reshape", []string{"x", "target"}, []string{"xr"}),
			node("Transpose", "tq", []string{"xr"}, []string{"q"}, ints("perm", 1, 0, 2)),
			node("Transpose", "tk", []string{"q"}, []string{"kt"}, ints("perm", 0, 2, 1)),
			node("MatMul", "qk", []string{"q", "kt"}, []string{"att"}),
			node("Softmax", "softmax", []string{"att"}, []string{"p"}, intAttr("axis", -1)),
			node("MatMul", "pv", []string{"p", "q"}, []string{"o"}),
		},
	}
}
