package systolic_test

import (
	"fmt"

	"github.com/npusim/npusim/systolic"
)

// A Mapping answers, by arithmetic, how a layer folds onto an array. The
// figures follow SCALE-Sim v2's output-stationary mapping, worked by hand:
// the P = 64 output pixels go on the 16 array rows (4 row folds), the
// N = 32 filters on the 16 columns (2 column folds), and each fold streams
// the K = 128 window elements in T + R + C - 2 = 128 + 16 + 16 - 2 = 158
// cycles.
func ExampleNewMapping() {
	fc := systolic.GEMM("fc", 64, 32, 128)
	m := systolic.NewMapping(fc, systolic.OS, 16, 16, systolic.Offsets{})
	fmt.Printf("P %d, N %d, K %d, %d MACs\n", fc.P(), fc.N, fc.K(), fc.MACs())
	fmt.Printf("%d row folds x %d column folds = %d folds of %d cycles\n",
		m.RowFolds(), m.ColFolds(), m.NumFolds(), m.FoldLen())
	fmt.Println("demand rows:", m.Rows())
	// Output:
	// P 64, N 32, K 128, 262144 MACs
	// 4 row folds x 2 column folds = 8 folds of 158 cycles
	// demand rows: 1264
}

// GEMM turns M x K by K x N into the convolution SCALE-Sim simulates: an
// M x K input with one channel, N filters of 1 x K, stride 1.
func ExampleGEMM() {
	l := systolic.GEMM("qk", 128, 64, 32)
	fmt.Printf("H %d, W %d, filter %dx%d, channels %d, filters %d, output %dx%d\n",
		l.H, l.W, l.Fh, l.Fw, l.Ch, l.N, l.Eh(), l.Ew())
	// Output:
	// H 128, W 32, filter 1x32, channels 1, filters 64, output 128x1
}
