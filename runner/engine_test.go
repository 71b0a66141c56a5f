package runner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/npusim/npusim/components/protocol"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/sarchlab/akita/v3/tracing"
)

// runFiles runs a golden case (with extra config text) and returns every
// file of its run folder.
func runFiles(t *testing.T, dir, extra string, opts Options) map[string][]byte {
	t.Helper()
	cfg, layers, traces := loadGoldenWith(t, dir, extra)
	opts.LogDir = t.TempDir()
	opts.Traces = traces
	if _, err := Run(cfg, layers, opts); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	root := filepath.Join(opts.LogDir, cfg.RunName)
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[rel], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// realMem is a real memory behind adapters: akita's ideal memory controller, 20 cycles
// latency (its DRAM models tick every cycle, too slow to run every case).
const realMem = "[dram]\nModel = fixed\nLatency = 20\n"

// parallelCases are golden cases (and variants with a real memory and
// several cores) small enough to run 20 times each.
var parallelCases = []struct{ dir, extra string }{
	{"golden/tiny_4x4_os_user2_traces", ""},
	{"golden/tiny_4x4_ws_traces", ""},
	{"golden/stall_8x8_ws_user1", ""},
	{"golden/rect_16x4_is_user4", ""},
	{"golden/mnk_test_32x32_os", ""},
	{"golden-v3/sp_conv_8x8_ws_lw_ell_2of4", ""},
	{"golden/stall_8x8_os_user1", realMem},
	{"golden/rect_16x4_ws_user4", realMem},
	{"golden/tiny_4x4_is_user2_traces", "[dram]\nModel = hbm2\n"},
	{"golden/tiny_4x4_ws_user2_traces", realMem + "[multicore]\nCores = 2\n"},
}

// TestGoldenParallelEngine runs golden cases, with the ideal channels,
// with a real memory and on two cores, 20 times each on akita's parallel
// engine (Options.Parallel), and checks every report and trace file is
// byte for byte the serial engine's.
func TestGoldenParallelEngine(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 2
	}
	for _, c := range parallelCases {
		dir := filepath.Join("..", "testdata", c.dir)
		t.Run(strings.ReplaceAll(c.dir+"+"+c.extra, "\n", " "), func(t *testing.T) {
			want := runFiles(t, dir, c.extra, Options{Workers: 1})
			if len(want) < 3 {
				t.Fatalf("test setup: %d files", len(want))
			}
			for i := 0; i < runs; i++ {
				got := runFiles(t, dir, c.extra, Options{Workers: 1, Parallel: true})
				if len(got) != len(want) {
					t.Fatalf("run %d: %d files, serial %d", i, len(got), len(want))
				}
				for name, w := range want {
					if !bytes.Equal(got[name], w) {
						t.Fatalf("run %d: %s differs from the serial engine's:\n%s\nserial:\n%s", i, name, got[name], w)
					}
				}
			}
		})
	}
}

// burstClock records when each burst leaves a buffer (an akita tracer
// hook on the buffers) against the cycle it stands for.
type burstClock struct {
	mu     sync.Mutex
	engine sim.Engine
	late   []lateBurst
	n      int
}

type lateBurst struct {
	write     bool
	at, delay int64
	what      string
}

func (b *burstClock) Func(ctx sim.HookCtx) {
	if ctx.Pos != tracing.HookPosTaskStart {
		return
	}
	task := ctx.Item.(tracing.Task)
	req, ok := task.Detail.(*protocol.BurstReq)
	if !ok || task.Kind != "burst" {
		return
	}
	left := int64((1 * sim.GHz).Cycle(b.engine.CurrentTime()))
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	if d := left - (req.Origin + req.At); d != 0 {
		b.late = append(b.late, lateBurst{req.Write, req.At, d,
			fmt.Sprintf("%s %s at %d left %d cycles late", task.Where, task.What, req.At, d)})
	}
}

// TestGoldenBurstTiming runs every USER-mode golden case with the ideal
// channels and with a real memory (HBM2), with goroutine walks and inline
// walks, and checks with a tracer on the buffers when each burst leaves.
// Every fill leaves at its cycle, Origin+At. So does every drain, but for
// the documented exceptions: the final drain's first chunk, which
// SCALE-Sim dates from the layer's last row even while a drain is in
// flight (sram.WriteBuffer.finish), and, with the ideal channels only, a
// drain SCALE-Sim dates at a row the buffer hears of after its cycle
// (sram.WriteBuffer.drainChunk), which leaves when the row arrives, at
// most three cycles late. Both walk modes give the same figures.
func TestGoldenBurstTiming(t *testing.T) {
	cases, _ := filepath.Glob("../testdata/golden/*user*/KIND")
	if len(cases) < 8 {
		t.Fatalf("test setup: %d USER golden cases", len(cases))
	}
	for _, k := range cases {
		dir := filepath.Dir(k)
		for _, extra := range []string{"", realMem} {
			t.Run(filepath.Base(dir)+map[string]string{"": "", realMem: "+fixed20"}[extra], func(t *testing.T) {
				burstTiming(t, dir, extra)
			})
		}
	}
}

func burstTiming(t *testing.T, dir, extra string) {
	{
		{
			var figures [2]string
			for mode, oneThread := range []bool{false, true} {
				cfg, layers, _ := loadGoldenWith(t, dir, extra)
				engine := sim.NewSerialEngine()
				acc, ms := newAccelerator(cfg, engine, oneThread)
				clock := &burstClock{engine: engine}
				for _, c := range []tracing.NamedHookable{acc.Ifmap, acc.Filter, acc.Ofmap} {
					c.AcceptHook(clock)
				}
				var fig []string
				for i, l := range layers {
					clock.late = clock.late[:0]
					rep, err := runLayer(acc, i, l)
					if err != nil {
						t.Fatal(err)
					}
					ms.collect(&rep)
					if m := rep.Memory; m != nil {
						rep.Memory = nil
						fig = append(fig, fmt.Sprintf("%+v", *m))
					}
					fig = append(fig, fmt.Sprintf("%+v", rep))
					for _, lb := range clock.late {
						final := lb.write && lb.at >= acc.Ofmap.Stats().Last
						hopLate := lb.write && extra == "" && lb.delay > 0 && lb.delay <= 3
						if !final && !hopLate {
							t.Errorf("%s %q layer %d (one thread %v): %s", filepath.Base(dir), extra, i, oneThread, lb.what)
						}
					}
				}
				if clock.n == 0 {
					t.Fatalf("%s: no bursts traced", dir)
				}
				sort.Strings(fig)
				figures[mode] = strings.Join(fig, "\n")
			}
			if figures[0] != figures[1] {
				t.Errorf("%s %q: walk modes differ:\n%s\ninline:\n%s", filepath.Base(dir), extra, figures[0], figures[1])
			}
		}
	}
}

// TestTaskTrace writes akita's task trace (Options.TaskTrace, npusim
// -trace-tasks) for a run with a real memory and checks it is one tree:
// every task's parent is in the file, and the memory controllers' tasks
// lead up through the adapters' requests and the buffers' bursts to a
// layer.
func TestTaskTrace(t *testing.T) {
	for _, extra := range []string{"", "[dram]\nModel = hbm2\n"} {
		dir := filepath.Join("..", "testdata", "golden", "tiny_4x4_os_user2_traces")
		file := filepath.Join(t.TempDir(), "tasks.csv")
		for _, parallel := range []bool{false, true} {
			runFiles(t, dir, extra, Options{TaskTrace: file, Parallel: parallel})
			tasks := tracing.NewCSVTraceReader(file).ListTasks(tracing.TaskQuery{})
			byID := map[string]tracing.Task{}
			for _, task := range tasks {
				byID[task.ID] = task
			}
			kinds := map[string]int{}
			for _, task := range tasks {
				kinds[task.Kind]++
				if _, ok := byID[task.ParentID]; !ok && task.ParentID != "" {
					t.Errorf("%q: %s task %s at %s: parent %s is not in the trace", extra, task.Kind, task.ID, task.Where, task.ParentID)
				}
				if task.ParentID == "" && task.Kind != "layer" {
					t.Errorf("%q: %s task %s at %s has no parent", extra, task.Kind, task.ID, task.Where)
				}
			}
			if kinds["layer"] != 3 || kinds["fold"] == 0 || kinds["burst"] == 0 {
				t.Errorf("%q: tasks by kind %v, want 3 layers, folds and bursts", extra, kinds)
			}
			if extra != "" {
				reached := 0
				for _, task := range tasks {
					if task.Kind != "req_in" || !strings.Contains(task.Where, "Memory") {
						continue
					}
					var chain []string
					for cur, ok := task, true; ok; cur, ok = byID[cur.ParentID] {
						chain = append(chain, cur.Kind)
					}
					// Behind adapters (akita memories) a memory request
					// is under the adapter's req_out; npusim's DRAM model
					// takes the burst itself.
					if chain[len(chain)-1] != "layer" || (chain[1] != "req_out" && chain[1] != "burst") {
						t.Fatalf("%s at %s leads up through %v", task.ID, task.Where, chain)
					}
					reached++
				}
				if reached == 0 {
					t.Errorf("no memory controller task in the trace: %v", kinds)
				}
			}
		}
	}
}
