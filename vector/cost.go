package vector

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Free reports whether an ONNX operator always only relabels memory:
// Reshape, Flatten, Squeeze, Unsqueeze, Identity and Dropout (at inference)
// change a tensor's shape, never its row-major bytes, so they move no data
// and take no vector cycles. Transpose, Concat, Split and Slice relabel
// only for some shapes (the onnx package decides, see docs/vector.md) and
// are copies otherwise.
func Free(op string) bool { return freeOps[op] }

var freeOps = map[string]bool{
	"Reshape": true, "Flatten": true, "Squeeze": true, "Unsqueeze": true,
	"Identity": true, "Dropout": true,
}

// DefaultCosts is the default cost table, in cycles per element per lane.
// Each entry is the count of one-cycle vector operations (ONNXim's
// add/mul/exp/gelu latencies, 1 in its configs) the operator is made of,
// plus one per reduction tree (ONNXim's add_tree, about one pass per
// element): returns a fresh copy.
//
//	Add, Sub, Mul, Div      1  one add or mul (ONNXim counts a division as a mul)
//	Pow                     3  log, mul, exp
//	Sqrt                    1  ONNXim's scalar_sqrt_latency, per element
//	Relu                    1  one compare (ONNXim's COMP)
//	Clip (Relu6)            2  two compares
//	LeakyRelu               2  compare, mul
//	Sigmoid, Tanh           3  exp, add, div
//	Erf, Gelu               1  ONNXim's gelu_latency: one fused op
//	HardSigmoid             4  mul, add, two compares
//	HardSwish               5  add, two compares, two muls
//	Softmax                 5  add, exp, mul + 2 trees (max, sum)
//	LayerNormalization      7  2 adds, 3 muls + 2 trees (mean, variance)
//	BatchNormalization      2  mul, add (inference: a per-channel scale and shift)
//	ReduceMean, ReduceSum   1  one tree step per input element
//	MaxPool                 1  one compare per window element
//	AveragePool             1  one add per window element
//	GlobalAveragePool       1  one add per input element
//	Transpose, Concat,
//	Split, Slice            1  a copy: one element per lane per cycle, when
//	                           the data has to move (see Relabels)
func DefaultCosts() map[string]int {
	return map[string]int{
		"Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Pow": 3, "Sqrt": 1,
		"Relu": 1, "Clip": 2, "LeakyRelu": 2, "Sigmoid": 3, "Tanh": 3,
		"Erf": 1, "Gelu": 1, "HardSigmoid": 4, "HardSwish": 5,
		"Softmax": 5, "LayerNormalization": 7, "BatchNormalization": 2,
		"ReduceMean": 1, "ReduceSum": 1,
		"MaxPool": 1, "AveragePool": 1, "GlobalAveragePool": 1,
		"Transpose": 1, "Concat": 1, "Split": 1, "Slice": 1,
	}
}

// Ops lists the operators of DefaultCosts, sorted.
func Ops() []string {
	c := DefaultCosts()
	out := make([]string, 0, len(c))
	for op := range c {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// Default figures of a unit. DefaultLanes is one lane per column of
// npusim's default 32x32 array: the vector unit takes the array's output
// width, as TPU v1's activation pipeline takes its 256-wide array's
// (Jouppi et al., ISCA 2017). DefaultLatency is the one-cycle operation
// latency of ONNXim's shipped configurations.
const (
	DefaultLanes   = 32
	DefaultLatency = 1
)

// Config is a vector unit's cost model.
type Config struct {
	Lanes   int
	Latency int
	// Costs maps an ONNX operator to its cycles per element per lane.
	Costs map[string]int
}

// DefaultConfig returns the default unit: DefaultLanes, DefaultLatency,
// DefaultCosts.
func DefaultConfig() Config {
	return Config{Lanes: DefaultLanes, Latency: DefaultLatency, Costs: DefaultCosts()}
}

// Validate checks that the configuration can time layers.
func (c Config) Validate() error {
	if c.Lanes < 1 || c.Lanes > 1<<20 {
		return fmt.Errorf("vector: Lanes must be between 1 and %d, got %d", 1<<20, c.Lanes)
	}
	if c.Latency < 0 || c.Latency > 1<<20 {
		return fmt.Errorf("vector: Latency must be between 0 and %d, got %d", 1<<20, c.Latency)
	}
	for op, v := range c.Costs {
		if v < 1 || v > 1<<10 {
			return fmt.Errorf("vector: cost of %s must be between 1 and %d cycles per element per lane, got %d", op, 1<<10, v)
		}
	}
	return nil
}

// Cost returns op's cycles per element per lane.
func (c Config) Cost(op string) (int, error) {
	v, ok := c.Costs[op]
	if !ok {
		return 0, fmt.Errorf("vector: no cost for operator %q (known: %s)", op, strings.Join(Ops(), ", "))
	}
	return v, nil
}

// Steps is the layer's element-steps: Elements*Window, saturating.
func (l Layer) Steps() int64 {
	w := max(l.Window, 1)
	if l.Elements > math.MaxInt64/w {
		return math.MaxInt64
	}
	return l.Elements * w
}

// ComputeRows is the cycles the lanes are busy with l:
// ceil(Cost*Elements*Window/Lanes).
func (c Config) ComputeRows(l Layer) (int64, error) {
	cost, err := c.Cost(l.Op)
	if err != nil {
		return 0, err
	}
	s := l.Steps()
	if s > maxSteps/int64(cost) {
		return 0, fmt.Errorf("vector: layer %s: %d element-steps at %d cycles each is too large", l.Name, s, cost)
	}
	w := s * int64(cost)
	return (w + int64(c.Lanes) - 1) / int64(c.Lanes), nil
}

// ComputeCycles is the closed form: Latency + ComputeRows. A fused layer
// takes none: it runs in its GEMM layer's ofmap drain.
func (c Config) ComputeCycles(l Layer) (int64, error) {
	if l.Fused {
		return 0, nil
	}
	r, err := c.ComputeRows(l)
	if err != nil {
		return 0, err
	}
	return int64(c.Latency) + r, nil
}

// maxSteps bounds a layer's work so that row and address arithmetic stays
// far from overflowing.
const maxSteps = 1 << 50
