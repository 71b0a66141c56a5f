package vector

// Mix is what one element-step of an operator is made of: additions
// (adds, subtracts, compares, reduction-tree steps) and multiplications
// (multiplies, divides, and the exp, log, sqrt and erf units, which
// ONNXim times like a multiply). Adds+Muls is the operator's default cost,
// except for the data-movement operators, which compute nothing.
type Mix struct{ Adds, Muls int }

// DefaultMix returns the breakdown behind DefaultCosts, per operator (a
// fresh copy).
func DefaultMix() map[string]Mix {
	return map[string]Mix{
		"Add": {1, 0}, "Sub": {1, 0}, "Mul": {0, 1}, "Div": {0, 1}, "Pow": {0, 3}, "Sqrt": {0, 1},
		"Relu": {1, 0}, "Clip": {2, 0}, "LeakyRelu": {1, 1}, "Sigmoid": {1, 2}, "Tanh": {1, 2},
		"Erf": {0, 1}, "Gelu": {0, 1}, "HardSigmoid": {3, 1}, "HardSwish": {3, 2},
		"Softmax": {3, 2}, "LayerNormalization": {4, 3}, "BatchNormalization": {1, 1},
		"ReduceMean": {1, 0}, "ReduceSum": {1, 0},
		"MaxPool": {1, 0}, "AveragePool": {1, 0}, "GlobalAveragePool": {1, 0},
		"Transpose": {0, 0}, "Concat": {0, 0}, "Split": {0, 0}, "Slice": {0, 0},
	}
}

// EnergyPJ is the energy of the lanes' arithmetic for l, in pJ:
// Steps * (Adds*addPJ + Muls*multPJ), with the energy of one add and one
// multiply at the word size (runner's energy table: Horowitz, ISSCC 2014,
// 45 nm: 0.03 and 0.2 pJ at 8 bits). A fused layer costs the same: its
// arithmetic is done in the drain. The buffers' and DRAM's energy for the
// words the layer moves is counted with theirs. An operator without a
// mix (a cost-table entry the configuration added) is charged its cost in
// adds.
func (c Config) EnergyPJ(l Layer, addPJ, multPJ float64) float64 {
	m, ok := DefaultMix()[l.Op]
	if !ok {
		m = Mix{Adds: c.Costs[l.Op]}
	}
	return float64(l.Steps()) * (float64(m.Adds)*addPJ + float64(m.Muls)*multPJ)
}
