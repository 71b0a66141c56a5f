package plot_test

import (
	"fmt"

	"github.com/npusim/npusim/plot"
)

// The cycles plot labels its axis with SI suffixes.
func ExampleSI() {
	for _, x := range []float64{950, 1200, 350000, 1234567, 2.5e9} {
		fmt.Println(plot.SI(x))
	}
	// Output:
	// 950
	// 1.2k
	// 350k
	// 1.23M
	// 2.5G
}
