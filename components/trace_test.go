package components_test

import (
	"fmt"
	"strings"

	"path/filepath"
	"testing"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/systolic"

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

// TestTaskTree traces a layer through akita's CSV tracer, with the ideal
// channels and with a real memory (HBM2 controllers behind adapters), on
// the serial and the parallel engine, and checks the trace is one tree:
// every task's parent is in the trace, and memory requests lead up, through
// req_out, the adapter, the burst and the fold, to the layer.
func TestTaskTree(t *testing.T) {
	for _, memory := range []bool{false, true} {
		for _, parallel := range []bool{false, true} {
			var engine sim.Engine = sim.NewSerialEngine()
			if parallel {
				engine = sim.NewParallelEngine()
			}
			path := filepath.Join(t.TempDir(), "trace")
			w := tracing.NewCSVTraceWriter(path)
			w.Init()
			db := tracing.NewDBTracer(engine, w)
			tracer := components.SyncTracer(db)
			b := swapBuilder(engine)
			var hooked []tracing.NamedHookable
			if memory {
				m, err := dram.BuildMemory(engine, 1*sim.GHz, "Mem", dram.MemorySpec{Model: dram.AkitaHBM2, Channels: 2})
				if err != nil {
					t.Fatal(err)
				}
				conn := sim.NewDirectConnection("MemConn", engine, 1*sim.GHz)
				var ports [3]sim.Port
				for i := range ports {
					a := m.AdapterBuilder().WithEngine(engine).WithFreq(1 * sim.GHz).WithBytesPerCycle(4).Build(fmt.Sprintf("Adapter%d", i))
					conn.PlugIn(a.GetPortByName("Bottom"), m.Spec.MaxInFlight)
					ports[i] = a.GetPortByName("Top")
					hooked = append(hooked, a)
				}
				for _, p := range m.Ports() {
					conn.PlugIn(p, 3*m.Spec.MaxInFlight)
				}
				for _, c := range m.Controllers {
					hooked = append(hooked, c.(tracing.NamedHookable))
				}
				b = b.WithDRAM(ports[0], ports[1], ports[2])
			}
			acc := b.Build("NPU")
			acc.TraceTasks(tracer)
			for _, h := range hooked {
				tracing.CollectTrace(h, tracer)
			}
			if _, err := acc.RunLayer(0, systolic.GEMM("fc", 32, 16, 64)); err != nil {
				t.Fatal(err)
			}
			db.Terminate()

			tasks := tracing.NewCSVTraceReader(path + ".csv").ListTasks(tracing.TaskQuery{})
			byID := map[string]tracing.Task{}
			for _, task := range tasks {
				byID[task.ID] = task
			}
			kinds := map[string]int{}
			for _, task := range tasks {
				kinds[task.Kind]++
				if task.ParentID == "" {
					if task.Kind != "layer" {
						t.Errorf("memory %v parallel %v: %s task %s (%s) has no parent", memory, parallel, task.Kind, task.ID, task.Where)
					}
					continue
				}
				if _, ok := byID[task.ParentID]; !ok {
					t.Errorf("memory %v parallel %v: %s task %s (%s): parent %s not in the trace", memory, parallel, task.Kind, task.ID, task.Where, task.ParentID)
				}
			}
			if kinds["layer"] != 1 || kinds["fold"] == 0 || kinds["burst"] == 0 || kinds["req_in"] == 0 {
				t.Fatalf("memory %v: task kinds %v", memory, kinds)
			}
			if memory && kinds["req_out"] == 0 {
				t.Fatalf("no req_out tasks with a real memory: %v", kinds)
			}
			// walk up from every leaf: the chain of kinds must end at the layer
			want := []string{"req_in", "burst", "fold", "layer"}
			if memory {
				want = []string{"req_in", "req_out", "req_in", "burst", "fold", "layer"}
			}
			checked := 0
			for _, task := range tasks {
				if task.Kind != "req_in" || (memory && !strings.HasPrefix(task.Where, "Mem")) {
					continue
				}
				var chain []string
				for cur, ok := task, true; ok; cur, ok = byID[cur.ParentID] {
					chain = append(chain, cur.Kind)
				}
				// a layer's first fills come before its first fold
				early := append(append([]string(nil), want[:len(want)-2]...), "layer")
				switch fmt.Sprint(chain) {
				case fmt.Sprint(want):
					checked++
				case fmt.Sprint(early):
				default:
					t.Fatalf("memory %v: %s at %s leads up through %v, want %v", memory, task.ID, task.Where, chain, want)
				}
			}
			if checked == 0 {
				t.Fatalf("memory %v: no request at the memory end of the tree", memory)
			}
		}
	}
}
