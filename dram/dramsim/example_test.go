package dramsim_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/npusim/npusim/dram/dramsim"
)

// Replay a small trace on the DDR4 preset, as DRAMsim3's trace driver
// would, and print DRAMsim3's CSV.
func ExampleReplay() {
	cfg, err := dramsim.Preset("ddr4")
	if err != nil {
		panic(err)
	}
	trace := "0x0 READ 0\n0x40 READ 0\n0x100000 WRITE 3\n"
	reqs, err := dramsim.ParseTrace("example.trace", strings.NewReader(trace))
	if err != nil {
		panic(err)
	}
	res, stats, err := dramsim.Replay(cfg, reqs, dramsim.ReplayOptions{})
	if err != nil {
		panic(err)
	}
	dramsim.WriteCSV(os.Stdout, reqs, res)
	fmt.Println("row hits:", stats.RowHits)
	// Output:
	// index,addr,op,arrival,accept,done
	// 0,0x0,R,0,0,50
	// 1,0x40,R,0,0,58
	// 2,0x100000,W,3,3,5
	// row hits: 1
}

// A DRAMsim3 config with DRAMsim3's parsing quirks: CL = 022 is octal.
func ExampleParseConfig() {
	cfg, err := dramsim.ParseConfig("my.ini", []byte("[dram_structure]\nprotocol = DDR4\n[timing]\nCL = 022 ; octal\n"))
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Protocol, cfg.Timing.CL, cfg.Ranks, "rank(s)")
	_, err = dramsim.ParseConfig("bad.ini", []byte("[timing]\nCL = fast\n"))
	fmt.Println(err)
	// Output:
	// DDR4 18 1 rank(s)
	// bad.ini:2: [timing] CL: "fast" is not an integer
}
