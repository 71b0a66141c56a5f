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
	rep  LayerReport
	err  error
	done chan struct{} // closed when rep and err are set
}

// runLayers simulates layers on opts.Workers accelerators (0: one per
// two cores), each distinct shape once, printing each layer's summary to con in
// layer order as soon as it and the layers before it are done.
func runLayers(cfg Config, layers []systolic.Layer, opts Options, dir string, con io.Writer) ([]LayerReport, error) {
	first := make([]int, len(layers)) // index of the first layer of the same shape
	seen := map[systolic.Layer]int{}
	var jobs []int // the layers to simulate
	for i, l := range layers {
		first[i] = i
		if opts.NoReuse {
			jobs = append(jobs, i)
			continue
		}
		if j, ok := seen[layerKey(l)]; ok {
			first[i] = j
			continue
		}
		seen[layerKey(l)] = i
		jobs = append(jobs, i)
	}
	// Longest first (by MACs, a rough cost), so that a big layer does not
	// start last while the other workers sit idle.
	slices.SortStableFunc(jobs, func(a, b int) int { return cmp.Compare(layers[b].MACs(), layers[a].MACs()) })
	runs := make([]layerRun, len(layers))
	for i := range runs {
		runs[i].done = make(chan struct{})
	}

	workers := opts.Workers
	if workers <= 0 {
		// A layer already keeps about two cores busy (its engine, and the
		// two read buffers walking each fold on goroutines of their own),
		// and on a 2-core machine a second layer at once made runs slower.
		workers = runtime.GOMAXPROCS(0) / 2
	}
	workers = max(1, min(workers, len(jobs)))
	bar := newLayersBar(opts.Progress, len(layers))
	defer bar.finish()

	// Once a layer has failed, the jobs of the layers after it are skipped
	// (a serial run would not reach them).
	var next, failed atomic.Int64
	failed.Store(int64(len(layers)))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var acc *components.Accelerator
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
				if acc == nil {
					acc = NewAccelerator(cfg, sim.NewSerialEngine())
					bar.watch(acc)
				}
				r.rep, r.err = simulateLayer(acc, i, layers[i], opts.Traces, dir)
				if r.err != nil {
					for f := failed.Load(); int64(i) < f && !failed.CompareAndSwap(f, int64(i)); f = failed.Load() {
					}
					acc = nil // a failed layer may leave the engine mid-run
				}
				close(r.done)
			}
		}()
	}
	defer wg.Wait()

	reports := make([]LayerReport, 0, len(layers))
	for i, l := range layers {
		fmt.Fprintf(con, "\nRunning Layer %d\n", i)
		src := &runs[first[i]]
		<-src.done
		if src.err != nil {
			failed.Store(-1) // stop the workers
			return nil, src.err
		}
		rep := src.rep
		if first[i] != i {
			rep.Layer, rep.Name = i, l.Name
			if opts.Traces {
				if err := copyTraces(filepath.Join(dir, fmt.Sprintf("layer%d", first[i])),
					filepath.Join(dir, fmt.Sprintf("layer%d", i))); err != nil {
					failed.Store(-1)
					return nil, fmt.Errorf("layer %d trace: %w", i, err)
				}
			}
			bar.layerDone(i)
		}
		reports = append(reports, rep)
		printLayer(con, rep, opts.Traces)
	}
	return reports, nil
}

// errSkipped marks a layer not simulated because an earlier one failed;
// it is never returned.
var errSkipped = fmt.Errorf("skipped")

// simulateLayer runs layer i on acc, writing its traces under
// dir/layer<i> if traces is set.
func simulateLayer(acc *components.Accelerator, i int, l systolic.Layer, traces bool, dir string) (LayerReport, error) {
	var closers []func() error
	if traces {
		var err error
		closers, err = attachTraces(acc, filepath.Join(dir, fmt.Sprintf("layer%d", i)))
		if err != nil {
			for _, c := range closers {
				c()
			}
			return LayerReport{}, err
		}
	}
	rep, err := runLayer(acc, i, l)
	for _, c := range closers {
		if cerr := c(); cerr != nil && err == nil {
			err = fmt.Errorf("layer %d trace: %w", i, cerr)
		}
	}
	return rep, err
}

// printLayer prints what SCALE-Sim prints after a layer.
func printLayer(con io.Writer, rep LayerReport, traces bool) {
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
	if err := os.MkdirAll(to, 0o755); err != nil {
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

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = out.ReadFrom(in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
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
	return &layersBar{
		parts: make([]int, n),
		bar: progressbar.NewOptions(n*1000,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(fmt.Sprintf("%d layers", n)),
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
