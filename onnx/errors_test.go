package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

// convGraph is x [1,3,8,8] -> Conv(3x3, 4 filters, pads 1) -> y.
func convGraph(x *onnxpb.ValueInfoProto) graph {
	return graph{
		inputs: []*onnxpb.ValueInfoProto{x},
		inits:  []*onnxpb.TensorProto{weight("w", 4, 3, 3, 3)},
		nodes:  []*onnxpb.NodeProto{node("Conv", "conv0", []string{"x", "w"}, []string{"y"}, ints("pads", 1, 1, 1, 1))},
	}
}

func TestParseErrors(t *testing.T) {
	resnet, err := os.ReadFile(filepath.Join("testdata", "resnet18.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	noOpset := convGraph(vi("x", 1, 3, 8, 8)).proto()
	noOpset.OpsetImport = nil
	noOpsetData, _ := proto.Marshal(noOpset)
	noGraph, _ := proto.Marshal(&onnxpb.ModelProto{IrVersion: proto.Int64(7)})

	unsupported := convGraph(vi("x", 1, 3, 8, 8))
	unsupported.nodes[0].OpType = proto.String("ConvInteger")
	domain := convGraph(vi("x", 1, 3, 8, 8))
	domain.nodes[0].Domain = proto.String("com.microsoft")
	domain.nodes[0].OpType = proto.String("FusedConv")
	mismatch := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("a", 4, 8)},
		inits:  []*onnxpb.TensorProto{weight("b", 9, 2)},
		nodes:  []*onnxpb.NodeProto{node("MatMul", "mm", []string{"a", "b"}, []string{"y"})},
	}
	// A Reshape whose target is computed at run time: the Conv after it
	// cannot be sized.
	dynamic := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 3, 8, 8), vi("s", 4)},
		inits:  []*onnxpb.TensorProto{weight("w", 4, 3, 3, 3)},
		nodes: []*onnxpb.NodeProto{node("Reshape", "r", []string{"x", "s"}, []string{"xr"}),
			node("Conv", "conv1", []string{"xr", "w"}, []string{"y"})},
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", resnet[:len(resnet)/2], "onnx m.onnx: not a readable ONNX model (malformed or truncated protobuf): "},
		{"text", []byte("Layer name, M, N, K,\n"), "onnx m.onnx: not a readable ONNX model (malformed or truncated protobuf): "},
		{"empty", nil, "onnx m.onnx: no ir_version: not an ONNX model"},
		{"no graph", noGraph, "onnx m.onnx: no graph (the file is truncated or not an ONNX model)"},
		{"no opset", noOpsetData, "onnx m.onnx: no opset_import for the default domain (the file is truncated or not an ONNX model)"},
		{"unsupported", unsupported.bytes(t), `onnx m.onnx: node "conv0": operator ConvInteger is not supported (npusim imports Conv, ConvTranspose, Gemm and MatMul)`},
		{"domain", domain.bytes(t), `onnx m.onnx: node "conv0": operator com.microsoft.FusedConv is not supported (npusim reads the default ONNX domain only)`},
		{"symbolic H", convGraph(vi("x", 1, 3, -1, -1)).bytes(t), `onnx m.onnx: node "conv0" (Conv): input "x" has no static shape ([1,3,?,?]): a dynamic shape that could not be resolved`},
		{"runtime reshape", dynamic.bytes(t), `onnx m.onnx: node "conv1" (Conv): input "xr" has no static shape (unknown): a dynamic shape that could not be resolved`},
		{"matmul", mismatch.bytes(t), `onnx m.onnx: node "mm" (MatMul): inputs [4,8] and [9,2] do not multiply (K 8 vs 9)`},
	}
	for _, c := range cases {
		_, err := Parse("m.onnx", c.data)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	// Every cut of a real model either fails or still has all its layers
	// (a cut inside the trailing opset_import cannot be told apart, but
	// then the graph is complete).
	for n := 0; n < len(resnet); n += 97 {
		m, err := Parse("cut", resnet[:n])
		if err == nil && len(m.Layers) != 21 {
			t.Fatalf("cut at %d of %d bytes loaded with %d layers", n, len(resnet), len(m.Layers))
		}
	}
}

// TestSymbolicBatch: a symbolic leading dimension of a graph input is
// taken as batch 1.
func TestSymbolicBatch(t *testing.T) {
	m, err := convGraph(vi("x", -1, 3, 8, 8)).parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if l := m.Layers[0]; l.Batch != 1 || l.OutH != 8 || l.OutC != 4 || l.Name != "conv0" {
		t.Errorf("got %+v", l)
	}
}

func TestPadNoneTooSmall(t *testing.T) {
	m, err := convGraph(vi("x", 1, 3, 2, 2)).parse(t)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Systolic(PadNone, 1)
	want := `onnx m.onnx: node "conv0" (Conv): Filter Height 3 is larger than IFMAP Height 2 (with -pad none the ifmap is 2x2, unpadded; -pad include adds the pads)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if _, err := m.Systolic(PadInclude, 1); err != nil {
		t.Error(err)
	}
}

// FuzzParse feeds the loader malformed models: it must return an error or
// layers that lower to valid SCALE-Sim layers, never panic.
func FuzzParse(f *testing.F) {
	// Small seeds keep minimising fast.
	data, err := os.ReadFile(filepath.Join("testdata", "alexnet.onnx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(convGraph(vi("x", 1, 3, 8, 8)).bytes(f))
	f.Add(transposeGraph().bytes(f))
	f.Add(attentionGraph().bytes(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("fuzz", data)
		// Load reads the same bytes as a stream, dropping long tensor
		// data: when both load, they must agree.
		if ml, errL := loadFrom("fuzz", bytes.NewReader(data), int64(len(data))); err == nil && errL == nil && !reflect.DeepEqual(m, ml) {
			t.Fatalf("Parse gives %+v, Load %+v", m, ml)
		}
		if err != nil {
			return
		}
		_ = m.Summary()
		for _, pad := range []Padding{PadNone, PadInclude} {
			ls, err := m.Systolic(pad, 2)
			if err != nil {
				continue
			}
			for _, l := range ls {
				if err := l.Validate(); err != nil {
					t.Fatalf("lowered layer %+v is invalid: %v", l, err)
				}
			}
		}
	})
}

// FuzzConvGeometry builds Conv and ConvTranspose nodes from fuzzed sizes
// and attributes. Whatever imports must lower, under -pad include, to
// layers with the model's output size and exactly the model's MACs, and
// under -pad none to valid layers or an error.
func FuzzConvGeometry(f *testing.F) {
	f.Add(uint8(224), uint8(224), uint8(3), uint8(64), uint8(11), uint8(11), uint8(4), uint8(4), uint8(1), uint8(1), uint8(2), uint8(2), uint8(2), uint8(2), uint8(1), uint8(0), false)
	f.Add(uint8(5), uint8(5), uint8(4), uint8(2), uint8(3), uint8(3), uint8(2), uint8(2), uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), true)
	f.Add(uint8(10), uint8(9), uint8(8), uint8(4), uint8(3), uint8(3), uint8(1), uint8(2), uint8(2), uint8(3), uint8(0), uint8(1), uint8(0), uint8(2), uint8(4), uint8(2), false)
	f.Fuzz(func(t *testing.T, h, w, c, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, g, outPad uint8, transpose bool) {
		op := "Conv"
		wdims := []int64{int64(oc), int64(c) / max(int64(g), 1), int64(kh), int64(kw)}
		attrs := []*onnxpb.AttributeProto{ints("strides", int64(sh), int64(sw)), ints("dilations", int64(dh), int64(dw)),
			ints("pads", int64(pt), int64(pl), int64(pb), int64(pr)), intAttr("group", int64(g))}
		if transpose {
			op = "ConvTranspose"
			wdims = []int64{int64(c), int64(oc), int64(kh), int64(kw)}
			attrs = append(attrs, ints("output_padding", int64(outPad%4), int64(outPad/4%4)))
		}
		gr := graph{
			inputs: []*onnxpb.ValueInfoProto{vi("x", 1, int64(c), int64(h), int64(w))},
			inits:  []*onnxpb.TensorProto{weight("w", wdims...)},
			nodes:  []*onnxpb.NodeProto{node(op, "n", []string{"x", "w"}, []string{"y"}, attrs...)},
		}
		m, err := Parse("fuzz", gr.bytes(t))
		if err != nil {
			return
		}
		l := m.Layers[0]
		ls, err := m.Systolic(PadInclude, 1)
		if err != nil && strings.Contains(err.Error(), "layer too large") {
			return // beyond npusim's layer limits (Layer.Validate): a clear error is right
		}
		if err != nil {
			t.Fatalf("%+v: -pad include: %v", l, err)
		}
		var macs int64
		for _, s := range ls {
			if err := s.Validate(); err != nil || s.Eh() != l.OutH || s.Ew() != l.OutW {
				t.Fatalf("%+v lowers to %+v (%dx%d outputs, %v)", l, s, s.Eh(), s.Ew(), err)
			}
			macs += s.MACs()
		}
		if macs != l.MACs() || len(ls) != l.Groups {
			t.Fatalf("%+v: %d lowered layers with %d MACs, want %d with %d", l, len(ls), macs, l.Groups, l.MACs())
		}
		if ls, err := m.Systolic(PadNone, 1); err == nil {
			for _, s := range ls {
				if err := s.Validate(); err != nil {
					t.Fatalf("%+v: -pad none gives %+v: %v", l, s, err)
				}
			}
		}
	})
}
