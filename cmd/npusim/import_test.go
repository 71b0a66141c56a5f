package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/onnx"
	"github.com/npusim/npusim/topology"
)

const models = "../../onnx/testdata"

// totals reads the expected MAC totals (from PyTorch) of the shipped models.
func totals(t *testing.T) map[string]int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(models, "totals.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows[1:] {
		n, err := strconv.ParseInt(strings.TrimSpace(r[len(r)-1]), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[r[0]] = n
	}
	return out
}

// reportMACs sums Overall Util % x Total Cycles x PEs / 100 over the rows
// of a COMPUTE_REPORT.csv, rounding each layer's figure to an integer.
func reportMACs(t *testing.T, path string, pes int64) (int64, int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
	for _, line := range lines {
		f := strings.Split(line, ", ")
		cycles, err1 := strconv.ParseInt(f[1], 10, 64)
		util, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad row %q", path, line)
		}
		sum += int64(math.Round(util / 100 * float64(cycles) * float64(pes)))
	}
	return sum, len(lines)
}

// TestRunONNX runs every shipped model through "npusim -t model.onnx -pad
// include" and checks that the MACs in its compute report add up to the
// model's total as PyTorch counts it.
func TestRunONNX(t *testing.T) {
	want := totals(t)
	for _, model := range []string{"alexnet", "resnet18", "mobilenet_v2", "vgg16", "transformer_encoder"} {
		t.Run(model, func(t *testing.T) {
			out := t.TempDir()
			err := run([]string{"-c", "../../testdata/configs/scale.cfg", "-t", filepath.Join(models, model+".onnx"),
				"-pad", "include", "-p", out, "-q"})
			if err != nil {
				t.Fatal(err)
			}
			got, rows := reportMACs(t, filepath.Join(out, "scale_example_run_32x32_os", "COMPUTE_REPORT.csv"), 32*32)
			if got != want[model] {
				t.Errorf("report MACs %d over %d layers, want %d", got, rows, want[model])
			}
			t.Logf("%s: %d layers, %d MACs", model, rows, got)
		})
	}
}

// TestImportCSV checks that "npusim import" writes a CSV that the topology
// reader turns back into exactly the layers the model lowers to.
func TestImportCSV(t *testing.T) {
	for _, pad := range []string{"none", "include"} {
		for _, model := range []string{"mobilenet_v2", "transformer_encoder"} {
			out := filepath.Join(t.TempDir(), "net.csv")
			src := filepath.Join(models, model+".onnx")
			if err := importCmd([]string{src, "-batch", "2", "-pad", pad, "-o", out}); err != nil {
				t.Fatal(err)
			}
			got, err := topology.Load(out, topology.Conv)
			if err != nil {
				t.Fatal(err)
			}
			m, err := onnx.Load(src)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := onnx.ParsePadding(pad)
			want, err := m.Systolic(p, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s -pad %s: the CSV reads back as %d layers that differ from the model's %d", model, pad, len(got), len(want))
			}
		}
	}
}

// TestONNXByContent runs a model whose file name does not end in .onnx.
func TestONNXByContent(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(models, "alexnet.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "alexnet.model")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	layers, err := loadTopology(config.Config{}, path, topology.Conv, "none", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 8 || layers[0].Name != "/features/features.0/Conv" || layers[0].H != 224 {
		t.Errorf("got %d layers, first %+v", len(layers), layers[0])
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	trunc := filepath.Join(dir, "cut.onnx")
	data, err := os.ReadFile(filepath.Join(models, "resnet18.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	csvPath := filepath.Join(dir, "net.csv")
	os.WriteFile(csvPath, []byte("header,\nl1, 8, 8, 3, 3, 1, 4, 1,\n"), 0o644)
	alex := filepath.Join(models, "alexnet.onnx")
	cases := []struct {
		run  func() error
		want string
	}{
		{func() error { return importCmd(nil) }, "import: expected one ONNX model, got 0 arguments"},
		{func() error { return importCmd([]string{alex, "-pad", "zero"}) }, `import: -pad: unknown padding "zero" (allowed: none, include)`},
		{func() error { return importCmd([]string{alex, "-batch", "0"}) }, "batch must be at least 1, got 0"},
		{func() error { return importCmd([]string{trunc}) }, "onnx " + trunc + ": not a readable ONNX model (malformed or truncated protobuf)"},
		{func() error {
			return run([]string{"-c", "../../testdata/configs/scale.cfg", "-t", csvPath, "-pad", "include", "-p", dir})
		}, "topology " + csvPath + ": -pad and -batch apply to ONNX models only"},
		{func() error {
			return run([]string{"-c", "../../testdata/configs/scale.cfg", "-t", trunc, "-p", dir})
		}, "onnx " + trunc + ": not a readable ONNX model"},
	}
	for i, c := range cases {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: got %v, want %q", i, err, c.want)
		}
	}
}
