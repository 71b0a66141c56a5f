package components_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

func TestRunLayerRejectsBadGeometry(t *testing.T) {
	acc := components.MakeBuilder().WithEngine(sim.NewSerialEngine()).Build("NPU")
	cases := []struct {
		layer systolic.Layer
		want  string
	}{
		{systolic.GEMM("empty", 0, 4, 4), "layer 0 (empty): IFMAP Height must be positive, got 0"},
		{systolic.Layer{Name: "big", H: 3, W: 8, Fh: 5, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1},
			"layer 0 (big): Filter Height 5 is larger than IFMAP Height 3"},
		{systolic.Layer{Name: "s0", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 0, Sw: 1},
			"layer 0 (s0): Strides must be positive, got 0"},
	}
	for _, c := range cases {
		_, err := acc.RunLayer(0, c.layer)
		if err == nil || err.Error() != c.want {
			t.Errorf("RunLayer(%s) error = %v, want %q", c.layer.Name, err, c.want)
		}
	}
	// the accelerator is still usable after rejecting layers
	if _, err := acc.RunLayer(1, systolic.GEMM("ok", 8, 8, 8)); err != nil {
		t.Fatalf("valid layer after rejected ones: %v", err)
	}
}

func TestBuildPanicsOnImpossibleConfig(t *testing.T) {
	cases := map[string]components.Builder{
		"array must be at least 1x1": components.MakeBuilder().WithEngine(sim.NewSerialEngine()).WithArray(0, 4),
		"FILTER buffer size must be": components.MakeBuilder().WithEngine(sim.NewSerialEngine()).WithSRAMKB(1, 0, 1),
		"needs an engine":            components.MakeBuilder(),
		"bandwidth must be >= 0":     components.MakeBuilder().WithEngine(sim.NewSerialEngine()).WithBandwidth(-1),
	}
	for want, b := range cases {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, want) {
					t.Errorf("Build panic = %v, want it to mention %q", r, want)
				}
			}()
			b.Build("NPU")
		}()
	}
}

// TestChannelBandwidthShapesStalls builds the same USER-mode accelerator
// with ideal channels as wide as the interface, wider, and half as wide:
// the first two must agree exactly, the narrow one must stall more and
// move the same data.
func TestChannelBandwidthShapesStalls(t *testing.T) {
	layer := systolic.Layer{Name: "conv", H: 12, W: 12, Fh: 3, Fw: 3, Ch: 4, N: 12, Sh: 1, Sw: 1}
	run := func(channelWords int) (systolic.LayerResult, [3]int64) {
		engine := sim.NewSerialEngine()
		b := components.MakeBuilder().WithEngine(engine).
			WithArray(8, 8).WithDataflow(systolic.OS).WithSRAMKB(1, 1, 1).WithBandwidth(4)
		var chans [3]*dram.Channel
		if channelWords > 0 {
			for i := range chans {
				chans[i] = dram.MakeBuilder().WithEngine(engine).WithWordsPerCycle(channelWords).
					Build(fmt.Sprintf("DRAM%d", i))
			}
			b = b.WithDRAM(chans[0].GetPortByName("Top"), chans[1].GetPortByName("Top"), chans[2].GetPortByName("Top"))
		}
		acc := b.Build("NPU")
		if channelWords == 0 {
			chans = acc.DRAM
		}
		res, err := acc.RunLayer(0, layer)
		if err != nil {
			t.Fatal(err)
		}
		var words [3]int64
		for i, ch := range chans {
			words[i] = ch.Stats().Words
		}
		return res, words
	}
	base, baseWords := run(0)
	wide, wideWords := run(8)
	narrow, narrowWords := run(2)
	if wide != base || wideWords != baseWords {
		t.Errorf("a channel wider than the interface changed the run: %+v %v, want %+v %v", wide, wideWords, base, baseWords)
	}
	if base.StallCycles == 0 {
		t.Fatalf("the layer does not stall with 1 kB buffers; pick a larger one")
	}
	if narrow.StallCycles <= base.StallCycles {
		t.Errorf("half-width channels: %d stall cycles, want more than %d", narrow.StallCycles, base.StallCycles)
	}
	if narrowWords != baseWords {
		t.Errorf("half-width channels moved %v words, want %v", narrowWords, baseWords)
	}
}

// TestManyFetchesPerFold runs a CALC layer whose folds each cross many of
// the read buffers' fetch points, so a buffer queues more DRAM bursts than
// the ports hold; the buffers and channels must keep draining each other
// instead of waiting on each other.
func TestManyFetchesPerFold(t *testing.T) {
	acc := components.MakeBuilder().WithEngine(sim.NewSerialEngine()).
		WithArray(4, 4).WithSRAMKB(1, 1, 1).Build("NPU")
	res, err := acc.RunLayer(0, systolic.GEMM("long", 8, 8, 4000))
	if err != nil {
		t.Fatal(err)
	}
	// os: 2x2 folds of K+R+C-2 rows; Total Cycles is the last row's index
	if want := int64(4*(4000+4+4-2) - 1); res.TotalCycles != want || res.StallCycles != 0 {
		t.Errorf("total %d stall %d, want %d and 0", res.TotalCycles, res.StallCycles, want)
	}
}
