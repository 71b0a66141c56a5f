package runner

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/npusim/npusim/systolic"
)

// scaleSimAlexNetSeconds is SCALE-Sim v2's wall time for AlexNet on the
// 32x32 OS CALC config (scale.cfg) on a 2-core machine, from the project
// brief; the benchmark reports its speedup against it.
const scaleSimAlexNetSeconds = 87.6

// BenchmarkAlexNet runs the 5-layer AlexNet topology on SCALE-Sim's
// example config (32x32, output stationary, 64 kB buffers, CALC) and
// reports ns per simulated cycle, simulated cycles per second, the peak
// Go heap and peak RSS, and the speedup over SCALE-Sim v2.
func BenchmarkAlexNet(b *testing.B) {
	cfg, layers := loadAlexNet(b)
	runtime.GC()
	peak := watchHeap()
	b.ResetTimer()
	var cycles int64
	for b.Loop() {
		reps, err := Run(cfg, layers, Options{LogDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		cycles = 0
		for _, r := range reps {
			cycles += r.TotalCycles
		}
	}
	elapsed := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(elapsed*1e9/float64(cycles), "ns/cycle")
	b.ReportMetric(float64(cycles)/elapsed, "cycles/s")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	b.ReportMetric(scaleSimAlexNetSeconds/elapsed, "x-scalesim")
}

// BenchmarkAlexNetTraces runs AlexNet (32x32 OS CALC) with traces and
// reports the trace output rate in MB/s (10^6 bytes of every file written
// per second of wall time) and the peak RSS.
func BenchmarkAlexNetTraces(b *testing.B) {
	cfg, layers := loadAlexNet(b)
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

// loadAlexNet reads SCALE-Sim's example config and AlexNet topology.
func loadAlexNet(b *testing.B) (Config, []systolic.Layer) {
	cfg, err := LoadConfig("../testdata/configs/scale.cfg")
	if err != nil {
		b.Fatal(err)
	}
	layers, err := LoadTopology("../testdata/topologies/alexnet.csv", Conv)
	if err != nil {
		b.Fatal(err)
	}
	return cfg, layers
}

// watchHeap samples the live heap until the returned function is called,
// which returns the largest sample.
func watchHeap() func() uint64 {
	var mu sync.Mutex
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak
	}
}

// peakRSSMB is the process's peak resident set (VmHWM), 0 if unknown.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkGolden runs each golden case (reports only, as SCALE-Sim's
// REFERENCE_SECONDS were taken, except the *_traces cases, which include
// their traces) and reports the speedup over SCALE-Sim v2's wall time on
// the same inputs. The v3 cases (golden-v3/...) always write traces, as
// v3's scale.py does, and compare with v3's wall time.
func BenchmarkGolden(b *testing.B) {
	cases, _ := filepath.Glob("../testdata/golden/*/REFERENCE_SECONDS")
	v3, _ := filepath.Glob("../testdata/golden-v3/*/REFERENCE_SECONDS")
	for _, refFile := range append(cases, v3...) {
		dir := filepath.Dir(refFile)
		name := filepath.Base(dir)
		if strings.Contains(dir, "golden-v3") {
			name = "golden-v3/" + name
		}
		b.Run(name, func(b *testing.B) {
			raw, err := os.ReadFile(refFile)
			if err != nil {
				b.Fatal(err)
			}
			ref, err := strconv.ParseFloat(strings.TrimSpace(string(raw)), 64)
			if err != nil {
				b.Fatal(err)
			}
			cfg, layers, traces := loadGolden(b, dir)
			traces = traces || strings.Contains(dir, "golden-v3")
			for b.Loop() {
				if _, err := Run(cfg, layers, Options{LogDir: b.TempDir(), Traces: traces}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(ref/(b.Elapsed().Seconds()/float64(b.N)), "x-scalesim")
		})
	}
}
