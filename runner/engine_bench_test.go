package runner

import (
	"testing"

	"github.com/sarchlab/akita/v3/sim"
)

// eventCounter counts the events an engine handles.
type eventCounter struct{ n int64 }

func (h *eventCounter) Func(ctx sim.HookCtx) {
	if ctx.Pos == sim.HookPosBeforeEvent {
		h.n++
	}
}

// BenchmarkAlexNetEngine runs AlexNet (32x32 OS CALC, the ideal channels)
// layer by layer on one accelerator and reports the akita events it costs
// per fold and the engine time it took, in cycles, beside the simulated
// cycles: engine time is modelled time, so the two agree.
func BenchmarkAlexNetEngine(b *testing.B) {
	cfg, layers := loadAlexNet(b)
	var events, folds, cycles int64
	var engineCycles uint64
	for b.Loop() {
		engine := sim.NewSerialEngine()
		count := &eventCounter{}
		engine.AcceptHook(count)
		acc := NewAccelerator(cfg, engine)
		folds, cycles = 0, 0
		for i, l := range layers {
			res, err := acc.RunLayer(i, l)
			if err != nil {
				b.Fatal(err)
			}
			folds += int64(res.Folds)
			cycles += res.TotalCycles
		}
		events = count.n
		engineCycles = (1 * sim.GHz).Cycle(engine.CurrentTime())
	}
	b.ReportMetric(float64(events)/float64(folds), "events/fold")
	b.ReportMetric(float64(engineCycles), "engine-cycles")
	b.ReportMetric(float64(cycles), "sim-cycles")
}
