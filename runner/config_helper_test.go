package runner

// baseConfig is a valid SCALE-Sim v2 config (config_test.go in the config
// package has the same text).
const baseConfig = `[general]
run_name = base

[architecture_presets]
ArrayHeight:    4
ArrayWidth:     8
IfmapSramSzkB:    1
FilterSramSzkB:   2
OfmapSramSzkB:    3
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : ws
Bandwidth : 10
MemoryBanks: 1

[run_presets]
InterfaceBandwidth: USER
`
