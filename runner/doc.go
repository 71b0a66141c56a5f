// Package runner runs a network: [Run] builds the accelerator a config
// describes (package components, or package multicore for several cores)
// with its memory, simulates the layers on akita's engine and hands each
// layer's figures to package report as it finishes, which writes
// SCALE-Sim's reports (and traces, with Options.Traces) as the npusim
// command does.
//
// Reading inputs is package config's and topology's (or onnx's) job:
//
//	cfg, err := config.Load("scale.cfg")
//	layers, err := topology.LoadFor(cfg, "net.csv", topology.Conv)
//	reports, err := runner.Run(cfg, layers, runner.Options{LogDir: "runs", Console: os.Stdout})
//
// Layers are independent in SCALE-Sim's semantics, so Run simulates a
// layer of a shape it has already simulated only once (Options.NoReuse
// turns that off) and simulates distinct layers several at a time
// (Options.Workers; the output does not depend on it). Options.Context
// stops a run at the engine's next event, leaving the finished layers'
// reports. [NewAccelerator] builds the single-core accelerator of a config
// on an engine of your own.
//
// The names that moved to packages config, topology and report remain
// here as deprecated aliases for one release (compat.go; see CHANGELOG.md).
package runner
