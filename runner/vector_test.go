package runner

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
	"github.com/npusim/npusim/vector"
)

// vectorConfig is baseConfig in CALC mode (the read buffers never stall)
// with a [vector] section of 8 lanes, latency 2.
func vectorConfig(t *testing.T, extra string) config.Config {
	t.Helper()
	text := strings.Replace(baseConfig, "InterfaceBandwidth: USER", "InterfaceBandwidth: CALC", 1) +
		"\n[vector]\nLanes = 8\nLatency = 2\n" + extra
	cfg, err := config.Parse("vector.cfg", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var (
	netGEMM = []systolic.Layer{
		{Name: "conv1", H: 10, W: 10, Fh: 3, Fw: 3, Ch: 4, N: 8, Sh: 1, Sw: 1},
		systolic.GEMM("fc", 16, 10, 32),
	}
	netVector = []topology.VectorLayer{
		{Layer: vector.Layer{Name: "relu1", Op: "Relu", Elements: 512, In: 512}, After: 1, FusedInto: "conv1"},
		{Layer: vector.Layer{Name: "pool1", Op: "MaxPool", Elements: 128, Window: 4, In: 512}, After: 1},
		{Layer: vector.Layer{Name: "add", Op: "Add", Elements: 160, In: 160, Aux: 160}, After: 2},
		{Layer: vector.Layer{Name: "sm", Op: "Softmax", Elements: 160, In: 160}, After: 2},
	}
)

// readCSV reads a report as rows of trimmed fields (the trailing comma's
// empty field dropped).
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i] = rows[i][:len(rows[i])-1]
	}
	return rows
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// VECTOR_REPORT.csv gives each vector layer's closed-form cycles (no
// stalls in CALC mode) and its DRAM words; NETWORK_REPORT.csv adds them up
// with the GEMM layers; SCALE-Sim's reports are those of the GEMM layers
// run alone.
func TestRunNetworkReports(t *testing.T) {
	cfg := vectorConfig(t, "")
	dir := t.TempDir()
	reports, vreps, err := RunNetwork(cfg, netGEMM, netVector, Options{LogDir: dir, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(dir, "base", "VECTOR_REPORT.csv"))
	if strings.Join(rows[0], ", ") != strings.TrimSuffix(strings.TrimSuffix(vectorHeaderForTest, ","), " ") {
		t.Errorf("header %q", rows[0])
	}
	if len(rows) != 1+len(netVector) || len(vreps) != len(netVector) {
		t.Fatalf("%d rows, %d results for %d vector layers", len(rows)-1, len(vreps), len(netVector))
	}
	costs := map[string]int64{"Relu": 1, "MaxPool": 1, "Add": 1, "Softmax": 5}
	var vecCycles int64
	for i, v := range netVector {
		r := rows[i+1]
		w := max(v.Window, 1)
		want := 2 + (costs[v.Op]*v.Elements*w+7)/8
		if r[1] != v.Name || r[2] != v.Op || atoi(t, r[3]) != v.Elements {
			t.Errorf("row %d: %q", i, r)
		}
		if atoi(t, r[4]) != want || atoi(t, r[5]) != 0 || atoi(t, r[6]) != want {
			t.Errorf("%s: cycles %s/%s/%s, want %d, 0, %d", v.Name, r[4], r[5], r[6], want, want)
		}
		if got := atoi(t, r[7]); got != v.In+v.Aux {
			t.Errorf("%s: %d DRAM read words, want %d", v.Name, got, v.In+v.Aux)
		}
		if got := atoi(t, r[8]); got < v.Elements {
			t.Errorf("%s: %d DRAM write words, want at least %d", v.Name, got, v.Elements)
		}
		if r[9] != "" {
			t.Errorf("%s: fused %q without Fuse", v.Name, r[9])
		}
		vecCycles += want
	}
	var gemm int64
	for _, r := range reports {
		gemm += r.TotalCycles
	}
	net := readCSV(t, filepath.Join(dir, "base", "NETWORK_REPORT.csv"))
	if len(net) != 2 {
		t.Fatalf("NETWORK_REPORT has %d rows", len(net))
	}
	n := net[1]
	if atoi(t, n[0]) != 2 || atoi(t, n[1]) != 4 || atoi(t, n[3]) != gemm || atoi(t, n[4]) != vecCycles || atoi(t, n[6]) != gemm+vecCycles {
		t.Errorf("NETWORK_REPORT %q: want GEMM %d, vector %d", n, gemm, vecCycles)
	}
	share, _ := strconv.ParseFloat(n[7], 64)
	if want := float64(vecCycles) * 100 / float64(gemm+vecCycles); share < want-1e-9 || share > want+1e-9 {
		t.Errorf("share %g, want %g", share, want)
	}
	// ENERGY_REPORT: a V row per vector layer, before the Total
	energy := readCSV(t, filepath.Join(dir, "base", "ENERGY_REPORT.csv"))
	if len(energy) != 1+2+4+1 || energy[3][0] != "V0" || energy[7][0] != "Total" {
		t.Errorf("ENERGY_REPORT rows %v", energy)
	}
	col := -1
	for i, h := range energy[0] {
		if h == "Vector Op Energy (pJ)" {
			col = i
		}
	}
	// Softmax: 160 elements * (3 adds * 0.03 + 2 mults * 0.2) pJ at 8 bits
	if got, _ := strconv.ParseFloat(energy[6][col], 64); col < 0 || got < 78.4-1e-9 || got > 78.4+1e-9 {
		t.Errorf("softmax vector energy %q (column %d), want 78.4", energy[6][col], col)
	}

	// SCALE-Sim's reports are those of the GEMM layers run alone.
	plain := cfg
	plain.Vector = nil
	dir2 := t.TempDir()
	if _, err := Run(plain, netGEMM, Options{LogDir: dir2, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"} {
		a, _ := os.ReadFile(filepath.Join(dir, "base", name))
		b, _ := os.ReadFile(filepath.Join(dir2, "base", name))
		if string(a) != string(b) {
			t.Errorf("%s differs with vector layers", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir2, "base", "VECTOR_REPORT.csv")); err == nil {
		t.Error("a run without a [vector] section wrote VECTOR_REPORT.csv")
	}
}

const vectorHeaderForTest = "LayerID, Layer, Op, Elements, Compute Cycles, Stall Cycles, Total Cycles, DRAM Read Words, DRAM Write Words, Fused,"

// With Fuse = true a fusion candidate takes no cycles and moves nothing;
// the report names the GEMM layer whose drain applied it, and the GEMM
// layer's figures do not change.
func TestRunNetworkFuse(t *testing.T) {
	var out [2][]string
	var gemm [2]int64
	for i, extra := range []string{"Fuse = false\n", "Fuse = true\n"} {
		cfg := vectorConfig(t, extra)
		dir := t.TempDir()
		reports, _, err := RunNetwork(cfg, netGEMM, netVector, Options{LogDir: dir, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		gemm[i] = reports[0].TotalCycles + reports[1].TotalCycles
		out[i] = readCSV(t, filepath.Join(dir, "base", "VECTOR_REPORT.csv"))[1]
	}
	if gemm[0] != gemm[1] {
		t.Errorf("GEMM cycles %d with fusion, %d without", gemm[1], gemm[0])
	}
	if out[0][4] == "0" || out[1][4] != "0" || out[1][6] != "0" || out[1][7] != "0" || out[1][8] != "0" || out[1][9] != "conv1" {
		t.Errorf("relu1 unfused %q, fused %q", out[0], out[1])
	}
}

// The output does not depend on how many workers run the GEMM layers,
// with the ideal channels and with a real memory.
func TestRunNetworkDeterministic(t *testing.T) {
	mem, err := config.Parse("mem.cfg", []byte(baseConfig+"\n[dram]\nModel = ddr4\n\n[vector]\nLanes = 16\n"))
	if err != nil {
		t.Fatal(err)
	}
	deterministic(t, vectorConfig(t, "Fuse = true\n"), false)
	// With a real memory the GEMM layers' own figures can differ by a
	// cycle between a serial and a parallel run (the memory's state
	// carries over from one layer to the next on a worker; not the vector
	// unit's doing): compare the vector layers' rows.
	deterministic(t, mem, true)
}

// vectorRows keeps a report's header and vector layer rows.
func vectorRows(text string) string {
	var keep []string
	for i, line := range strings.Split(text, "\n") {
		if i == 0 || strings.HasPrefix(line, "V") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func deterministic(t *testing.T, cfg config.Config, vectorOnly bool) {
	t.Helper()
	var files [2]map[string]string
	for i, workers := range []int{1, 3} {
		dir := t.TempDir()
		if _, _, err := RunNetwork(cfg, netGEMM, netVector, Options{LogDir: dir, Workers: workers, NoReuse: i == 0}); err != nil {
			t.Fatal(err)
		}
		files[i] = map[string]string{}
		entries, _ := os.ReadDir(filepath.Join(dir, "base"))
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, "base", e.Name()))
			switch {
			case !vectorOnly || e.Name() == "VECTOR_REPORT.csv":
				files[i][e.Name()] = string(b)
			case e.Name() == "DRAM_REPORT.csv" || e.Name() == "ENERGY_REPORT.csv":
				files[i][e.Name()] = vectorRows(string(b))
			}
		}
	}
	if len(files[0]) != len(files[1]) {
		t.Fatalf("%d files vs %d", len(files[0]), len(files[1]))
	}
	for name, a := range files[0] {
		if files[1][name] != a {
			t.Errorf("%s differs between 1 and 3 workers (%s)", name, cfg.Path)
		}
	}
}

// With a real memory, the vector layers' traffic shows in DRAM_REPORT.csv
// (three rows each, LayerID V<n>), and they wait for it.
func TestRunNetworkRealMemory(t *testing.T) {
	text := baseConfig + "\n[dram]\nModel = fixed\nLatency = 50\n\n[vector]\nLanes = 16\n"
	cfg, err := config.Parse("mem.cfg", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vls := []topology.VectorLayer{{Layer: vector.Layer{Name: "add", Op: "Add", Elements: 4000, In: 4000, Aux: 4000}, After: 2}}
	_, vreps, err := RunNetwork(cfg, netGEMM, vls, Options{LogDir: dir, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(dir, "base", "DRAM_REPORT.csv"))
	var v [][]string
	for _, r := range rows {
		if r[0] == "V0" {
			v = append(v, r)
		}
	}
	if len(v) != 3 {
		t.Fatalf("%d V0 rows in DRAM_REPORT", len(v))
	}
	for i, want := range []int64{4000, 4000, 4000} {
		if got := atoi(t, v[i][4]); got < want || got > want+1024 {
			t.Errorf("%s words %d, want %d (+ at most a buffer)", v[i][1], got, want)
		}
	}
	if vreps[0].Result.StallCycles == 0 {
		t.Error("no stall: 16 lanes read 32 words a cycle, the interface moves 10")
	}
}

func TestRunNetworkErrors(t *testing.T) {
	cfg := vectorConfig(t, "")
	for _, c := range []struct {
		v    topology.VectorLayer
		want string
	}{
		{topology.VectorLayer{Layer: vector.Layer{Name: "x", Op: "Nope", Elements: 1, In: 1}}, `vector layer 0 (x): vector: no cost for operator "Nope"`},
		{topology.VectorLayer{Layer: vector.Layer{Name: "y", Op: "Relu", Elements: 0, In: 1}}, "vector layer 0: vector: layer y (Relu): elements must be between 1"},
		{topology.VectorLayer{Layer: vector.Layer{Name: "z", Op: "Relu", Elements: 1, In: 1}, After: 3}, "vector layer 0 (z): placed after 3 GEMM layers, the network has 2"},
	} {
		_, _, err := RunNetwork(cfg, netGEMM, []topology.VectorLayer{c.v}, Options{LogDir: t.TempDir(), Workers: 1})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.v, err, c.want)
		}
	}
}
