package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/npusim/npusim/plot"
	"github.com/npusim/npusim/sweep"
)

const sweepHelp = `npusim sweep runs every combination of values of some config keys on all cores,
each configuration's reports in OUTDIR/runs/<config>/, and writes the tidy
OUTDIR/sweep.csv (a row per configuration and layer), the plots and
OUTDIR/index.html. Swept keys come from a sweep file (lines "KEY = V1, V2, ...",
and "pes = N" to fix the PE count so that ArrayWidth = N / ArrayHeight) and from
-set flags. Configurations already finished in OUTDIR are not run again.
With -shard I/N only configurations whose index modulo N is I run, into
OUTDIR/sweep-shard-I-of-N.csv (and its provenance, .provenance.json);
"npusim merge" joins the shards, and refuses a set that is not all of one
sweep's shards. A sweep has at most 10000 configurations. Stopped (SIGINT,
SIGTERM), it says how far it got; run it again to finish it.

Usage:
  npusim sweep -c CONFIG -t TOPOLOGY|MODEL.onnx -o OUTDIR [-f SWEEPFILE] [-set KEY=V1,V2,...]... [-pes N] [-j N] [-shard I/N] [-pad include|none] [-batch N]

Example:
  npusim sweep -c scale.cfg -t net.csv -o dse -set ArrayHeight=4,16,64 -pes 4096 -set Dataflow=os,ws,is

Flags:
`

func runSweep(args []string) error {
	fs := newFlags("sweep")
	cfgPath := fs.String("c", "", "base config file (SCALE-Sim INI format)")
	topoPath := fs.String("t", "", "topology CSV or ONNX model (overrides the config's TopologyCsvLoc)")
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
	jobs := fs.Int("j", 0, "configurations simulated at once (0: one per CPU this process may use)")
	pad := fs.String("pad", "", padUsage)
	batch := fs.Int("batch", 1, "ONNX models: number of inputs")
	shard := fs.String("shard", "", "run one share I/N of the sweep (0 <= I < N), e.g. $SLURM_ARRAY_TASK_ID/8")
	traces := fs.Bool("traces", false, "also write every configuration's traces")
	quiet := fs.Bool("q", false, "print nothing (no progress bar or summary)")
	if done, err := parseFlags(fs, args, sweepHelp); done || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	nJobs, err := jobsFlag(*jobs)
	if err != nil {
		return err
	}
	opts := sweep.Options{OutDir: *out, Jobs: nJobs, Traces: *traces, Context: interrupted()}
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
			return fmt.Errorf("-pes: %w", err)
		}
	}
	in, err := loadRunInputs(*cfgPath, *topoPath, *kind, modelFlags{pad: *pad, batch: *batch})
	if err != nil {
		return err
	}
	points, err := spec.Points(*cfgPath, in.cfgText)
	if err != nil {
		return err
	}
	var stop func()
	opts.Progress, stop = progressTo(*quiet)
	start := time.Now()
	res, err := sweep.Run(points, in.layers, opts)
	stop()
	if err != nil {
		return err
	}
	n := res.Ran + res.Reused
	if opts.Shards > 1 {
		if !*quiet {
			fmt.Fprintf(stdout, "Shard %d/%d: %d of %s (%d run, %d already finished) in %.2f s\nCSV: %s\nJoin the shards with: npusim merge -o %s %s\n",
				opts.Shard, opts.Shards, n, plural(len(points), "configuration"), res.Ran, res.Reused, time.Since(start).Seconds(), res.CSV,
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
		fmt.Fprintf(stdout, "Sweep: %s (%d run, %d already finished) in %.2f s on %s\n",
			plural(n, "configuration"), res.Ran, res.Reused, time.Since(start).Seconds(), plural(min(opts.Jobs, n), "core"))
		fmt.Fprintf(stdout, "Best by total cycles: %s (%s, %d cycles)\nCSV: %s\nReport: %s\n",
			best.Name, best.Label, best.TotalCycles, res.CSV, filepath.Join(*out, plot.PageFile))
	}
	return nil
}

const mergeHelp = `npusim merge joins the CSVs of a sharded sweep into the CSV one unsharded run
writes (the same bytes, and the same provenance file). It checks each CSV's
provenance (SHARD.provenance.json, beside it) and refuses a set that is not
exactly one sweep's shards: a shard of another sweep (config, topology,
swept keys or shard count), a shard given twice, an edited or incomplete
shard, or a missing one, which it names. Files may have at most 256 MiB.

Usage:
  npusim merge -o SWEEP.csv SHARD.csv...

Example:
  npusim merge -o dse/sweep.csv dse/sweep-shard-*-of-8.csv && npusim plot dse/sweep.csv

Flags:
`

func runMerge(args []string) error {
	fs := newFlags("merge")
	out := fs.String("o", "", "merged CSV to write")
	files, done, err := parseInterspersed(fs, args, mergeHelp)
	if done || err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("merge: missing -o SWEEP.csv")
	}
	if len(files) == 0 {
		return fmt.Errorf("merge: no shard CSVs given")
	}
	t, err := sweep.Merge(files)
	if err != nil {
		return err
	}
	if err := t.Write(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Merged %s, %s: %s\n", plural(len(files), "file"), plural(len(t.Records), "row"), *out)
	return nil
}

const plotHelp = `npusim plot draws a sweep CSV's plots (cycles per layer, utilization vs. aspect
ratio, average DRAM bandwidth per operand; SVG and PNG) and index.html, which
shows them with a sortable table and names the best configuration by total
cycles. The CSV may have at most 256 MiB.

Usage:
  npusim plot [-o DIR] SWEEP.csv  (or npusim plot SWEEP.csv -o DIR)

Example:
  npusim plot -o report dse/sweep.csv

Flags:
`

func runPlot(args []string) error {
	fs := newFlags("plot")
	out := fs.String("o", "", "output folder (default: the CSV's folder)")
	files, done, err := parseInterspersed(fs, args, plotHelp)
	if done || err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("plot: want one sweep CSV, got %s", plural(len(files), "argument"))
	}
	csvPath := files[0]
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
	fmt.Fprintf(stdout, "Best by total cycles: %s (%s, %d cycles)\nReport: %s\n", best.Name, best.Label, best.TotalCycles, filepath.Join(dir, plot.PageFile))
	return nil
}
