// Package systolic holds the compute side of an npusim accelerator: the
// layer geometry, the operand address functions, the output-, weight- and
// input-stationary fold mappings of SCALE-Sim v2 (and v3's N:M sparse
// ones), and the PE array and fold sequencer components that walk a layer
// fold by fold.
//
// # Layers and mappings
//
// A [Layer] is one convolution as SCALE-Sim describes it (no padding); a
// GEMM becomes one through [GEMM]. [NewMapping] maps a layer onto an
// R x C array with a [Dataflow]: it answers how many folds there are, how
// long each is and which ifmap, filter and ofmap addresses each cycle of a
// fold reads or writes, by arithmetic on fold and cycle indices, never
// building SCALE-Sim's operand matrices. Each dataflow puts one dimension
// on the array rows, one on the columns and streams the third (P output
// pixels, N filters, K window elements):
//
//	df  rows  columns  streamed
//	os  P     N        K
//	ws  K     N        P
//	is  K     P        N
//
// [NewSparseMapping] does the same under SCALE-Sim v3's [Sparsity].
//
// # Components
//
// The [Sequencer] takes [RunLayerReq] messages on its control port, walks
// the layer's folds in SCALE-Sim's order and answers with a
// [RunLayerRsp]; the [Array] turns each fold into operand demand for the
// three SRAM buffers (package sram) and works out the stalls from their
// answers. Package components wires them into an accelerator.
package systolic
