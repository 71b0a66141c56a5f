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
	"github.com/npusim/npusim/sram"
	"github.com/npusim/npusim/systolic"
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
	// Progress, if not nil, receives a progress bar per layer (folds done),
	// as SCALE-Sim's tqdm bar; meant for a terminal.
	Progress io.Writer
	// Context, if not nil, stops the run when it is done (between layers,
	// and inside a layer at the engine's next event): Run then closes its
	// files, leaves the finished layers' reports and IncompleteMarker, and
	// returns an error that matches context.Cause(Context).
	Context context.Context
}

// NewAccelerator builds the accelerator a config describes on engine.
func NewAccelerator(cfg Config, engine sim.Engine) *components.Accelerator {
	acc, _ := newAccelerator(cfg, engine)
	return acc
}

// newAccelerator also returns the real memory behind the buffers (nil for
// the ideal channels).
func newAccelerator(cfg Config, engine sim.Engine) (*components.Accelerator, *memorySystem) {
	ms := newMemorySystem(cfg, engine, accelFreq, max(cfg.WordBytes, 1))
	bw := 0
	if cfg.BandwidthMode == USER {
		bw = cfg.Bandwidth[0] // SCALE-Sim uses only the first element
	}
	return coreBuilder(cfg).
		WithEngine(engine).
		WithBandwidth(bw).
		WithWordBytes(cfg.WordBytes).
		WithDRAM(ms.ports()).
		Build("NPU"), ms
}

// coreBuilder is the builder of the array and buffers cfg describes, without
// engine, bandwidth, word size and memory.
func coreBuilder(cfg Config) components.Builder {
	return components.NewAcceleratorBuilder().
		WithArray(cfg.ArrayHeight, cfg.ArrayWidth).
		WithDataflow(cfg.Dataflow).
		WithSRAMKB(cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB).
		WithOffsets(cfg.offsets()).
		WithSparsity(cfg.sparsity())
}

// offsets are the operands' base addresses.
func (cfg Config) offsets() systolic.Offsets {
	return systolic.Offsets{Ifmap: cfg.IfmapOffset, Filter: cfg.FilterOffset, Ofmap: cfg.OfmapOffset}
}

// Run simulates layers on the accelerator cfg describes, layer by layer,
// and writes SCALE-Sim's reports (and traces, if asked) under
// opts.LogDir/cfg.RunName. It returns the per-layer figures.
func Run(cfg Config, layers []systolic.Layer, opts Options) ([]LayerReport, error) {
	// akita creates its ID generator on first use, unsynchronised: create it
	// here, before anything of the run may run on another goroutine. (A
	// caller running several Runs at once calls sim.GetIDGenerator before
	// starting them.)
	sim.GetIDGenerator()
	con := opts.Console
	if con == nil {
		con = io.Discard
	}
	printBanner(con, cfg, opts.TopologyPath)
	if err := checkRun(cfg, layers, opts); err != nil {
		return nil, err
	}

	if err := os.Mkdir(opts.LogDir, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("creating log folder: %w", err)
	}
	dir := filepath.Join(opts.LogDir, cfg.RunName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating run folder: %w", err)
	}

	layers = withBatch(layers, cfg.Batch)
	if cfg.Multicore.Cores > 1 {
		return runMulticore(cfg, dir, layers, opts)
	}
	engine := sim.NewSerialEngine()
	acc, ms := newAccelerator(cfg, engine)
	if err := ms.checkCapacity(cfg, layers); err != nil {
		return nil, err
	}
	ms.printBanner(con)
	out, err := startOutput(dir, reportFilesFor(cfg), len(layers), con)
	if err != nil {
		return nil, err
	}
	defer out.abandon()
	stop := watch(opts.Context, engine)
	if opts.Progress != nil {
		bar := &progressHook{w: opts.Progress}
		acc.Sequencer.AcceptHook(bar)
		defer bar.finish()
	}
	reports := make([]LayerReport, 0, len(layers))
	for i, l := range layers {
		fmt.Fprintf(con, "\nRunning Layer %d\n", i)
		var closers []func(keep bool) error
		layerDir := filepath.Join(dir, fmt.Sprintf("layer%d", i))
		if opts.Traces {
			var err error
			closers, err = attachTraces(acc, layerDir)
			if err != nil {
				closeTraces(closers, layerDir, false)
				return nil, out.fail(err)
			}
		}
		rep, err := stop.runLayer(acc, i, l)
		ms.collect(&rep)
		if cerr := closeTraces(closers, layerDir, err == nil); cerr != nil && err == nil {
			err = fmt.Errorf("layer %d trace: %w", i, cerr)
		}
		if err == nil {
			err = out.layerDone(&rep)
		}
		if err != nil {
			return nil, out.fail(err)
		}
		reports = append(reports, rep)
		fmt.Fprintf(con, "Compute cycles: %d\n", rep.TotalCycles)
		fmt.Fprintf(con, "Stall cycles: %d\n", rep.StallCycles)
		fmt.Fprintf(con, "Overall utilization: %.2f%%\n", rep.OverallUtil())
		fmt.Fprintf(con, "Mapping efficiency: %.2f%%\n", rep.MappingEfficiency)
		fmt.Fprintf(con, "Average IFMAP DRAM BW: %.3f words/cycle\n", rep.DRAMBandwidth(0))
		fmt.Fprintf(con, "Average Filter DRAM BW: %.3f words/cycle\n", rep.DRAMBandwidth(1))
		fmt.Fprintf(con, "Average OFMAP DRAM BW: %.3f words/cycle\n", rep.DRAMBandwidth(2))
		if opts.Traces {
			fmt.Fprintln(con, "Saving traces: Done!")
		}
	}
	if err := out.finish(); err != nil {
		return nil, err
	}
	fmt.Fprintln(con, "************ SCALE SIM Run Complete ****************")
	return reports, nil
}

// runLayer simulates one layer and gathers its figures from the components.
func runLayer(acc *components.Accelerator, i int, l systolic.Layer) (LayerReport, error) {
	res, err := acc.RunLayer(i, l)
	if err != nil {
		return LayerReport{}, err
	}
	rep := LayerReport{
		Layer:             i,
		Name:              l.Name,
		shape:             l,
		TotalCycles:       res.TotalCycles,
		StallCycles:       res.StallCycles,
		StallBy:           res.StallBy,
		MACs:              l.MACs(),
		ArrayPEs:          int64(acc.Rows * acc.Cols),
		MappingEfficiency: res.MappingEfficiency(),
		ComputeUtil:       res.ComputeUtil(),
	}
	for op, rs := range []sram.ReadStats{acc.Ifmap.Stats(), acc.Filter.Stats()} {
		rep.SRAM[op] = Access{Start: rs.First, Stop: rs.Last, Words: rs.Requests}
	}
	ws := acc.Ofmap.Stats()
	rep.SRAM[protocol.Ofmap] = Access{Start: ws.First, Stop: ws.Last, Words: ws.Requests}
	for op, ch := range acc.DRAM {
		if ch == nil {
			continue
		}
		s := ch.Stats()
		rep.DRAM[op] = Access{Start: s.First, Stop: s.Last, Words: s.Words}
	}
	return rep, nil
}

func printBanner(w io.Writer, cfg Config, topology string) {
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
	if cfg.BandwidthMode == USER {
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

// attachTraces opens the layer's six trace files and hands them to the
// buffers and channels; the returned functions close them, completing the
// traces (keep) or removing them.
func attachTraces(acc *components.Accelerator, dir string) ([]func(keep bool) error, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating trace folder: %w", err)
	}
	var closers []func(keep bool) error
	sramSinks := []interface{ SetTracer(protocol.Tracer) }{acc.Ifmap, acc.Filter, acc.Ofmap}
	for op := protocol.Ifmap; op <= protocol.Ofmap; op++ {
		st, err := createSRAMTrace(filepath.Join(dir, op.String()+"_SRAM_TRACE.csv"))
		if err != nil {
			return closers, err
		}
		sramSinks[op].SetTracer(st)
		sink := sramSinks[op]
		closers = append(closers, func(keep bool) error { sink.SetTracer(nil); return finishTrace(st, keep) })
		if ch := acc.DRAM[op]; ch != nil {
			dt, err := createDRAMTrace(filepath.Join(dir, op.String()+"_DRAM_TRACE.csv"))
			if err != nil {
				return closers, err
			}
			ch.SetTracer(dt)
			closers = append(closers, func(keep bool) error { ch.SetTracer(nil); return finishTrace(dt, keep) })
		}
	}
	return closers, nil
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
