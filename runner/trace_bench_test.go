package runner

import (
	"io/fs"
	"path/filepath"
	"testing"
)

// BenchmarkAlexNetTraces runs AlexNet (32x32 OS CALC) with traces and
// reports the trace output rate in MB/s (10^6 bytes of every file written
// per second of wall time) and the peak RSS.
func BenchmarkAlexNetTraces(b *testing.B) {
	cfg, err := LoadConfig("../testdata/configs/scale.cfg")
	if err != nil {
		b.Fatal(err)
	}
	layers, err := LoadTopology("../testdata/topologies/alexnet.csv", Conv)
	if err != nil {
		b.Fatal(err)
	}
	var bytes int64
	for b.Loop() {
		dir := b.TempDir()
		if _, err := Run(cfg, layers, Options{LogDir: dir, Traces: true}); err != nil {
			b.Fatal(err)
		}
		bytes = 0
		filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					bytes += info.Size()
				}
			}
			return nil
		})
	}
	elapsed := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(bytes)/1e6/elapsed, "trace-MB/s")
	b.ReportMetric(float64(bytes)/1e6, "trace-MB")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
}
