package onnx

import (
	"bytes"
	"strings"
	"testing"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
	"github.com/npusim/npusim/systolic"
)

// transposeGraph is a ConvTranspose [1,4,5,5] -> [1,2,10,10]: 3x3 kernel,
// stride 2, pads 1, output_padding 1.
func transposeGraph() graph {
	return graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 4, 5, 5)},
		inits:  []*onnxpb.TensorProto{weight("w", 4, 2, 3, 3)},
		nodes: []*onnxpb.NodeProto{node("ConvTranspose", "up", []string{"x", "w"}, []string{"y"},
			ints("strides", 2, 2), ints("pads", 1, 1, 1, 1), ints("output_padding", 1, 1)),
			// The inferred output shape must feed the next layer.
			node("Flatten", "f", []string{"y"}, []string{"yf"}),
			node("Gemm", "fc", []string{"yf", "fw"}, []string{"z"}, intAttr("transB", 1))},
	}
}

func one(t *testing.T, g graph) *Model {
	t.Helper()
	m, err := g.parse(t)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lower(t *testing.T, m *Model, pad Padding, batch int) []systolic.Layer {
	t.Helper()
	ls, err := m.Systolic(pad, batch)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestConvTranspose(t *testing.T) {
	g := transposeGraph()
	g.inits = append(g.inits, weight("fw", 7, 200))
	m := one(t, g)
	up, fc := m.Layers[0], m.Layers[1]
	// The direct conv over the zero-inserted 9x9 input, padded 1 and 2.
	want := Layer{Name: "up", Node: "up", Op: "ConvTranspose", Kind: ConvKind, InH: 9, InW: 9,
		PadTop: 1, PadLeft: 1, PadBottom: 2, PadRight: 2, KH: 3, KW: 3, InC: 4, OutC: 2,
		StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1, OutH: 10, OutW: 10, Batch: 1}
	if up != want {
		t.Errorf("got  %+v\nwant %+v", up, want)
	}
	if up.MACs() != 10*10*2*4*9 {
		t.Errorf("MACs %d", up.MACs())
	}
	if fc.M != 1 || fc.K != 200 || fc.N != 7 {
		t.Errorf("Gemm after it: %+v", fc)
	}
	ls := lower(t, m, PadInclude, 1)
	if l := ls[0]; l.H != 12 || l.Eh() != 10 || l.MACs() != up.MACs() {
		t.Errorf("lowered %+v", l)
	}
}

func TestDilationAndGroups(t *testing.T) {
	g := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 1, 8, 10, 10)},
		inits:  []*onnxpb.TensorProto{weight("w", 4, 2, 3, 3)},
		nodes: []*onnxpb.NodeProto{node("Conv", "dil,grp", []string{"x", "w"}, []string{"y"},
			ints("dilations", 2, 2), intAttr("group", 4), ints("strides", 1, 1))},
	}
	m := one(t, g)
	l := m.Layers[0]
	if l.OutH != 6 || l.Groups != 4 || l.DilH != 2 || l.Name != "dil_grp" || l.Node != "dil,grp" {
		t.Fatalf("got %+v", l)
	}
	for _, pad := range []Padding{PadNone, PadInclude} {
		ls := lower(t, m, pad, 1)
		if len(ls) != 4 {
			t.Fatalf("%v: %d layers, want one per group", pad, len(ls))
		}
		var macs int64
		for i, s := range ls {
			want := systolic.Layer{Name: "dil_grp_g" + string(rune('0'+i)), H: 8, W: 8, Fh: 3, Fw: 3, Ch: 2, N: 1, Sh: 1, Sw: 1}
			if s != want {
				t.Errorf("%v: got %+v, want %+v", pad, s, want)
			}
			macs += s.MACs()
		}
		if macs != l.MACs() {
			t.Errorf("%v: %d MACs, want %d", pad, macs, l.MACs())
		}
	}
}

func TestConv1D(t *testing.T) {
	g := graph{
		inputs: []*onnxpb.ValueInfoProto{vi("x", 2, 3, 16)},
		inits:  []*onnxpb.TensorProto{weight("w", 5, 3, 4)},
		nodes: []*onnxpb.NodeProto{node("Conv", "c", []string{"x", "w"}, []string{"y"}, ints("strides", 2), ints("pads", 1, 1)),
			node("Relu", "r", []string{"y"}, []string{"z"}), node("Conv", "c2", []string{"z", "w2"}, []string{"o"})},
	}
	g.inits = append(g.inits, weight("w2", 1, 5, 8))
	m := one(t, g)
	l, l2 := m.Layers[0], m.Layers[1]
	if l.InH != 1 || l.InW != 16 || l.KH != 1 || l.KW != 4 || l.OutW != 8 || l.PadLeft != 1 || l.Batch != 2 || l2.InW != 8 || l2.OutW != 1 {
		t.Errorf("got %+v and %+v", l, l2)
	}
	if got := lower(t, m, PadNone, 1); len(got) != 4 || got[1].Name != "c_b1" {
		t.Errorf("batch 2 conv: %+v", got)
	}
}

// TestBatch: -batch multiplies every model's MACs; convs are copied, shared
// GEMMs grow in M, batched MatMuls are copied.
func TestBatch(t *testing.T) {
	for _, model := range models {
		m := load(t, model)
		if got, want := sumMACs(t, m, PadInclude, 3), 3*expectedTotal(t, model); got != want {
			t.Errorf("%s -batch 3: %d MACs, want %d", model, got, want)
		}
	}
	alex := lower(t, load(t, "alexnet"), PadInclude, 2)
	if len(alex) != 5*2+3 || alex[1].Name != "/features/features.0/Conv_b1" || alex[10].H != 2 {
		t.Errorf("alexnet -batch 2: %d layers, [1] %+v, [10] %+v", len(alex), alex[1], alex[10])
	}
	tr := lower(t, load(t, "transformer_encoder"), PadInclude, 2)
	if len(tr) != 8+4*8 || tr[0].H != 256 || tr[1].H != 128 || !strings.HasSuffix(tr[8].Name, "_b7") {
		t.Errorf("transformer -batch 2: %d layers, %+v %+v %+v", len(tr), tr[0], tr[1], tr[8])
	}
}

// TestPadding pins the two conventions on AlexNet's first conv (224x224,
// 11x11, stride 4, pads 2): none keeps 224 (SCALE-Sim then counts 55 windows with its
// ceil, the last reading past the edge), include grows it to 228 less the
// column no window reads.
func TestPadding(t *testing.T) {
	m := load(t, "alexnet")
	none, incl := lower(t, m, PadNone, 1)[0], lower(t, m, PadInclude, 1)[0]
	if none.H != 224 || none.Eh() != 55 {
		t.Errorf("none: %+v (Eh %d)", none, none.Eh())
	}
	if incl.H != 227 || incl.Eh() != 55 || incl.MACs() != m.Layers[0].MACs() {
		t.Errorf("include: %+v (Eh %d)", incl, incl.Eh())
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	err := WriteCSV(&b, []systolic.Layer{{Name: "c", H: 9, W: 8, Fh: 3, Fw: 2, Ch: 4, N: 5, Sh: 2, Sw: 1}, systolic.GEMM("g", 128, 64, 32)})
	if err != nil {
		t.Fatal(err)
	}
	want := CSVHeader + "\nc, 9, 8, 3, 2, 4, 5, 2, 1,\ng, 128, 32, 1, 32, 1, 64, 1, 1,\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestSanitize(t *testing.T) {
	for _, c := range [][2]string{
		{"/layer1/layer1.0/conv1/Conv", "/layer1/layer1.0/conv1/Conv"},
		{"a,b c\"d\n", "a_b_c_d_"},
		{"myDPconv", "myDpconv"},
		{"", "Conv_3"},
		{"é", "_"},
	} {
		if got := Sanitize(c[0], "Conv", 3); got != c[1] {
			t.Errorf("Sanitize(%q) = %q, want %q", c[0], got, c[1])
		}
	}
}

// TestAttentionInference sizes attention MatMuls whose reshape target is
// worked out from Shape(x) by constant propagation.
func TestAttentionInference(t *testing.T) {
	m := one(t, attentionGraph())
	if len(m.Layers) != 2 {
		t.Fatalf("%d layers", len(m.Layers))
	}
	qk, pv := m.Layers[0], m.Layers[1]
	if qk.M != 6 || qk.N != 6 || qk.K != 4 || qk.Batch != 2 || qk.SharedB ||
		pv.M != 6 || pv.N != 4 || pv.K != 6 || pv.Batch != 2 {
		t.Errorf("got %+v and %+v", qk, pv)
	}
	if got := m.Summary(); got != "m.onnx: 2 compute layers (MatMul 2) from 15 nodes; skipped 13 (Concat 1, Constant 4, Div 1, Gather 1, Reshape 1, Shape 1, Softmax 1, Squeeze 1, Transpose 2)" {
		t.Errorf("summary %q", got)
	}
}

func TestOutSize(t *testing.T) {
	cases := []struct {
		in, k, s, d, pb, pe int64
		auto                string
		ceil                bool
		out                 int64
		pads                [2]int64
	}{
		{112, 3, 2, 1, 1, 1, "NOTSET", false, 56, [2]int64{1, 1}}, // ResNet's max pool
		{6, 3, 2, 1, 0, 0, "NOTSET", false, 2, [2]int64{0, 0}},
		{6, 3, 2, 1, 0, 0, "NOTSET", true, 3, [2]int64{0, 0}},
		{7, 3, 2, 1, 0, 0, "SAME_UPPER", false, 4, [2]int64{1, 1}},
		{8, 3, 2, 1, 0, 0, "SAME_UPPER", false, 4, [2]int64{0, 1}},
		{8, 3, 2, 1, 0, 0, "SAME_LOWER", false, 4, [2]int64{1, 0}},
		{8, 3, 1, 1, 5, 5, "VALID", false, 6, [2]int64{0, 0}},
		{10, 3, 1, 2, 0, 0, "", false, 6, [2]int64{0, 0}},
	}
	for _, c := range cases {
		out, pads, err := outSize(c.in, c.k, c.s, c.d, c.pb, c.pe, c.auto, c.ceil)
		if err != nil || out != c.out || pads != c.pads {
			t.Errorf("%+v: got %d %v %v", c, out, pads, err)
		}
	}
	if _, _, err := outSize(2, 5, 1, 1, 1, 0, "NOTSET", false); err == nil || err.Error() != "window 5 (kernel 5, dilation 1) is larger than the padded input 3" {
		t.Errorf("got %v", err)
	}
	if _, _, err := outSize(8, 3, 1, 1, 0, 0, "SAME", false); err == nil || err.Error() != `unknown auto_pad "SAME"` {
		t.Errorf("got %v", err)
	}
}
