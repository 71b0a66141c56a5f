package runner

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/multicore"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// mcLayer is one layer of a multi-core run: the cores' run and each core's
// share run alone (zero for an empty share).
type mcLayer struct {
	run   multicore.LayerRun
	alone []multicore.CoreRun
}

// multicoreConfig is the multi-core NPU cfg describes.
func multicoreConfig(cfg config.Config) multicore.Config {
	bw := 0
	if cfg.BandwidthMode == config.USER {
		bw = cfg.Bandwidth[0]
	}
	return multicore.Config{
		Core:      coreBuilder(cfg),
		Cores:     cfg.Multicore.Cores,
		Partition: cfg.Multicore.Partition,
		Grid:      cfg.Multicore.Grid,
		Memory:    cfg.DRAM,
		Bandwidth: bw,
		WordBytes: cfg.WordBytes,
		Offsets:   cfg.Offsets(),
		Freq:      cfg.Clock(),
	}
}

// simulateMulticore runs layer i on the cores, with each core's traces if
// trace is not nil (multicore.Config.Trace), and each core's share alone.
func simulateMulticore(mc multicore.Config, i int, l systolic.Layer, trace func(int) (multicore.CoreTracers, error)) (mcLayer, error) {
	traced := mc
	traced.Trace = trace
	run, err := traced.RunLayer(i, l)
	if err != nil {
		return mcLayer{}, err
	}
	ml := mcLayer{run: run, alone: make([]multicore.CoreRun, len(run.Cores))}
	for c, cr := range run.Cores {
		if cr.Share.Empty() {
			continue
		}
		if ml.alone[c], err = mc.Alone(i, cr.Share); err != nil {
			return mcLayer{}, err
		}
	}
	return ml, nil
}

// runMulticore is Run for cfg.Multicore.Cores > 1: each layer is split
// across the cores (each on a fresh engine and memory, see
// multicore.Config.RunLayer), the three reports describe the whole NPU and
// CORE_REPORT.csv each core.
// With opts.Traces each core of each layer gets its six traces in
// dir/layerN/coreK (mcTraces). Run has checked the layers against ms's
// capacity.
func runMulticore(cfg config.Config, dir string, layers []systolic.Layer, opts Options, ms *memorySystem) ([]report.Layer, error) {
	con := opts.Console
	if con == nil {
		con = io.Discard
	}
	ms.printBanner(con)
	mc := multicoreConfig(cfg)
	stop := watch(opts.Context, sim.NewSerialEngine()) // its hook goes on each engine of the run
	mc.Parallel = opts.Parallel
	if opts.Context != nil && !opts.Parallel { // see newWorker
		mc.EngineHooks = []sim.Hook{stop}
	}
	fmt.Fprintf(con, "Cores: \t%d, partition %s\n", mc.Cores, mc.Partition)
	mls := make([]mcLayer, 0, len(layers))
	// SCALE-Sim's reports, ENERGY_REPORT.csv and DRAM_REPORT.csv (with a
	// real memory) describe the NPU, CORE_REPORT.csv each core (its DRAM
	// Bytes are the memory requests' bytes per core).
	specs := report.Formats(cfg)
	specs = append(specs, report.CoreFormat(cfg, func(i int) (multicore.LayerRun, []multicore.CoreRun) {
		return mls[i].run, mls[i].alone
	}))
	out, err := report.StartOutput(dir, specs, len(layers), con)
	if err != nil {
		return nil, err
	}
	defer out.Abandon()
	reports := make([]report.Layer, 0, len(layers))
	for i, l := range layers {
		fmt.Fprintf(con, "\nRunning Layer %d\n", i)
		var tr *mcTraces
		if opts.Traces {
			tr = &mcTraces{layerDir: filepath.Join(dir, fmt.Sprintf("layer%d", i)), withDRAM: cfg.DRAM.IsIdeal() || cfg.DRAM.UsesController()}
		}
		ml, err := stop.simulateMulticore(mc, i, l, tr.tracer())
		if cerr := tr.close(err == nil); cerr != nil && err == nil {
			err = fmt.Errorf("layer %d trace: %w", i, cerr)
		}
		if err != nil {
			return nil, out.Fail(err)
		}
		mls = append(mls, ml)
		rep := npuReport(cfg, i, l, ml.run)
		if err := out.LayerDone(&rep); err != nil {
			return nil, out.Fail(err)
		}
		reports = append(reports, rep)
		fmt.Fprintf(con, "Split (pixel parts x filter parts): %s\n", ml.run.Split)
		fmt.Fprintf(con, "Compute cycles: %d (core %d)\n", rep.TotalCycles, ml.run.Slowest)
		fmt.Fprintf(con, "Stall cycles: %d\n", rep.StallCycles)
		fmt.Fprintf(con, "Overall utilization: %.2f%%\n", rep.OverallUtil())
		if ml.run.MemBytes > 0 {
			fmt.Fprintf(con, "Memory: %.2f bytes/cycle of %.0f peak\n", float64(ml.run.MemBytes)/float64(ml.run.Span), ml.run.Peak)
		}
		if opts.Traces {
			fmt.Fprintln(con, "Saving traces: Done!")
		}
	}
	if err := out.Finish(); err != nil {
		return nil, err
	}
	fmt.Fprintln(con, "************ SCALE SIM Run Complete ****************")
	return reports, nil
}

// npuReport sums a layer's cores up as one NPU: the layer takes the
// slowest core's cycles and stalls, all cores' PEs, and the first and last
// cycles and total words of every operand; mapping efficiency and compute
// utilisation are averaged over all cores' folds, as SCALE-Sim averages
// them over one core's.
func npuReport(cfg config.Config, i int, l systolic.Layer, run multicore.LayerRun) report.Layer {
	rep := report.Layer{Layer: i, Name: l.Name, TotalCycles: run.Cycles, MACs: l.MACs(),
		ArrayPEs: int64(cfg.Multicore.Cores) * int64(cfg.ArrayHeight) * int64(cfg.ArrayWidth)}
	rep.StallCycles = run.Cores[run.Slowest].Result.StallCycles
	rep.StallBy = run.Cores[run.Slowest].Result.StallBy
	rep.Shape = l
	rep.Memory, rep.DRAMCommands = run.Memory, run.DRAMCommands
	if run.DRAMCommands != nil && run.Memory != nil {
		if c, err := cfg.DRAM.LoadDRAMsim(); err == nil { // ParseConfig loaded it
			rep.DRAMEnergyPJ = dramEnergy(c, *run.DRAMCommands, &rep, cfg.Clock())
		}
	}
	var folds int
	var seen [2][3]bool
	for _, cr := range run.Cores {
		r := cr.Result
		if cr.Share.Empty() {
			continue
		}
		folds += r.Folds
		rep.MappingEfficiency += r.MappingEfficiency() * float64(r.Folds)
		rep.ComputeUtil += r.ComputeUtil() * float64(r.Folds)
		for m, side := range [2]*[3]report.Access{&rep.SRAM, &rep.DRAM} {
			for op, t := range [2][3]multicore.Traffic{cr.SRAM, cr.DRAM}[m] {
				if !t.Any {
					continue
				}
				a := &side[op]
				if !seen[m][op] || t.First < a.Start {
					a.Start = t.First
				}
				a.Stop = max(a.Stop, t.Last)
				a.Words += t.Words
				seen[m][op] = true
			}
		}
	}
	rep.MappingEfficiency /= float64(folds)
	rep.ComputeUtil /= float64(folds)
	return rep
}

// simulateMulticore is simulateMulticore, stopped as stopper.runLayer
// stops a single-core layer.
func (s *stopper) simulateMulticore(mc multicore.Config, i int, l systolic.Layer, trace func(int) (multicore.CoreTracers, error)) (mcLayer, error) {
	var ml mcLayer
	err := s.guard(i, l, func() (err error) { ml, err = simulateMulticore(mc, i, l, trace); return err })
	return ml, err
}

// mcTraces are the traces of one layer of a multi-core run: each core's
// six, in layerDir/core<K>, the same files as a single-core layer's
// (openTraces), opened as the run builds the cores.
type mcTraces struct {
	layerDir string
	withDRAM bool // the memory writes DRAM traces (the ideal channels, npusim's model)
	dirs     []string
	closers  [][]func(keep bool) error
}

// tracer is the multicore.Config.Trace that opens the traces (nil for no
// traces).
func (m *mcTraces) tracer() func(int) (multicore.CoreTracers, error) {
	if m == nil {
		return nil
	}
	return func(core int) (multicore.CoreTracers, error) {
		if len(m.dirs) == 0 {
			if err := fileio.MkdirNoFollow(m.layerDir); err != nil {
				return multicore.CoreTracers{}, fmt.Errorf("creating trace folder: %w", err)
			}
		}
		dir := filepath.Join(m.layerDir, fmt.Sprintf("core%d", core))
		tr, closers, err := openTraces(dir, m.withDRAM)
		m.dirs, m.closers = append(m.dirs, dir), append(m.closers, closers)
		return multicore.CoreTracers{SRAM: tr.SRAM, DRAM: tr.DRAM}, err
	}
}

// close completes the traces (keep) or removes them, and with them the
// layer's folders; a trace that fails to complete removes the layer's.
func (m *mcTraces) close(keep bool) error {
	if m == nil {
		return nil
	}
	var first error
	for k, closers := range m.closers {
		if err := report.CloseTraces(closers, m.dirs[k], keep && first == nil); err != nil && first == nil {
			first = err
		}
	}
	if !keep || first != nil {
		for _, dir := range m.dirs {
			report.CleanLayerDir(dir) // a folder already gone is no error here
		}
		report.CleanLayerDir(m.layerDir)
	}
	return first
}
