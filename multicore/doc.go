// Package multicore builds multi-core NPUs: several accelerators (cores),
// each with its own PE array and SRAM buffers, sharing one memory system
// through akita connections, and runs a layer split across them.
//
// # Splits
//
// A [Split] is a factorisation of the cores into parts of the output rows
// times parts of the output channels; [Splits] lists them all.
// [Split.Shares] cuts a layer into one [Share] per core: itself a
// systolic.Layer, with operand offsets that make its addresses the right
// slice of the shared tensors.
//
// # Running
//
// A [Controller] starts each core's share through its control port and
// waits for all; the layer ends when the last core ends. [Config] holds a
// multi-core NPU (core builder, cores, [Partition], memory) and runs a
// layer with the best split (Config.RunLayer), given shares (Config.Run)
// or one share alone (Config.Alone). With a real memory
// (dram.MemorySpec other than ideal) the cores' adapters contend for the
// same controllers, so the slowdown of sharing comes out of the
// simulation; with the ideal channels each core has its own channels and
// nothing is shared. [NewMemory] and Memory.Attach put any accelerators on
// one memory.
//
// docs/multicore.md in the repository describes the config section, the
// reports and samples/soc.
package multicore
