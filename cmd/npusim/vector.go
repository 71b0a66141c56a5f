package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/onnx"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/topology"
)

// vectorLayers returns the vector layers of a run (docs/vector.md): an
// ONNX model's non-GEMM nodes with -ops all (the default once the config
// has a [vector] section), or the vector rows of a topology CSV with a
// Kind column. ops is "", "gemm" or "all".
func vectorLayers(cfg *config.Config, path, ops string, batch int, summary io.Writer) ([]topology.VectorLayer, error) {
	switch ops {
	case "", "gemm", "all":
	default:
		return nil, fmt.Errorf("-ops %q: must be gemm or all", ops)
	}
	model, err := isONNX(path)
	if err != nil {
		return nil, err
	}
	if !model {
		if ops == "gemm" {
			return nil, nil
		}
		vls, err := topology.LoadVector(path)
		if err == nil && len(vls) > 0 && cfg.Vector == nil {
			cfg.Vector = config.DefaultVector()
		}
		return vls, err
	}
	if ops == "gemm" || (ops == "" && cfg.Vector == nil) {
		return nil, nil
	}
	if cfg.Vector == nil {
		cfg.Vector = config.DefaultVector()
	}
	m, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	out, err := onnxVector(m, batch)
	if err != nil {
		return nil, err
	}
	if summary != nil {
		fmt.Fprintln(summary, m.VectorSummary())
		for _, d := range m.Dropped {
			if d.Reason != onnx.ReasonShape {
				fmt.Fprintf(summary, "  dropped %s (%s): %s\n", d.Node, d.Op, d.Reason)
			}
		}
	}
	return out, nil
}

// vectorSummary is the summary line's account of the vector layers.
func vectorSummary(reports []report.Layer, vreps []report.VectorLayer) string {
	var n report.Network
	for i := range reports {
		n.AddGEMM(&reports[i])
	}
	for i := range vreps {
		n.AddVector(&vreps[i])
	}
	return strings.TrimSpace(n.Summary())
}

// onnxVector is the model's vector layers for batch inputs, each placed
// after the lowered GEMM layers of the compute nodes before it.
func onnxVector(m *onnx.Model, batch int) ([]topology.VectorLayer, error) {
	before := m.LoweredBefore(batch)
	out := make([]topology.VectorLayer, 0, len(m.Vector))
	for _, v := range m.Vector {
		l, err := v.Batched(batch)
		if err != nil {
			return nil, err
		}
		out = append(out, topology.VectorLayer{Layer: l, After: before[v.After], FusedInto: v.FusedInto})
	}
	return out, nil
}
