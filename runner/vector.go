package runner

import (
	"fmt"
	"io"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/topology"
	"github.com/npusim/npusim/vector"
)

// checkVector reports vector layers a run cannot take.
func checkVector(cfg config.Config, vls []topology.VectorLayer, gemm int) error {
	if len(vls) == 0 {
		return nil
	}
	if cfg.Multicore.Cores > 1 {
		return fmt.Errorf("config %s: [multicore] Cores %d: vector layers run on a single-core accelerator only", cfg.Path, cfg.Multicore.Cores)
	}
	for i, v := range vls {
		l := batched(cfg, v)
		if err := l.Validate(); err != nil {
			return fmt.Errorf("vector layer %d: %w", i, err)
		}
		if _, err := cfg.Vector.Config.ComputeCycles(l); err != nil {
			return fmt.Errorf("vector layer %d (%s): %w", i, l.Name, err)
		}
		if v.After < 0 || v.After > gemm {
			return fmt.Errorf("vector layer %d (%s): placed after %d GEMM layers, the network has %d", i, l.Name, v.After, gemm)
		}
		for _, s := range []struct {
			what string
			off  int64
			n    int64
		}{{"IfmapOffset", cfg.IfmapOffset, l.In}, {"FilterOffset", cfg.FilterOffset, l.Aux}, {"OfmapOffset", cfg.OfmapOffset, l.Elements}} {
			if s.off > config.MaxAddress-s.n {
				return fmt.Errorf("config %s: [architecture_presets] %s %d: vector layer %d (%s) would have addresses beyond 2^62",
					cfg.Path, s.what, s.off, i, l.Name)
			}
		}
	}
	return nil
}

// batched is the vector layer for the config's [npusim] Batch: the
// activations (the first input and the output) grow with the batch; the
// other inputs are taken as weights.
func batched(cfg config.Config, v topology.VectorLayer) (l vector.Layer) {
	l = v.Layer
	if b := int64(cfg.Batch); b > 1 {
		l.Elements *= b
		l.In *= b
	}
	if cfg.Vector.Fuse && v.FusedInto != "" {
		l.Fused = true
	}
	return l
}

// runVector runs the vector layers, one after the other, on an accelerator
// of their own built like the GEMM layers' (same buffers, bandwidth and
// memory, plus the vector unit), and writes their rows. Each layer starts
// from empty buffers, as each GEMM layer does, so running them after the
// GEMM layers gives the figures they have in their place in the network.
func runVector(cfg config.Config, vls []topology.VectorLayer, opts Options, con io.Writer, out *report.Output) ([]report.VectorLayer, error) {
	if len(vls) == 0 {
		return nil, nil
	}
	w := newWorker(cfg, opts)
	if w.ms != nil {
		spans := []dram.Span{
			{Operand: protocol.Ifmap.String(), Start: cfg.IfmapOffset, End: cfg.IfmapOffset},
			{Operand: protocol.Filter.String(), Start: cfg.FilterOffset, End: cfg.FilterOffset},
			{Operand: protocol.Ofmap.String(), Start: cfg.OfmapOffset, End: cfg.OfmapOffset},
		}
		for _, v := range vls {
			l := batched(cfg, v)
			for i, n := range []int64{l.In, l.Aux, l.Elements} {
				spans[i].End = max(spans[i].End, spans[i].Start+n)
			}
		}
		if err := w.ms.checkSpans(cfg, spans); err != nil {
			return nil, err
		}
	}
	reps := make([]report.VectorLayer, 0, len(vls))
	for i, v := range vls {
		l := batched(cfg, v)
		fmt.Fprintf(con, "\nRunning Vector Layer %d (%s %s)\n", i, l.Op, l.Name)
		rep := report.VectorLayer{ID: i, After: v.After, Layer: l, ArrayPEs: int64(w.acc.Rows * w.acc.Cols)}
		if l.Fused {
			rep.FusedInto = v.FusedInto
		}
		err := w.stop.guardVector(i, l.Name, func() error {
			res, err := w.acc.RunVectorLayer(i, l)
			rep.Result = res
			return err
		})
		if err != nil {
			return nil, err
		}
		if !l.Fused {
			for op, rs := range [2]struct{ first, last, n int64 }{
				{w.acc.Ifmap.Stats().First, w.acc.Ifmap.Stats().Last, w.acc.Ifmap.Stats().Requests},
				{w.acc.Filter.Stats().First, w.acc.Filter.Stats().Last, w.acc.Filter.Stats().Requests},
			} {
				if op == int(protocol.Filter) && l.Aux == 0 {
					continue // the filter buffer sat the layer out
				}
				rep.SRAM[op] = report.Access{Start: rs.first, Stop: rs.last, Words: rs.n}
			}
			ws := w.acc.Ofmap.Stats()
			rep.SRAM[protocol.Ofmap] = report.Access{Start: ws.First, Stop: ws.Last, Words: ws.Requests}
			for op, ch := range w.acc.DRAM {
				if ch == nil || (op == int(protocol.Filter) && l.Aux == 0) {
					continue
				}
				s := ch.Stats()
				rep.DRAM[op] = report.Access{Start: s.First, Stop: s.Last, Words: s.Words}
			}
			if w.ms != nil {
				var lr report.Layer
				w.ms.collect(&lr)
				rep.Memory, rep.DRAM = lr.Memory, lr.DRAM
			}
		}
		if err := out.VectorDone(&rep); err != nil {
			return nil, err
		}
		r := rep.Result
		fmt.Fprintf(con, "Compute cycles: %d\nStall cycles: %d\nTotal cycles: %d\n", r.ComputeCycles, r.StallCycles, r.TotalCycles)
		reps = append(reps, rep)
	}
	return reps, nil
}
