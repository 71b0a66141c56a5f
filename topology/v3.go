package topology

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
)

// LoadFor reads the topology at path in the format cfg calls for:
// SCALE-Sim v3's (with the Sparsity column) for a v3 config, else v2's.
func LoadFor(cfg config.Config, path string, kind Kind) ([]systolic.Layer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("topology %s: %w", path, err)
	}
	defer f.Close()
	return parseTopology(path, f, kind, cfg.V3 != nil)
}

// ParseV3 parses a SCALE-Sim v3 topology. Lines are handled as in
// Parse; a conv row has the 8 v2 columns (a single stride, used for
// both directions: v3 has no Stride Width column) and then an optional
// Sparsity column "N:M"; a GEMM row has M, N, K and then an optional
// Sparsity column. A missing ratio is 1:1. Depthwise rows are expanded as in
// v2, each channel layer keeping the ratio.
func ParseV3(path string, r io.Reader, kind Kind) ([]systolic.Layer, error) {
	return parseTopology(path, r, kind, true)
}

// parseV3Row parses one v3 row (fields without the dropped last one).
func parseV3Row(fields []string, dropped string, kind Kind) ([]systolic.Layer, error) {
	columns := append(append([]string(nil), convColumns[:8]...), "Sparsity")
	if kind == Gemm {
		columns = append(append([]string(nil), gemmColumns...), "Sparsity")
	}
	ratioCol := len(columns) - 1
	if dropped != "" && len(fields) <= ratioCol {
		return nil, trailingCommaErr(len(fields), columns, dropped)
	}
	base := fields[:min(len(fields), ratioCol)]
	var layers []systolic.Layer
	var err error
	if kind == Gemm {
		layers, err = parseGemmRow(base, "")
	} else {
		layers, err = parseConvRow(base, "")
	}
	if err != nil {
		return nil, err
	}
	ratio := systolic.Ratio{N: 1, M: 1}
	if len(fields) > ratioCol {
		if ratio, err = parseRatio(fields[ratioCol]); err != nil {
			hint := ""
			if kind == Conv {
				hint = " (with a SCALE-Sim v3 config, one with a [sparsity] section, the 9th conv column is Sparsity, not Stride Width)"
			}
			return nil, fmt.Errorf("column %d (Sparsity): %v%s", ratioCol+1, err, hint)
		}
	}
	for i := range layers {
		layers[i].Sparse = ratio
	}
	return layers, nil
}

// parseRatio parses "N:M" as v3 does: split on ':', each half an int.
func parseRatio(s string) (systolic.Ratio, error) {
	parts := strings.Split(py.Strip(s), ":")
	if len(parts) != 2 {
		return systolic.Ratio{}, fmt.Errorf("%q is not N:M", py.Strip(s))
	}
	var v [2]int
	for i, part := range parts {
		x, err := py.Int(part)
		if err != nil {
			return systolic.Ratio{}, fmt.Errorf("%q is not N:M: %v", py.Strip(s), err)
		}
		if x <= 0 || x > maxTopoValue {
			return systolic.Ratio{}, fmt.Errorf("%q: N and M must be positive (SCALE-Sim v3 crashes on N = 0), at most %d", py.Strip(s), maxTopoValue)
		}
		v[i] = int(x)
	}
	if v[0] > v[1] {
		return systolic.Ratio{}, fmt.Errorf("%q: N must not exceed M (SCALE-Sim v3 crashes building the pattern)", py.Strip(s))
	}
	return systolic.Ratio{N: v[0], M: v[1]}, nil
}
