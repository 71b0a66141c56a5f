package vector_test

import (
	"strings"
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/vector"
	"github.com/sarchlab/akita/v3/sim"
)

// documented is the default cost table as docs/vector.md and DefaultCosts'
// comment state it, written out again here so that a changed default
// fails the test.
var documented = map[string]int64{
	"Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Pow": 3, "Sqrt": 1,
	"Relu": 1, "Clip": 2, "LeakyRelu": 2, "Sigmoid": 3, "Tanh": 3,
	"Erf": 1, "Gelu": 1, "HardSigmoid": 4, "HardSwish": 5,
	"Softmax": 5, "LayerNormalization": 7, "BatchNormalization": 2,
	"ReduceMean": 1, "ReduceSum": 1,
	"MaxPool": 1, "AveragePool": 1, "GlobalAveragePool": 1,
	"Transpose": 1, "Concat": 1, "Split": 1, "Slice": 1,
}

// closedForm is latency + ceil(cost*elements*window/lanes), by integer
// division written differently from the package's.
func closedForm(lat, lanes, cost, elements, window int64) int64 {
	work := cost * elements * max(window, 1)
	q := work / lanes
	if q*lanes != work {
		q++
	}
	return lat + q
}

func TestDefaultCostsAsDocumented(t *testing.T) {
	got := vector.DefaultCosts()
	if len(got) != len(documented) {
		t.Errorf("DefaultCosts has %d operators, the documentation %d", len(got), len(documented))
	}
	for op, c := range documented {
		if int64(got[op]) != c {
			t.Errorf("cost of %s: %d, documented %d", op, got[op], c)
		}
	}
	for _, op := range []string{"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"} {
		if !vector.Free(op) {
			t.Errorf("%s should be free (it only relabels memory)", op)
		}
		if _, ok := got[op]; ok {
			t.Errorf("%s is free and must have no cost", op)
		}
	}
}

// Every operator's cycles, from the closed form computed here, for a few
// sizes and unit shapes, including sizes that do not divide by the lanes.
func TestComputeCyclesClosedForm(t *testing.T) {
	units := []struct{ lanes, lat int }{{32, 1}, {16, 4}, {7, 0}, {1, 3}}
	sizes := []struct{ e, w int64 }{{1, 1}, {31, 1}, {1000, 1}, {12544, 9}, {802816, 1}, {512, 49}}
	for _, u := range units {
		cfg := vector.DefaultConfig()
		cfg.Lanes, cfg.Latency = u.lanes, u.lat
		for op, cost := range documented {
			for _, s := range sizes {
				l := vector.Layer{Name: "x", Op: op, Elements: s.e, Window: s.w, In: s.e}
				got, err := cfg.ComputeCycles(l)
				if err != nil {
					t.Fatal(err)
				}
				want := closedForm(int64(u.lat), int64(u.lanes), cost, s.e, s.w)
				if got != want {
					t.Errorf("%s, %d elements, window %d, %d lanes, latency %d: %d cycles, want %d",
						op, s.e, s.w, u.lanes, u.lat, got, want)
				}
			}
		}
	}
	// Worked example of docs/vector.md: a Softmax over 128x128 scores on 32
	// lanes with latency 1: 1 + 5*16384/32 = 2561.
	got, _ := vector.DefaultConfig().ComputeCycles(vector.Layer{Op: "Softmax", Elements: 16384, In: 16384})
	if got != 2561 {
		t.Errorf("worked example: %d cycles, want 2561", got)
	}
	fused, _ := vector.DefaultConfig().ComputeCycles(vector.Layer{Op: "Relu", Elements: 100, In: 100, Fused: true})
	if fused != 0 {
		t.Errorf("a fused layer takes %d cycles, want 0", fused)
	}
}

func TestConfigErrors(t *testing.T) {
	cfg := vector.DefaultConfig()
	if _, err := cfg.ComputeCycles(vector.Layer{Name: "n", Op: "Foo", Elements: 1, In: 1}); err == nil ||
		!strings.Contains(err.Error(), `no cost for operator "Foo"`) {
		t.Errorf("unknown operator: %v", err)
	}
	for _, c := range []vector.Config{{Lanes: 0, Latency: 1}, {Lanes: 4, Latency: -1}, {Lanes: 4, Costs: map[string]int{"Relu": 0}}} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if err := (vector.Layer{Name: "n", Op: "Relu", Elements: 0, In: 1}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "layer n (Relu): elements must be between 1") {
		t.Errorf("zero elements: %v", err)
	}
}

func newAcc(bw, kb, lanes int) *components.Accelerator {
	return components.NewAcceleratorBuilder().WithEngine(sim.NewSerialEngine()).
		WithSRAMKB(kb, kb, kb).WithBandwidth(bw).
		WithVectorUnit(vector.MakeBuilder().WithLanes(lanes).WithFoldRows(256)).Build("NPU")
}

// With memory that keeps up, a layer on the accelerator takes exactly the
// closed form and reads and writes every word of its operands through the
// buffers and DRAM channels.
func TestUnitRunsClosedFormWithoutStalls(t *testing.T) {
	acc := newAcc(0, 64, 16) // CALC mode: the read buffers never stall
	i := 0
	for op, cost := range documented {
		for _, aux := range []int64{0, 3000} {
			l := vector.Layer{Name: op, Op: op, Elements: 3000, Window: 2, In: 6000, Aux: aux}
			r, err := acc.RunVectorLayer(i, l)
			i++
			if err != nil {
				t.Fatal(err)
			}
			want := closedForm(1, 16, cost, 3000, 2)
			if r.ComputeCycles != want || r.StallCycles != 0 || r.TotalCycles != want {
				t.Errorf("%s aux %d: compute %d stall %d total %d, want %d, 0, %d", op, aux, r.ComputeCycles, r.StallCycles, r.TotalCycles, want, want)
			}
			if got := acc.Ifmap.Stats().Requests; got != 6000 {
				t.Errorf("%s: %d ifmap SRAM reads, want 6000", op, got)
			}
			if got := acc.Ofmap.Stats().Requests; got != 3000 {
				t.Errorf("%s: %d ofmap SRAM writes, want 3000", op, got)
			}
			if got := acc.DRAM[0].Stats().Words; got != 6000 {
				t.Errorf("%s: %d ifmap DRAM words, want 6000", op, got)
			}
			if got := acc.DRAM[1].Stats().Words; got != aux {
				t.Errorf("%s: %d filter DRAM words, want %d", op, got, aux)
			}
			if got := acc.DRAM[2].Stats().Words; got < 3000 {
				t.Errorf("%s: %d ofmap DRAM words, want at least 3000", op, got)
			}
		}
	}
}

// A DRAM interface narrower than the lanes' appetite stalls them: with 16
// lanes reading one word each per cycle and 4 words per cycle from DRAM,
// a Relu over n words cannot finish before (n-1024)/4 cycles (the
// first fill, up to the 1 kB buffer, is placed before cycle 0).
func TestUnitStallsOnSlowDRAM(t *testing.T) {
	acc := newAcc(4, 1, 16)
	const n = 20000
	r, err := acc.RunVectorLayer(0, vector.Layer{Name: "relu", Op: "Relu", Elements: n, In: n})
	if err != nil {
		t.Fatal(err)
	}
	if r.ComputeCycles != closedForm(1, 16, 1, n, 1) {
		t.Errorf("compute %d", r.ComputeCycles)
	}
	if r.TotalCycles < (n-1024)/4 || r.StallCycles != r.TotalCycles-r.ComputeCycles || r.StallBy[0] == 0 {
		t.Errorf("total %d stall %d (by %v): want at least %d cycles, stalls on the ifmap", r.TotalCycles, r.StallCycles, r.StallBy, (n-1024)/4)
	}
	if r.TotalCycles > n/4+n/16 {
		t.Errorf("total %d: slower than reading and computing one after the other", r.TotalCycles)
	}
	// A compute-bound operator hides the same traffic: Softmax costs 5
	// cycles per element per lane, 16 lanes take 16/5 words per cycle < 4.
	r, _ = acc.RunVectorLayer(1, vector.Layer{Name: "sm", Op: "Softmax", Elements: n, In: n})
	if r.StallCycles > r.ComputeCycles/20 {
		t.Errorf("softmax: %d stall cycles of %d", r.StallCycles, r.TotalCycles)
	}
}

func TestUnitFusedAndErrors(t *testing.T) {
	acc := newAcc(4, 1, 16)
	r, err := acc.RunVectorLayer(0, vector.Layer{Name: "f", Op: "Relu", Elements: 100, In: 100, Fused: true})
	if err != nil || r.TotalCycles != 0 || !r.Fused || acc.DRAM[0].Stats().Words != 0 {
		t.Errorf("fused: %+v, %v, %d DRAM words", r, err, acc.DRAM[0].Stats().Words)
	}
	if _, err := acc.RunVectorLayer(1, vector.Layer{Name: "g", Op: "Gemm", Elements: 1, In: 1}); err == nil ||
		!strings.Contains(err.Error(), `no cost for operator "Gemm"`) {
		t.Errorf("unknown op: %v", err)
	}
	// the unit goes on with the next layer after a refused one
	if _, err := acc.RunVectorLayer(2, vector.Layer{Name: "h", Op: "Add", Elements: 64, In: 64, Aux: 64}); err != nil {
		t.Error(err)
	}
}

// A vector unit beside the array changes nothing for GEMM layers, before
// or after vector layers ran on the same buffers.
func TestGEMMUnchangedByVectorUnit(t *testing.T) {
	layer := systolic.GEMM("fc", 64, 32, 128)
	for _, bw := range []int{0, 8} {
		plain := components.NewAcceleratorBuilder().WithEngine(sim.NewSerialEngine()).
			WithArray(16, 16).WithSRAMKB(1, 1, 1).WithBandwidth(bw).Build("NPU")
		want, err := plain.RunLayer(0, layer)
		if err != nil {
			t.Fatal(err)
		}
		acc := components.NewAcceleratorBuilder().WithEngine(sim.NewSerialEngine()).
			WithArray(16, 16).WithSRAMKB(1, 1, 1).WithBandwidth(bw).
			WithVectorUnit(vector.MakeBuilder()).Build("NPU")
		for i := 0; i < 2; i++ {
			got, err := acc.RunLayer(0, layer)
			if err != nil {
				t.Fatal(err)
			}
			if got.TotalCycles != want.TotalCycles || got.StallCycles != want.StallCycles || got.Folds != want.Folds {
				t.Errorf("bw %d run %d: %+v, want %+v", bw, i, got, want)
			}
			if acc.DRAM[0].Stats() != plain.DRAM[0].Stats() {
				t.Errorf("bw %d run %d: ifmap DRAM %+v, want %+v", bw, i, acc.DRAM[0].Stats(), plain.DRAM[0].Stats())
			}
			if _, err := acc.RunVectorLayer(1, vector.Layer{Name: "r", Op: "Relu", Elements: 5000, In: 5000}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The energy breakdown adds up to the default cost, except for the
// operators that only move data.
func TestMixMatchesCost(t *testing.T) {
	mix, costs := vector.DefaultMix(), vector.DefaultCosts()
	if len(mix) != len(costs) {
		t.Errorf("%d mixes for %d costs", len(mix), len(costs))
	}
	moves := map[string]bool{"Transpose": true, "Concat": true, "Split": true, "Slice": true}
	for op, c := range costs {
		m := mix[op]
		if moves[op] {
			if m.Adds+m.Muls != 0 {
				t.Errorf("%s moves data and computes %+v", op, m)
			}
			continue
		}
		if m.Adds+m.Muls != c {
			t.Errorf("%s: mix %+v, cost %d", op, m, c)
		}
	}
	// Softmax over 1000 elements at 8 bits: 1000*(3*0.03 + 2*0.2) pJ
	got := vector.DefaultConfig().EnergyPJ(vector.Layer{Op: "Softmax", Elements: 1000, In: 1000}, 0.03, 0.2)
	if want := 1000 * (3*0.03 + 2*0.2); got < want*0.999999 || got > want*1.000001 {
		t.Errorf("softmax energy %g pJ, want %g", got, want)
	}
}
