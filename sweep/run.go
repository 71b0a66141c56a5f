package sweep

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/internal/cpus"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/runner"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
	"github.com/schollz/progressbar/v3"
)

// Options control a sweep run.
type Options struct {
	// OutDir receives sweep.csv (or the shard's CSV) and runs/<config>/
	// with each configuration's SCALE-Sim reports; it is created if
	// missing.
	OutDir string
	// Jobs is the number of configurations simulated at once (each on its
	// own engine); 0 means one per CPU.
	Jobs int
	// Shard and Shards select configurations whose ID % Shards == Shard;
	// Shards 0 or 1 runs the whole sweep.
	Shard, Shards int
	// Traces writes each configuration's traces too.
	Traces bool
	// Progress, if not nil, receives a progress bar over the sweep's
	// configurations; meant for a terminal.
	Progress io.Writer
	// Context, if not nil, stops the sweep when it is done: no further
	// configuration starts, the running ones stop at their next event
	// (runner.Options.Context), and Run returns an error that matches
	// context.Cause(Context). Finished configurations keep their
	// DoneFile, so running the sweep again finishes it.
	Context context.Context
}

// Result is a finished sweep (or shard).
type Result struct {
	// CSV is the path of the tidy CSV written.
	CSV   string
	Table *Table
	// Ran and Reused count configurations simulated now and those found
	// finished by an earlier run.
	Ran, Reused int
}

// DoneFile marks a finished configuration folder; it holds the
// fingerprint of the configuration and topology that produced it.
const DoneFile = "SWEEP_DONE"

// ConfigFile is the config file of a configuration, in its folder.
const ConfigFile = "scale.cfg"

// ParseShard parses "i/n" (0 <= i < n), the -shard flag.
func ParseShard(s string) (shard, shards int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("-shard %q: want I/N with 0 <= I < N (e.g. $SLURM_ARRAY_TASK_ID/8)", s)
	}
	return i, n, nil
}

// CSVName is the name of the tidy CSV of a shard ("sweep.csv" when the
// sweep is not sharded).
func CSVName(shard, shards int) string {
	if shards <= 1 {
		return "sweep.csv"
	}
	return fmt.Sprintf("sweep-shard-%d-of-%d.csv", shard, shards)
}

// fingerprint identifies what a configuration's reports were made from.
func fingerprint(p Point, layers []systolic.Layer) string {
	h := sha256.New()
	h.Write(p.Text)
	fmt.Fprintf(h, "\x00%+v", layers)
	return hex.EncodeToString(h.Sum(nil))
}

// Run simulates the points of opts' shard on opts.Jobs cores and writes
// the tidy CSV. A configuration whose folder holds a DoneFile with the
// same fingerprint is not simulated again; its reports are read back.
// Every row comes from the reports on disk, so a resumed sweep writes the
// same CSV as an uninterrupted one.
func Run(points []Point, layers []systolic.Layer, opts Options) (*Result, error) {
	var mine []Point
	for _, p := range points {
		if opts.Shards <= 1 || p.ID%opts.Shards == opts.Shard {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		return nil, fmt.Errorf("sweep: shard %d/%d has no configurations (the sweep has %d)", opts.Shard, opts.Shards, len(points))
	}
	if rows := len(points) * len(layers); rows > MaxRows {
		return nil, fmt.Errorf("sweep: %d configurations of %d layers make %d CSV rows, more than the %d a sweep may have", len(points), len(layers), rows, MaxRows)
	}
	runs := filepath.Join(opts.OutDir, "runs")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		return nil, fmt.Errorf("sweep: creating %s: %w", runs, err)
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = cpus.Count()
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	jobs = min(jobs, len(mine))
	var bar *progressbar.ProgressBar
	if opts.Progress != nil {
		bar = progressbar.NewOptions(len(mine),
			progressbar.OptionSetWriter(opts.Progress),
			progressbar.OptionSetDescription("sweep"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	order := longestFirst(mine, layers)
	res := &Result{CSV: filepath.Join(opts.OutDir, CSVName(opts.Shard, opts.Shards))}
	var (
		next     atomic.Int64
		ran      atomic.Int64
		nDone    atomic.Int64
		failed   atomic.Bool
		mu       sync.Mutex
		errs     []error
		wg       sync.WaitGroup
		finished = make([]*report.Run, len(mine))
	)
	// akita creates its ID generator on first use, unsynchronised: create
	// it before the runs start on their goroutines.
	sim.GetIDGenerator()
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() && ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k >= len(mine) {
					return
				}
				i := order[k]
				// with several jobs, each configuration runs on one
				// goroutine: its buffers' walks would only compete with
				// the other jobs for the cores
				run, fresh, err := runPoint(ctx, mine[i], layers, runs, opts.Traces, jobs > 1)
				if err != nil {
					failed.Store(true)
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				finished[i] = run
				nDone.Add(1)
				if fresh {
					ran.Add(1)
				}
				if bar != nil {
					mu.Lock()
					bar.Add(1)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("sweep stopped with %d of %d configurations finished (running it again finishes it): %w", nDone.Load(), len(mine), err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	res.Ran = int(ran.Load())
	res.Reused = len(mine) - res.Ran
	res.Table = &Table{Header: header(mine[0]), Provenance: newProvenance(points, layers, opts.Shard, opts.Shards)}
	for i, p := range mine {
		recs, err := records(p, finished[i], layers)
		if err != nil {
			return nil, fmt.Errorf("sweep: configuration %s: %w", p.Name, err)
		}
		res.Table.Records = append(res.Table.Records, recs...)
	}
	if err := res.Table.Write(res.CSV); err != nil {
		return nil, err
	}
	return res, nil
}

// runPoint simulates one configuration unless its folder is already
// finished, and loads its reports. fresh says it was simulated now.
func runPoint(ctx context.Context, p Point, layers []systolic.Layer, runs string, traces, oneThread bool) (run *report.Run, fresh bool, err error) {
	dir := filepath.Join(runs, p.Name)
	done := filepath.Join(dir, DoneFile)
	fp := fingerprint(p, layers)
	if old, err := os.ReadFile(done); err == nil && string(old) == fp {
		if run, err := report.Load(dir); err == nil {
			return run, false, nil
		}
	}
	// Drop a stale mark first: a run stopped half-way must not look
	// finished next time.
	if err := os.Remove(done); err != nil && !os.IsNotExist(err) {
		return nil, false, fmt.Errorf("sweep: %w", err)
	}
	// The configuration's own config file, so that it can be rerun alone.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, false, fmt.Errorf("sweep: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), p.Text, 0o644); err != nil {
		return nil, false, fmt.Errorf("sweep: %w", err)
	}
	if _, err := runner.Run(p.Config, layers, runner.Options{LogDir: runs, Traces: traces, OneThread: oneThread, Context: ctx}); err != nil {
		return nil, false, fmt.Errorf("sweep: configuration %s: %w", p.Name, err)
	}
	if err := os.WriteFile(done, []byte(fp), 0o644); err != nil {
		return nil, false, fmt.Errorf("sweep: %w", err)
	}
	run, err = report.Load(dir)
	if err != nil {
		return nil, false, fmt.Errorf("sweep: configuration %s: %w", p.Name, err)
	}
	return run, true, nil
}

// longestFirst orders the points by decreasing estimated work, so that a
// long configuration does not start last and leave the other cores idle.
// The work is the demand the buffers check: rows of demand times the SRAM
// ports of the three operands, summed over the layers.
func longestFirst(points []Point, layers []systolic.Layer) []int {
	cost := make([]int64, len(points))
	for i, p := range points {
		c := p.Config
		for _, l := range layers {
			m := systolic.NewMapping(l, c.Dataflow, c.ArrayHeight, c.ArrayWidth, systolic.Offsets{})
			ports := m.Width(protocol.Ifmap) + m.Width(protocol.Filter) + m.Width(protocol.Ofmap)
			cost[i] += m.Rows() * int64(ports)
		}
	}
	order := make([]int, len(points))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cost[b], cost[a]) })
	return order
}
