package runner_test

import (
	"fmt"
	"os"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/runner"
	"github.com/npusim/npusim/topology"
	"github.com/npusim/npusim/vector"
)

// RunNetwork runs a network with vector layers: here SCALE-Sim's tiny
// golden case with a Relu after its first convolution and a Softmax at
// the end, on the default vector unit (32 lanes, latency 1). CALC mode
// never stalls, so each vector layer takes its closed form:
// 1 + ceil(cost*elements/32).
func ExampleRunNetwork() {
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
	vls := []topology.VectorLayer{
		{Layer: vector.Layer{Name: "relu", Op: "Relu", Elements: 1000, In: 1000}, After: 1},
		{Layer: vector.Layer{Name: "softmax", Op: "Softmax", Elements: 100, In: 100}, After: 3},
	}
	logDir, err := os.MkdirTemp("", "npusim-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(logDir)

	reports, vreps, err := runner.RunNetwork(cfg, layers, vls, runner.Options{LogDir: logDir})
	if err != nil {
		fmt.Println(err)
		return
	}
	var net report.Network
	for i := range reports {
		net.AddGEMM(&reports[i])
	}
	for i := range vreps {
		net.AddVector(&vreps[i])
		fmt.Printf("%s: %d cycles\n", vreps[i].Layer.Name, vreps[i].Result.TotalCycles)
	}
	fmt.Println(net.Summary())
	// Output:
	// relu: 33 cycles
	// softmax: 17 cycles
	// GEMM 745 + vector 50 + stall 0 cycles, non-GEMM share 6.3% (2 vector layers, 0 fused)
}
