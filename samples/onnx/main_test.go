package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSample runs the sample end to end: one report row per ResNet-18
// compute layer.
func TestSample(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"-p", dir}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "scale_example_run_32x32_os", "COMPUTE_REPORT.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if rows := strings.Count(string(data), "\n") - 1; rows != 21 {
		t.Errorf("%d report rows, want 21", rows)
	}
}
