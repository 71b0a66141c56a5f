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
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/cpus"
	"github.com/npusim/npusim/internal/progress"
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
	if len(args) == 0 {
		return runSim([]string{"-h"}) // no arguments: the usage
	}
	switch args[0] {
	case "help":
		if len(args) > 1 {
			if cmd, ok := subcommands[args[1]]; ok {
				return cmd([]string{"-h"})
			}
			return fmt.Errorf("help %s: no such command (commands: %s)", args[1], strings.Join(commandNames(), ", "))
		}
		return runSim([]string{"-h"})
	case "version":
		if len(args) > 1 {
			return fmt.Errorf("version takes no arguments")
		}
		fmt.Fprintln(stdout, version())
		return nil
	}
	if cmd, ok := subcommands[args[0]]; ok {
		return cmd(args[1:])
	}
	return runSim(args)
}

// commandNames lists the subcommands, sorted.
func commandNames() []string {
	names := []string{"help", "version"}
	for n := range subcommands {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// version is the command's version line: the module version from the
// build info (a release tag when built with go install ...@vX.Y.Z,
// "(devel)" in a checkout), the commit when the build recorded one, and
// the Go toolchain and platform.
func version() string {
	v := "npusim (unknown version)"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	}
	v = "npusim " + info.Main.Version
	if v == "npusim " {
		v = "npusim (devel)"
	}
	var rev, when, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (commit %.12s%s, %s)", rev, dirty, when)
	}
	return v + " " + info.GoVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
}

const helpText = `npusim simulates systolic-array NPUs cycle by cycle on the akita framework. It
reads SCALE-Sim's config (INI) and topology (CSV), or an ONNX model, and writes
SCALE-Sim's COMPUTE, BANDWIDTH and DETAILED_ACCESS reports with SCALE-Sim's
numbers, in LOGDIR/<run_name>/. Its subcommands run a design-space sweep on
every core (or one shard of it per batch job), merge the shards' CSVs, draw a
sweep's plots and HTML report, and turn an ONNX model into a topology CSV.

Usage:
  npusim -c CONFIG [-t TOPOLOGY|MODEL.onnx] [-p LOGDIR] [-i conv|gemm] [-pad include|none] [-batch N] [-ops gemm|all] [-j N] [-traces] [-parallel] [-trace-tasks FILE] [-q]
  npusim sweep -c CONFIG -t TOPOLOGY|MODEL.onnx -o OUTDIR [-f SWEEPFILE] [-set KEY=V1,V2,...]... [-pes N] [-j N] [-shard I/N]
  npusim merge -o SWEEP.csv SHARD.csv...
  npusim plot [-o DIR] SWEEP.csv
  npusim import MODEL.onnx [-batch N] [-pad include|none] [-ops gemm|all] [-o FILE]
  npusim dram replay (-config FILE.ini | -model NAME) [-stop-on-livelock] TRACE
  npusim help [COMMAND]
  npusim version

Example:
  npusim -c testdata/configs/scale.cfg -t testdata/topologies/alexnet.csv -p runs
  npusim sweep -c scale.cfg -t net.csv -o dse -set ArrayHeight=4,16,64 -pes 4096 -set Dataflow=os,ws,is

Run "npusim help sweep" (merge, plot, import) for a subcommand's flags. Flags of a run:
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
// done. An unknown flag's error suggests the closest defined one.
func parseFlags(fs *flag.FlagSet, args []string, help string) (done bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w%s (npusim -h for help)", err, didYouMean(fs, err))
	}
	return false, nil
}

// parseInterspersed is parseFlags for commands whose flags may also come
// after their file arguments ("plot FILE -o DIR"); it returns the
// arguments.
func parseInterspersed(fs *flag.FlagSet, args []string, help string) (rest []string, done bool, err error) {
	for {
		if done, err := parseFlags(fs, args, help); done || err != nil {
			return nil, done, err
		}
		if fs.NArg() == 0 {
			return rest, false, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// didYouMean is " (did you mean -X?)" for the error of an unknown flag
// when a defined flag X is close to it: one starts with the other, or
// they are at most two edits apart (one for short names).
func didYouMean(fs *flag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return ""
	}
	name = strings.TrimPrefix(name, "-")
	best, bestD, bestEdits := "", 3, 0
	fs.VisitAll(func(f *flag.Flag) {
		edits := editDistance(strings.ToLower(name), strings.ToLower(f.Name))
		d := edits
		if len(name) > 2 && len(f.Name) > 2 && (strings.HasPrefix(f.Name, name) || strings.HasPrefix(name, f.Name)) {
			d = min(d, 1)
		}
		// between equally close flags, the one fewer edits away (-trace:
		// -traces, not -trace-tasks)
		if limit := min(2, max(len(f.Name), len(name))/3); d <= limit && (d < bestD || d == bestD && edits < bestEdits) {
			best, bestD, bestEdits = f.Name, d, edits
		}
	})
	if best == "" {
		return ""
	}
	return " (did you mean -" + best + "?)"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// modelFlags are how an ONNX model becomes layers (-pad, -batch; pad ""
// is defaultPad) and where its import summary goes.
type modelFlags struct {
	pad     string
	batch   int
	summary io.Writer
}

// defaultPad is how an ONNX model's padded convolutions become layers
// when -pad is not given, the same in every command (run, sweep, import)
// and in samples/onnx: "include", so that a model's output sizes and MACs
// are its own. "none" gives the unpadded ifmaps of SCALE-Sim's
// hand-written topology CSVs (to compare with them), and counts fewer
// MACs for every padded convolution.
const defaultPad = "include"

// padUsage documents -pad.
const padUsage = "ONNX models: padding convention, include (the model's output sizes and MACs) or none (SCALE-Sim's topology CSVs: unpadded ifmaps) (default include)"

// progressEvery is how often a run or sweep whose standard error is not a
// terminal (a batch job's log, a pipe) prints its progress as a line.
var progressEvery = 5 * time.Second

// stderrTerminal says whether standard error is a terminal, and
// progressLog is where progress lines go otherwise; tests replace them.
var (
	stderrTerminal           = func() bool { return term.IsTerminal(int(os.Stderr.Fd())) }
	progressLog    io.Writer = os.Stderr
)

// progressTo is where a run's or sweep's progress bar goes, and what to
// call when it ends: standard error on a terminal; otherwise plain lines
// every progressEvery (a progress bar would leave a log empty or one
// endless line); nowhere with -q.
func progressTo(quiet bool) (io.Writer, func()) {
	switch {
	case quiet:
		return nil, func() {}
	case stderrTerminal():
		return os.Stderr, func() {}
	}
	l := progress.NewLines(progressLog, progressEvery)
	return l, func() { l.Close() }
}

// jobsFlag checks a -j value: 0 (the default) is the CPUs this process may
// use (cpus.Count: its affinity mask, not the machine's CPUs).
func jobsFlag(j int) (int, error) {
	if j < 0 {
		return 0, fmt.Errorf("-j %d: want 0 (one per CPU this process may use) or more", j)
	}
	if j == 0 {
		return cpus.Count(), nil
	}
	return j, nil
}

// plural writes n and the noun, with an "s" unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

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
	pad := fs.String("pad", "", padUsage)
	batch := fs.Int("batch", 1, "ONNX models: number of inputs")
	workers := fs.Int("j", 0, "layers simulated at once (0: one per CPU this process may use; 1: one at a time)")
	ops := fs.String("ops", "", "layers to run: gemm, or all (also the vector layers of an ONNX model; the default with a [vector] section)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	parallel := fs.Bool("parallel", false, "simulate each layer on akita's parallel engine (same results)")
	taskTrace := fs.String("trace-tasks", "", "write akita's task trace (layer, fold, burst, memory request) to `FILE`.csv, for Daisen")
	if done, err := parseFlags(fs, args, helpText); done || err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, version())
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	jobs, err := jobsFlag(*workers)
	if err != nil {
		return err
	}
	in, err := loadRunInputs(*cfgPath, *topoPath, *kind, modelFlags{*pad, *batch, summaryTo(*quiet)})
	if err != nil {
		return err
	}
	vls, err := vectorLayers(&in.cfg, in.topoPath, *ops, *batch, summaryTo(*quiet))
	if err != nil {
		return err
	}
	opts := runner.Options{LogDir: *logDir, Traces: *traces, TopologyPath: in.topoPath, Console: stdout, Context: interrupted(), Workers: jobs,
		Parallel: *parallel, TaskTrace: *taskTrace}
	if *quiet {
		opts.Console = nil
	}
	var stop func()
	opts.Progress, stop = progressTo(*quiet)
	start := time.Now()
	reports, vreps, err := runner.RunNetwork(in.cfg, in.layers, vls, opts)
	stop()
	if err != nil {
		return err
	}
	if !*quiet {
		printSummary(stdout, in.cfg, reports, time.Since(start), filepath.Join(*logDir, in.cfg.RunName))
		if in.cfg.Vector != nil {
			fmt.Fprintf(stdout, "Network: %s\n", vectorSummary(reports, vreps))
		}
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
	// every core's PEs: ArrayHeight x ArrayWidth is one core's array
	pes := float64(cfg.ArrayHeight) * float64(cfg.ArrayWidth) * float64(max(1, cfg.Multicore.Cores))
	util := float64(macs) * 100 / (float64(cycles) * pes)
	fmt.Fprintf(w, "\nTotal: %d cycles, %d stall cycles, %.2f%% utilization, %s in %.2f s\n",
		cycles, stalls, util, plural(len(reports), "layer"), wall.Seconds())
	fmt.Fprintf(w, "Reports: %s\n", dir)
}
