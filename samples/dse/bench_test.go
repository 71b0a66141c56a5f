package main

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkTutorialSweep runs the 27-configuration sweep (and its plots)
// from scratch with one and with two jobs; on a 2-core machine the second
// should take well under 60% of the first. Speedup-j2 compares the two in
// each iteration, so that a change of load on a shared machine hits both.
//
//	go test ./samples/dse -run XXX -bench TutorialSweep -benchtime 3x
func BenchmarkTutorialSweep(b *testing.B) {
	for _, j := range []int{1, 2} {
		b.Run(fmt.Sprintf("j%d", j), func(b *testing.B) {
			for range b.N {
				if _, err := dse(b.TempDir(), j); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/sweep")
		})
	}
	b.Run("speedup", func(b *testing.B) {
		var t1, t2 time.Duration
		for range b.N {
			for _, j := range []int{1, 2} {
				dir := b.TempDir()
				start := time.Now()
				if _, err := dse(dir, j); err != nil {
					b.Fatal(err)
				}
				if j == 1 {
					t1 += time.Since(start)
				} else {
					t2 += time.Since(start)
				}
			}
		}
		b.ReportMetric(t1.Seconds()/t2.Seconds(), "speedup-j2")
	})
}
