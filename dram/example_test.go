package dram_test

import (
	"fmt"

	"github.com/npusim/npusim/components"
	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/dram/dramsim"
	"github.com/npusim/npusim/systolic"
	"github.com/sarchlab/akita/v3/sim"
)

// An accelerator whose three buffers share one HBM2 stack through
// adapters, as runner does for a [dram] section.
func ExampleBuildMemory() {
	engine := sim.NewSerialEngine()
	m, err := dram.BuildMemory(engine, 1*sim.GHz, "Mem", dram.MemorySpec{Model: dram.AkitaHBM2})
	if err != nil {
		panic(err)
	}
	// The interface moves 8 one-byte words per cycle, as WithBandwidth(8).
	ab := m.AdapterBuilder().WithEngine(engine).WithFreq(1 * sim.GHz).WithBytesPerCycle(8).WithIssuePerCycle(8)
	conn := sim.NewDirectConnection("MemConn", engine, 1*sim.GHz)
	var adapters [3]*dram.Adapter
	for i, name := range []string{"Ifmap", "Filter", "Ofmap"} {
		adapters[i] = ab.Build("NPU." + name + "Adapter")
		conn.PlugIn(adapters[i].GetPortByName("Bottom"), 64)
	}
	for _, p := range m.Ports() {
		conn.PlugIn(p, 192)
	}
	acc := components.MakeBuilder().
		WithEngine(engine).
		WithArray(16, 16).
		WithDataflow(systolic.WS).
		WithSRAMKB(4, 4, 4).
		WithBandwidth(8).
		WithDRAM(adapters[0].GetPortByName("Top"), adapters[1].GetPortByName("Top"), adapters[2].GetPortByName("Top")).
		Build("NPU")
	res, err := acc.RunLayer(0, systolic.GEMM("fc", 64, 32, 128))
	if err != nil {
		panic(err)
	}
	s := adapters[0].Stats()
	fmt.Println(m.Describe())
	fmt.Println("stalled:", res.StallCycles > 0)
	fmt.Println("ifmap bytes = words:", s.Bytes == s.Words, "requests:", s.Requests > 0)
	// Output:
	// 8 x HBM2 2 Gb/s/pin, 128-bit channel (32 GB/s); timing: JEDEC JESD235A; as DRAMsim3 configs/HBM2_8Gb_x128.ini
	// stalled: true
	// ifmap bytes = words: true requests: true
}

// A Controller says it serves bursts in aligned blocks of its request
// size (protocol.BlockServer), so the buffers in front of it count their
// words per block (BurstReq.Blocks) instead of listing address ranges.
func ExampleController_BurstBlockBytes() {
	engine := sim.NewSerialEngine()
	cfg, _ := dramsim.Preset("hbm2")
	ctrl := dram.MakeControllerBuilder().WithEngine(engine).WithConfig(cfg).WithAcceleratorFreq(1 * sim.GHz).Build("Mem")
	var s protocol.BlockServer = ctrl
	fmt.Println(s.BurstBlockBytes(), "bytes per block at", float64(s.BurstFreq())/1e6, "MHz")
	// Output: 64 bytes per block at 1000 MHz
}
