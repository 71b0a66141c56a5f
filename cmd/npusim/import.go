package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/onnx"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
)

const importSynopsis = "npusim import MODEL.onnx [-batch N] [-pad include|none] [-ops gemm|all] [-o FILE]"

const importUsage = "usage: " + importSynopsis + `

Writes the model's compute layers as a SCALE-Sim conv-format topology CSV
(GEMMs in the conv form SCALE-Sim gives them) to standard output or FILE,
for npusim -t FILE or SCALE-Sim -t FILE -i conv. With -ops all the CSV also
carries the vector layers (the Kind column of docs/vector.md), which npusim
reads and SCALE-Sim does not. The import summary goes to standard error.`

// importCmd is "npusim import": ONNX model in, topology CSV out.
func importCmd(args []string) error {
	fs := flag.NewFlagSet("npusim import", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	pad := fs.String("pad", defaultPad, "padding convention: include (ifmap grown by the pads: the model's output sizes and MACs) or none (SCALE-Sim's topology CSVs: unpadded ifmap)")
	batch := fs.Int("batch", 1, "number of model inputs (multiplies the exported batch)")
	outPath := fs.String("o", "", "write the CSV to this file instead of standard output")
	ops := fs.String("ops", "gemm", "gemm (SCALE-Sim's CSV) or all (also the vector layers, in a Kind column)")
	// Flags may come before or after the model path.
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return fmt.Errorf("%w%s", err, didYouMean(fs, err))
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		return fmt.Errorf("import: expected one ONNX model, got %d arguments (usage: %s)", len(rest), importSynopsis)
	}
	p, err := onnx.ParsePadding(*pad)
	if err != nil {
		return fmt.Errorf("import: -pad: %w", err)
	}
	m, err := onnx.Load(rest[0])
	if err != nil {
		return err
	}
	layers, err := m.Systolic(p, *batch)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, m.Summary())
	write := func(w io.Writer) error { return onnx.WriteCSV(w, layers) }
	switch *ops {
	case "gemm":
	case "all":
		vls, err := onnxVector(m, *batch)
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, m.VectorSummary())
		write = func(w io.Writer) error { return topology.WriteKindCSV(w, layers, vls) }
	default:
		return fmt.Errorf("import: -ops %q: must be gemm or all", *ops)
	}
	if *outPath == "" {
		return write(os.Stdout)
	}
	f, err := os.Create(*outPath)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("import: %s: %w", *outPath, err)
	}
	return f.Close()
}

// isONNX tells an ONNX model from a topology CSV: by the .onnx extension,
// or by content (onnx.IsModel), so a model under any name is recognised.
func isONNX(path string) (bool, error) {
	if strings.HasSuffix(strings.ToLower(path), ".onnx") {
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("topology %s: %w", path, err)
	}
	defer f.Close()
	var b [1]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return false, nil // empty: let the CSV reader report it
	}
	return onnx.IsModel(b[:]), nil
}

// loadTopology reads a topology CSV of the given kind, or an ONNX model
// lowered with the -pad and -batch settings (which a CSV does not take).
// The ONNX import summary goes to summary unless it is nil.
func loadTopology(cfg config.Config, path string, kind topology.Kind, pad string, batch int, summary io.Writer) ([]systolic.Layer, error) {
	model, err := isONNX(path)
	if err != nil {
		return nil, err
	}
	if !model {
		if pad != "" || batch != 1 {
			return nil, fmt.Errorf("topology %s: -pad and -batch apply to ONNX models only", path)
		}
		return topology.LoadFor(cfg, path, kind)
	}
	if kind == topology.Gemm {
		return nil, fmt.Errorf("topology %s: -i gemm is for GEMM topology CSVs; an ONNX model's layers come from the model (drop -i gemm)", path)
	}
	if pad == "" {
		pad = defaultPad
	}
	p, err := onnx.ParsePadding(pad)
	if err != nil {
		return nil, fmt.Errorf("-pad: %w", err)
	}
	m, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	layers, err := m.Systolic(p, batch)
	if err != nil {
		return nil, err
	}
	if summary != nil {
		fmt.Fprintf(summary, "%s (-pad %s, -batch %d: %s)\n", m.Summary(), p, batch, plural(len(layers), "layer"))
	}
	return layers, nil
}

// summaryTo is where run prints the ONNX import summary: nowhere with -q.
func summaryTo(quiet bool) io.Writer {
	if quiet {
		return nil
	}
	return os.Stdout
}
