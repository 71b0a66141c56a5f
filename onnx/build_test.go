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
