// Package report holds every file format a run writes and reads back:
// SCALE-Sim's COMPUTE, BANDWIDTH and DETAILED_ACCESS reports (v2 and v3
// layouts), SPARSE_REPORT.csv, npusim's ENERGY, DRAM and CORE reports, the
// SRAM and DRAM traces, and the RUN_INCOMPLETE marker. One package knows
// each column.
//
// # Writing
//
// [StartOutput] opens a run's reports and [Output] writes them layer by
// layer, so that a stopped or failed run leaves whole rows and a marker
// saying how far it got; [Formats] lists the reports of a config.
// [WriteReports] writes a finished run's three SCALE-Sim reports at once.
// [Energy] computes the energy account of ENERGY_REPORT.csv.
//
// # Reading
//
// [Load] (or [LoadRun], as SCALE-Sim's ScalesimReport.load_data) reads a
// finished run folder, npusim's or SCALE-Sim v2's, and answers what
// SCALE-Sim's Python reporter answers: per-layer and total cycles, stalls,
// utilisation, mapping efficiency, bandwidths and access counts, as typed
// values ([Run.ComputeCycles] is get_compute_cycles_all_layer, [Run.Totals]
// sums a run). [Compare] lists the per-layer differences between two runs.
//
// docs/outputs.md in the repository describes every file.
package report
