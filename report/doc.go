// Package report holds every file format a run writes and reads back:
// SCALE-Sim's COMPUTE, BANDWIDTH and DETAILED_ACCESS reports (v2 and v3
// layouts), SPARSE_REPORT.csv, npusim's ENERGY, DRAM and CORE reports, the
// SRAM and DRAM traces, and the RUN_INCOMPLETE marker.
//
// Writing: Output writes a run's reports layer by layer, so that a stopped
// or failed run leaves whole rows and a marker; Formats lists the reports
// of a config. Reading: Load reads a finished run folder, npusim's or
// SCALE-Sim v2's, and answers what SCALE-Sim's Python reporter
// (ScalesimReport) answers: per-layer and total cycles, stalls,
// utilisation, mapping efficiency, bandwidths and access counts, as typed
// values; Compare lists the per-layer differences between two runs.
package report
