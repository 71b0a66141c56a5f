package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/onnx"
)

// A whole network through the CLI: with -ops all, VECTOR_REPORT.csv has,
// per op type, one row per node of that type in the graph except the
// nodes dropped on purpose (docs/vector.md lists them), and
// NETWORK_REPORT.csv and the summary line give the non-GEMM share.
func TestRunONNXWithVectorLayers(t *testing.T) {
	cases := []struct {
		model   string
		dropped map[string]int
	}{
		{"resnet18", map[string]int{"Flatten": 1}},
		{"transformer_encoder", map[string]int{"Constant": 34, "Shape": 2, "Gather": 2, "Add": 2, "Div": 2, "Mul": 6, "Reshape": 10, "Transpose": 4}},
	}
	for _, c := range cases {
		path := filepath.Join("..", "..", "onnx", "testdata", c.model+".onnx")
		m, err := onnx.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := run([]string{"-c", "../../samples/onnx/scale.cfg", "-t", path, "-pad", "include", "-ops", "all", "-p", dir, "-q", "-j", "1"}); err != nil {
			t.Fatal(err)
		}
		run := filepath.Join(dir, "scale_example_run_32x32_os")
		data, err := os.ReadFile(filepath.Join(run, "VECTOR_REPORT.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
			rows[strings.TrimSpace(strings.Split(line, ",")[2])]++
		}
		for op, n := range m.Skipped { // every non-compute node of the graph, by type
			if rows[op] != n-c.dropped[op] {
				t.Errorf("%s %s: %d VECTOR_REPORT rows, %d nodes, %d dropped on purpose", c.model, op, rows[op], n, c.dropped[op])
			}
		}
		net, err := os.ReadFile(filepath.Join(run, "NETWORK_REPORT.csv"))
		if err != nil || !strings.Contains(string(net), "Non-GEMM Share %") {
			t.Errorf("%s NETWORK_REPORT: %v %q", c.model, err, net)
		}
	}
}

func TestRunOpsFlag(t *testing.T) {
	path := filepath.Join("..", "..", "onnx", "testdata", "alexnet.onnx")
	dir := t.TempDir()
	if err := run([]string{"-c", "../../samples/onnx/scale.cfg", "-t", path, "-ops", "gemm", "-p", dir, "-q"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "scale_example_run_32x32_os", "VECTOR_REPORT.csv")); err == nil {
		t.Error("-ops gemm wrote VECTOR_REPORT.csv")
	}
	err := run([]string{"-c", "../../samples/onnx/scale.cfg", "-t", path, "-ops", "some", "-p", dir, "-q"})
	if err == nil || err.Error() != `-ops "some": must be gemm or all` {
		t.Errorf("-ops some: %v", err)
	}
}

// npusim import -ops all writes the network with its vector layers; run
// on that CSV, npusim gives the same vector and network reports as on the
// model itself.
func TestImportOpsAllRoundTrip(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join("..", "..", "onnx", "testdata", "resnet18.onnx")
	csvPath := filepath.Join(dir, "resnet18.csv")
	if err := importCmd([]string{model, "-pad", "include", "-ops", "all", "-o", csvPath}); err != nil {
		t.Fatal(err)
	}
	var out [2]string
	for i, topo := range []string{model, csvPath} {
		p := filepath.Join(dir, strconv.Itoa(i))
		args := []string{"-c", "../../samples/onnx/scale.cfg", "-t", topo, "-ops", "all", "-p", p, "-q", "-j", "1"}
		if i == 0 {
			args = append(args, "-pad", "include")
		}
		if err := run(args); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"VECTOR_REPORT.csv", "NETWORK_REPORT.csv", "COMPUTE_REPORT.csv"} {
			b, err := os.ReadFile(filepath.Join(p, "scale_example_run_32x32_os", f))
			if err != nil {
				t.Fatal(err)
			}
			out[i] += string(b)
		}
	}
	if out[0] != out[1] {
		t.Errorf("the imported CSV runs differently from the model:\n%s\nvs\n%s", out[0], out[1])
	}
	if err := importCmd([]string{model, "-ops", "x"}); err == nil || err.Error() != `import: -ops "x": must be gemm or all` {
		t.Errorf("-ops x: %v", err)
	}
}
