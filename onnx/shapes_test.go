package onnx

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

func strAttr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), S: []byte(v), Type: onnxpb.AttributeProto_STRING.Enum()}
}

// The shape a non-compute node gives must reach the next compute layer.
// Each graph below puts the node under test between an input and a 1x1
// Conv (or a MatMul), whose input size is then checked against a size
// worked out by hand.

// TestCeilModePoolFeedsNextLayer: MaxPool 3x3 stride 2 over 16x16 gives
// floor(13/2)+1 = 7 rows, but with ceil_mode=1 ceil(13/2)+1 = 8. And a
// window may not start in the end padding: 2x2 stride 2 over 6 rows padded
// by 1 at the end is ceil(5/2)+1 = 4 by the formula, but the 4th window
// would start at row 6, in the padding, so 3 (as PyTorch and ONNX
// Runtime).
func TestCeilModePoolFeedsNextLayer(t *testing.T) {
	cases := []struct {
		name   string
		in     int64
		attrs  []*onnxpb.AttributeProto
		outHW  int
		nodeOp string
	}{
		{"floor", 16, []*onnxpb.AttributeProto{ints("kernel_shape", 3, 3), ints("strides", 2, 2)}, 7, "MaxPool"},
		{"ceil", 16, []*onnxpb.AttributeProto{ints("kernel_shape", 3, 3), ints("strides", 2, 2), intAttr("ceil_mode", 1)}, 8, "MaxPool"},
		{"ceil avg", 16, []*onnxpb.AttributeProto{ints("kernel_shape", 3, 3), ints("strides", 2, 2), intAttr("ceil_mode", 1)}, 8, "AveragePool"},
		{"ceil window in padding", 6, []*onnxpb.AttributeProto{ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("pads", 0, 0, 1, 1), intAttr("ceil_mode", 1)}, 3, "MaxPool"},
	}
	for _, c := range cases {
		g := graph{
			inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 3, c.in, c.in)},
			inits:  []*onnxpb.TensorProto{weight("w", 4, 3, 1, 1)},
			nodes: []*onnxpb.NodeProto{node(c.nodeOp, "pool", []string{"x"}, []string{"p"}, c.attrs...),
				node("Conv", "conv", []string{"p", "w"}, []string{"y"})},
		}
		m, err := g.parse(t)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if l := m.Layers[0]; l.InH != c.outHW || l.InW != c.outHW || l.OutH != c.outHW {
			t.Errorf("%s: the conv after the pool reads %dx%d, want %dx%d", c.name, l.InH, l.InW, c.outHW, c.outHW)
		}
	}
}

// TestGemmTransAFeedsNextLayer: Gemm with transA=1 over A [8,4] and B
// [8,5] is Aᵀ·B: M=4, K=8, N=5, output [4,5]; the MatMul after it by
// [5,3] is then M=4, K=5, N=3 (without transA it would see [8,5]).
func TestGemmTransAFeedsNextLayer(t *testing.T) {
	g := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("a", 8, 4)},
		inits:  []*onnxpb.TensorProto{weight("b", 8, 5), weight("c", 5, 3)},
		nodes: []*onnxpb.NodeProto{node("Gemm", "gemm", []string{"a", "b"}, []string{"y"}, intAttr("transA", 1)),
			node("MatMul", "mm", []string{"y", "c"}, []string{"z"})},
	}
	m := one(t, g)
	gemm, mm := m.Layers[0], m.Layers[1]
	if gemm.M != 4 || gemm.K != 8 || gemm.N != 5 {
		t.Errorf("gemm: M=%d K=%d N=%d, want 4, 8, 5", gemm.M, gemm.K, gemm.N)
	}
	if mm.M != 4 || mm.K != 5 || mm.N != 3 {
		t.Errorf("matmul after it: M=%d K=%d N=%d, want 4, 5, 3", mm.M, mm.K, mm.N)
	}
}

// TestSameLowerFeedsNextLayer: a 4x4 stride-2 Conv over 7x7 with
// auto_pad SAME_LOWER gives ceil(7/2) = 4 rows; the total padding
// (4-1)*2+4-7 = 3 puts the larger half first: 2 at the top and left, 1 at
// the bottom and right (SAME_UPPER would be 1 and 2). A 2x2 stride-1
// MaxPool with SAME_LOWER keeps 4x4 (padding 1 at the start), and the 1x1
// Conv after them reads 4x4.
func TestSameLowerFeedsNextLayer(t *testing.T) {
	g := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 1, 7, 7)},
		inits:  []*onnxpb.TensorProto{weight("w", 2, 1, 4, 4), weight("w2", 3, 2, 1, 1)},
		nodes: []*onnxpb.NodeProto{
			node("Conv", "conv", []string{"x", "w"}, []string{"y"}, ints("strides", 2, 2), strAttr("auto_pad", "SAME_LOWER")),
			node("MaxPool", "pool", []string{"y"}, []string{"p"}, ints("kernel_shape", 2, 2), strAttr("auto_pad", "SAME_LOWER")),
			node("Conv", "conv2", []string{"p", "w2"}, []string{"z"}),
		},
	}
	m := one(t, g)
	c, next := m.Layers[0], m.Layers[1]
	if c.OutH != 4 || c.OutW != 4 || c.PadTop != 2 || c.PadLeft != 2 || c.PadBottom != 1 || c.PadRight != 1 {
		t.Errorf("conv: out %dx%d, pads top %d left %d bottom %d right %d; want 4x4, 2 2 1 1", c.OutH, c.OutW, c.PadTop, c.PadLeft, c.PadBottom, c.PadRight)
	}
	if next.InH != 4 || next.InW != 4 || next.InC != 2 {
		t.Errorf("conv after the pool reads %dx%dx%d, want 4x4x2", next.InH, next.InW, next.InC)
	}
	// Lowered with the pads included: 2+7+1 = 10 rows, all read by the
	// four windows (rows 0-3, 2-5, 4-7, 6-9).
	if l := lower(t, m, PadInclude, 1)[0]; l.H != 10 || l.W != 10 || l.Eh() != 4 {
		t.Errorf("lowered conv %+v, want 10x10 giving 4 rows", l)
	}
}

// TestTooLargeIsNotDynamic: a static dimension above 2^31-1 (declared, or
// reached by Flatten or Concat) is reported as too large, not as a
// dynamic shape.
func TestTooLargeIsNotDynamic(t *testing.T) {
	const big = 3_000_000_000
	relu := convGraph(vi("x", 1, 3, big, 8))
	relu.nodes = append([]*onnxpb.NodeProto{node("Relu", "relu", []string{"x"}, []string{"r"})}, relu.nodes...)
	relu.nodes[1].Input[0] = "r"
	flat := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 65536, 65536)},
		inits:  []*onnxpb.TensorProto{weight("w", 10, 4)},
		nodes: []*onnxpb.NodeProto{node("Flatten", "flat", []string{"x"}, []string{"f"}),
			node("Gemm", "fc", []string{"f", "w"}, []string{"y"}, intAttr("transB", 1))},
	}
	concat := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("a", 4, 2_000_000_000), vi("b", 4, 2_000_000_000)},
		inits:  []*onnxpb.TensorProto{weight("w", 4, 4)},
		nodes: []*onnxpb.NodeProto{node("Concat", "cat", []string{"a", "b"}, []string{"c"}, intAttr("axis", 1)),
			node("MatMul", "mm", []string{"w", "c"}, []string{"y"})},
	}
	cases := []struct {
		name string
		g    graph
		want string
	}{
		{"declared", convGraph(vi("x", 1, 3, big, 8)), `onnx m.onnx: node "conv0" (Conv): input "x" has shape [1,3,>2147483647,8]: a dimension or element count is larger than 2147483647, npusim's limit`},
		{"through relu", relu, `onnx m.onnx: node "conv0" (Conv): input "r" has shape [1,3,>2147483647,8]: a dimension or element count is larger than 2147483647, npusim's limit`},
		{"flatten", flat, `onnx m.onnx: node "fc" (Gemm): input "f" has shape [1,>2147483647]: a dimension or element count is larger than 2147483647, npusim's limit`},
		{"concat", concat, `onnx m.onnx: node "mm" (MatMul): input "c" has shape [4,>2147483647]: a dimension or element count is larger than 2147483647, npusim's limit`},
	}
	for _, c := range cases {
		_, err := c.g.parse(t)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
		}
	}
}
