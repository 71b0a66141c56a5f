package topology

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/vector"
)

// VectorLayer is a layer for the vector unit, in its place in the network.
type VectorLayer struct {
	vector.Layer
	// After is the number of GEMM (conv) layers before it in the network.
	After int
	// FusedInto names the GEMM layer whose ofmap drain can apply it (a
	// fusion candidate), "" if none. With [vector] Fuse = true the layer
	// is fused: it adds no cycles and moves no data.
	FusedInto string
}

// The conv CSV extension (docs/vector.md). A conv topology whose header has
// a Kind column after the conv columns carries a layer kind per row:
//
//	Layer name, IFMAP Height, ..., Strides, Kind, Elements, Input Shape, Aux Shape, Fused Into,
//	conv1,      224, 224, 7, 7, 3, 64, 2,   conv, , , , ,
//	relu1,      , , , , , , ,               vector:Relu, 802816, 1x64x112x112, , conv1,
//	pool1,      , , 3, 3, , , ,             vector:MaxPool, 200704, 1x64x112x112, , ,
//	fc,         1, 1000, 512, , , , ,       gemm, , , , ,
//
// conv rows (or an empty Kind) are SCALE-Sim conv rows; gemm rows are
// name, M, N, K; vector:<Op> rows are vector layers: Elements is the
// output's element count (empty: that of the input), Input Shape and Aux
// Shape (optional) the shapes of the first and of the other inputs as
// dimensions joined by x, Filter Height x Filter Width the window of a
// MaxPool or AveragePool, and Fused Into (optional) the GEMM layer whose
// drain can apply the layer. A topology without a Kind column is read as
// SCALE-Sim reads it.
var kindColumns = []string{"kind", "elements", "input shape", "aux shape", "fused into"}

// kindColumn is the index of the header's Kind column, or -1.
func kindColumn(header string) int {
	f := headerFields(header)
	for i := 8; i < len(f); i++ {
		if f[i] == "kind" {
			return i
		}
	}
	return -1
}

// splitKind cuts a row at the Kind column and returns the row kind
// (lower-cased; "conv" when empty).
func splitKind(fields []string, dropped string, col int) ([]string, string, string, error) {
	if len(fields) <= col {
		return fields, dropped, "conv", nil
	}
	k := strings.ToLower(py.Strip(fields[col]))
	switch {
	case k == "" || k == "conv":
		k = "conv"
	case k == "gemm":
	case strings.HasPrefix(k, "vector:"):
	default:
		return nil, "", "", fmt.Errorf("column Kind: %q is not conv, gemm or vector:<Op>", py.Strip(fields[col]))
	}
	return fields[:col], "", k, nil
}

// LoadVector reads the vector layers of a conv topology CSV with the Kind
// extension; a topology without a Kind column has none. Each is placed
// after the GEMM layers of the rows above it (a depthwise row counting as
// the layers it expands to).
func LoadVector(path string) ([]VectorLayer, error) {
	data, err := fileio.ReadFileLimited(path, "topology")
	if err != nil {
		return nil, err
	}
	lines := splitPyLines(string(data))
	if len(lines) == 0 {
		return nil, nil
	}
	col := kindColumn(lines[0])
	if col < 0 {
		return nil, nil
	}
	ops := map[string]string{}
	for _, op := range vector.Ops() {
		ops[strings.ToLower(op)] = op
	}
	var out []VectorLayer
	gemm := 0
	for i, raw := range lines[1:] {
		n := i + 2
		errf := func(format string, args ...any) error {
			return fmt.Errorf("topology %s line %d: %s", path, n, fmt.Sprintf(format, args...))
		}
		if !utf8.ValidString(raw) {
			return nil, errf("not valid UTF-8")
		}
		line := py.Strip(raw)
		if line == "" {
			continue
		}
		fields := strings.Split(line, ",")
		fields = fields[:len(fields)-1]
		for len(fields) < col+len(kindColumns) {
			fields = append(fields, "")
		}
		rest, _, k, err := splitKind(fields, "", col)
		if err != nil {
			return nil, errf("%v", err)
		}
		switch k {
		case "conv":
			got, err := parseConvRow(rest, "")
			if err != nil {
				allEmpty := true
				for _, f := range fields {
					allEmpty = allEmpty && py.Strip(f) == ""
				}
				if allEmpty {
					continue
				}
				return nil, errf("%v", err)
			}
			gemm += len(got)
			continue
		case "gemm":
			gemm++
			continue
		}
		opName := py.Strip(fields[col])[len("vector:"):]
		op, ok := ops[strings.ToLower(opName)]
		if !ok {
			return nil, errf("column Kind: no vector operator %q (known: %s)", opName, strings.Join(vector.Ops(), ", "))
		}
		in, err := shapeWords(fields[col+2])
		if err != nil || in == 0 {
			return nil, errf("column Input Shape: %q must be dimensions joined by x, like 1x64x56x56", py.Strip(fields[col+2]))
		}
		aux := int64(0)
		if s := py.Strip(fields[col+3]); s != "" {
			if aux, err = shapeWords(s); err != nil || aux == 0 {
				return nil, errf("column Aux Shape: %q must be empty or dimensions joined by x", s)
			}
		}
		elems := in
		if s := py.Strip(fields[col+1]); s != "" {
			if elems, err = strconv.ParseInt(s, 10, 64); err != nil || elems < 1 || elems > 1<<40 {
				return nil, errf("column Elements: %q must be a positive integer", s)
			}
		}
		l := vector.Layer{Name: py.Strip(fields[0]), Op: op, Elements: elems, Window: 1, In: in, Aux: aux}
		switch op {
		case "MaxPool", "AveragePool":
			l.Window = 1
			for c := 3; c <= 4; c++ {
				if s := py.Strip(fields[c]); s != "" {
					v, err := strconv.ParseInt(s, 10, 64)
					if err != nil || v < 1 || v > 1<<20 {
						return nil, errf("column %s: %q must be a positive integer (the pooling window)", convColumns[c], s)
					}
					l.Window *= v
				}
			}
		case "GlobalAveragePool", "ReduceMean", "ReduceSum":
			l.Window = max(in/elems, 1)
		}
		if err := l.Validate(); err != nil {
			return nil, errf("%v", err)
		}
		out = append(out, VectorLayer{Layer: l, After: gemm, FusedInto: py.Strip(fields[col+4])})
	}
	return out, nil
}

// shapeWords is the element count of a shape written as 1x64x56x56.
func shapeWords(s string) (int64, error) {
	s = py.Strip(s)
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	p := int64(1)
	for _, d := range strings.Split(strings.ToLower(s), "x") {
		v, err := strconv.ParseInt(py.Strip(d), 10, 64)
		if err != nil || v < 1 || v > 1<<40 || p > (1<<40)/v {
			return 0, fmt.Errorf("bad dimension %q", d)
		}
		p *= v
	}
	return p, nil
}

// KindHeader is the header WriteKindCSV writes: SCALE-Sim's conv columns
// with the width stride, then the extension's.
const KindHeader = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Stride Width, Kind, Elements, Input Shape, Aux Shape, Fused Into,"

// WriteKindCSV writes a network as a conv topology CSV with the Kind
// extension: the GEMM layers as conv rows (a GEMM in the conv form
// SCALE-Sim gives it), each vector layer after the GEMM layers it follows,
// its operands as one-dimensional shapes and a pooling window as Filter
// Height. Load and LoadVector read it back.
func WriteKindCSV(w io.Writer, layers []systolic.Layer, vls []VectorLayer) error {
	var b strings.Builder
	b.WriteString(KindHeader + "\n")
	v := 0
	vrows := func(upTo int) {
		for ; v < len(vls) && vls[v].After <= upTo; v++ {
			l := vls[v]
			fh, aux := "", ""
			if l.Op == "MaxPool" || l.Op == "AveragePool" {
				fh = strconv.FormatInt(max(l.Window, 1), 10)
			}
			if l.Aux > 0 {
				aux = strconv.FormatInt(l.Aux, 10)
			}
			fmt.Fprintf(&b, "%s, , , %s, , , , , , vector:%s, %d, %d, %s, %s,\n", l.Name, fh, l.Op, l.Elements, l.In, aux, l.FusedInto)
		}
	}
	for i, l := range layers {
		vrows(i)
		fmt.Fprintf(&b, "%s, %d, %d, %d, %d, %d, %d, %d, %d, conv, , , , ,\n", l.Name, l.H, l.W, l.Fh, l.Fw, l.Ch, l.N, l.Sh, l.Sw)
	}
	vrows(len(layers))
	_, err := io.WriteString(w, b.String())
	return err
}
