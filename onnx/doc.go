// Package onnx turns an ONNX model into the layers npusim simulates. Every
// compute node (Conv, ConvTranspose, Gemm, MatMul) becomes a [Layer] that
// keeps the model's own view of it (unpadded input, pads, groups, batch of
// independent GEMMs); [Model.Systolic] then lowers the layers to
// SCALE-Sim's convolutions under a padding convention ([PadNone] or
// [PadInclude]) and a batch size. Other nodes carry no MACs that SCALE-Sim
// can model (it has no pooling or activation layers): for SCALE-Sim they
// are skipped and counted, and they help work out tensor shapes where the
// file's value_info lacks them. For npusim's vector unit each of them is
// kept as a [VectorLayer] (its element count from shape inference, and
// whether its GEMM layer's drain can apply it) or listed in
// [Model.Dropped] with the reason (it only relabels memory, or computes a
// shape); docs/vector.md has the rules. Control flow (If, Loop, Scan) is
// handled the same way as long as its subgraphs hold no GEMM compute;
// compute inside them is refused, as whether and how often it runs is
// known only at run time.
//
// Only shapes are read: initializers need their dims, never their data, so
// a model stripped of its weights loads, and [Load] drops the weights of a
// full model while it reads the file ([MaxGraphSize]).
//
// [Load] reads a file, [Parse] a model in memory, [IsModel] tells a model
// from a CSV by its first byte, and [WriteCSV] writes lowered layers as a
// SCALE-Sim conv topology (what npusim import does). docs/onnx.md in the
// repository lists the operators, the lowering and the checked models.
package onnx
