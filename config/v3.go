package config

import (
	"math"

	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
)

// V3Config is what a SCALE-Sim v3 config adds to a v2 one. A config is a
// v3 config when it has a [sparsity] section (v3 requires one, even for
// dense runs); then the topology's 9th conv column (5th GEMM column) is the
// N:M sparsity ratio, and the reports follow v3's layout.
type V3Config struct {
	// Sparsity is the [sparsity] section (Enabled = SparsitySupport).
	Sparsity systolic.Sparsity
	// SparseRep is csr, csc or ellpack_block when sparsity is on.
	SparseRep string
}

// Section names of SCALE-Sim v3.
const (
	secSparsity = "sparsity"
	secLayout   = "layout"
)

// parseV3 reads the v3 sections and keys, if the config is a v3 config.
// Keys that select something npusim does not model (a Ramulator trace, a
// custom SRAM layout) are refused; keys that are accepted but have no
// effect here (request buffers, bank geometry without a custom layout) must
// still be well-formed integers.
func (p *cfgParser) parseV3(cfg *Config) error {
	if !p.sections[secSparsity] {
		return nil
	}
	v3 := &V3Config{}
	support, err := p.require(secSparsity, "SparsitySupport")
	if err != nil {
		return err
	}
	if v, ok := p.get(secRun, "UseRamulatorTrace"); ok && py.True(v) {
		return p.keyErrf(secRun, "UseRamulatorTrace", "True selects Ramulator DRAM traces, which npusim does not model (set it to False)")
	}
	for _, key := range []string{"ReadRequestBuffer", "WriteRequestBuffer"} {
		if _, ok := p.get(secArch, key); ok {
			if _, err := p.intKey(secArch, key, 1, math.MaxInt32); err != nil {
				return err
			}
		}
	}
	if p.sections[secLayout] {
		for _, op := range []string{"Ifmap", "Filter"} {
			if v, ok := p.get(secLayout, op+"CustomLayout"); ok && py.True(v) {
				return p.keyErrf(secLayout, op+"CustomLayout", "True selects a custom SRAM layout, which npusim does not model (set it to False)")
			}
			for _, key := range []string{"SRAMBankBandwidth", "SRAMBankNum", "SRAMBankPort"} {
				if _, ok := p.get(secLayout, op+key); ok {
					if _, err := p.intKey(secLayout, op+key, 1, math.MaxInt32); err != nil {
						return err
					}
				}
			}
		}
	}
	cfg.V3 = v3
	if !py.True(support) {
		return nil
	}
	sp := &v3.Sparsity
	sp.Enabled = true
	if v3.SparseRep, err = p.require(secSparsity, "SparseRep"); err != nil {
		return err
	}
	switch v3.SparseRep {
	case "csr", "csc", "ellpack_block":
	default:
		// SCALE-Sim v3 accepts it and crashes computing the storage.
		return p.keyErrf(secSparsity, "SparseRep", "unknown value %q (allowed: csr, csc, ellpack_block; case-sensitive)", v3.SparseRep)
	}
	opt, err := p.require(secSparsity, "OptimizedMapping")
	if err != nil {
		return err
	}
	sp.RowWise = py.True(opt)
	seed, err := p.intKey(secSparsity, "RandomNumberGeneratorSeed", 0, math.MaxUint32)
	if err != nil {
		return err
	}
	sp.Seed = uint32(seed)
	if !sp.RowWise {
		return nil
	}
	b, err := p.intKey(secSparsity, "BlockSize", 1, math.MaxInt32)
	if err != nil {
		return err
	}
	sp.BlockSize = int(b)
	switch {
	case cfg.Dataflow != systolic.WS:
		return p.keyErrf(secSparsity, "OptimizedMapping", "row-wise sparsity works only with Dataflow ws (SCALE-Sim v3 fails with \"Dimension mismatch between operands\" for %s)", cfg.Dataflow)
	case b%2 != 0:
		return p.keyErrf(secSparsity, "BlockSize", "must be even, got %d", b)
	case int(b) > cfg.ArrayHeight:
		return p.keyErrf(secSparsity, "BlockSize", "%d is larger than ArrayHeight %d (SCALE-Sim v3: \"ERROR: Invalid block size\")", b, cfg.ArrayHeight)
	case (2*cfg.ArrayHeight)%int(b) != 0:
		return p.keyErrf(secSparsity, "BlockSize", "%d does not divide 2*ArrayHeight = %d (SCALE-Sim v3 crashes with an inhomogeneous shape)", b, 2*cfg.ArrayHeight)
	}
	return nil
}

// Sparsity is the accelerator's sparsity: v3's [sparsity], or dense.
func (c Config) Sparsity() systolic.Sparsity {
	if c.V3 == nil {
		return systolic.Sparsity{}
	}
	return c.V3.Sparsity
}

// Offsets are the operands' base addresses.
func (cfg Config) Offsets() systolic.Offsets {
	return systolic.Offsets{Ifmap: cfg.IfmapOffset, Filter: cfg.FilterOffset, Ofmap: cfg.OfmapOffset}
}
