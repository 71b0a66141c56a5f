package config_test

import (
	"fmt"

	"github.com/npusim/npusim/config"
)

// scaleCfg is SCALE-Sim's example config (MIT, see
// testdata/configs/LICENSE-scalesim) in USER bandwidth mode.
const scaleCfg = `[general]
run_name = scale_example_run_32x32_os

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:   64
FilterSramSzkB:  64
OfmapSramSzkB:   64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : os
MemoryBanks:   1

[run_presets]
InterfaceBandwidth: USER
`

// Parse reads a config as SCALE-Sim's configparser does; the figures are
// the file's own.
func ExampleParse() {
	cfg, err := config.Parse("scale.cfg", []byte(scaleCfg))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.RunName)
	fmt.Printf("%dx%d array, %d/%d/%d kB buffers\n", cfg.ArrayHeight, cfg.ArrayWidth,
		cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB)
	fmt.Println("USER mode:", cfg.BandwidthMode == config.USER, "bandwidth", cfg.Bandwidth[0])
	fmt.Println("offsets:", cfg.IfmapOffset, cfg.FilterOffset, cfg.OfmapOffset)
	// Output:
	// scale_example_run_32x32_os
	// 32x32 array, 64/64/64 kB buffers
	// USER mode: true bandwidth 10
	// offsets: 0 10000000 20000000
}

// A value SCALE-Sim would misread is an error naming the file, section and
// key. Here InterfaceBandwidth is neither USER nor CALC: SCALE-Sim leaves
// such a config invalid and crashes later.
func ExampleParse_error() {
	_, err := config.Parse("usr.cfg", []byte(scaleCfg[:len(scaleCfg)-len("InterfaceBandwidth: USER\n")]+
		"InterfaceBandwidth: usr\n"))
	fmt.Println(err)
	// Output:
	// config usr.cfg: [run_presets] InterfaceBandwidth: unknown value "usr" (allowed: USER, CALC)
}

// npusim's own sections are strict: a key npusim does not read there is an
// error with its line and the nearest known key (StrictSections lists
// them), where SCALE-Sim's sections would let a misspelt key pass and the
// run use a default. scaleCfg is 18 lines; after a blank line, [dram] is
// line 20 and Latncy line 22.
func ExampleParse_unknownKey() {
	_, err := config.Parse("mem.cfg", []byte(scaleCfg+"\n[dram]\nModel = fixed\nLatncy = 5\n"))
	fmt.Println(err)
	fmt.Println(config.StrictSections())
	// Output:
	// config mem.cfg: line 22: [dram] Latncy: unknown key: did you mean Latency? [dram] takes Model, Config, Continuous, Channels, Latency, Width, RequestBytes, MaxInFlight
	// [dram energy multicore npusim sparsity vector]
}
