package multicore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
)

// benchLayers are ResNet-50's stage-2 layers (rows 2-7 of SCALE-Sim's
// Resnet50.csv: CB2a_1 to IB2b_1, 56x56 inputs), as in the benchmark's
// first version, when akita's DRAM model (ticking every cycle it is busy)
// took 35 s for them.
const benchFirst, benchLast = 1, 6

// BenchmarkResNet50Multicore runs ResNet-50's stage-2 layers on a 4-core
// NPU of 32x32 WS cores over one HBM2 stack (npusim's DRAMsim3-exact
// model, filters split), and on one such core, and prints wall time,
// simulated cycles and simulated cycles per second of both.
func BenchmarkResNet50Multicore(b *testing.B) {
	layers, err := topology.Load("../testdata/topologies/Resnet50.csv", topology.Conv)
	if err != nil {
		b.Fatal(err)
	}
	layers = layers[benchFirst:benchLast]
	for _, cores := range []int{1, 4} {
		c := multicore.Config{
			Core:      components.MakeBuilder().WithArray(32, 32).WithDataflow(systolic.WS).WithSRAMKB(64, 64, 64),
			Cores:     cores,
			Partition: multicore.Filters,
			Memory:    dram.MemorySpec{Model: dram.HBM2},
			Bandwidth: 16,
			Offsets:   systolic.Offsets{Ifmap: 0, Filter: 10000000, Ofmap: 20000000},
		}
		b.Run(fmt.Sprintf("cores=%d", cores), func(b *testing.B) {
			var cycles, span int64
			start := time.Now()
			for range b.N {
				cycles, span = 0, 0
				for i, l := range layers {
					run, err := c.RunLayer(i, l)
					if err != nil {
						b.Fatal(err)
					}
					cycles += run.Cycles
					span += run.Span
				}
			}
			wall := time.Since(start).Seconds() / float64(b.N)
			b.ReportMetric(float64(cycles), "cycles")
			b.ReportMetric(float64(span)/wall, "simcycles/s")
			fmt.Printf("ResNet-50 layers %d-%d, %d x 32x32 WS over HBM2: %d cycles (layers' Total Cycles), %.2f s wall, %.0f simulated cycles/s\n",
				benchFirst, benchLast-1, cores, cycles, wall, float64(span)/wall)
		})
	}
}
