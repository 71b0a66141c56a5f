// Command npusim runs a SCALE-Sim v2 config and topology on npusim and
// writes SCALE-Sim's reports:
//
//	npusim -c scale.cfg -t topology.csv -p logdir [-i conv|gemm] [-traces]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/npusim/npusim/runner"
	"golang.org/x/term"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "npusim:", err)
		os.Exit(exitStatus(err))
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "import" {
		return importCmd(args[1:])
	}
	fs := flag.NewFlagSet("npusim", flag.ContinueOnError)
	cfgPath := fs.String("c", "", "config file (SCALE-Sim INI format)")
	topoPath := fs.String("t", "", "topology CSV or ONNX model (overrides the config's TopologyCsvLoc)")
	logDir := fs.String("p", "../test_runs", "folder for the run's output folder")
	kind := fs.String("i", "conv", "topology format: conv or gemm")
	traces := fs.Bool("traces", false, "also write per-layer SRAM and DRAM traces")
	quiet := fs.Bool("q", false, "do not print the per-layer summary")
	pad := fs.String("pad", "none", "ONNX models: padding convention, none or include")
	batch := fs.Int("batch", 1, "ONNX models: number of inputs")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *cfgPath == "" {
		return fmt.Errorf("missing -c CONFIG")
	}
	cfg, err := runner.LoadConfig(*cfgPath)
	if err != nil {
		return err
	}
	topo := *topoPath
	if topo == "" {
		topo = cfg.Topology
	}
	if topo == "" {
		return fmt.Errorf("missing -t TOPOLOGY (and the config names none)")
	}
	layers, err := loadTopology(cfg, topo, runner.ParseTopologyKind(*kind), *pad, *batch, summaryTo(*quiet))
	if err != nil {
		return err
	}
	opts := runner.Options{LogDir: *logDir, Traces: *traces, TopologyPath: topo, Console: os.Stdout}
	opts.Context = interrupted()
	if *quiet {
		opts.Console = nil
	}
	if term.IsTerminal(int(os.Stderr.Fd())) {
		opts.Progress = os.Stderr
	}
	_, err = runner.Run(cfg, layers, opts)
	return err
}
