// Command npusim runs a SCALE-Sim v2 config and topology on npusim and
// writes SCALE-Sim's reports; its subcommands sweep a design space, merge
// a sharded sweep and plot a sweep (npusim -h lists them):
//
//	npusim -c scale.cfg -t topology.csv -p logdir [-i conv|gemm] [-traces]
//	npusim sweep -c scale.cfg -t topology.csv -o outdir -set Dataflow=os,ws,is
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/runner"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
	"golang.org/x/term"
)

// stdout receives the help and the run summary; tests replace it.
var stdout io.Writer = os.Stdout

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "npusim:", err)
		os.Exit(exitStatus(err))
	}
}

// subcommands maps a first argument to its command; any other first
// argument starts a simulation run with the classic flags. Files of this
// package add their own commands here in init.
var subcommands = map[string]func(args []string) error{
	"sweep":  runSweep,
	"merge":  runMerge,
	"plot":   runPlot,
	"import": importCmd,
}

func run(args []string) error {
	if len(args) > 0 {
		if cmd, ok := subcommands[args[0]]; ok {
			return cmd(args[1:])
		}
	}
	return runSim(args)
}

const helpText = `npusim simulates systolic-array NPUs cycle by cycle on the akita framework. It
reads SCALE-Sim's config (INI) and topology (CSV), or an ONNX model, and writes
SCALE-Sim's COMPUTE, BANDWIDTH and DETAILED_ACCESS reports with SCALE-Sim's
numbers, in LOGDIR/<run_name>/. Its subcommands run a design-space sweep on
every core (or one shard of it per batch job), merge the shards' CSVs, draw a
sweep's plots and HTML report, and turn an ONNX model into a topology CSV.

Usage:
  npusim -c CONFIG [-t TOPOLOGY|MODEL.onnx] [-p LOGDIR] [-i conv|gemm] [-pad none|include] [-batch N] [-j N] [-traces] [-q]
  npusim sweep -c CONFIG -t TOPOLOGY -o OUTDIR [-f SWEEPFILE] [-set KEY=V1,V2,...]... [-pes N] [-j N] [-shard I/N]
  npusim merge -o SWEEP.csv SHARD.csv...
  npusim plot [-o DIR] SWEEP.csv
  npusim import MODEL.onnx [-batch N] [-pad none|include] [-o FILE]
  npusim dram replay (-config FILE.ini | -model NAME) TRACE

Example:
  npusim -c testdata/configs/scale.cfg -t testdata/topologies/alexnet.csv -p runs
  npusim sweep -c scale.cfg -t net.csv -o dse -set ArrayHeight=4,16,64 -pes 4096 -set Dataflow=os,ws,is

Run "npusim sweep -h" (merge, plot, import) for a subcommand's flags. Flags of a run:
`

// newFlags returns a flag set that prints nothing itself: errors are
// returned (and printed once, by main), help goes to stdout.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args; on -h it prints help and the flags and returns
// done.
func parseFlags(fs *flag.FlagSet, args []string, help string) (done bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w (npusim -h for help)", err)
	}
	return false, nil
}

// modelFlags are how an ONNX model becomes layers (-pad, -batch) and where
// its import summary goes.
type modelFlags struct {
	pad     string
	batch   int
	summary io.Writer
}

// csvOnly is modelFlags for a command that reads topology CSVs only.
var csvOnly = modelFlags{pad: "none", batch: 1}

// inputs are a run's config and topology.
type inputs struct {
	cfg      config.Config
	cfgText  []byte
	layers   []systolic.Layer
	topoPath string
}

// loadRunInputs reads and checks the config and the topology (the
// config's TopologyCsvLoc unless topoPath is given) before anything is
// printed or created.
func loadRunInputs(cfgPath, topoPath, kindName string, model modelFlags) (inputs, error) {
	kind, err := topology.ParseKind(kindName)
	if err != nil {
		return inputs{}, err
	}
	if cfgPath == "" {
		return inputs{}, fmt.Errorf("missing -c CONFIG")
	}
	var in inputs
	in.cfgText, err = config.ReadFile(cfgPath)
	if err != nil {
		return inputs{}, err
	}
	if in.cfg, err = config.Parse(cfgPath, in.cfgText); err != nil {
		return inputs{}, err
	}
	in.topoPath = topoPath
	if in.topoPath == "" {
		in.topoPath = in.cfg.Topology
	}
	if in.topoPath == "" {
		return inputs{}, fmt.Errorf("missing -t TOPOLOGY (and the config names none)")
	}
	if in.layers, err = loadTopology(in.cfg, in.topoPath, kind, model.pad, model.batch, model.summary); err != nil {
		return inputs{}, err
	}
	return in, nil
}

func runSim(args []string) error {
	fs := newFlags("npusim")
	cfgPath := fs.String("c", "", "config file (SCALE-Sim INI format)")
	topoPath := fs.String("t", "", "topology CSV or ONNX model (overrides the config's TopologyCsvLoc)")
	logDir := fs.String("p", "../test_runs", "folder for the run's output folder")
	kind := fs.String("i", "conv", "topology format: conv or gemm")
	traces := fs.Bool("traces", false, "also write per-layer SRAM and DRAM traces")
	quiet := fs.Bool("q", false, "print nothing (no banner, per-layer figures or summary)")
	pad := fs.String("pad", "none", "ONNX models: padding convention, none or include")
	batch := fs.Int("batch", 1, "ONNX models: number of inputs")
	workers := fs.Int("j", 0, "layers simulated at once (0: one per core; 1: one at a time)")
	if done, err := parseFlags(fs, args, helpText); done || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	in, err := loadRunInputs(*cfgPath, *topoPath, *kind, modelFlags{*pad, *batch, summaryTo(*quiet)})
	if err != nil {
		return err
	}
	opts := runner.Options{LogDir: *logDir, Traces: *traces, TopologyPath: in.topoPath, Console: stdout, Context: interrupted(), Workers: *workers}
	if *quiet {
		opts.Console = nil
	}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		opts.Progress = os.Stderr
	}
	start := time.Now()
	reports, err := runner.Run(in.cfg, in.layers, opts)
	if err != nil {
		return err
	}
	if !*quiet {
		printSummary(stdout, in.cfg, reports, time.Since(start), filepath.Join(*logDir, in.cfg.RunName))
	}
	return nil
}

// printSummary ends a run with its totals and where the reports are.
func printSummary(w io.Writer, cfg config.Config, reports []report.Layer, wall time.Duration, dir string) {
	var cycles, stalls, macs int64
	for _, r := range reports {
		cycles += r.TotalCycles
		stalls += r.StallCycles
		macs += r.MACs
	}
	util := float64(macs) * 100 / (float64(cycles) * float64(cfg.ArrayHeight*cfg.ArrayWidth))
	fmt.Fprintf(w, "\nTotal: %d cycles, %d stall cycles, %.2f%% utilisation, %d layers in %.2f s\n",
		cycles, stalls, util, len(reports), wall.Seconds())
	fmt.Fprintf(w, "Reports: %s\n", dir)
}
