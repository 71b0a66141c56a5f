package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/npusim/npusim/plot"
	"github.com/npusim/npusim/sweep"
	"golang.org/x/term"
)

const sweepHelp = `npusim sweep runs every combination of values of some config keys on all cores,
each configuration's reports in OUTDIR/runs/<config>/, and writes the tidy
OUTDIR/sweep.csv (a row per configuration and layer), the plots and
OUTDIR/index.html. Swept keys come from a sweep file (lines "KEY = V1, V2, ...",
and "pes = N" to fix the PE count so that ArrayWidth = N / ArrayHeight) and from
-set flags. Configurations already finished in OUTDIR are not run again.
With -shard I/N only configurations whose index modulo N is I run, into
OUTDIR/sweep-shard-I-of-N.csv; "npusim merge" joins the shards.

Usage:
  npusim sweep -c CONFIG -t TOPOLOGY -o OUTDIR [-f SWEEPFILE] [-set KEY=V1,V2,...]... [-pes N] [-j N] [-shard I/N]

Example:
  npusim sweep -c scale.cfg -t net.csv -o dse -set ArrayHeight=4,16,64 -pes 4096 -set Dataflow=os,ws,is

Flags:
`

func runSweep(args []string) error {
	fs := newFlags("sweep")
	cfgPath := fs.String("c", "", "base config file (SCALE-Sim INI format)")
	topoPath := fs.String("t", "", "topology CSV (overrides the config's TopologyCsvLoc)")
	kind := fs.String("i", "conv", "topology format: conv or gemm")
	out := fs.String("o", "sweep", "output folder")
	file := fs.String("f", "", "sweep file: KEY = V1, V2, ... lines (and pes = N)")
	var sets []sweep.Param
	fs.Func("set", "swept key and its values, KEY=V1,V2,... (repeatable)", func(s string) error {
		p, err := sweep.ParseSet(s)
		if err == nil {
			sets = append(sets, p)
		}
		return err
	})
	pes := fs.Int("pes", 0, "fix the PE count: ArrayWidth = PES / ArrayHeight")
	jobs := fs.Int("j", runtime.NumCPU(), "configurations simulated at once")
	shard := fs.String("shard", "", "run one share I/N of the sweep (0 <= I < N), e.g. $SLURM_ARRAY_TASK_ID/8")
	traces := fs.Bool("traces", false, "also write every configuration's traces")
	quiet := fs.Bool("q", false, "print nothing (no progress bar or summary)")
	if done, err := parseFlags(fs, args, sweepHelp); done || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *jobs < 1 {
		return fmt.Errorf("-j %d: want at least 1", *jobs)
	}
	opts := sweep.Options{OutDir: *out, Jobs: *jobs, Traces: *traces}
	if *shard != "" {
		var err error
		if opts.Shard, opts.Shards, err = sweep.ParseShard(*shard); err != nil {
			return err
		}
	}
	var spec sweep.Spec
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return fmt.Errorf("sweep file: %w", err)
		}
		spec, err = sweep.ParseFile(*file, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	spec.Params = append(spec.Params, sets...)
	if *pes != 0 {
		if err := spec.SetPEs([]string{strconv.Itoa(*pes)}); err != nil {
			return err
		}
	}
	in, err := loadRunInputs(*cfgPath, *topoPath, *kind, csvOnly)
	if err != nil {
		return err
	}
	points, err := spec.Points(*cfgPath, in.cfgText)
	if err != nil {
		return err
	}
	if !*quiet && term.IsTerminal(int(os.Stderr.Fd())) {
		opts.Progress = os.Stderr
	}
	start := time.Now()
	res, err := sweep.Run(points, in.layers, opts)
	if err != nil {
		return err
	}
	n := res.Ran + res.Reused
	if opts.Shards > 1 {
		if !*quiet {
			fmt.Fprintf(stdout, "Shard %d/%d: %d of %d configurations (%d run, %d already finished) in %.2f s\nCSV: %s\nJoin the shards with: npusim merge -o %s %s\n",
				opts.Shard, opts.Shards, n, len(points), res.Ran, res.Reused, time.Since(start).Seconds(), res.CSV,
				filepath.Join(*out, "sweep.csv"), filepath.Join(*out, "sweep-shard-*-of-"+strconv.Itoa(opts.Shards)+".csv"))
		}
		return nil
	}
	cfgs, err := plot.Write(*out, res.Table, filepath.Base(res.CSV))
	if err != nil {
		return err
	}
	if !*quiet {
		best := plot.Best(cfgs)
		fmt.Fprintf(stdout, "Sweep: %d configurations (%d run, %d already finished) in %.2f s on %d cores\n",
			n, res.Ran, res.Reused, time.Since(start).Seconds(), opts.Jobs)
		fmt.Fprintf(stdout, "Best by total cycles: %s (%d cycles)\nCSV: %s\nReport: %s\n",
			best.Name, best.TotalCycles, res.CSV, filepath.Join(*out, plot.PageFile))
	}
	return nil
}

const mergeHelp = `npusim merge joins the CSVs of a sharded sweep into the CSV one unsharded run
writes (the same bytes).

Usage:
  npusim merge -o SWEEP.csv SHARD.csv...

Example:
  npusim merge -o dse/sweep.csv dse/sweep-shard-*-of-8.csv && npusim plot dse/sweep.csv

Flags:
`

func runMerge(args []string) error {
	fs := newFlags("merge")
	out := fs.String("o", "", "merged CSV to write")
	if done, err := parseFlags(fs, args, mergeHelp); done || err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("merge: missing -o SWEEP.csv")
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("merge: no shard CSVs given")
	}
	t, err := sweep.Merge(fs.Args())
	if err != nil {
		return err
	}
	if err := t.Write(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Merged %d files, %d rows: %s\n", fs.NArg(), len(t.Records), *out)
	return nil
}

const plotHelp = `npusim plot draws a sweep CSV's plots (cycles per layer, utilisation vs. aspect
ratio, DRAM bandwidth per operand; SVG and PNG) and index.html, which shows them
with a sortable table and names the best configuration by total cycles.

Usage:
  npusim plot [-o DIR] SWEEP.csv

Example:
  npusim plot -o report dse/sweep.csv

Flags:
`

func runPlot(args []string) error {
	fs := newFlags("plot")
	out := fs.String("o", "", "output folder (default: the CSV's folder)")
	if done, err := parseFlags(fs, args, plotHelp); done || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("plot: want one sweep CSV, got %d arguments", fs.NArg())
	}
	csvPath := fs.Arg(0)
	t, err := sweep.ReadTable(csvPath)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(csvPath)
	}
	rel, err := filepath.Rel(dir, csvPath)
	if err != nil {
		rel = csvPath
	}
	cfgs, err := plot.Write(dir, t, filepath.ToSlash(rel))
	if err != nil {
		return err
	}
	best := plot.Best(cfgs)
	fmt.Fprintf(stdout, "Best by total cycles: %s (%d cycles)\nReport: %s\n", best.Name, best.TotalCycles, filepath.Join(dir, plot.PageFile))
	return nil
}
