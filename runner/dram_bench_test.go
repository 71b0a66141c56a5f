package runner

import (
	"os"
	"testing"
	"time"

	"github.com/npusim/npusim/topology"
)

// BenchmarkDRAMModelAlexNetConv1 runs AlexNet Conv1 WS USER10
// (testdata/golden/alexnet_part_32x32_ws_user10) over npusim's DRAM model
// (ddr4, hbm2) beside the ideal channel in the same process, and reports
// each run's wall time and its ratio to the ideal channel's.
func BenchmarkDRAMModelAlexNetConv1(b *testing.B) {
	const dir = "../testdata/golden/alexnet_part_32x32_ws_user10/"
	data, err := os.ReadFile(dir + "scale.cfg")
	if err != nil {
		b.Fatal(err)
	}
	layers, err := topology.Load(dir+"topology.csv", topology.Conv)
	if err != nil {
		b.Fatal(err)
	}
	wall := map[string]float64{}
	for _, model := range []string{"ideal", "ddr4", "hbm2", "lpddr4"} {
		b.Run(model, func(b *testing.B) {
			text := string(data)
			if model != "ideal" {
				text += "\n[dram]\nModel = " + model + "\n"
			}
			cfg, err := ParseConfig("alexnet.cfg", []byte(text))
			if err != nil {
				b.Fatal(err)
			}
			var best time.Duration
			var cycles int64
			for b.Loop() {
				start := time.Now()
				reps, err := Run(cfg, layers, Options{LogDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				if d := time.Since(start); best == 0 || d < best {
					best = d
				}
				cycles = reps[0].TotalCycles
			}
			wall[model] = best.Seconds()
			b.ReportMetric(best.Seconds(), "s/run")
			b.ReportMetric(float64(cycles), "cycles")
			if w := wall["ideal"]; w > 0 && model != "ideal" {
				b.ReportMetric(best.Seconds()/w, "x-ideal")
			}
		})
	}
}
