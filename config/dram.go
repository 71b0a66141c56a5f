package config

import (
	"path/filepath"
	"strings"

	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/npusim/npusim/internal/py"
)

// secDRAM is the optional section that puts a real memory behind the
// buffers: npusim's DRAM model, a fixed latency or one of akita's memories
// (docs/real-memory.md, docs/dram-model.md).
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
	var spec dram.MemorySpec
	if v, ok := p.get(secDRAM, "Config"); ok {
		// A DRAMsim3 .ini, relative to the config file's folder.
		file := py.Strip(v)
		if file == "" {
			return p.keyErrf(secDRAM, "Config", "is empty")
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(filepath.Dir(p.path), file)
		}
		parsed, err := dramsim.LoadConfig(file)
		if err != nil {
			return p.keyErrf(secDRAM, "Config", "%v", err)
		}
		spec.Config, spec.Parsed = file, parsed
		if _, ok := p.get(secDRAM, "Model"); ok {
			return p.keyErrf(secDRAM, "Model", "give Model or Config, not both (Config = %s names the memory)", py.Strip(v))
		}
		spec.Model = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	} else {
		model, err := p.require(secDRAM, "Model")
		if err != nil {
			return err
		}
		spec.Model = py.Strip(model)
	}
	if v, ok := p.get(secDRAM, "Continuous"); ok {
		switch strings.ToLower(py.Strip(v)) {
		case "true", "yes", "on", "1":
			spec.Continuous = true
		case "false", "no", "off", "0":
		default:
			return p.keyErrf(secDRAM, "Continuous", "%q is not true or false", py.Strip(v))
		}
		if !spec.IsDRAMsim() {
			return p.keyErrf(secDRAM, "Continuous", "applies only to npusim's DRAM model (ddr4, hbm2, lpddr4 or Config), not %s", spec.Model)
		}
	}
	ints := []struct {
		key      string
		min, max int64
		dst      *int
		models   []string // the models the key applies to; nil: every real one
	}{
		{"Channels", 1, MaxDRAMChannels, &spec.Channels, nil},
		{"Latency", 0, MaxDRAMLatency, &spec.Latency, []string{dram.Fixed}},
		{"Width", 1, MaxDRAMWidth, &spec.Width, []string{dram.Fixed}},
		{"RequestBytes", 1, MaxDRAMRequestBytes, &spec.RequestBytes, nil},
		{"MaxInFlight", 1, MaxDRAMInFlight, &spec.MaxInFlight, nil},
	}
	for _, k := range ints {
		if _, ok := p.get(secDRAM, k.key); !ok {
			continue
		}
		v, err := p.intKey(secDRAM, k.key, k.min, k.max)
		if err != nil {
			return err
		}
		if spec.IsIdeal() {
			return p.keyErrf(secDRAM, k.key, "has no effect with Model = %s", dram.Ideal)
		}
		if spec.IsDRAMsim() {
			return p.keyErrf(secDRAM, k.key, "has no effect on npusim's DRAM model (%s): its DRAMsim3 config sets the structure", spec.Model)
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
		key, _, _ := strings.Cut(err.Error(), ":")
		return p.errf("[%s] %v%s", secDRAM, err, p.inlineCommentHint(secDRAM, key))
	}
	if !spec.IsIdeal() && cfg.BandwidthMode != USER {
		return p.keyErrf(secDRAM, "Model", "a real memory (%s) needs InterfaceBandwidth: USER in [%s]; CALC mode estimates the bandwidth a layer needs and never waits for memory", spec.Model, secRun)
	}
	cfg.DRAM = spec
	return nil
}
