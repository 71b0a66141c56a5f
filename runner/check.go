package runner

import (
	"fmt"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/systolic"
)

// checkRun reports a run whose addresses or trace rows would not fit:
// each layer's operands must end below config.MaxAddress from their offsets, and
// traced runs need buffers of at most config.MaxTraceSRAMKB and (USER) a
// Bandwidth of at most config.MaxTraceLineWords. A DRAMsim3 config a Go
// caller named without config.Parse is read here, so that a bad one is an
// error before the run rather than a failure while building it.
func checkRun(cfg config.Config, layers []systolic.Layer, opts Options) error {
	if cfg.DRAM.IsDRAMsim() {
		if _, err := cfg.DRAM.LoadDRAMsim(); err != nil {
			return fmt.Errorf("config %s: [dram] Config: %w", cfg.Path, err)
		}
	}
	if opts.Traces && cfg.BandwidthMode == config.USER && len(cfg.Bandwidth) > 0 && cfg.Bandwidth[0] > config.MaxTraceLineWords {
		return fmt.Errorf("config %s: [architecture_presets] Bandwidth %d is too large for traces: each DRAM trace row holds Bandwidth addresses (at most %d)",
			cfg.Path, cfg.Bandwidth[0], config.MaxTraceLineWords)
	}
	if opts.Traces {
		for _, s := range []struct {
			key string
			kb  int
		}{{"IfmapSramSzkB", cfg.IfmapSRAMKB}, {"FilterSramSzkB", cfg.FilterSRAMKB}, {"OfmapSramSzkB", cfg.OfmapSRAMKB}} {
			if s.kb > config.MaxTraceSRAMKB {
				return fmt.Errorf("config %s: [architecture_presets] %s %d is too large for traces: a buffer's DRAM fetches are held in memory as trace rows (at most %d)",
					cfg.Path, s.key, s.kb, config.MaxTraceSRAMKB)
			}
		}
	}
	for i, l := range layers {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, l.Name, err)
		}
		// Validate bounds every size by systolic.MaxLayerWords (2^52).
		sizes := []struct {
			what string
			off  int64
			n    int64
		}{
			{"IfmapOffset", cfg.IfmapOffset, int64(l.H) * int64(l.W) * int64(l.Ch)},
			{"FilterOffset", cfg.FilterOffset, int64(l.K()) * int64(l.N)},
			{"OfmapOffset", cfg.OfmapOffset, int64(l.P()) * int64(l.N)},
		}
		for _, s := range sizes {
			if s.off > config.MaxAddress-s.n {
				return fmt.Errorf("config %s: [architecture_presets] %s %d: layer %d (%s) would have addresses beyond 2^62",
					cfg.Path, s.what, s.off, i, l.Name)
			}
		}
	}
	return nil
}
