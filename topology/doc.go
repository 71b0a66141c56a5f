// Package topology reads SCALE-Sim's topology CSVs (conv and GEMM, v2 and
// v3 with its Sparsity column) into systolic.Layer values, with errors
// that name the file, line and column. ONNX models are read by package
// onnx into the same layer type.
package topology
