package config

import (
	"strings"
	"testing"
)

// TestStrictKeys: a misspelt or unknown key in one of npusim's own
// sections is refused, naming its line and the nearest known key;
// SCALE-Sim's own sections stay lenient.
func TestStrictKeys(t *testing.T) {
	bad := []struct {
		section, want string
	}{
		{"[dram]\nModel = fixed\nLatncy = 5\n", "config a.cfg: line 22: [dram] Latncy: unknown key: did you mean Latency? [dram] takes Model, Config, Continuous, Channels, Latency, Width, RequestBytes, MaxInFlight"},
		{"[dram]\nModel = fixed\nlatency = 5\nchanels = 2\n", "config a.cfg: line 23: [dram] chanels: unknown key: did you mean Channels? [dram] takes Model, Config, Continuous, Channels, Latency, Width, RequestBytes, MaxInFlight"},
		{"[multicore]\nCores = 4\nParition = pixels\n", "config a.cfg: line 22: [multicore] Parition: unknown key: did you mean Partition? [multicore] takes Cores, Partition, CoreRows, CoreCols"},
		{"[npusim]\nBatchSize = 2\n", "config a.cfg: line 21: [npusim] BatchSize: unknown key: [npusim] takes WordBytes, Batch, FrequencyMHz"},
		{"[npusim]\nWordbyte = 2\n", "config a.cfg: line 21: [npusim] Wordbyte: unknown key: did you mean WordBytes? [npusim] takes WordBytes, Batch, FrequencyMHz"},
		{"[energy]\nMulpJ = 2\n", "config a.cfg: line 21: [energy] MulpJ: unknown key: did you mean MultpJ? [energy] takes MultpJ, AddpJ, IdlePEpJ, IfmapSRAMpJ, FilterSRAMpJ, OfmapSRAMpJ, DRAMReadpJ, DRAMWritepJ, ClockMHz"},
		{"[sparsity]\nSparsitySupport = False\nBlockSise = 4\n", "config a.cfg: line 22: [sparsity] BlockSise: unknown key: did you mean BlockSize? [sparsity] takes SparsitySupport, SparseRep, OptimizedMapping, BlockSize, RandomNumberGeneratorSeed"},
	}
	if n := strings.Count(baseConfig, "\n"); n != 18 {
		t.Fatalf("test setup: the base config has %d lines, the line numbers below assume 18 (then a blank line)", n)
	}
	for _, tt := range bad {
		_, err := Parse("a.cfg", []byte(baseConfig+"\n"+tt.section))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q:\n got %v\nwant %s", tt.section, err, tt.want)
		}
	}
	// Known keys in any case are fine, and SCALE-Sim's sections take any
	// key (other versions of SCALE-Sim have keys npusim does not read).
	good := baseConfig + "SomeFutureKey = 1\n\n[dram]\nMODEL = fixed\nlatency = 5\n"
	good = strings.Replace(good, "[general]\n", "[general]\nsave_disk_space = False\n", 1)
	cfg, err := Parse("a.cfg", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DRAM.Latency != 5 {
		t.Errorf("Latency %d", cfg.DRAM.Latency)
	}
}

// TestInlineCommentHint: a value holding what looks like an inline
// comment fails (configparser keeps it in the value, and so does npusim),
// and the error says why.
func TestInlineCommentHint(t *testing.T) {
	const hint = "; inline comments are not stripped (SCALE-Sim's configparser keeps them in the value): put the comment on a line of its own"
	cases := []struct {
		text, want string
	}{
		{strings.Replace(baseConfig, "InterfaceBandwidth: USER", "InterfaceBandwidth: USER      # required: a real memory needs it", 1),
			`config a.cfg: [run_presets] InterfaceBandwidth: unknown value "USER      # required: a real memory needs it" (allowed: USER, CALC)` + hint},
		{baseConfig + "[dram]\nModel = ddr4   # or hbm2\n",
			`config a.cfg: [dram] Model: unknown value "ddr4   # or hbm2" (allowed: ideal, fixed, ddr4, hbm2, lpddr4, akita-ddr4, akita-hbm2, or Config = FILE.ini)` + hint},
		{baseConfig + "[multicore]\nCores = 4\t; four cores\n",
			`config a.cfg: [multicore] Cores: "4\t; four cores" is not an integer` + hint},
	}
	for _, c := range cases {
		_, err := Parse("a.cfg", []byte(c.text))
		if err == nil || err.Error() != c.want {
			t.Errorf("got  %v\nwant %s", err, c.want)
		}
	}
	// Without a comment, no hint.
	_, err := Parse("a.cfg", []byte(baseConfig+"[multicore]\nCores = four\n"))
	if err == nil || strings.Contains(err.Error(), "inline") {
		t.Errorf("got %v", err)
	}
}
