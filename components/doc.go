// Package components assembles npusim accelerators: a fold sequencer, a
// systolic PE array, three SRAM buffers and their DRAM channels, all akita
// components wired port to port. The messages they exchange are in
// components/protocol.
//
// # Wiring
//
// MakeBuilder().WithEngine(engine)...Build(name) returns an Accelerator
// wired inside: the sequencer to the array, the array to the buffers, and
// each buffer to an ideal DRAM channel (SCALE-Sim's), each group on a
// connection of its own. Two ports face the outside:
//
//   - ControlPort: send it systolic.RunLayerReqs (MakeRunLayerReqBuilder),
//     get systolic.RunLayerRsps. RunLayer does this from a host of its own.
//   - MemoryPorts: the buffers' ports that send protocol.BurstReqs.
//
// With WithMemoryPorts the builder leaves the memory ports unplugged, for
// the caller to put on its own connection, shared memory or network:
//
//	hbm, _ := dram.BuildMemory(engine, freq, "HBM", dram.MemorySpec{Model: dram.AkitaHBM2})
//	bus := sim.NewDirectConnection("Bus", engine, freq)
//	for _, p := range hbm.Ports() {
//		bus.PlugIn(p, 256)
//	}
//	var tops [3]sim.Port
//	for i := range tops {
//		a := hbm.AdapterBuilder().WithEngine(engine).WithFreq(freq).Build(fmt.Sprint("Adapter", i))
//		bus.PlugIn(a.GetPortByName("Top"), 8)
//		bus.PlugIn(a.GetPortByName("Bottom"), 64)
//		tops[i] = a.GetPortByName("Top")
//	}
//	acc := components.MakeBuilder().WithEngine(engine).WithFreq(freq).WithBandwidth(8).
//		WithMemoryPorts(tops[0], tops[1], tops[2]).Build("NPU")
//	for _, p := range acc.MemoryPorts() {
//		bus.PlugIn(p, 4)
//	}
//
// Another accelerator can be built on the same adapters, or on adapters of
// its own, on the same bus. The components tick at most once per engine
// instant (protocol.TickingComponent), so any of akita's engines runs
// them, the parallel one included, with the same results. TraceTasks
// attaches an akita tracer that records each layer's folds, bursts and
// memory requests as one task tree. docs/kit.md has the whole story.
package components
