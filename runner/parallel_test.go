package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
)

// TestParallelSameOutput runs topologies with repeated layer shapes under
// different names serially (one worker, every layer simulated) and then
// with several workers and layer reuse, and checks that both write the
// same files byte for byte (the three reports and, on the traced golden
// cases, every SRAM and DRAM trace, the copied ones included), print the
// same console text and return the same reports. A traced case over
// npusim's DRAM model (whose layers start on an idle memory, so they run
// in parallel and are reused too) checks its DRAM traces the same way, and
// a traced two-core case over hbm2 its per-core traces.
func TestParallelSameOutput(t *testing.T) {
	cases, _ := filepath.Glob("../testdata/golden/tiny_4x4_*_traces")
	cases = append(cases, "../testdata/golden/rect_16x4_ws_user4", "../testdata/golden/eyeriss_inc5b_ws",
		"../testdata/golden/tiny_4x4_os_user2_traces+[dram]\nModel = ddr4\n",
		"../testdata/golden/tiny_4x4_ws_user2_traces+[dram]\nModel = hbm2\n[multicore]\nCores = 2\n")
	for _, c := range cases {
		dir, extra, _ := strings.Cut(c, "+")
		t.Run(filepath.Base(c), func(t *testing.T) {
			cfg, layers, traces := loadGoldenWith(t, dir, extra)
			// repeats, renamed, and repeats of repeats
			rep := append([]systolic.Layer{}, layers...)
			for k := len(layers) - 1; k >= 0; k-- {
				l := layers[k]
				l.Name += "_again"
				rep = append(rep, l, layers[(k+1)%len(layers)])
			}
			serial := runTo(t, cfg, rep, Options{Traces: traces, Workers: 1, NoReuse: true})
			for _, opts := range []Options{
				{Traces: traces, Workers: 1},
				{Traces: traces, Workers: 3},
				{Traces: traces, Workers: 2, NoReuse: true},
				{Traces: traces},
			} {
				got := runTo(t, cfg, rep, opts)
				sameTree(t, serial.dir, got.dir)
				if got.console != serial.console {
					t.Errorf("Workers=%d NoReuse=%v: console differs:\n%s\nwant:\n%s", opts.Workers, opts.NoReuse, got.console, serial.console)
				}
				for i := range serial.reports {
					if !reflect.DeepEqual(got.reports[i], serial.reports[i]) { // Memory and the DRAM figures are pointers
						t.Errorf("Workers=%d NoReuse=%v: layer %d report %+v, want %+v", opts.Workers, opts.NoReuse, i, got.reports[i], serial.reports[i])
					}
				}
			}
		})
	}
}

// TestParallelError checks that a failing layer stops a parallel run with
// the error and console text of a serial run.
func TestParallelError(t *testing.T) {
	cfg, layers, _ := loadGolden(t, "../testdata/golden/tiny_4x4_os_traces")
	bad := systolic.Layer{Name: "bad", H: 2, W: 2, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1}
	layers = append(layers[:2:2], bad, layers[0], layers[2])
	var want string
	var wantErr error
	for _, opts := range []Options{{Workers: 1, NoReuse: true}, {Workers: 2}, {Workers: 4}} {
		var con strings.Builder
		opts.LogDir, opts.Console = t.TempDir(), &con
		_, err := Run(cfg, layers, opts)
		if err == nil {
			t.Fatalf("Workers=%d: no error", opts.Workers)
		}
		if wantErr == nil {
			want, wantErr = con.String(), err
			// the layers are checked before anything runs (checkRun)
			if !strings.Contains(err.Error(), "layer 2 (bad)") {
				t.Fatalf("serial run: error %q, console %q", err, want)
			}
			continue
		}
		if err.Error() != wantErr.Error() || con.String() != want {
			t.Errorf("Workers=%d: error %q console %q, want %q and %q", opts.Workers, err, con.String(), wantErr, want)
		}
	}
}

type runResult struct {
	dir     string
	console string
	reports []report.Layer
}

func runTo(t *testing.T, cfg config.Config, layers []systolic.Layer, opts Options) runResult {
	t.Helper()
	var con strings.Builder
	opts.LogDir, opts.Console = t.TempDir(), &con
	reps, err := Run(cfg, layers, opts)
	if err != nil {
		t.Fatal(err)
	}
	return runResult{filepath.Join(opts.LogDir, cfg.RunName), con.String(), reps}
}

// sameTree checks that two folders hold the same files with the same
// bytes.
func sameTree(t *testing.T, want, got string) {
	t.Helper()
	list := func(root string) []string {
		var files []string
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(root, p)
				files = append(files, rel)
			}
			return err
		})
		return files
	}
	w, g := list(want), list(got)
	if strings.Join(w, " ") != strings.Join(g, " ") {
		t.Fatalf("files %v, want %v", g, w)
	}
	for _, f := range w {
		a, _ := os.ReadFile(filepath.Join(want, f))
		b, _ := os.ReadFile(filepath.Join(got, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs", f)
		}
	}
	if len(w) < 3 {
		t.Errorf("only %d files written", len(w))
	}
}

// TestOneThreadSameOutput checks that a run kept on one goroutine
// (Options.OneThread: the read buffers walk inline) writes the same
// reports as a default run, on a CALC and a USER golden case.
func TestOneThreadSameOutput(t *testing.T) {
	for _, c := range []string{"tutorial3_64x64_ws", "rect_16x4_is_user4"} {
		cfg, layers, _ := loadGolden(t, "../testdata/golden/"+c)
		def := runTo(t, cfg, layers, Options{})
		one := runTo(t, cfg, layers, Options{OneThread: true})
		if !reflect.DeepEqual(def.reports, one.reports) || def.console != one.console {
			t.Errorf("%s: one-thread run differs from the default run", c)
		}
		sameTree(t, def.dir, one.dir)
	}
}

// TestLayersBarOneLayer checks the run's progress bar names one layer
// "1 layer", not "1 layers".
func TestLayersBarOneLayer(t *testing.T) {
	for n, want := range map[int]string{1: "\r1 layer ", 3: "\r3 layers "} {
		var buf bytes.Buffer
		newLayersBar(&buf, n)
		if !strings.HasPrefix(buf.String(), want) {
			t.Errorf("%d layers: bar %q, want it to start with %q", n, buf.String(), want)
		}
	}
}
