// Package config reads a SCALE-Sim config file (INI) into a validated
// [Config]. Files are read unchanged from SCALE-Sim, the way SCALE-Sim's
// Python configparser reads them: section names are case-sensitive, keys
// are not, whole-line comments start with # or ;, inline comments are not
// stripped. Where SCALE-Sim would crash or silently mis-simulate, [Parse]
// returns a one-line error that names the file, section and key.
//
// # Sections
//
// SCALE-Sim v2's sections, v3's sparsity section, and npusim's own,
// optional ones (SCALE-Sim ignores them):
//
//	[general]               run_name
//	[architecture_presets]  array, buffers, offsets, dataflow, bandwidth
//	[run_presets]           InterfaceBandwidth: USER or CALC
//	[network_presets]       TopologyCsvLoc (read from [architecture_presets])
//	[sparsity]              SCALE-Sim v3 N:M sparsity (Config.V3)
//	[npusim]                WordBytes, Batch
//	[energy]                energy per action (Config.Energy, DefaultEnergy)
//	[dram]                  a real memory behind the buffers (Config.DRAM)
//	[multicore]             several cores sharing the memory (Config.Multicore)
//
// docs/inputs.md in the repository describes every key; limits.go holds
// the bounds npusim adds to SCALE-Sim's own checks (MaxArrayDim,
// MaxBandwidth, ...).
//
// # Use
//
// [Load] reads a file (through a 64 MB limit), [Parse] a config already in
// memory. The result goes to package topology (LoadFor picks the v2 or v3
// topology format the config calls for) and to runner.Run.
//
// Data flows config → topology → build (components, multicore) → run
// (runner) → report; this package imports none of the later ones.
package config
