package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSample runs the sample end to end: one COMPUTE_REPORT row per
// ResNet-18 compute layer (21) and per lowered transformer GEMM (24), and a
// NETWORK_REPORT whose non-GEMM share is that of the vector cycles.
func TestSample(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"-p", dir}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{21, 24} {
		run := filepath.Join(dir, "scale_example_run_32x32_os_"+strconv.Itoa(i))
		data, err := os.ReadFile(filepath.Join(run, "COMPUTE_REPORT.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if rows := strings.Count(string(data), "\n") - 1; rows != want {
			t.Errorf("model %d: %d report rows, want %d", i, rows, want)
		}
		net, err := os.ReadFile(filepath.Join(run, "NETWORK_REPORT.csv"))
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Split(strings.Split(string(net), "\n")[1], ", ")
		gemm, _ := strconv.ParseFloat(f[3], 64)
		vec, _ := strconv.ParseFloat(f[4], 64)
		share, _ := strconv.ParseFloat(strings.TrimSuffix(f[7], ","), 64)
		if vec == 0 || share < vec*100/(gemm+vec)-1e-9 || share > vec*100/(gemm+vec)+1e-9 {
			t.Errorf("model %d: NETWORK_REPORT %q", i, net)
		}
	}
}
