package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/sram"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
	"github.com/npusim/npusim/vector"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/schollz/progressbar/v3"
)

// Options control a run.
type Options struct {
	// LogDir is the folder the run's folder (named after run_name) goes in;
	// it is created if missing (its parent must exist, as in SCALE-Sim).
	LogDir string
	// Traces writes layerN/{IFMAP,FILTER,OFMAP}_{SRAM,DRAM}_TRACE.csv.
	Traces bool
	// TopologyPath is printed in the banner.
	TopologyPath string
	// Console receives what SCALE-Sim prints (nil: nothing).
	Console io.Writer
	// Progress, if not nil, receives a progress bar for the whole run, or,
	// in the plain serial run (Workers 1 and NoReuse), a bar per layer
	// (folds done) as SCALE-Sim's tqdm bar; meant for a terminal.
	Progress io.Writer
	// Context, if not nil, stops the run when it is done (between layers,
	// and inside a layer at the engine's next event): Run then closes its
	// files, leaves the finished layers' reports and report.IncompleteMarker, and
	// returns an error that matches context.Cause(Context).
	Context context.Context
	// Workers is how many layers are simulated at the same time, each on
	// an accelerator of its own: 0 means one per core, 1 one at a time.
	// The output is the same whatever the number.
	Workers int
	// NoReuse simulates every layer, even one of the same shape as an
	// earlier layer (whose figures and traces it otherwise copies).
	NoReuse bool
	// OneThread keeps each layer's simulation on one goroutine (by default
	// the read buffers walk long folds on goroutines of their own), for a
	// caller that runs several Runs at once on all cores.
	OneThread bool
	// Parallel simulates each layer on akita's parallel engine
	// (sim.NewParallelEngine), which runs the components that tick at the
	// same instant on goroutines of their own, as MGPUSim's runner offers.
	// The output is the same as on the serial engine. A stop (Context)
	// then takes effect between layers: the parallel engine cannot be
	// left in the middle of one.
	Parallel bool
	// TaskTrace, if set, is the file (FILE.csv) akita's CSV tracer writes
	// the run's task tree to: each layer, its folds, their bursts and
	// their memory requests, with parent IDs, for akita's Daisen. Every
	// layer is then simulated (no reuse), one after the other on one
	// accelerator, so that the trace has one time axis. Multi-core runs
	// refuse it.
	TaskTrace string
}

// newEngine returns the akita engine a layer is simulated on.
func newEngine(opts Options) sim.Engine {
	if opts.Parallel {
		return sim.NewParallelEngine()
	}
	return sim.NewSerialEngine()
}

// NewAccelerator builds the accelerator a config describes on engine.
func NewAccelerator(cfg config.Config, engine sim.Engine) *components.Accelerator {
	acc, _ := newAccelerator(cfg, engine, false)
	return acc
}

// newAccelerator also returns the real memory behind the buffers (nil for
// the ideal channels); oneThread keeps the simulation on one goroutine.
func newAccelerator(cfg config.Config, engine sim.Engine, oneThread bool) (*components.Accelerator, *memorySystem) {
	ms := newMemorySystem(cfg, engine, cfg.Clock(), max(cfg.WordBytes, 1))
	bw := 0
	if cfg.BandwidthMode == config.USER {
		bw = cfg.Bandwidth[0] // SCALE-Sim uses only the first element
	}
	b := coreBuilder(cfg)
	if cfg.Vector != nil {
		b = b.WithVectorUnit(vector.MakeBuilder().WithConfig(cfg.Vector.Config))
	}
	acc := b.
		WithEngine(engine).
		WithFreq(cfg.Clock()).
		WithBandwidth(bw).
		WithWordBytes(cfg.WordBytes).
		WithDRAM(ms.ports()).
		WithInlineWalks(oneThread).
		Build("NPU")
	ms.attach(acc)
	return acc, ms
}

// coreBuilder is the builder of the array and buffers cfg describes, without
// engine, bandwidth, word size and memory.
func coreBuilder(cfg config.Config) components.Builder {
	return components.MakeBuilder().
		WithArray(cfg.ArrayHeight, cfg.ArrayWidth).
		WithDataflow(cfg.Dataflow).
		WithSRAMKB(cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB).
		WithOffsets(cfg.Offsets()).
		WithSparsity(cfg.Sparsity())
}

// Run simulates layers on the accelerator cfg describes and writes
// SCALE-Sim's reports (and traces, if asked) under opts.LogDir/cfg.RunName,
// layer by layer. It returns the per-layer figures. Layers of a shape seen
// before reuse its figures and traces, and distinct layers may be
// simulated at the same time (Options.Workers, NoReuse); the output is the
// same as that of a plain serial run.
func Run(cfg config.Config, layers []systolic.Layer, opts Options) ([]report.Layer, error) {
	reports, _, err := RunNetwork(cfg, layers, nil, opts)
	return reports, err
}

// RunNetwork is Run for a network with vector layers too (docs/vector.md):
// the GEMM layers run as Run runs them, then the vector layers on the
// vector unit cfg.Vector describes (the default unit if the config has no
// [vector] section). Their rows go to VECTOR_REPORT.csv, ENERGY_REPORT.csv
// and (real memory) DRAM_REPORT.csv, and NETWORK_REPORT.csv splits the
// cycles. Without vector layers and without a [vector] section the output
// is exactly Run's.
func RunNetwork(cfg config.Config, layers []systolic.Layer, vls []topology.VectorLayer, opts Options) ([]report.Layer, []report.VectorLayer, error) {
	if len(vls) > 0 && cfg.Vector == nil {
		cfg.Vector = config.DefaultVector()
	}
	// akita creates its ID generator on first use, unsynchronised: create it
	// here, before anything of the run may run on another goroutine. (A
	// caller running several Runs at once calls sim.GetIDGenerator before
	// starting them.)
	sim.GetIDGenerator()
	con := opts.Console
	if con == nil {
		con = io.Discard
	}
	if err := checkRun(cfg, layers, opts); err != nil {
		return nil, nil, err
	}
	if err := checkVector(cfg, vls, len(layers)); err != nil {
		return nil, nil, err
	}
	// Everything that can refuse the run is checked before anything is
	// printed or created: a refused run prints its error alone and leaves
	// no folder behind.
	layers = withBatch(layers, cfg.Batch)
	var first *worker
	var ms *memorySystem
	if cfg.Multicore.Cores > 1 {
		if opts.TaskTrace != "" {
			return nil, nil, fmt.Errorf("config %s: [%s]: task traces (-trace-tasks) are not written by multi-core runs", cfg.Path, "multicore")
		}
		ms = newMemorySystem(cfg, sim.NewSerialEngine(), cfg.Clock(), max(cfg.WordBytes, 1))
	} else {
		if opts.TaskTrace != "" {
			opts.Workers, opts.NoReuse = 1, true // one accelerator, every layer simulated
		}
		first = newWorker(cfg, opts)
		ms = first.ms
	}
	if err := ms.checkCapacity(cfg, layers); err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(opts.LogDir, cfg.RunName)
	if err := report.CheckRunDir(dir); err != nil {
		return nil, nil, err
	}
	if err := os.Mkdir(opts.LogDir, 0o755); err != nil && !os.IsExist(err) {
		return nil, nil, fmt.Errorf("creating log folder: %w", err)
	}
	if err := fileio.MkdirNoFollow(dir); err != nil {
		return nil, nil, fmt.Errorf("creating run folder: %w", err)
	}
	printBanner(con, cfg, opts.TopologyPath)

	if cfg.Multicore.Cores > 1 {
		reports, err := runMulticore(cfg, dir, layers, opts, ms)
		return reports, nil, err
	}
	if opts.TaskTrace != "" {
		finish, err := traceTasks(first, opts.TaskTrace)
		if err != nil {
			return nil, nil, err
		}
		defer finish()
	}
	first.ms.printBanner(con)
	out, err := report.StartOutput(dir, report.Formats(cfg), len(layers), con)
	if err != nil {
		return nil, nil, err
	}
	defer out.Abandon()
	run := runSerial
	// Layers are independent with the ideal channel and with npusim's
	// controller (each layer starts on an idle memory), so they may run at
	// once and reuse each other's figures. A continuous memory, and akita's
	// memories (kept for comparison, never reset), carry their state from
	// layer to layer: their layers run in order, every one simulated, so
	// that -j and reuse cannot change the output.
	independent := cfg.DRAM.IsIdeal() || (cfg.DRAM.UsesController() && !cfg.DRAM.Continuous)
	if (opts.Workers != 1 || !opts.NoReuse) && independent {
		run = runLayers // parallel.go
	}
	reports, err := run(cfg, layers, opts, first, dir, con, out)
	if err != nil {
		return nil, nil, out.Fail(err)
	}
	vreps, err := runVector(cfg, vls, opts, con, out)
	if err != nil {
		return nil, nil, out.Fail(err)
	}
	if err := out.Finish(); err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(con, "************ SCALE SIM Run Complete ****************")
	return reports, vreps, nil
}

// runSerial simulates the layers one after the other on one accelerator.
func runSerial(cfg config.Config, layers []systolic.Layer, opts Options, w *worker, dir string, con io.Writer, out *report.Output) ([]report.Layer, error) {
	if opts.Progress != nil {
		bar := &progressHook{w: opts.Progress}
		w.acc.Sequencer.AcceptHook(bar)
		defer bar.finish()
	}
	reports := make([]report.Layer, 0, len(layers))
	for i, l := range layers {
		fmt.Fprintf(con, "\nRunning Layer %d\n", i)
		rep, err := w.simulate(i, l, opts.Traces, dir)
		if err == nil {
			err = out.LayerDone(&rep)
		}
		if err != nil {
			return nil, err
		}
		reports = append(reports, rep)
		printLayer(con, rep, opts.Traces)
	}
	return reports, nil
}

// worker is an accelerator on an engine of its own, with its memory and
// the watch on the run's context.
type worker struct {
	acc     *components.Accelerator
	ms      *memorySystem
	stop    *stopper
	watched bool // its sequencer reports to the run's progress bar
	engine  sim.Engine
}

func newWorker(cfg config.Config, opts Options) *worker {
	engine := newEngine(opts)
	acc, ms := newAccelerator(cfg, engine, opts.OneThread)
	w := &worker{acc: acc, ms: ms, engine: engine}
	if opts.Parallel {
		// The stop hook panics out of the engine, which only works on the
		// goroutine that runs it: on the parallel engine a stop is checked
		// between layers.
		w.stop = watch(opts.Context, nil)
	} else {
		w.stop = watch(opts.Context, engine)
	}
	return w
}

// simulate runs layer i, writing its traces under dir/layer<i> if traces
// is set (removed again if the layer does not finish).
func (w *worker) simulate(i int, l systolic.Layer, traces bool, dir string) (report.Layer, error) {
	var closers []func(keep bool) error
	layerDir := filepath.Join(dir, fmt.Sprintf("layer%d", i))
	if traces {
		var err error
		closers, err = attachTraces(w.acc, w.ms, layerDir)
		if err != nil {
			report.CloseTraces(closers, layerDir, false)
			return report.Layer{}, err
		}
	}
	rep, err := w.stop.runLayer(w.acc, i, l)
	if merr := w.ms.err(); merr != nil && err != nil {
		err = fmt.Errorf("layer %d: %w", i, merr)
	}
	w.ms.collect(&rep)
	if cerr := report.CloseTraces(closers, layerDir, err == nil); cerr != nil && err == nil {
		err = fmt.Errorf("layer %d trace: %w", i, cerr)
	}
	return rep, err
}

// runLayer simulates one layer and gathers its figures from the components.
func runLayer(acc *components.Accelerator, i int, l systolic.Layer) (report.Layer, error) {
	res, err := acc.RunLayer(i, l)
	if err != nil {
		return report.Layer{}, err
	}
	rep := report.Layer{
		Layer:             i,
		Name:              l.Name,
		Shape:             l,
		TotalCycles:       res.TotalCycles,
		StallCycles:       res.StallCycles,
		StallBy:           res.StallBy,
		MACs:              l.MACs(),
		ArrayPEs:          int64(acc.Rows * acc.Cols),
		MappingEfficiency: res.MappingEfficiency(),
		ComputeUtil:       res.ComputeUtil(),
	}
	for op, rs := range []sram.ReadStats{acc.Ifmap.Stats(), acc.Filter.Stats()} {
		rep.SRAM[op] = report.Access{Start: rs.First, Stop: rs.Last, Words: rs.Requests}
	}
	ws := acc.Ofmap.Stats()
	rep.SRAM[protocol.Ofmap] = report.Access{Start: ws.First, Stop: ws.Last, Words: ws.Requests}
	for op, ch := range acc.DRAM {
		if ch == nil {
			continue
		}
		s := ch.Stats()
		rep.DRAM[op] = report.Access{Start: s.First, Stop: s.Last, Words: s.Words}
	}
	return rep, nil
}

func printBanner(w io.Writer, cfg config.Config, topology string) {
	line := strings.Repeat("=", 52)
	fmt.Fprintln(w, line)
	fmt.Fprintln(w, "******************* SCALE SIM **********************")
	fmt.Fprintln(w, line)
	fmt.Fprintf(w, "Array Size: \t%dx%d\n", cfg.ArrayHeight, cfg.ArrayWidth)
	fmt.Fprintf(w, "SRAM IFMAP (kB): \t%d\n", cfg.IfmapSRAMKB)
	fmt.Fprintf(w, "SRAM Filter (kB): \t%d\n", cfg.FilterSRAMKB)
	fmt.Fprintf(w, "SRAM OFMAP (kB): \t%d\n", cfg.OfmapSRAMKB)
	fmt.Fprintf(w, "Dataflow: \t%s\n", cfg.Dataflow.LongName())
	fmt.Fprintf(w, "CSV file path: \t%s\n", topology)
	if cfg.BandwidthMode == config.USER {
		bws := make([]string, len(cfg.Bandwidth))
		for i, b := range cfg.Bandwidth {
			bws[i] = fmt.Sprint(b)
		}
		fmt.Fprintf(w, "Bandwidth: \t%s\n", strings.Join(bws, ","))
		fmt.Fprintln(w, "Working in USE USER BANDWIDTH mode.")
	} else {
		fmt.Fprintln(w, "Working in ESTIMATE BANDWIDTH mode.")
	}
	fmt.Fprintln(w, line)
}

// layerTracers are the tracers of one accelerator's six traces.
type layerTracers struct {
	SRAM, DRAM [3]protocol.Tracer
}

// openTraces creates dir and opens in it the three SRAM traces and, if
// withDRAM, the three DRAM traces; the returned functions close them,
// completing the traces (keep) or removing them. On an error the files
// already open are among the closers.
func openTraces(dir string, withDRAM bool) (layerTracers, []func(keep bool) error, error) {
	var tr layerTracers
	if err := fileio.MkdirNoFollow(dir); err != nil {
		return tr, nil, fmt.Errorf("creating trace folder: %w", err)
	}
	var closers []func(keep bool) error
	for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
		st, err := report.CreateSRAMTrace(filepath.Join(dir, op.String()+"_SRAM_TRACE.csv"))
		if err != nil {
			return tr, closers, err
		}
		tr.SRAM[op] = st
		closers = append(closers, func(keep bool) error { return report.FinishTrace(st, keep) })
		if !withDRAM {
			continue
		}
		dt, err := report.CreateDRAMTrace(filepath.Join(dir, op.String()+"_DRAM_TRACE.csv"))
		if err != nil {
			return tr, closers, err
		}
		tr.DRAM[op] = dt
		closers = append(closers, func(keep bool) error { return report.FinishTrace(dt, keep) })
	}
	return tr, closers, nil
}

// attachTraces opens the layer's traces and hands them to the buffers and
// to what serves their bursts: the ideal channels, or npusim's DRAM model
// (ms), which traces each line at the cycle it served it
// (dram.Controller.SetBurstTracer). akita's memories, behind adapters,
// write no DRAM traces. The returned functions detach and close them,
// completing the traces (keep) or removing them.
func attachTraces(acc *components.Accelerator, ms *memorySystem, dir string) ([]func(keep bool) error, error) {
	ctrl := ms != nil && ms.ctrl != nil
	tr, closers, err := openTraces(dir, ms == nil || ctrl)
	if err != nil {
		return closers, err
	}
	sramSinks := []interface{ SetTracer(protocol.Tracer) }{acc.Ifmap, acc.Filter, acc.Ofmap}
	for op := range sramSinks {
		sramSinks[op].SetTracer(tr.SRAM[op])
		switch {
		case tr.DRAM[op] == nil:
		case acc.DRAM[op] != nil:
			acc.DRAM[op].SetTracer(tr.DRAM[op])
		case ctrl:
			ms.ctrl.SetBurstTracer(ms.bufs[op], tr.DRAM[op])
		}
	}
	detach := func(bool) error {
		for op := range sramSinks {
			sramSinks[op].SetTracer(nil)
			if acc.DRAM[op] != nil {
				acc.DRAM[op].SetTracer(nil)
			} else if ctrl {
				ms.ctrl.SetBurstTracer(ms.bufs[op], nil)
			}
		}
		return nil
	}
	return append([]func(keep bool) error{detach}, closers...), nil
}

// progressHook draws a progress bar of the folds of the layer being
// simulated.
type progressHook struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	layer int
}

func (h *progressHook) Func(ctx sim.HookCtx) {
	p, ok := ctx.Item.(systolic.FoldProgress)
	if !ok {
		return
	}
	if h.bar == nil || h.layer != p.Layer {
		h.finish()
		h.layer = p.Layer
		h.bar = progressbar.NewOptions(p.Total,
			progressbar.OptionSetWriter(h.w),
			progressbar.OptionSetDescription(fmt.Sprintf("layer %d folds", p.Layer)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	h.bar.Set(p.Done)
}

func (h *progressHook) finish() {
	if h.bar != nil {
		h.bar.Finish()
		h.bar = nil
	}
}

// withBatch returns layers with Batch set to batch (layers itself when
// batch is 0 or 1).
func withBatch(layers []systolic.Layer, batch int) []systolic.Layer {
	if batch <= 1 {
		return layers
	}
	out := make([]systolic.Layer, len(layers))
	for i, l := range layers {
		l.Batch = batch
		out[i] = l
	}
	return out
}
