package multicore_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/systolic"
)

// testLayers cover a strided conv whose Eh SCALE-Sim rounds up (H=16, Fh=3,
// Sh=2: Eh = ceil(13/2)+1 = 8, whose last window would reach row 17), a conv
// with few output rows and a GEMM.
var testLayers = []systolic.Layer{
	{Name: "conv", H: 16, W: 13, Fh: 3, Fw: 3, Ch: 4, N: 20, Sh: 2, Sw: 2},
	{Name: "narrow", H: 6, W: 30, Fh: 3, Fw: 3, Ch: 4, N: 24, Sh: 1, Sw: 1},
	systolic.GEMM("fc", 48, 36, 32),
}

func testConfig(model string, partition multicore.Partition) multicore.Config {
	return multicore.Config{
		Core:      components.MakeBuilder().WithArray(8, 8).WithDataflow(systolic.WS).WithSRAMKB(2, 2, 2),
		Cores:     4,
		Partition: partition,
		Memory:    dram.MemorySpec{Model: model},
		Bandwidth: 16,
		Offsets:   systolic.Offsets{Ifmap: 0, Filter: 1 << 20, Ofmap: 2 << 20},
	}
}

func TestSharesAddUp(t *testing.T) {
	layers := append(testLayers, systolic.Layer{Name: "batched", H: 9, W: 9, Fh: 3, Fw: 3, Ch: 2, N: 5, Sh: 1, Sw: 1, Batch: 3})
	for _, l := range layers {
		for cores := 1; cores <= 6; cores++ {
			for _, split := range multicore.Splits(cores) {
				name := fmt.Sprintf("%s/%s", l.Name, split)
				base := systolic.Offsets{Ifmap: 100, Filter: 1 << 20, Ofmap: 1 << 24}
				var macs, words int64
				covered := make([]int, l.P()*l.N)
				for _, sh := range split.Shares(l, base) {
					if sh.Empty() {
						continue
					}
					if err := sh.Layer.Validate(); err != nil {
						t.Fatalf("%s core %d: %v", name, sh.Core, err)
					}
					s := sh.Layer
					if s.Eh() != sh.Rows[1]-sh.Rows[0] || s.N != sh.Filters[1]-sh.Filters[0] || s.Ew() != l.Ew() || s.K() != l.K() {
						t.Fatalf("%s core %d: share %+v does not compute rows %v and filters %v", name, sh.Core, s, sh.Rows, sh.Filters)
					}
					macs += s.MACs()
					words += int64(s.P()) * int64(s.N)
					// the share's ofmap block, where the core writes it
					for w := range int64(s.P()) * int64(s.N) {
						covered[sh.Offsets.Ofmap-base.Ofmap+w]++
					}
					if l.Batch <= 1 {
						first := sh.Offsets.Ifmap - base.Ifmap
						last := first + int64(s.H)*int64(s.W)*int64(s.Ch)
						if want := int64(sh.Rows[0]) * int64(l.Sh) * int64(l.W) * int64(l.Ch); first != want || last > int64(l.H*l.W*l.Ch) {
							t.Fatalf("%s core %d: ifmap words [%d, %d) of %d, want from %d", name, sh.Core, first, last, l.H*l.W*l.Ch, want)
						}
					}
					if got, want := sh.Offsets.Filter-base.Filter, int64(sh.Filters[0])*int64(l.K()); got != want {
						t.Fatalf("%s core %d: filter offset %d, want %d", name, sh.Core, got, want)
					}
				}
				if macs != l.MACs() || words != int64(l.P())*int64(l.N) {
					t.Fatalf("%s: shares do %d MACs and write %d words; the layer %d and %d", name, macs, words, l.MACs(), l.P()*l.N)
				}
				for w, n := range covered {
					if n != 1 {
						t.Fatalf("%s: ofmap word %d written by %d shares", name, w, n)
					}
				}
			}
		}
	}
}

// TestIdealSplitIsSlowestShare: with ideal channels the cores share
// nothing, so each runs exactly as alone and the layer takes its slowest
// share's cycles.
func TestIdealSplitIsSlowestShare(t *testing.T) {
	for _, part := range []multicore.Partition{multicore.Filters, multicore.Pixels} {
		c := testConfig(dram.Ideal, part)
		for i, l := range testLayers {
			run, err := c.RunLayer(i, l)
			if err != nil {
				t.Fatal(err)
			}
			var slowest int64
			for _, p := range withAlone(t, c, i, run) {
				cr, alone := p[0], p[1]
				if !reflect.DeepEqual(alone.Result, cr.Result) || alone.SRAM != cr.SRAM || alone.DRAM != cr.DRAM {
					t.Errorf("%s %s core %d: shared %+v, alone %+v", part, l.Name, cr.Share.Core, cr, alone)
				}
				slowest = max(slowest, alone.Result.TotalCycles)
			}
			if run.Cycles != slowest {
				t.Errorf("%s %s: layer cycles %d, slowest share alone %d", part, l.Name, run.Cycles, slowest)
			}
		}
	}
}

// TestSharingNeverFaster runs splits over real memories: no core may be
// faster than alone, some must be slower (the cores do contend), and the
// bytes the memory moved per cycle stay under its peak.
func TestSharingNeverFaster(t *testing.T) {
	for _, model := range []string{dram.Fixed, dram.AkitaDDR4, dram.AkitaHBM2} {
		c := testConfig(model, multicore.Filters)
		c.Memory.Channels = 1 // one controller, so that the cores contend
		if model == dram.AkitaHBM2 {
			c.Memory.Channels = 2
		}
		var contention int64
		for i, l := range testLayers {
			for _, split := range multicore.Splits(c.Cores) {
				run, err := c.Run(i, c.Shares(l, split))
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range withAlone(t, c, i, run) {
					cr, alone := p[0], p[1]
					got, solo := cr.Result, alone.Result
					if got.TotalCycles < solo.TotalCycles || got.StallCycles < solo.StallCycles || got.End < solo.End {
						t.Errorf("%s %s %s core %d: shared total %d stalls %d end %d; alone %d %d %d", model, l.Name, split,
							cr.Share.Core, got.TotalCycles, got.StallCycles, got.End, solo.TotalCycles, solo.StallCycles, solo.End)
					}
					if got.Folds != solo.Folds || cr.SRAM[2].Words != alone.SRAM[2].Words {
						t.Errorf("%s %s %s core %d: the work changed with sharing", model, l.Name, split, cr.Share.Core)
					}
					contention += got.TotalCycles - solo.TotalCycles
				}
				peak := run.Peak
				if run.MemBytes == 0 || float64(run.MemBytes)/float64(run.Span) > peak {
					t.Errorf("%s %s %s: %d bytes in %d cycles, peak %.1f bytes per cycle", model, l.Name, split, run.MemBytes, run.Span, peak)
				}
			}
		}
		if contention == 0 {
			t.Errorf("%s: test setup: no core was slowed down by sharing", model)
		}
	}
}

// TestAutoNotSlower: auto keeps the fastest factorisation, so it is never
// slower than all-filters or all-pixels, and runs are deterministic.
func TestAutoNotSlower(t *testing.T) {
	for i, l := range testLayers {
		cycles := map[multicore.Partition]int64{}
		for _, part := range []multicore.Partition{multicore.Filters, multicore.Pixels, multicore.Auto} {
			c := testConfig(dram.AkitaHBM2, part)
			run, err := c.RunLayer(i, l)
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.RunLayer(i, l)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(run, again) {
				t.Fatalf("%s %s: two runs differ:\n%+v\n%+v", part, l.Name, run, again)
			}
			cycles[part] = run.Cycles
		}
		if a := cycles[multicore.Auto]; a > cycles[multicore.Filters] || a > cycles[multicore.Pixels] {
			t.Errorf("%s: auto %d cycles, filters %d, pixels %d", l.Name, a, cycles[multicore.Filters], cycles[multicore.Pixels])
		}
	}
}

// withAlone pairs each busy core of run with its share run alone.
func withAlone(t *testing.T, c multicore.Config, i int, run multicore.LayerRun) [][2]multicore.CoreRun {
	t.Helper()
	var out [][2]multicore.CoreRun
	for _, cr := range run.Cores {
		if cr.Share.Empty() {
			continue
		}
		alone, err := c.Alone(i, cr.Share)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]multicore.CoreRun{cr, alone})
	}
	return out
}
