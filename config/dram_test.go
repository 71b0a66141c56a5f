package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/dram/dramsim"
)

func TestParseDRAMSection(t *testing.T) {
	good := []struct {
		section string
		want    dram.MemorySpec
	}{
		{"", dram.MemorySpec{}},
		{"[dram]\nModel = ideal\n", dram.MemorySpec{Model: "ideal"}},
		{"[dram]\nModel = hbm2\n", dram.MemorySpec{Model: "hbm2"}},
		{"[dram]\nmodel: akita-ddr4\nCHANNELS = 2\nRequestBytes = 128\nMaxInFlight = 16\n",
			dram.MemorySpec{Model: "akita-ddr4", Channels: 2, RequestBytes: 128, MaxInFlight: 16}},
		{"[dram]\nModel = lpddr4\nContinuous = true\n", dram.MemorySpec{Model: "lpddr4", Continuous: true}},
		{"[dram]\nConfig = ../testdata/dram-golden/HBM2_8Gb_x128.ini\n", dram.MemorySpec{Model: "HBM2_8Gb_x128", Config: "../testdata/dram-golden/HBM2_8Gb_x128.ini"}},
		{"[dram]\nModel = fixed\nLatency = 0\nWidth = 4\nChannels = 3\n",
			dram.MemorySpec{Model: "fixed", Latency: 0, Width: 4, Channels: 3}},
		{"[dram]\nModel = fixed\n", dram.MemorySpec{Model: "fixed", Latency: 100}},
		{"[dram]\nModel = fixed\nChannels = 1024\nWidth = 1024\nRequestBytes = 65536\nMaxInFlight = 65536\nLatency = 2147483647\n",
			dram.MemorySpec{Model: "fixed", Channels: 1024, Width: 1024, RequestBytes: 65536, MaxInFlight: 65536, Latency: 2147483647}},
		{"[dram]\nModel = akita-hbm2\nRequestBytes = 1024\nChannels = 1\n", dram.MemorySpec{Model: "akita-hbm2", Channels: 1, RequestBytes: 1024}},
	}
	for _, tt := range good {
		cfg, err := Parse("a.cfg", []byte(baseConfig+tt.section))
		if err != nil {
			t.Errorf("%q: %v", tt.section, err)
			continue
		}
		// A Config file is read once, when the config is parsed.
		if tt.want.Config != "" {
			want, err := dramsim.LoadConfig(tt.want.Config)
			if err != nil || cfg.DRAM.Parsed == nil || !reflect.DeepEqual(*cfg.DRAM.Parsed, *want) {
				t.Errorf("%q: Parsed = %+v, want the file's config (%v)", tt.section, cfg.DRAM.Parsed, err)
			}
			cfg.DRAM.Parsed = nil
		}
		if cfg.DRAM != tt.want {
			t.Errorf("%q: DRAM = %+v, want %+v", tt.section, cfg.DRAM, tt.want)
		}
	}

	calc := strings.Replace(baseConfig, "InterfaceBandwidth: USER", "InterfaceBandwidth: CALC", 1)
	if calc == baseConfig {
		t.Fatal("test setup: base config has no InterfaceBandwidth: USER line")
	}
	bad := []struct {
		base, section, want string
	}{
		{baseConfig, "[dram]\nChannels = 2\n", "config a.cfg: [dram] Model: missing"},
		{baseConfig, "[dram]\nModel = DDR4\n", `config a.cfg: [dram] Model: unknown value "DDR4" (allowed: ideal, fixed, ddr4, hbm2, lpddr4, akita-ddr4, akita-hbm2, or Config = FILE.ini)`},
		{baseConfig, "[dram]\nModel = akita-ddr4\nChannels = 0\n", "config a.cfg: [dram] Channels: must be positive, got 0"},
		{baseConfig, "[dram]\nModel = akita-ddr4\nChannels = 3\n", "config a.cfg: [dram] Channels: must be a power of two up to 128 for akita-ddr4 with 64-byte requests, got 3"},
		{baseConfig, "[dram]\nModel = akita-hbm2\nRequestBytes = 96\n", "config a.cfg: [dram] RequestBytes: must be a power of two, got 96"},
		{baseConfig, "[dram]\nModel = akita-hbm2\nRequestBytes = 32\n", "config a.cfg: [dram] RequestBytes: must be at least 64 (the akita-hbm2 access unit), got 32"},
		{baseConfig, "[dram]\nModel = ddr4\nChannels = 2\n", "config a.cfg: [dram] Channels: has no effect on npusim's DRAM model (ddr4): its DRAMsim3 config sets the structure"},
		{baseConfig, "[dram]\nModel = fixed\nContinuous = true\n", "config a.cfg: [dram] Continuous: applies only to npusim's DRAM model (ddr4, hbm2, lpddr4 or Config), not fixed"},
		{baseConfig, "[dram]\nModel = ddr4\nContinuous = maybe\n", `config a.cfg: [dram] Continuous: "maybe" is not true or false`},
		{baseConfig, "[dram]\nConfig = nothere.ini\n", "config a.cfg: [dram] Config: open nothere.ini: no such file or directory"},
		{baseConfig, "[dram]\nModel = ddr4\nConfig = ../testdata/dram-golden/HBM2_8Gb_x128.ini\n", "config a.cfg: [dram] Model: give Model or Config, not both (Config = ../testdata/dram-golden/HBM2_8Gb_x128.ini names the memory)"},
		{baseConfig, "[dram]\nModel = fixed\nLatency = -1\n", "config a.cfg: [dram] Latency: must be >= 0, got -1"},
		{baseConfig, "[dram]\nModel = fixed\nWidth = two\n", `config a.cfg: [dram] Width: "two" is not an integer`},
		{baseConfig, "[dram]\nModel = akita-hbm2\nLatency = 10\n", "config a.cfg: [dram] Latency: applies only to Model = fixed, not akita-hbm2"},
		{baseConfig, "[dram]\nModel = ideal\nChannels = 2\n", "config a.cfg: [dram] Channels: has no effect with Model = ideal"},
		{baseConfig, "[dram]\nModel = fixed\nMaxInFlight = 0\n", "config a.cfg: [dram] MaxInFlight: must be positive, got 0"},
		{baseConfig, "[npusim]\nFrequencyMHz = fast\n", `config a.cfg: [npusim] FrequencyMHz: "fast" is not a clock in MHz (a positive number up to 1e6)`},
		{baseConfig, "[npusim]\nFrequencyMHz = 0\n", `config a.cfg: [npusim] FrequencyMHz: "0" is not a clock in MHz (a positive number up to 1e6)`},
		// Upper bounds (docs/limits.md): these ran out of memory or never
		// finished.
		{baseConfig, "[dram]\nModel = fixed\nChannels = 1048576\n", "config a.cfg: [dram] Channels: must be at most 1024, got 1048576"},
		{baseConfig, "[dram]\nModel = fixed\nRequestBytes = 1073741824\n", "config a.cfg: [dram] RequestBytes: must be at most 65536, got 1073741824"},
		{baseConfig, "[dram]\nModel = fixed\nWidth = 2147483647\n", "config a.cfg: [dram] Width: must be at most 1024, got 2147483647"},
		{baseConfig, "[dram]\nModel = fixed\nMaxInFlight = 65537\n", "config a.cfg: [dram] MaxInFlight: must be at most 65536, got 65537"},
		{baseConfig, "[dram]\nModel = fixed\nLatency = 2147483648\n", "config a.cfg: [dram] Latency: must be at most 2147483647, got 2147483648"},
		// A request lies within a bank row: 1024 bytes for hbm2 (was "Channels:
		// ... up to 0").
		{baseConfig, "[dram]\nModel = akita-hbm2\nRequestBytes = 4096\n", "config a.cfg: [dram] RequestBytes: must be at most 1024 for akita-hbm2 (a bank row: 64 columns of 16 bytes), got 4096"},
		{baseConfig, "[dram]\nModel = akita-ddr4\nRequestBytes = 16384\n", "config a.cfg: [dram] RequestBytes: must be at most 8192 for akita-ddr4 (a bank row: 1024 columns of 8 bytes), got 16384"},
		{calc, "[dram]\nModel = ddr4\n", "config a.cfg: [dram] Model: a real memory (ddr4) needs InterfaceBandwidth: USER in [run_presets]; CALC mode estimates the bandwidth a layer needs and never waits for memory"},
	}
	for _, tt := range bad {
		_, err := Parse("a.cfg", []byte(tt.base+tt.section))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q:\n got %v\nwant %s", tt.section, err, tt.want)
		}
	}
	// CALC with the ideal model is fine.
	if _, err := Parse("a.cfg", []byte(calc+"[dram]\nModel = ideal\n")); err != nil {
		t.Errorf("CALC with Model = ideal: %v", err)
	}
}
