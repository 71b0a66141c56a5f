package runner_test

import (
	"fmt"
	"os"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/runner"
	"github.com/npusim/npusim/topology"
)

// Run simulates a whole topology the way the npusim command does and
// writes SCALE-Sim's reports. The inputs are SCALE-Sim's tiny golden case;
// the cycles printed are those of SCALE-Sim v2's own reports for it
// (testdata/golden/tiny_4x4_os_traces/COMPUTE_REPORT.csv).
func ExampleRun() {
	const golden = "../testdata/golden/tiny_4x4_os_traces/"
	cfg, err := config.Load(golden + "scale.cfg")
	if err != nil {
		fmt.Println(err)
		return
	}
	layers, err := topology.Load(golden+"topology.csv", topology.Conv)
	if err != nil {
		fmt.Println(err)
		return
	}
	logDir, err := os.MkdirTemp("", "npusim-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(logDir)

	reports, err := runner.Run(cfg, layers, runner.Options{LogDir: logDir})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range reports {
		fmt.Printf("%s: %d cycles, %d stalls\n", r.Name, r.TotalCycles, r.StallCycles)
	}
	// Output:
	// tiny_conv: 431 cycles, 0 stalls
	// tiny_stride2: 263 cycles, 0 stalls
	// tiny_fc: 51 cycles, 0 stalls
}
