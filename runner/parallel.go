package runner

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/schollz/progressbar/v3"
)

// Layers are independent in SCALE-Sim's semantics: each starts with empty
// buffers and its cycles count from its own start. So a layer of the same
// shape as an earlier one (the name aside) has the same figures and the
// same traces, and distinct layers can be simulated at the same time, each
// on an accelerator and engine of its own. runLayers does both and still
// writes what a serial run writes: the console text in layer order, the
// reports, and the traces (a repeated layer's are copies of the first
// one's).

// layerKey is what a layer's figures depend on besides the config: its
// shape, not its name.
func layerKey(l systolic.Layer) systolic.Layer {
	l.Name = ""
	return l
}

// layerRun is the outcome of one layer.
type layerRun struct {
	rep  report.Layer
	err  error
	done chan struct{} // closed when rep and err are set
}

// runLayers simulates layers on opts.Workers accelerators (0: one per
// two cores; first is one of them), each distinct shape once, writing each
// layer's report rows to out and its summary to con in layer order as soon
// as it and the layers before it are done.
func runLayers(cfg config.Config, layers []systolic.Layer, opts Options, first *worker, dir string, con io.Writer, out *report.Output) ([]report.Layer, error) {
	var firstOf = make([]int, len(layers)) // index of the first layer of the same shape
	seen := map[systolic.Layer]int{}
	var jobs []int // the layers to simulate
	for i, l := range layers {
		firstOf[i] = i
		if opts.NoReuse {
			jobs = append(jobs, i)
			continue
		}
		if j, ok := seen[layerKey(l)]; ok {
			firstOf[i] = j
			continue
		}
		seen[layerKey(l)] = i
		jobs = append(jobs, i)
	}
	runs := make([]layerRun, len(layers))
	for i := range runs {
		runs[i].done = make(chan struct{})
	}

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0) // all cores
	}
	workers = max(1, min(workers, len(jobs)))
	if workers > 1 {
		// Longest first (by MACs, a rough cost), so that a big layer does
		// not start last while the other workers sit idle. (One worker
		// goes in layer order: the reports then grow as the layers finish,
		// which an interrupted run keeps.)
		slices.SortStableFunc(jobs, func(a, b int) int { return cmp.Compare(layers[b].MACs(), layers[a].MACs()) })
	}
	bar := newLayersBar(opts.Progress, len(layers))
	defer bar.finish()

	// Once a layer has failed, the jobs of the layers after it are skipped
	// (a serial run would not reach them).
	var next, failed atomic.Int64
	failed.Store(int64(len(layers)))
	var wg sync.WaitGroup
	spare := first // the first worker's accelerator is already built
	for range workers {
		wg.Add(1)
		w := spare
		spare = nil
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) {
					return
				}
				i := jobs[k]
				r := &runs[i]
				if int64(i) > failed.Load() {
					r.err = errSkipped
					close(r.done)
					continue
				}
				if w == nil {
					w = newWorker(cfg, opts)
				}
				if !w.watched {
					bar.watch(w.acc)
					w.watched = true
				}
				r.rep, r.err = w.simulate(i, layers[i], opts.Traces, dir)
				if r.err != nil {
					for f := failed.Load(); int64(i) < f && !failed.CompareAndSwap(f, int64(i)); f = failed.Load() {
					}
					w = nil // a failed layer may leave the engine mid-run
				}
				close(r.done)
			}
		}()
	}
	defer wg.Wait()

	// stop ends the run at layer i, which is not reported: the workers
	// stop, and the traces of the layers they finished ahead of the order
	// go, so that the folder holds exactly the layers reported.
	stop := func(i int, err error) ([]report.Layer, error) {
		failed.Store(-1)
		wg.Wait()
		if opts.Traces {
			for k := i; k < len(layers); k++ {
				report.CleanLayerDir(filepath.Join(dir, fmt.Sprintf("layer%d", k)))
			}
		}
		return nil, err
	}
	reports := make([]report.Layer, 0, len(layers))
	for i, l := range layers {
		fmt.Fprintf(con, "\nRunning Layer %d\n", i)
		src := &runs[firstOf[i]]
		<-src.done
		if src.err != nil {
			return stop(i, src.err)
		}
		// A layer a worker finished ahead of the order is still not
		// reported once the run is stopped: a stop keeps exactly the
		// layers reported before it, as in a serial run.
		if err := first.stop.err(); err != nil {
			return stop(i, err)
		}
		rep := src.rep
		if firstOf[i] != i {
			rep.Layer, rep.Name, rep.Shape = i, l.Name, l
			if opts.Traces {
				if err := copyTraces(filepath.Join(dir, fmt.Sprintf("layer%d", firstOf[i])),
					filepath.Join(dir, fmt.Sprintf("layer%d", i))); err != nil {
					return stop(i, fmt.Errorf("layer %d trace: %w", i, err))
				}
			}
			bar.layerDone(i)
		}
		if err := out.LayerDone(&rep); err != nil {
			return stop(i, err)
		}
		reports = append(reports, rep)
		printLayer(con, rep, opts.Traces)
	}
	return reports, nil
}

// errSkipped marks a layer not simulated because an earlier one failed;
// it is never returned.
var errSkipped = fmt.Errorf("skipped")

// printLayer prints what SCALE-Sim prints after a layer.
func printLayer(con io.Writer, rep report.Layer, traces bool) {
	fmt.Fprintf(con, "Compute cycles: %d\n", rep.TotalCycles)
	fmt.Fprintf(con, "Stall cycles: %d\n", rep.StallCycles)
	fmt.Fprintf(con, "Overall utilization: %.2f%%\n", rep.OverallUtil())
	fmt.Fprintf(con, "Mapping efficiency: %.2f%%\n", rep.MappingEfficiency)
	fmt.Fprintf(con, "Average IFMAP DRAM BW: %.3f words/cycle\n", rep.DRAMBandwidth(0))
	fmt.Fprintf(con, "Average Filter DRAM BW: %.3f words/cycle\n", rep.DRAMBandwidth(1))
	fmt.Fprintf(con, "Average OFMAP DRAM BW: %.3f words/cycle\n", rep.DRAMBandwidth(2))
	if traces {
		fmt.Fprintln(con, "Saving traces: Done!")
	}
}

// copyTraces copies the trace files of folder from into folder to (the
// kernel copies the data where it can).
func copyTraces(from, to string) error {
	if err := fileio.MkdirNoFollow(to); err != nil {
		return fmt.Errorf("creating trace folder: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(from, "*_TRACE.csv"))
	if err != nil {
		return err
	}
	for _, src := range names {
		if err := copyFile(src, filepath.Join(to, filepath.Base(src))); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src to dst through a report.PartSuffix file, renamed when
// complete, so that no truncated copy sits under dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fileio.CreateNoFollow(dst + report.PartSuffix)
	if err != nil {
		return err
	}
	_, err = out.ReadFrom(in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(dst+report.PartSuffix, dst)
	}
	if err != nil {
		os.Remove(dst + report.PartSuffix)
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}

// layersBar is the progress bar of a parallel run: each layer weighs the
// same, and a layer being simulated counts by its folds done.
type layersBar struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	parts []int // per layer, thousandths done
	sum   int
}

func newLayersBar(w io.Writer, n int) *layersBar {
	if w == nil {
		return nil
	}
	desc := fmt.Sprintf("%d layers", n)
	if n == 1 {
		desc = "1 layer"
	}
	return &layersBar{
		parts: make([]int, n),
		bar: progressbar.NewOptions(n*1000,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish()),
	}
}

// watch makes acc's sequencer report its folds to the bar.
func (b *layersBar) watch(acc *components.Accelerator) {
	if b != nil {
		acc.Sequencer.AcceptHook(b)
	}
}

// Func takes a sequencer's fold progress.
func (b *layersBar) Func(ctx sim.HookCtx) {
	if p, ok := ctx.Item.(systolic.FoldProgress); ok && p.Total > 0 {
		b.set(p.Layer, p.Done*1000/p.Total)
	}
}

func (b *layersBar) layerDone(i int) {
	if b != nil {
		b.set(i, 1000)
	}
}

func (b *layersBar) set(i, part int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sum += part - b.parts[i]
	b.parts[i] = part
	b.bar.Set(b.sum)
}

func (b *layersBar) finish() {
	if b != nil {
		b.bar.Finish()
	}
}
