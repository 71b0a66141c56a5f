// Package components assembles npusim accelerators: a fold sequencer, a
// systolic PE array, three SRAM buffers and their DRAM channels, all akita
// components wired port to port (an optional vector unit beside the array,
// WithVectorUnit). The messages they exchange are in components/protocol.
//
// # Wiring
//
// MakeBuilder().WithEngine(engine)...Build(name) returns an Accelerator
// wired inside: the sequencer to the array, the array to the buffers, and
// each buffer to an ideal DRAM channel (SCALE-Sim's, dram.Channel), each
// group on a connection of its own. Two ports face the outside:
//
//   - ControlPort: send it systolic.RunLayerReqs (MakeRunLayerReqBuilder),
//     get systolic.RunLayerRsps. RunLayer does this from a host of its own.
//   - MemoryPorts: the buffers' ports that send protocol.BurstReqs.
//
// WithDRAM puts other memory behind the buffers on the builder's own
// connection. With WithMemoryPorts the builder leaves the memory ports
// unplugged, for the caller to put on its own connection, shared memory or
// network. npusim's DRAM model, dram.Controller, serves the buffers' bursts
// itself, so one port serves all three operands:
//
//	cfg, _ := dramsim.Preset("hbm2")
//	hbm := dram.MakeControllerBuilder().WithEngine(engine).WithConfig(cfg).
//		WithAcceleratorFreq(freq).Build("HBM")
//	hbm.Reset()
//	top := hbm.GetPortByName("Top")
//	bus := sim.NewDirectConnection("Bus", engine, freq)
//	bus.PlugIn(top, 64)
//	acc := components.MakeBuilder().WithEngine(engine).WithFreq(freq).WithBandwidth(8).
//		WithMemoryPorts(top, top, top).Build("NPU")
//	for _, p := range acc.MemoryPorts() {
//		bus.PlugIn(p, 4)
//	}
//
// Another accelerator can send to the same port on the same bus, or reach
// the memory on a connection of its own through Controller.NewTopPort. akita's memories
// (dram.BuildMemory) take akita memory requests instead, so each buffer
// talks to them through a dram.Adapter (ExampleBuilder_WithMemoryPorts).
//
// # Engines and traces
//
// The components tick at most once per engine instant
// (protocol.TickingComponent), so any of akita's engines runs them, the
// parallel one included, with the same results. TraceTasks attaches an
// akita tracer that records each layer's folds, bursts and memory requests
// as one task tree. docs/kit.md has the whole story.
package components
