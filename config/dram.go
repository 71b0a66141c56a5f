package config

import (
	"math"

	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/internal/py"
)

// secDRAM is the optional section that puts a real akita memory behind the
// buffers (see README, "Real memory").
const secDRAM = "dram"

// defaultFixedLatency is a fixed memory's latency in cycles when [dram]
// gives none (akita's idealmemcontroller default).
const defaultFixedLatency = 100

// dramSection reads the optional [dram] section into cfg.DRAM. Without it
// (or with Model = ideal) the run keeps SCALE-Sim's ideal DRAM channels and
// every figure is SCALE-Sim's.
func (p *cfgParser) dramSection(cfg *Config) error {
	if !p.sections[secDRAM] {
		return nil
	}
	model, err := p.require(secDRAM, "Model")
	if err != nil {
		return err
	}
	spec := dram.MemorySpec{Model: py.Strip(model)}
	ints := []struct {
		key    string
		min    int64
		dst    *int
		models []string // the models the key applies to; nil: every real one
	}{
		{"Channels", 1, &spec.Channels, nil},
		{"Latency", 0, &spec.Latency, []string{dram.Fixed}},
		{"Width", 1, &spec.Width, []string{dram.Fixed}},
		{"RequestBytes", 1, &spec.RequestBytes, nil},
		{"MaxInFlight", 1, &spec.MaxInFlight, nil},
	}
	for _, k := range ints {
		if _, ok := p.get(secDRAM, k.key); !ok {
			continue
		}
		v, err := p.intKey(secDRAM, k.key, k.min, math.MaxInt32)
		if err != nil {
			return err
		}
		if spec.IsIdeal() {
			return p.keyErrf(secDRAM, k.key, "has no effect with Model = %s", dram.Ideal)
		}
		if k.models != nil && k.models[0] != spec.Model {
			return p.keyErrf(secDRAM, k.key, "applies only to Model = %s, not %s", k.models[0], spec.Model)
		}
		*k.dst = int(v)
	}
	if _, ok := p.get(secDRAM, "Latency"); !ok && spec.Model == dram.Fixed {
		spec.Latency = defaultFixedLatency
	}
	if err := spec.Validate(); err != nil {
		// Validate's messages start with the key name.
		return p.errf("[%s] %v", secDRAM, err)
	}
	if !spec.IsIdeal() && cfg.BandwidthMode != USER {
		return p.keyErrf(secDRAM, "Model", "a real memory (%s) needs InterfaceBandwidth: USER in [%s]; CALC mode estimates the bandwidth a layer needs and never waits for memory", spec.Model, secRun)
	}
	cfg.DRAM = spec
	return nil
}
