// Command onnx imports two networks from ONNX files (exported by PyTorch,
// weights stripped; BSD-3-Clause, see LICENSE-torchvision): ResNet-18, a
// CNN, and a two-layer transformer encoder. It runs each whole network on
// SCALE-Sim's default example accelerator (32x32 output stationary, 64 kB
// buffers, CALC mode; scale.cfg, MIT, see LICENSE-scalesim) with npusim's
// vector unit beside the PE array: the GEMM layers (Conv, Gemm, MatMul) on
// the array, every other node on the vector unit or dropped with its reason
// (docs/vector.md). It writes the reports of each network and prints, per
// network, its GEMM layers, its vector layers by operator, and how its
// cycles split between GEMM, vector and stall: the non-GEMM share.
//
//	go run ./samples/onnx [-p LOGDIR] [-pad include|none] [-batch N] [-fuse] [-model FILE.onnx]
//
// -fuse applies the activations that directly follow a GEMM layer in its
// ofmap drain ([vector] Fuse = true). The models and config are embedded,
// so the program works from any working directory; -model runs another
// ONNX file instead of the two.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/onnx"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/runner"
	"github.com/npusim/npusim/topology"
)

//go:embed scale.cfg
var configData []byte

//go:embed resnet18.onnx
var resnetData []byte

//go:embed transformer_encoder.onnx
var transformerData []byte

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "onnx:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("onnx", flag.ContinueOnError)
	logDir := fs.String("p", filepath.Join(os.TempDir(), "npusim-onnx"), "folder for the runs' output folders")
	// include, as npusim -t MODEL.onnx and npusim import: the model's own
	// output sizes and MACs (none gives SCALE-Sim's unpadded ifmaps)
	padFlag := fs.String("pad", "include", "padding convention: include (the model's output sizes and MACs) or none (SCALE-Sim's topology CSVs: unpadded ifmaps)")
	batch := fs.Int("batch", 1, "number of model inputs")
	fuse := fs.Bool("fuse", false, "fuse activations into their GEMM layer's drain")
	modelPath := fs.String("model", "", "ONNX model to run instead of the embedded ResNet-18 and transformer encoder")
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
	cfg.Vector = config.DefaultVector()
	cfg.Vector.Fuse = *fuse
	var models []*onnx.Model
	if *modelPath != "" {
		m, err := onnx.Load(*modelPath)
		if err != nil {
			return err
		}
		models = append(models, m)
	} else {
		for _, e := range []struct {
			name string
			data []byte
		}{{"resnet18.onnx (embedded)", resnetData}, {"transformer_encoder.onnx (embedded)", transformerData}} {
			m, err := onnx.Parse(e.name, e.data)
			if err != nil {
				return err
			}
			models = append(models, m)
		}
	}
	if err := os.MkdirAll(*logDir, 0o755); err != nil {
		return err
	}
	for i, m := range models {
		if err := runModel(cfg, m, pad, *batch, *logDir, fmt.Sprintf("%s_%d", cfg.RunName, i)); err != nil {
			return err
		}
	}
	return nil
}

// runModel runs one network and prints its account.
func runModel(cfg config.Config, m *onnx.Model, pad onnx.Padding, batch int, logDir, runName string) error {
	layers, err := m.Systolic(pad, batch)
	if err != nil {
		return err
	}
	before := m.LoweredBefore(batch)
	vls := make([]topology.VectorLayer, 0, len(m.Vector))
	for _, v := range m.Vector {
		l, err := v.Batched(batch)
		if err != nil {
			return err
		}
		vls = append(vls, topology.VectorLayer{Layer: l, After: before[v.After], FusedInto: v.FusedInto})
	}
	fmt.Println(m.Summary())
	fmt.Println(m.VectorSummary())
	cfg.RunName = runName
	start := time.Now()
	reports, vreps, err := runner.RunNetwork(cfg, layers, vls, runner.Options{LogDir: logDir, TopologyPath: m.Name})
	if err != nil {
		return err
	}
	wall := time.Since(start)

	var net report.Network
	for i := range reports {
		net.AddGEMM(&reports[i])
	}
	byOp := map[string]int64{}
	for i := range vreps {
		net.AddVector(&vreps[i])
		byOp[vreps[i].Layer.Op] += vreps[i].Result.TotalCycles
	}
	ops := make([]string, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(a, b int) bool { return byOp[ops[a]] > byOp[ops[b]] })
	fmt.Printf("\n%-20s %12s %8s\n", "Vector op", "Cycles", "Share %")
	for _, op := range ops {
		fmt.Printf("%-20s %12d %8.2f\n", op, byOp[op], float64(byOp[op])*100/float64(net.Total()))
	}
	fmt.Printf("\n%s\n", net.Summary())
	fmt.Printf("Reports: %s (wall time %s)\n\n", filepath.Join(logDir, runName), wall.Round(time.Millisecond))
	return nil
}
