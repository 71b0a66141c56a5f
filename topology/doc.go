// Package topology reads SCALE-Sim's topology CSVs into systolic.Layer
// values, with errors that name the file, line and column.
//
// Both formats follow SCALE-Sim: the first line is the header, whatever it
// holds; a line is split on commas and its last field dropped, so every
// row ends with a comma; numbers are Python integers.
//
//   - [Conv]: name, IFMAP height and width, filter height and width,
//     channels, filters, stride (and an optional width stride). A layer
//     whose name contains "DP" is depthwise and becomes one layer per
//     channel.
//   - [Gemm]: name, M, N, K, turned into the convolution SCALE-Sim makes of
//     it (systolic.GEMM).
//
// [Load] and [Parse] read SCALE-Sim v2's formats, [ParseV3] v3's (a
// Sparsity column N:M after the v2 columns), and [LoadFor] picks the one a
// config calls for. ONNX models are read by package onnx into the same
// layer type. docs/inputs.md in the repository gives every rule and bound.
package topology
