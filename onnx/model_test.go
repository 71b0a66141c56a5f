package onnx

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

// models are the shipped test models (testdata/README.md describes them).
var models = []string{"alexnet", "resnet18", "mobilenet_v2", "vgg16", "transformer_encoder"}

// expected reads testdata/<model>.layers.csv: the compute layers PyTorch's
// forward hooks saw, one map of column -> value per row.
func expected(t *testing.T, model string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", model+".layers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, c := range rows[0] {
			m[c] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// expectedTotal reads the model's total MACs from testdata/totals.csv.
func expectedTotal(t *testing.T, model string) int64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "totals.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ",")
		if f[0] == model {
			n, err := strconv.ParseInt(strings.TrimSpace(f[len(f)-1]), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("%s not in totals.csv", model)
	return 0
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("bad number %q", s)
	}
	return n
}

// checkLayers compares imported layers with the expected rows, field by
// field and in order.
func checkLayers(t *testing.T, model string, layers []Layer) {
	t.Helper()
	want := expected(t, model)
	if len(layers) != len(want) {
		t.Fatalf("%s: %d layers, want %d", model, len(layers), len(want))
	}
	for i, w := range want {
		l := layers[i]
		if l.Kind.String() != w["kind"] {
			t.Fatalf("%s layer %d (%s): kind %s, want %s", model, i, l.Name, l.Kind, w["kind"])
		}
		var got, exp []int
		if l.Kind == ConvKind {
			got = []int{l.InH, l.InW, l.PadTop, l.PadLeft, l.PadBottom, l.PadRight, l.KH, l.KW, l.InC, l.OutC,
				l.StrideH, l.StrideW, l.DilH, l.DilW, l.Groups, l.OutH, l.OutW, l.Batch}
			for _, c := range []string{"in_h", "in_w", "pad_top", "pad_left", "pad_bottom", "pad_right", "k_h", "k_w",
				"in_c", "out_c", "stride_h", "stride_w", "dil_h", "dil_w", "groups", "out_h", "out_w", "batch"} {
				exp = append(exp, atoi(t, w[c]))
			}
		} else {
			got = []int{l.M, l.N, l.K, l.Batch}
			for _, c := range []string{"M", "N", "K", "batch"} {
				exp = append(exp, atoi(t, w[c]))
			}
		}
		if !slices.Equal(got, exp) {
			t.Errorf("%s layer %d (%s, node %s): got %v, want %v (row %v)", model, i, l.Name, l.Node, got, exp, w)
		}
		if l.MACs() != int64(atoi(t, w["macs"])) {
			t.Errorf("%s layer %d (%s): %d MACs, want %s", model, i, l.Name, l.MACs(), w["macs"])
		}
	}
}

func load(t *testing.T, model string) *Model {
	t.Helper()
	m, err := Load(filepath.Join("testdata", model+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sumMACs(t *testing.T, m *Model, pad Padding, batch int) int64 {
	t.Helper()
	ls, err := m.Systolic(pad, batch)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, l := range ls {
		sum += l.MACs()
	}
	return sum
}

// TestModels checks every shipped model against the layers PyTorch's hooks
// recorded, and the lowered layers' MACs under -pad include against the
// published totals.
func TestModels(t *testing.T) {
	for _, model := range models {
		t.Run(model, func(t *testing.T) {
			m := load(t, model)
			checkLayers(t, model, m.Layers)
			total := expectedTotal(t, model)
			var sum int64
			for _, l := range m.Layers {
				sum += l.MACs()
			}
			if sum != total {
				t.Errorf("layer MACs sum to %d, want %d", sum, total)
			}
			if got := sumMACs(t, m, PadInclude, 1); got != total {
				t.Errorf("-pad include: lowered MACs %d, want %d", got, total)
			}
			if got := sumMACs(t, m, PadNone, 1); got > total {
				t.Errorf("-pad none: lowered MACs %d exceed the padded total %d", got, total)
			}
			t.Log(m.Summary())
		})
	}
}

// stripShapes removes every value_info entry and the graph outputs' shapes,
// so that all intermediate shapes must be inferred.
func stripShapes(t *testing.T, model string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", model+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	mp.Graph.ValueInfo = nil
	for _, o := range mp.Graph.Output {
		o.Type = nil
	}
	out, err := proto.Marshal(&mp)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInferredShapes imports the models with their value_info removed: the
// importer's own shape inference must give the same layers.
func TestInferredShapes(t *testing.T) {
	for _, model := range models {
		t.Run(model, func(t *testing.T) {
			m, err := Parse(model, stripShapes(t, model))
			if err != nil {
				t.Fatal(err)
			}
			checkLayers(t, model, m.Layers)
		})
	}
}
