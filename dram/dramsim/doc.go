// Package dramsim is npusim's DRAM timing model: DRAMsim3's controller
// (umd-memsys/DRAMsim3 at commit 2981759) rebuilt request for request from
// a written statement of its per-request rules (the R-numbers in the
// comments refer to that note's rules; it is not shipped, the tests against
// DRAMsim3's own outputs in testdata/dram-golden are), as an event-driven model that only evaluates the
// cycles at which something can happen.
//
// A Model is one memory: its channels, ranks, bank groups and banks, with
// open- or close-page FR-FCFS command queues, every JEDEC timing constraint
// DRAMsim3 applies (tFAW included), refresh, posted writes with
// write-drain batching and transaction queues that refuse requests when
// full. It holds no data. Package dram wraps it in an akita component
// (dram.Controller); Replay runs it on a request trace the way DRAMsim3's
// trace driver does (npusim dram replay on the command line).
//
// # Configs
//
// ParseConfig and LoadConfig read DRAMsim3 .ini files; Preset returns one
// of the shipped DRAMsim3 configs (Presets: ddr4, hbm2, lpddr4), and
// Config.Energy DRAMsim3's energy account from its [power] section.
// docs/dram-model.md lists what is modelled and the figures.
//
// # The livelock rule
//
// On some same-address read/write traffic DRAMsim3 never finishes (R5.5):
// with every command queue of a channel empty and more than 8 writes
// buffered, the write buffer starts draining, its first write has a read of
// the same address still waiting in the read queue, so the drain stops, and
// the same happens in every later cycle. The model detects exactly that
// situation (a read-before-write stop while every command queue of the
// channel is empty and the drain will restart next cycle) and, in that
// cycle, moves the blocking read into its command queue instead of
// stopping; it counts these in Stats.LivelockBreaks. Everywhere else (every
// trace DRAMsim3 finishes) the rule never fires, so the model stays exact.
// With Model.StopOnLivelock the model reports the livelock as an error
// instead, as DRAMsim3 would hang there.
package dramsim
