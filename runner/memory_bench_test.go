package runner

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkAlexNetDRAM runs AlexNet's first layer on the sample
// config turned weight stationary with a USER interface of 10 words per
// cycle, behind one HBM2 stack and behind one DDR4-3200 channel, and
// reports simulated cycles per second and memory requests per second.
// Run it once: go test ./runner -run XXX -bench AlexNetDRAM -benchtime 1x
func BenchmarkAlexNetDRAM(b *testing.B) {
	data, err := os.ReadFile("../samples/alexnet/scale.cfg")
	if err != nil {
		b.Fatal(err)
	}
	base := strings.NewReplacer("Dataflow : os", "Dataflow : ws", "InterfaceBandwidth: CALC", "InterfaceBandwidth: USER").Replace(string(data))
	layers, err := LoadTopology("../samples/alexnet/alexnet.csv", Conv)
	if err != nil {
		b.Fatal(err)
	}
	layers = layers[:1]
	for _, model := range []string{"hbm2", "ddr4"} {
		b.Run(model, func(b *testing.B) {
			cfg, err := ParseConfig("alexnet.cfg", []byte(base+"\n[dram]\nModel = "+model+"\n"))
			if err != nil {
				b.Fatal(err)
			}
			var cycles, reqs int64
			for b.Loop() {
				dir := b.TempDir()
				reps, err := Run(cfg, layers, Options{LogDir: dir})
				if err != nil {
					b.Fatal(err)
				}
				cycles, reqs = 0, 0
				for _, r := range reps {
					cycles += r.TotalCycles
				}
				rep, err := os.ReadFile(filepath.Join(dir, cfg.RunName, "DRAM_REPORT.csv"))
				if err != nil {
					b.Fatal(err)
				}
				for _, line := range strings.Split(strings.TrimSpace(string(rep)), "\n")[1:] {
					n, err := strconv.ParseInt(strings.Split(line, ", ")[2], 10, 64)
					if err != nil {
						b.Fatal(err)
					}
					reqs += n
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(cycles), "sim-cycles")
			b.ReportMetric(float64(cycles)/sec, "cycles/s")
			b.ReportMetric(float64(reqs)/sec, "mem-req/s")
		})
	}
}
