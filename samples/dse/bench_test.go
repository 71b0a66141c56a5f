//go:build unix

package main

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkTutorialSweep simulates the 27 configurations from scratch
// (plots excluded: they do not depend on -j) with one and with two jobs.
// Speedup-j2 times both in each iteration, so that a change of load on a
// shared machine hits both alike; cpu-s/sweep is the process's CPU time,
// which the load of other processes does not inflate.
//
//	go test ./samples/dse -run XXX -bench TutorialSweep -benchtime 3x
func BenchmarkTutorialSweep(b *testing.B) {
	for _, j := range []int{1, 2} {
		b.Run(fmt.Sprintf("j%d", j), func(b *testing.B) {
			cpu0 := cpuTime()
			for range b.N {
				if _, err := tutorialSweep(b.TempDir(), j); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sweep")
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/sweep")
		})
	}
	b.Run("speedup", func(b *testing.B) {
		var t [3]time.Duration
		for range b.N {
			for _, j := range []int{1, 2} {
				dir := b.TempDir()
				start := time.Now()
				if _, err := tutorialSweep(dir, j); err != nil {
					b.Fatal(err)
				}
				t[j] += time.Since(start)
			}
		}
		b.ReportMetric(t[1].Seconds()/t[2].Seconds(), "speedup-j2")
	})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
