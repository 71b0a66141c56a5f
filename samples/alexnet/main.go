// Command alexnet runs AlexNet's five convolution layers on SCALE-Sim's
// default example accelerator (a 32x32 output-stationary array with 64 kB
// buffers in CALC bandwidth mode) through npusim's Go API, writes
// SCALE-Sim's three reports and prints a per-layer summary and the wall
// time:
//
//	go run ./samples/alexnet [-p LOGDIR] [-traces]
//
// The inputs, SCALE-Sim's alexnet.csv and scale.cfg (MIT, see
// LICENSE-scalesim), are embedded in the binary, so the program works from
// any working directory.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/runner"
	"github.com/npusim/npusim/topology"
)

//go:embed scale.cfg
var configData []byte

//go:embed alexnet.csv
var topologyData string

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "alexnet:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("alexnet", flag.ContinueOnError)
	logDir := fs.String("p", filepath.Join(os.TempDir(), "npusim-alexnet"), "folder for the run's output folder")
	traces := fs.Bool("traces", false, "also write per-layer SRAM and DRAM traces")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	cfg, err := config.Parse("scale.cfg (embedded)", configData)
	if err != nil {
		return err
	}
	layers, err := topology.Parse("alexnet.csv (embedded)", strings.NewReader(topologyData), topology.Conv)
	if err != nil {
		return err
	}

	start := time.Now()
	reports, err := runner.Run(cfg, layers, runner.Options{
		LogDir:       *logDir,
		Traces:       *traces,
		TopologyPath: "alexnet.csv (embedded)",
		Console:      os.Stdout,
	})
	if err != nil {
		return err
	}
	wall := time.Since(start)

	fmt.Println()
	fmt.Printf("%-6s %-8s %12s %8s %10s %10s\n", "Layer", "Name", "Cycles", "Stalls", "Util %", "Mapping %")
	var total int64
	for _, r := range reports {
		fmt.Printf("%-6d %-8s %12d %8d %10.2f %10.2f\n",
			r.Layer, r.Name, r.TotalCycles, r.StallCycles, r.OverallUtil(), r.MappingEfficiency)
		total += r.TotalCycles
	}
	fmt.Printf("%-15s %12d\n", "total", total)
	fmt.Printf("\nReports: %s\n", filepath.Join(*logDir, cfg.RunName))
	fmt.Printf("Wall time: %s\n", wall.Round(time.Millisecond))
	return nil
}
