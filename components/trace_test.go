package components_test

import (
	"path/filepath"
	"testing"

	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

// TestAkitaTracing attaches akita's own tracer, writing CSV (no cgo), to the
// array and the buffers and reads the trace back: one task per layer and
// per fold on the array, one per burst on each buffer, all on the engine's
// time axis, which is the modelled one.
func TestAkitaTracing(t *testing.T) {
	engine := sim.NewSerialEngine()
	acc := swapBuilder(engine).Build("NPU")
	path := filepath.Join(t.TempDir(), "trace")
	w := tracing.NewCSVTraceWriter(path)
	w.Init()
	tracer := tracing.NewDBTracer(engine, w)
	for _, c := range []tracing.NamedHookable{acc.Array, acc.Ifmap, acc.Filter, acc.Ofmap} {
		tracing.CollectTrace(c, tracer)
	}
	res, err := acc.RunLayer(0, swapLayer)
	if err != nil {
		t.Fatal(err)
	}
	tracer.Terminate()

	r := tracing.NewCSVTraceReader(path + ".csv")
	cycle := func(v sim.VTimeInSec) int64 { return int64((1 * sim.GHz).Cycle(v)) }

	layers := r.ListTasks(tracing.TaskQuery{Kind: "layer"})
	if len(layers) != 1 || layers[0].What != swapLayer.Name || layers[0].Where != "NPU.Array" {
		t.Fatalf("layer tasks = %+v, want one for %s on NPU.Array", layers, swapLayer.Name)
	}
	if end := cycle(layers[0].EndTime); end != res.Origin+res.End {
		t.Errorf("layer task ends at engine cycle %d, want Origin+End = %d", end, res.Origin+res.End)
	}
	folds := r.ListTasks(tracing.TaskQuery{Kind: "fold", ParentID: layers[0].ID})
	if len(folds) == 0 {
		t.Fatal("no fold tasks")
	}
	for _, f := range folds {
		if f.EndTime < f.StartTime || f.StartTime < layers[0].StartTime || f.EndTime > layers[0].EndTime {
			t.Errorf("fold task %s [%v, %v] outside its layer [%v, %v]", f.What, f.StartTime, f.EndTime, layers[0].StartTime, layers[0].EndTime)
		}
	}
	last := folds[len(folds)-1]
	if got := cycle(last.EndTime); got < res.Origin+res.TotalCycles {
		t.Errorf("last fold ends at engine cycle %d, before the layer's last row (%d)", got, res.Origin+res.TotalCycles)
	}
	for _, buf := range []string{"NPU.IfmapBuffer", "NPU.FilterBuffer", "NPU.OfmapBuffer"} {
		bursts := r.ListTasks(tracing.TaskQuery{Kind: "burst", Where: buf})
		if len(bursts) == 0 {
			t.Errorf("%s: no burst tasks", buf)
		}
		for _, b := range bursts {
			if b.EndTime < b.StartTime {
				t.Errorf("%s: burst %s ends before it starts", buf, b.ID)
			}
		}
	}
}
