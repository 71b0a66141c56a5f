package onnx_test

import (
	"fmt"
	"os"

	"github.com/npusim/npusim/onnx"
)

// Load reads a model's shapes (torchvision's ResNet-18, weights stripped)
// and Systolic lowers it to SCALE-Sim layers. With PadInclude the MACs are
// the model's: 1,814,073,344, the figure PyTorch's forward hooks give
// (testdata/totals.csv). PadNone gives SCALE-Sim's convention, an unpadded
// input, and fewer MACs.
func ExampleLoad() {
	m, err := onnx.Load("testdata/resnet18.onnx")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Summary())
	for _, pad := range []onnx.Padding{onnx.PadInclude, onnx.PadNone} {
		layers, err := m.Systolic(pad, 1)
		if err != nil {
			fmt.Println(err)
			return
		}
		var macs int64
		for _, l := range layers {
			macs += l.MACs()
		}
		fmt.Printf("-pad %s: %d layers, %d MACs\n", pad, len(layers), macs)
	}
	// Output:
	// resnet18.onnx: 21 compute layers (Conv 20, Gemm 1) from 49 nodes; skipped 28 (Add 8, Flatten 1, GlobalAveragePool 1, MaxPool 1, Relu 17)
	// -pad include: 21 layers, 1814073344 MACs
	// -pad none: 21 layers, 1471181568 MACs
}

// WriteCSV writes the lowered layers as a conv topology CSV that SCALE-Sim
// reads too (what npusim import does). torchvision's AlexNet pads its first
// convolution (11x11, stride 4) by 2 on each side of a 224x224 input:
// 228x228, less the last row and column that no window reads
// ((228-11) mod 4 = 1), gives 227. Its second (5x5, pad 2) reads 27+4 = 31.
func ExampleWriteCSV() {
	m, err := onnx.Load("testdata/alexnet.onnx")
	if err != nil {
		fmt.Println(err)
		return
	}
	layers, err := m.Systolic(onnx.PadInclude, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := onnx.WriteCSV(os.Stdout, layers[:2]); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Stride Width,
	// /features/features.0/Conv, 227, 227, 11, 11, 3, 64, 4, 4,
	// /features/features.3/Conv, 31, 31, 5, 5, 64, 192, 1, 1,
}
