// Command onnx imports ResNet-18 from an ONNX file (exported by PyTorch from
// torchvision's architecture, weights stripped; BSD-3-Clause, see
// LICENSE-torchvision), runs its 21 compute layers on SCALE-Sim's default
// example accelerator (32x32 output stationary, 64 kB buffers, CALC mode;
// scale.cfg, MIT, see LICENSE-scalesim), writes SCALE-Sim's reports and
// prints a per-layer summary:
//
//	go run ./samples/onnx [-p LOGDIR] [-pad none|include] [-batch N] [-model FILE.onnx]
//
// The model and config are embedded, so the program works from any working
// directory; -model runs another ONNX file instead.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/onnx"
	"github.com/npusim/npusim/runner"
)

//go:embed scale.cfg
var configData []byte

//go:embed resnet18.onnx
var modelData []byte

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "onnx:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("onnx", flag.ContinueOnError)
	logDir := fs.String("p", filepath.Join(os.TempDir(), "npusim-onnx"), "folder for the run's output folder")
	padFlag := fs.String("pad", "include", "padding convention: none or include")
	batch := fs.Int("batch", 1, "number of model inputs")
	modelPath := fs.String("model", "", "ONNX model to run instead of the embedded ResNet-18")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	pad, err := onnx.ParsePadding(*padFlag)
	if err != nil {
		return err
	}
	cfg, err := config.Parse("scale.cfg (embedded)", configData)
	if err != nil {
		return err
	}
	var model *onnx.Model
	if *modelPath != "" {
		model, err = onnx.Load(*modelPath)
	} else {
		model, err = onnx.Parse("resnet18.onnx (embedded)", modelData)
	}
	if err != nil {
		return err
	}
	layers, err := model.Systolic(pad, *batch)
	if err != nil {
		return err
	}
	fmt.Println(model.Summary())

	start := time.Now()
	reports, err := runner.Run(cfg, layers, runner.Options{LogDir: *logDir, TopologyPath: model.Name})
	if err != nil {
		return err
	}
	wall := time.Since(start)

	fmt.Printf("\n%-5s %-46s %10s %8s %14s\n", "Layer", "Name", "Cycles", "Util %", "MACs")
	var cycles, macs int64
	for _, r := range reports {
		fmt.Printf("%-5d %-46s %10d %8.2f %14d\n", r.Layer, r.Name, r.TotalCycles, r.OverallUtil(), r.MACs)
		cycles += r.TotalCycles
		macs += r.MACs
	}
	fmt.Printf("%-52s %10d %8.2f %14d\n", "total", cycles, float64(macs*100)/float64(cycles*reports[0].ArrayPEs), macs)
	fmt.Printf("\nReports: %s\n", filepath.Join(*logDir, cfg.RunName))
	fmt.Printf("Wall time: %s\n", wall.Round(time.Millisecond))
	return nil
}
