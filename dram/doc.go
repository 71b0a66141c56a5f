// Package dram holds the memories behind npusim's operand buffers, as akita
// components that answer the buffers' bursts (protocol.BurstReq with
// protocol.BurstRsp).
//
// # The ideal channel
//
// Channel is the ideal channel SCALE-Sim v2 assumes, and the default: a
// burst of n lines issued at cycle At moves one line per cycle and line j
// completes at At + j + latency (1 for reads, 0 for writes, SCALE-Sim's port
// latencies). It never queues: SCALE-Sim's buffers time their own requests
// back-to-back (a read buffer issues its next fill right after the previous
// one completed) and, in its final drain, the ofmap buffer lets bursts
// overlap. It answers at the engine time the burst completes, less the one
// cycle the answer takes to reach the buffer, so that the buffer goes on at
// the completion cycle itself. The channel records what it moved: the
// words, the first and last completion cycles, and, when a tracer is set,
// one trace row per line.
//
// # npusim's DRAM model
//
// Controller is one DRAM (all its channels) timed request for request as
// DRAMsim3 times it, by the model in package dram/dramsim, with one port,
// "Top" (NewTopPort adds more, one per connection). It takes a buffer's
// whole burst, expanded into one request per burst-sized block its word
// ranges touch, and also akita's mem.ReadReq and mem.WriteReq, so that
// other akita components can share the memory. It wakes only at the DRAM
// cycles at which something can happen.
// MakeControllerBuilder().WithConfig(cfg) builds it, cfg from
// dramsim.Preset ("ddr4", "hbm2", "lpddr4") or dramsim.LoadConfig (any
// DRAMsim3 .ini); WithFixed makes it a fixed-latency memory instead (Model
// = fixed).
//
// # Naming a memory; akita's memories
//
// MemorySpec names a memory as the dram section of a run's config does:
// Ideal, Fixed, npusim's model (DDR4, HBM2, LPDDR4 or a Config file), or
// akita's mem/dram, kept for comparison (AkitaDDR4, AkitaHBM2). For
// akita's memories, BuildMemory builds the controllers and Adapter turns
// one buffer's bursts into akita memory requests to them; BankInterleaver
// spreads consecutive blocks over their banks.
//
// Any akita component that answers protocol.BurstReq with
// protocol.BurstRsp can serve the buffers (components.Builder.WithDRAM,
// WithMemoryPorts). docs/real-memory.md and docs/dram-model.md describe the
// models and their figures.
package dram
