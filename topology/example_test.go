package topology_test

import (
	"fmt"
	"strings"

	"github.com/npusim/npusim/topology"
)

// Parse reads a conv topology as SCALE-Sim does: the first line is the
// header, every row ends with a comma. The figures are SCALE-Sim's
// arithmetic, worked by hand: it rounds the output size up, so Conv1 has
// ceil((224-11+4)/4) = 55 output rows and columns (PyTorch's floor would
// give 54), and MACs = output pixels x window x filters = 55*55 x 363 x 96.
func ExampleParse() {
	csv := `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 224, 224, 11, 11, 3, 96, 4,
Conv2, 27, 27, 5, 5, 96, 256, 1,
`
	layers, err := topology.Parse("alexnet.csv", strings.NewReader(csv), topology.Conv)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range layers {
		fmt.Printf("%s: %dx%d output, window %d, %d filters, %d MACs\n", l.Name, l.Eh(), l.Ew(), l.K(), l.N, l.MACs())
	}
	// Output:
	// Conv1: 55x55 output, window 363, 96 filters, 105415200 MACs
	// Conv2: 23x23 output, window 2400, 256 filters, 325017600 MACs
}

// A GEMM row M, N, K becomes the convolution SCALE-Sim makes of it: an
// M x K input, a 1 x K filter, N filters.
func ExampleParse_gemm() {
	csv := "Layer, M, N, K,\nqk, 128, 64, 128,\n"
	layers, err := topology.Parse("gemm.csv", strings.NewReader(csv), topology.Gemm)
	if err != nil {
		fmt.Println(err)
		return
	}
	l := layers[0]
	fmt.Printf("%s: H %d, W %d, filter %dx%d, %d channel, %d filters, %d MACs\n", l.Name, l.H, l.W, l.Fh, l.Fw, l.Ch, l.N, l.MACs())
	// Output:
	// qk: H 128, W 128, filter 1x128, 1 channel, 64 filters, 1048576 MACs
}

// A row that lacks its trailing comma would lose a column in SCALE-Sim;
// npusim names the file, line and the problem.
func ExampleParse_error() {
	csv := "Layer, M, N, K,\nqk, 128, 64, 128\n"
	_, err := topology.Parse("gemm.csv", strings.NewReader(csv), topology.Gemm)
	fmt.Println(err)
	// Output:
	// topology gemm.csv line 2: row has no trailing comma: SCALE-Sim drops the last field of every row (here column 4 (K) "128"), so each row must end with ','
}
