package vector_test

import (
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/vector"
	"github.com/sarchlab/akita/v3/sim"
)

// BenchmarkResNetRelu times the simulation of ResNet-18's largest vector
// layer (the Relu after conv1, 64x112x112 elements) on SCALE-Sim's example
// accelerator, in CALC mode and with a 10-word DRAM interface (which
// stalls the lanes); it reports the simulated cycles beside the time.
func BenchmarkResNetRelu(b *testing.B) {
	l := vector.Layer{Name: "relu", Op: "Relu", Elements: 802816, In: 802816}
	for _, bw := range []int{0, 10} {
		name := "CALC"
		if bw > 0 {
			name = "USER10"
		}
		b.Run(name, func(b *testing.B) {
			acc := components.NewAcceleratorBuilder().WithEngine(sim.NewSerialEngine()).
				WithBandwidth(bw).WithVectorUnit(vector.MakeBuilder()).Build("NPU")
			var cycles int64
			for i := 0; i < b.N; i++ {
				r, err := acc.RunVectorLayer(i, l)
				if err != nil {
					b.Fatal(err)
				}
				cycles = r.TotalCycles
			}
			b.ReportMetric(float64(cycles), "cycles")
		})
	}
}
