package runner

import (
	"fmt"

	"github.com/npusim/npusim/systolic"
)

// maxTraceSRAMKB bounds the buffer sizes when traces are written: a
// buffer's DRAM fetches (up to half the buffer) are built in memory as
// trace rows, 8 bytes per word.
const maxTraceSRAMKB = 1 << 14

// maxTraceLineWords bounds Bandwidth when traces are written: each DRAM
// trace row of a USER-mode run holds Bandwidth addresses, built in memory.
const maxTraceLineWords = 1 << 20

// maxAddress bounds an operand's last word address (offset + size), so
// that no address overflows int64 and none turns negative (a negative
// address would read as SCALE-Sim's -1 padding).
const maxAddress = 1 << 62

// checkRun reports a run whose addresses or trace rows would not fit:
// each layer's operands must end below maxAddress from their offsets, and
// traced runs need buffers of at most maxTraceSRAMKB and (USER) a
// Bandwidth of at most maxTraceLineWords.
func checkRun(cfg Config, layers []systolic.Layer, opts Options) error {
	if opts.Traces && cfg.BandwidthMode == USER && len(cfg.Bandwidth) > 0 && cfg.Bandwidth[0] > maxTraceLineWords {
		return fmt.Errorf("config %s: [architecture_presets] Bandwidth %d is too large for traces: each DRAM trace row holds Bandwidth addresses (at most %d)",
			cfg.Path, cfg.Bandwidth[0], maxTraceLineWords)
	}
	if opts.Traces {
		for _, s := range []struct {
			key string
			kb  int
		}{{"IfmapSramSzkB", cfg.IfmapSRAMKB}, {"FilterSramSzkB", cfg.FilterSRAMKB}, {"OfmapSramSzkB", cfg.OfmapSRAMKB}} {
			if s.kb > maxTraceSRAMKB {
				return fmt.Errorf("config %s: [architecture_presets] %s %d is too large for traces: a buffer's DRAM fetches are held in memory as trace rows (at most %d)",
					cfg.Path, s.key, s.kb, maxTraceSRAMKB)
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
			if s.off > maxAddress-s.n {
				return fmt.Errorf("config %s: [architecture_presets] %s %d: layer %d (%s) would have addresses beyond 2^62",
					cfg.Path, s.what, s.off, i, l.Name)
			}
		}
	}
	return nil
}

// maxArrayDim bounds ArrayHeight and ArrayWidth: buffers keep a slot per
// array row or column, and 2^16 x 2^16 PEs is far beyond any NPU.
const maxArrayDim = 1 << 16

// maxBandwidth bounds Bandwidth (words per cycle). SCALE-Sim counts a
// DRAM fetch as whole lines of Bandwidth words, so the DRAM word counts
// grow with it; 2^32 keeps them within int64 (2^62 made them wrap to
// negative, 2^63-1 overflowed a division).
const maxBandwidth = 1 << 32
