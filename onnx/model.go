package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

// MaxFileSize bounds the model files Load reads. A model with its weights
// can be large, but npusim needs only its graph: Load drops the weights
// while it reads (see MaxGraphSize). 2 GiB is protobuf's own message
// limit.
const MaxFileSize = 2 << 30

// Model is an imported ONNX graph: its compute layers in node order and the
// nodes that were skipped.
type Model struct {
	Name    string         // file name, used in messages
	Layers  []Layer        // one per compute node, in graph order
	Nodes   int            // nodes in the main graph
	Skipped map[string]int // op type -> number of skipped (non-compute) nodes
	// Vector are the non-GEMM nodes kept for the vector unit, in graph
	// order; Dropped the others, with the reason (see vector.go).
	Vector  []VectorLayer
	Dropped []Dropped
}

// IsModel reports whether data looks like an ONNX model rather than a
// topology CSV. Protobuf writes fields in number order and every ONNX model
// starts with field 1, ir_version, a varint: its first byte is 0x08. A CSV,
// being text, never starts with that byte.
func IsModel(data []byte) bool { return len(data) > 0 && data[0] == 0x08 }

// Load reads and imports the ONNX model at path.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, oneLine(fmt.Errorf("onnx %s: %w", path, err))
	}
	defer f.Close()
	return loadFrom(path, f, MaxFileSize)
}

// loadFrom imports a model of at most limit bytes read from r. The cap and the
// weights are dealt with while reading: a regular file over the cap is
// refused before it is read, and a stream (a pipe, /dev/zero) fails at its
// first bytes that are not ONNX or at the cap, in memory of about
// MaxGraphSize.
func loadFrom(path string, r io.Reader, limit int64) (*Model, error) {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
			return nil, oneLine(fmt.Errorf("onnx %s: larger than %d bytes", path, limit))
		}
	}
	data, err := readStripped(r, limit)
	if err != nil {
		return nil, oneLine(fmt.Errorf("onnx %s: %w", path, err))
	}
	return Parse(path, data)
}

// Parse imports an ONNX model held in data; name is used in messages.
func Parse(name string, data []byte) (*Model, error) {
	m, err := parse(name, data)
	return m, oneLine(err)
}

// oneLine keeps an error to one printable line: names and op types come
// from the file, and may hold newlines or terminal escapes.
func oneLine(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			return '?'
		}
		return r
	}, msg)
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

func parse(name string, data []byte) (*Model, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("onnx %s: not a readable ONNX model (malformed or truncated protobuf): %w", name, err)
	}
	// A file cut at a message boundary still parses; what a real model
	// always has tells it apart.
	if mp.IrVersion == nil || mp.GetIrVersion() <= 0 {
		return nil, fmt.Errorf("onnx %s: no ir_version: not an ONNX model", name)
	}
	g := mp.GetGraph()
	if g == nil {
		return nil, fmt.Errorf("onnx %s: no graph (the file is truncated or not an ONNX model)", name)
	}
	opset := int64(-1)
	for _, o := range mp.GetOpsetImport() {
		if o.GetDomain() == "" || o.GetDomain() == "ai.onnx" {
			opset = o.GetVersion()
		}
	}
	if opset < 0 {
		return nil, fmt.Errorf("onnx %s: no opset_import for the default domain (the file is truncated or not an ONNX model)", name)
	}
	m := &Model{Name: name, Nodes: len(g.GetNode()), Skipped: map[string]int{}}
	if err := m.walk(g, opset); err != nil {
		return nil, fmt.Errorf("onnx %s: %w", name, err)
	}
	return m, nil
}

// walk infers tensor shapes node by node (ONNX graphs are topologically
// sorted) and turns each compute node into a layer.
func (m *Model) walk(g *onnxpb.GraphProto, opset int64) error {
	e := newEnv(opset)
	for _, t := range g.GetInitializer() {
		e.setTensor(t.GetName(), t)
	}
	syms := map[string]int64{}
	for _, vi := range g.GetInput() {
		if _, ok := e.t[vi.GetName()]; ok {
			continue // old IR versions list initializers as inputs too
		}
		// A symbolic leading (batch) dimension of a graph input is taken
		// as 1; -batch scales the layers later.
		if dims := vi.GetType().GetTensorType().GetShape().GetDim(); len(dims) > 0 {
			if p := dims[0].GetDimParam(); p != "" {
				syms[p] = 1
			}
		}
		e.set(vi.GetName(), &tensor{shape: declaredShape(vi, syms)})
	}
	declared := map[string]shape{}
	for _, list := range [][]*onnxpb.ValueInfoProto{g.GetValueInfo(), g.GetOutput()} {
		for _, vi := range list {
			if s := declaredShape(vi, syms); s != nil {
				declared[vi.GetName()] = s
			}
		}
	}
	seenNames := map[string]int{}
	vs := newVecState(g)
	for i, n := range g.GetNode() {
		label := nodeLabel(n, i)
		if d := n.GetDomain(); d != "" && d != "ai.onnx" {
			return fmt.Errorf("node %s: operator %s.%s is not supported (npusim reads the default ONNX domain only)", label, d, n.GetOpType())
		}
		op := n.GetOpType()
		if unsupportedCompute[op] {
			return fmt.Errorf("node %s: operator %s is not supported (npusim imports Conv, ConvTranspose, Gemm and MatMul)", label, op)
		}
		if attr, inner, innerOp, ok := subgraphCompute(n); ok {
			return fmt.Errorf("node %s (%s): compute inside its %s graph (%s node %s) is not supported: whether and how often a subgraph runs is known only at run time (unroll or constant-fold the model first)", label, op, attr, innerOp, inner)
		}
		inferErr := e.infer(n)
		for _, out := range n.GetOutput() {
			if d, ok := declared[out]; ok {
				t := e.t[out]
				if t == nil {
					t = &tensor{}
					e.set(out, t)
				}
				if d.static() || !t.shape.static() {
					t.shape = d
				}
			}
		}
		if !computeOps[op] {
			m.Skipped[op]++
			m.vectorNode(vs, e, n, i)
			continue
		}
		if inferErr != nil {
			return fmt.Errorf("node %s (%s): %w", label, op, inferErr)
		}
		l, err := e.layer(n)
		if err != nil {
			return fmt.Errorf("node %s (%s): %w", label, op, err)
		}
		l.Node = n.GetName()
		l.Name = uniqueName(Sanitize(n.GetName(), op, i), seenNames)
		l.Op = op
		m.Layers = append(m.Layers, l)
		vs.gemm(n, l.Name)
	}
	return nil
}

// computeOps are the operators that become layers.
var computeOps = map[string]bool{"Conv": true, "ConvTranspose": true, "Gemm": true, "MatMul": true}

// unsupportedCompute are standard operators that do multiply-accumulate
// work npusim cannot map onto a SCALE-Sim layer; importing a model that
// uses them would silently drop compute, so it is an error.
var unsupportedCompute = map[string]bool{
	"ConvInteger": true, "QLinearConv": true, "MatMulInteger": true, "QLinearMatMul": true,
	"Einsum": true, "LSTM": true, "GRU": true, "RNN": true, "DeformConv": true,
}

func nodeLabel(n *onnxpb.NodeProto, i int) string {
	if n.GetName() != "" {
		return fmt.Sprintf("%q", n.GetName())
	}
	return fmt.Sprintf("#%d", i)
}

// Sanitize makes an ONNX node name usable as a SCALE-Sim layer name: it
// keeps letters, digits and . _ / : - and turns anything else (commas,
// blanks, quotes, control characters) into '_'. "DP" becomes "Dp", because
// SCALE-Sim (and npusim's CSV reader) expand a layer whose name contains
// "DP" as depthwise. An empty name becomes op_index, e.g. "Conv_3".
func Sanitize(name, op string, index int) string {
	if name == "" {
		name = fmt.Sprintf("%s_%d", op, index)
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.', r == '_', r == '/', r == ':', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.ReplaceAll(b.String(), "DP", "Dp")
}

// uniqueName appends _2, _3, ... to repeated names.
func uniqueName(s string, seen map[string]int) string {
	seen[s]++
	if seen[s] == 1 {
		return s
	}
	return uniqueName(fmt.Sprintf("%s_%d", s, seen[s]), seen)
}

// Summary is the one-line account of the import, e.g.
// "alexnet.onnx: 8 compute layers (Conv 5, Gemm 3) from 23 nodes; skipped 15 (AveragePool 1, Flatten 1, MaxPool 3, Relu 7)".
func (m *Model) Summary() string {
	ops := map[string]int{}
	for _, l := range m.Layers {
		ops[l.Op]++
	}
	skipped := 0
	for _, c := range m.Skipped {
		skipped += c
	}
	return fmt.Sprintf("%s: %d compute layers (%s) from %d nodes; skipped %d (%s)",
		filepath.Base(m.Name), len(m.Layers), countList(ops), m.Nodes, skipped, countList(m.Skipped))
}

func countList(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, c[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// subgraphCompute finds the first compute node (or one npusim refuses) in
// the graphs that n carries as attributes (If's branches, Loop's and
// Scan's bodies), at any depth. Such compute is not imported: it would be
// counted once, or skipped, where the model runs it zero, one or many
// times, so the model is refused instead.
func subgraphCompute(n *onnxpb.NodeProto) (attr, node, op string, found bool) {
	for _, a := range n.GetAttribute() {
		graphs := a.GetGraphs()
		if g := a.GetG(); g != nil {
			graphs = append([]*onnxpb.GraphProto{g}, graphs...)
		}
		for _, g := range graphs {
			for i, in := range g.GetNode() {
				if computeOps[in.GetOpType()] || unsupportedCompute[in.GetOpType()] {
					return a.GetName(), nodeLabel(in, i), in.GetOpType(), true
				}
				if _, node, op, ok := subgraphCompute(in); ok {
					return a.GetName(), node, op, true
				}
			}
		}
	}
	return "", "", "", false
}
