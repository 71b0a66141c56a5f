// Package config reads a SCALE-Sim config file: SCALE-Sim v2's sections
// ([general], [architecture_presets], [run_presets], [network_presets]),
// v3's sparsity keys, and npusim's own sections ([npusim], [energy],
// [dram], [multicore]). Files are read unchanged from SCALE-Sim; where
// SCALE-Sim would crash or silently mis-simulate, Parse returns an error
// that names the file, section and key. limits.go holds the bounds npusim
// adds to SCALE-Sim's own checks.
//
// Data flows config → topology → build (components, multicore) → run
// (runner) → report; this package imports none of the later ones.
package config
