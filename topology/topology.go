package topology

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
)

// Kind is the topology CSV format, SCALE-Sim's -i flag.
type Kind int

// The two topology formats.
const (
	Conv Kind = iota // name, H, W, Fh, Fw, Ch, N, Stride[, StrideW, ...],
	Gemm             // name, M, N, K,
)

// String returns the -i spelling.
func (k Kind) String() string {
	switch k {
	case Conv:
		return "conv"
	case Gemm:
		return "gemm"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind reads the -i value: "conv" or "gemm", in any case.
// SCALE-Sim treats any value other than "gemm" as conv, which silently runs
// "-i GEMM" as convolutions; npusim names the allowed values instead.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(s) {
	case "conv":
		return Conv, nil
	case "gemm":
		return Gemm, nil
	}
	return Conv, fmt.Errorf("-i %q: the topology format must be conv or gemm", s)
}

// Limits that keep a topology simulable. SCALE-Sim has no such limits but
// would run out of memory far below them; npusim rejects the file instead of
// overflowing int arithmetic (Eh = ceil((H-Fh+Sh)/Sh) and friends) or
// expanding a depthwise row into millions of layers.
const (
	maxTopoValue     = math.MaxInt32
	maxDepthwiseRows = 1 << 16
	maxLayers        = 1 << 20
)

var convColumns = []string{"Layer name", "IFMAP Height", "IFMAP Width", "Filter Height",
	"Filter Width", "Channels", "Num Filter", "Strides", "Stride Width"}

var gemmColumns = []string{"Layer name", "M", "N", "K"}

// Load reads and parses the topology CSV at path.
func Load(path string, kind Kind) ([]systolic.Layer, error) {
	return LoadFor(config.Config{}, path, kind)
}

// Parse parses a SCALE-Sim v2 topology CSV; path is used in error
// messages. GEMM rows are converted with systolic.GEMM; depthwise conv rows
// (name containing "DP") are expanded into one single-channel layer per
// channel, named name+"Channel_"+i, as SCALE-Sim does.
//
// Line handling follows SCALE-Sim: the first line is always skipped as the
// header (even if it is blank, in which case the real header is read as data
// and fails), lines are stripped, blank lines are skipped, and each line is
// split on ',' with the last field dropped (Python's split(',')[:-1]), so
// rows must end with a trailing comma. Where SCALE-Sim would crash or
// silently lose data, npusim reports an error instead:
//
//   - If the dropped last field is non-empty and it sits in a column that
//     is used (conv: up to Stride Width; GEMM: up to K), the row lacks its
//     trailing comma: SCALE-Sim would crash, or, for a 9-column conv row,
//     silently drop Stride Width. Past those columns the dropped field is
//     an ignored extra column, so losing it changes nothing; this is what
//     lets the shipped Resnet50.csv, whose rows end in a filled "e2"
//     column, load.
//
//   - A file of the other format is rejected with a hint naming the -i
//     value that reads it: a GEMM header ("Layer, M, N, K") or 4-field rows
//     under conv, a conv header ("IFMAP Height", ...) or conv rows under
//     GEMM (SCALE-Sim would run the latter and ignore the extra columns).
//
// Two deliberate relaxations, both needed for the shipped Resnet50.csv
// (SCALE-Sim itself crashes on it with int(”)):
//
//   - A line whose fields are all empty (",,,,,,,,,,,,") is skipped like a
//     blank line; it carries no layer.
//   - An empty Stride Width column counts as absent (Sw = Sh, as for an
//     8-column row), and empty extra columns after it are ignored.
//     Non-empty extra columns must still be integers, because SCALE-Sim
//     int()s them.
func Parse(path string, r io.Reader, kind Kind) ([]systolic.Layer, error) {
	return parseTopology(path, r, kind, false)
}

// parseTopology parses a topology; v3 selects SCALE-Sim v3's row format
// (see parseV3Row).
func parseTopology(path string, r io.Reader, kind Kind, v3 bool) ([]systolic.Layer, error) {
	data, err := fileio.ReadLimited(r, "topology", path)
	if err != nil {
		return nil, err
	}
	lines := splitPyLines(string(data))
	var layers []systolic.Layer
	kindCol := -1 // the Kind column of the extension (vector.go), if the header has one
	if !v3 && kind == Conv && len(lines) > 0 {
		kindCol = kindColumn(lines[0])
	}
	for i, raw := range lines {
		if i == 0 {
			if hint := headerKindHint(kind, raw); hint != "" {
				return nil, fmt.Errorf("topology %s line 1: the header %s", path, hint)
			}
			continue // header, whatever it holds
		}
		n := i + 1
		errf := func(format string, args ...any) error {
			msg := fmt.Sprintf("topology %s line %d: %s", path, n, fmt.Sprintf(format, args...))
			if len(layers) == 0 && py.Strip(lines[0]) == "" && isFirstContent(lines, i) {
				msg += " (the first line is always skipped as the header; it is blank here, so this line was read as data)"
			}
			return fmt.Errorf("%s", msg)
		}
		if !utf8.ValidString(raw) {
			return nil, errf("not valid UTF-8")
		}
		line := py.Strip(raw)
		if line == "" {
			continue
		}
		fields := strings.Split(line, ",")
		dropped := py.Strip(fields[len(fields)-1])
		fields = fields[:len(fields)-1]
		allEmpty := true
		for _, f := range fields {
			if py.Strip(f) != "" {
				allEmpty = false
				break
			}
		}
		if allEmpty && dropped == "" {
			continue
		}
		var got []systolic.Layer
		rowKind := ""
		if kindCol >= 0 {
			fields, dropped, rowKind, err = splitKind(fields, dropped, kindCol)
			if err != nil {
				return nil, errf("%v", err)
			}
			if strings.HasPrefix(rowKind, "vector:") {
				continue // a vector layer: LoadVector reads it
			}
		}
		if rowKind == "gemm" {
			got, err = parseGemmRow(fields[:min(len(fields), len(gemmColumns))], dropped)
		} else if v3 {
			got, err = parseV3Row(fields, dropped, kind)
		} else if kind == Gemm {
			got, err = parseGemmRow(fields, dropped)
		} else {
			got, err = parseConvRow(fields, dropped)
		}
		if err == nil && kind == Gemm && !looksGemmHeader(lines[0]) && len(fields) >= 8 {
			if _, cerr := parseConvRow(fields, dropped); cerr == nil {
				err = fmt.Errorf("row has %d fields and %s", len(fields), kindHint(Conv))
			}
		}
		if err != nil && kind == Conv && len(fields) == len(gemmColumns) {
			if _, gerr := parseGemmRow(fields, dropped); gerr == nil {
				err = fmt.Errorf("%v (%s)", err, kindHint(Gemm))
			}
		}
		if err != nil {
			return nil, errf("%v", err)
		}
		if len(layers)+len(got) > maxLayers {
			return nil, errf("more than %d layers", maxLayers)
		}
		layers = append(layers, got...)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("topology %s: no layers", path)
	}
	return layers, nil
}

// The other format's header or row shape is rejected with a hint:
// SCALE-Sim would read a GEMM file under -i conv, or a conv file under
// -i gemm (ignoring the extra columns), and write nonsense.

// kindHint names the format a file looks like and the flag that reads it.
func kindHint(looks Kind) string {
	if looks == Gemm {
		return "looks like a GEMM topology: use -i gemm"
	}
	return "looks like a conv topology: use -i conv"
}

// headerFields splits a header line into stripped, lower-case fields.
func headerFields(line string) []string {
	f := strings.Split(py.Strip(line), ",")
	for i := range f {
		f[i] = strings.ToLower(py.Strip(f[i]))
	}
	return f
}

// looksGemmHeader reports a header whose columns 2-4 are M, N, K.
func looksGemmHeader(line string) bool {
	f := headerFields(line)
	return len(f) >= 4 && f[1] == "m" && f[2] == "n" && f[3] == "k"
}

// looksConvHeader reports a header naming conv columns (IFMAP Height, ...).
func looksConvHeader(line string) bool {
	f := headerFields(line)
	return len(f) >= 8 && strings.Contains(f[1], "ifmap")
}

// headerKindHint returns the hint when the header belongs to the other
// format, else "".
func headerKindHint(kind Kind, header string) string {
	if kind == Conv && looksGemmHeader(header) {
		return fmt.Sprintf("%q %s", py.Strip(header), kindHint(Gemm))
	}
	if kind == Gemm && looksConvHeader(header) {
		return fmt.Sprintf("%q %s", py.Strip(header), kindHint(Conv))
	}
	return ""
}

// isFirstContent reports whether lines[i] is the first non-blank line after
// the header line.
func isFirstContent(lines []string, i int) bool {
	for j := 1; j < i; j++ {
		if py.Strip(lines[j]) != "" {
			return false
		}
	}
	return true
}

// splitPyLines splits like Python's text-mode file iteration with universal
// newlines: "\r\n", "\r" and "\n" all end a line. Line numbers in errors
// count these lines.
func splitPyLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

func trailingCommaErr(col int, columns []string, dropped string) error {
	return fmt.Errorf("row has no trailing comma: SCALE-Sim drops the last field of every row (here column %d (%s) %q), so each row must end with ','",
		col+1, columns[col], dropped)
}

// intField parses column col (0-based) of fields.
func intField(fields []string, col int, columns []string) (int, error) {
	name := "extra"
	if col < len(columns) {
		name = columns[col]
	}
	v, err := py.Int(fields[col])
	if err != nil {
		return 0, fmt.Errorf("column %d (%s): %v", col+1, name, err)
	}
	if v > maxTopoValue || v < -maxTopoValue {
		return 0, fmt.Errorf("column %d (%s): %d is too large (at most %d)", col+1, name, v, maxTopoValue)
	}
	return int(v), nil
}

// checkExtra checks the ignored columns from col on: empty ones are
// skipped, others must be integers.
func checkExtra(fields []string, col int, columns []string) error {
	for ; col < len(fields); col++ {
		if py.Strip(fields[col]) == "" {
			continue
		}
		if _, err := intField(fields, col, columns); err != nil {
			return err
		}
	}
	return nil
}

func parseConvRow(fields []string, dropped string) ([]systolic.Layer, error) {
	if dropped != "" && len(fields) < len(convColumns) {
		return nil, trailingCommaErr(len(fields), convColumns, dropped)
	}
	if len(fields) < 8 {
		return nil, fmt.Errorf("expected at least 8 fields (%s), got %d", strings.Join(convColumns[:8], ", "), len(fields))
	}
	var v [9]int
	for col := 1; col < 8; col++ {
		x, err := intField(fields, col, convColumns)
		if err != nil {
			return nil, err
		}
		v[col] = x
	}
	v[8] = v[7]
	if len(fields) > 8 && py.Strip(fields[8]) != "" {
		x, err := intField(fields, 8, convColumns)
		if err != nil {
			return nil, err
		}
		v[8] = x
	}
	if err := checkExtra(fields, 9, convColumns); err != nil {
		return nil, err
	}
	l := systolic.Layer{Name: py.Strip(fields[0]), H: v[1], W: v[2], Fh: v[3], Fw: v[4],
		Ch: v[5], N: v[6], Sh: v[7], Sw: v[8]}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if !strings.Contains(l.Name, "DP") {
		return []systolic.Layer{l}, nil
	}
	// Depthwise: one single-channel layer per channel.
	if l.Ch > maxDepthwiseRows {
		return nil, fmt.Errorf("depthwise layer %q has %d channels; npusim expands at most %d", l.Name, l.Ch, maxDepthwiseRows)
	}
	out := make([]systolic.Layer, l.Ch)
	for i := range out {
		d := l
		d.Name = fmt.Sprintf("%sChannel_%d", l.Name, i)
		d.Ch = 1
		out[i] = d
	}
	return out, nil
}

func parseGemmRow(fields []string, dropped string) ([]systolic.Layer, error) {
	if dropped != "" && len(fields) < len(gemmColumns) {
		return nil, trailingCommaErr(len(fields), gemmColumns, dropped)
	}
	if len(fields) < 4 {
		return nil, fmt.Errorf("expected at least 4 fields (%s), got %d", strings.Join(gemmColumns, ", "), len(fields))
	}
	var v [4]int
	for col := 1; col < 4; col++ {
		x, err := intField(fields, col, gemmColumns)
		if err != nil {
			return nil, err
		}
		if x <= 0 {
			return nil, fmt.Errorf("%s must be positive, got %d", gemmColumns[col], x)
		}
		v[col] = x
	}
	if err := checkExtra(fields, 4, gemmColumns); err != nil {
		return nil, err
	}
	l := systolic.GEMM(py.Strip(fields[0]), v[1], v[2], v[3])
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return []systolic.Layer{l}, nil
}
