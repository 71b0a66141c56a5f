package config

import (
	"math"
	"strconv"
	"strings"

	"github.com/sarchlab/akita/v3/sim"
)

// Sections npusim adds to SCALE-Sim's config; SCALE-Sim ignores them.
const (
	secNpusim = "npusim" // WordBytes, Batch
	secEnergy = "energy" // per-action energies, ClockMHz
)

// maxBatch keeps batched pixel counts well inside int arithmetic.
const maxBatch = 1 << 16

// parseExtensions reads the optional [npusim] and [energy] sections. Absent
// keys keep SCALE-Sim's assumptions: one-byte words, a batch of one, and
// the default energy table (see energy.go); their fields then stay zero,
// which means the same.
func (p *cfgParser) parseExtensions(cfg *Config) error {
	if p.sections[secNpusim] {
		if _, ok := p.get(secNpusim, "WordBytes"); ok {
			v, err := p.intKey(secNpusim, "WordBytes", 1, math.MaxInt32)
			if err != nil {
				return err
			}
			cfg.WordBytes = int(v)
			for _, kb := range []struct {
				key string
				v   int
			}{{"IfmapSramSzkB", cfg.IfmapSRAMKB}, {"FilterSramSzkB", cfg.FilterSRAMKB}, {"OfmapSramSzkB", cfg.OfmapSRAMKB}} {
				if int64(kb.v)*1024 < v {
					return p.keyErrf(secNpusim, "WordBytes", "%d is larger than the %s buffer (%d kB)", v, kb.key, kb.v)
				}
			}
		}
		if v, ok := p.get(secNpusim, "FrequencyMHz"); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || f <= 0 || f > 1e6 {
				return p.keyErrf(secNpusim, "FrequencyMHz", "%q is not a clock in MHz (a positive number up to 1e6)", strings.TrimSpace(v))
			}
			cfg.FrequencyMHz = f
		}
		if _, ok := p.get(secNpusim, "Batch"); ok {
			v, err := p.intKey(secNpusim, "Batch", 1, maxBatch)
			if err != nil {
				return err
			}
			cfg.Batch = int(v)
		}
	}
	if !p.sections[secEnergy] {
		return nil
	}
	cfg.Energy = DefaultEnergy(*cfg)
	e := &cfg.Energy
	keys := []struct {
		key string
		dst *float64
	}{
		{"MultpJ", &e.MultPJ}, {"AddpJ", &e.AddPJ}, {"IdlePEpJ", &e.IdlePEPJ},
		{"IfmapSRAMpJ", &e.SRAMPJ[0]}, {"FilterSRAMpJ", &e.SRAMPJ[1]}, {"OfmapSRAMpJ", &e.SRAMPJ[2]},
		{"DRAMReadpJ", &e.DRAMReadPJ}, {"DRAMWritepJ", &e.DRAMWritePJ}, {"ClockMHz", &e.ClockMHz},
	}
	for _, k := range keys {
		s, ok := p.get(secEnergy, k.key)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return p.keyErrf(secEnergy, k.key, "%q is not a number", strings.TrimSpace(s))
		}
		if k.key == "ClockMHz" && v <= 0 {
			return p.keyErrf(secEnergy, k.key, "must be positive, got %s", strings.TrimSpace(s))
		}
		if v < 0 {
			return p.keyErrf(secEnergy, k.key, "must not be negative, got %s", strings.TrimSpace(s))
		}
		*k.dst = v
	}
	return nil
}

// AccelFreq is the accelerator's default clock (components.Builder's
// default); [npusim] FrequencyMHz changes it (Config.Clock).
const AccelFreq = 1 * sim.GHz

// Clock is the accelerator's clock: FrequencyMHz, or AccelFreq.
func (c Config) Clock() sim.Freq {
	if c.FrequencyMHz > 0 {
		return sim.Freq(c.FrequencyMHz) * sim.MHz
	}
	return AccelFreq
}
