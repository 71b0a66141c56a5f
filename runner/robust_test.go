package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
)

const tinyCase = "../testdata/golden/tiny_4x4_os_traces"

// tinyRun loads the tiny golden case; its config is CALC mode.
func tinyRun(t *testing.T) (Config, []systolic.Layer) {
	t.Helper()
	cfg, layers, _ := loadGolden(t, tinyCase)
	return cfg, layers
}

// TestHugeBandwidth: USER mode with Bandwidth 2^63-1 panicked (integer
// divide by zero in an overflowing ceiling division), and 2^62 made the
// DRAM word counts (whole lines of Bandwidth words, as SCALE-Sim counts
// them) wrap to negative. Bandwidth is now at most 2^32, which runs.
func TestHugeBandwidth(t *testing.T) {
	cfg, layers := tinyRun(t)
	for _, bw := range []string{"9223372036854775807", "4611686018427387904", "4294967297"} {
		text := strings.Replace(baseConfig, "Bandwidth : 10", "Bandwidth : "+bw, 1)
		_, err := ParseConfig("f.cfg", []byte(text))
		want := "config f.cfg: [architecture_presets] Bandwidth: must be at most 4294967296, got " + bw
		if err == nil || err.Error() != want {
			t.Errorf("Bandwidth %s: %v, want %q", bw, err, want)
		}
	}
	cfg.BandwidthMode = config.USER
	cfg.Bandwidth = []int{config.MaxBandwidth}
	reps, err := Run(cfg, layers, Options{LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// each fetch moves one line of 2^32 words
	for _, r := range reps {
		for op := range 2 {
			if w := r.DRAM[op].Words; w <= 0 || w%config.MaxBandwidth != 0 {
				t.Errorf("layer %d operand %d: %d DRAM words, want a positive multiple of 2^32", r.Layer, op, w)
			}
		}
	}
	// Traced, a buffer's fetches are held as trace rows: at most 16 MB.
	cfg.BandwidthMode = config.CALC
	cfg.IfmapSRAMKB = 1<<14 + 1
	_, err = Run(cfg, layers, Options{LogDir: t.TempDir(), Traces: true})
	if want := fmt.Sprintf("config %s: [architecture_presets] IfmapSramSzkB 16385 is too large for traces: a buffer's DRAM fetches are held in memory as trace rows (at most 16384)", cfg.Path); err == nil || err.Error() != want {
		t.Errorf("traced run with a 16385 kB buffer: %v, want %q", err, want)
	}
	cfg.IfmapSRAMKB = 1 << 14
	if _, err := Run(cfg, layers, Options{LogDir: t.TempDir(), Traces: true}); err != nil {
		t.Errorf("traced run with a 16384 kB buffer: %v", err)
	}
	cfg.BandwidthMode, cfg.IfmapSRAMKB = config.USER, 1
	// Traced, each DRAM trace row would hold Bandwidth addresses.
	_, err = Run(cfg, layers, Options{LogDir: t.TempDir(), Traces: true})
	wantErr := fmt.Sprintf("config %s: [architecture_presets] Bandwidth 4294967296 is too large for traces: each DRAM trace row holds Bandwidth addresses (at most 1048576)", cfg.Path)
	if err == nil || err.Error() != wantErr {
		t.Errorf("traced run with Bandwidth 2^32: %v, want %q", err, wantErr)
	}
}

// runPeakHeap runs one layer and returns the peak heap seen during the
// run above the live heap before it: what the run itself holds, whatever
// earlier tests of the package left behind.
func runPeakHeap(t *testing.T, cfg config.Config, l systolic.Layer) uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak := watchHeap()
	_, err := Run(cfg, []systolic.Layer{l}, Options{LogDir: t.TempDir()})
	p := peak()
	if err != nil {
		t.Fatal(err)
	}
	if p < base {
		return 0
	}
	return p - base
}

// TestGemmMemoryBounded: memory grew with a GEMM's K (16 bytes per unit:
// the mapping tabulated the whole filter window); K = 10^8 took 1.5 GB.
// The window table is now capped at 2^16 elements (larger windows are
// decomposed on the fly). What still grows with a fold's length is the
// CALC buffers' fetch points, held until the fold's timing is known:
// about 200 bytes per fetch point (one per 50 sets, 32k words of a 64 kB
// buffer), about 1.2 MB for K = 10^8, so the bound is 4 MB and at most
// 2 MB more than K = 10^7 (1.5 GB before).
func TestGemmMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("K = 10^8 takes about 10 s")
	}
	cfg, err := LoadConfig("../testdata/configs/scale.cfg")
	if err != nil {
		t.Fatal(err)
	}
	// collect often, so that the sampled heap is the live heap rather than
	// garbage awaiting a collection (the default pacing lets it reach 4 MB)
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	small := runPeakHeap(t, cfg, systolic.GEMM("G", 1, 1, 10_000_000))
	big := runPeakHeap(t, cfg, systolic.GEMM("G", 1, 1, 100_000_000))
	t.Logf("peak heap: K = 10^7 %.1f MB, K = 10^8 %.1f MB", float64(small)/(1<<20), float64(big)/(1<<20))
	if big > 4<<20 || big > small+2<<20 {
		t.Errorf("peak heap grew from %d bytes (K = 10^7) to %d bytes (K = 10^8)", small, big)
	}
}

// TestInputSizeLimit: -c /dev/zero or -t /dev/zero read without limit.
func TestInputSizeLimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := LoadConfig("/dev/zero")
	if want := "config /dev/zero: larger than 64 MB; is it the right file?"; err == nil || err.Error() != want {
		t.Errorf("LoadConfig(/dev/zero) = %v, want %q", err, want)
	}
	_, err = LoadTopology("/dev/zero", Gemm)
	if want := "topology /dev/zero: larger than 64 MB; is it the right file?"; err == nil || err.Error() != want {
		t.Errorf("LoadTopology(/dev/zero) = %v, want %q", err, want)
	}
	// A file of exactly the limit is read (and fails as a topology).
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, make([]byte, fileio.MaxInputBytes), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTopology(path, Gemm); err == nil || strings.Contains(err.Error(), "larger than") {
		t.Errorf("a topology of exactly %d bytes: %v, want a parse error", fileio.MaxInputBytes, err)
	}
}

// TestRunNameControlCharacters: ESC, BEL and TAB in run_name made folders
// with them.
func TestRunNameControlCharacters(t *testing.T) {
	for _, c := range []struct{ name, char string }{
		{"a\x1bb", "U+001B"}, {"a\ab", "U+0007"}, {"a\tb", "U+0009"}, {"a\u00a0b", "U+00A0"}, {"a\u2028b", "U+2028"},
	} {
		text := strings.Replace(baseConfig, "run_name = base", "run_name = "+c.name, 1)
		_, err := ParseConfig("f.cfg", []byte(text))
		want := fmt.Sprintf("config f.cfg: [general] run_name: must be printable, got %q (character %s)", c.name, c.char)
		if err == nil || err.Error() != want {
			t.Errorf("run_name %q: %v, want %q", c.name, err, want)
		}
	}
	text := strings.Replace(baseConfig, "run_name = base", "run_name = résumé 2", 1)
	if cfg, err := ParseConfig("f.cfg", []byte(text)); err != nil || cfg.RunName != "résumé 2" {
		t.Errorf("printable run_name: %+v, %v", cfg.RunName, err)
	}
}

// TestLayerSizeLimits: sizes whose products overflow int64 are rejected by
// validation rather than simulated with wrapped addresses.
func TestLayerSizeLimits(t *testing.T) {
	const big = math.MaxInt32
	cases := []struct {
		l    systolic.Layer
		want string
	}{
		{systolic.Layer{Name: "x", H: big, W: big, Fh: 1, Fw: 1, Ch: big, N: 1, Sh: 1, Sw: 1},
			"layer too large: IFMAP (Height x Width x Channels) exceeds 2^52"},
		{systolic.GEMM("g", 1<<20, 1<<20, 1<<20), "layer too large: MACs exceeds 2^52"},
	}
	for _, c := range cases {
		if err := c.l.Validate(); err == nil || err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.l, err, c.want)
		}
	}
	if err := systolic.GEMM("g", 1, 1, big).Validate(); err != nil {
		t.Errorf("K = 2^31-1 GEMM: %v", err)
	}
	cfg, layers := tinyRun(t)
	cfg.OfmapOffset = math.MaxInt64 - 10
	_, err := Run(cfg, layers, Options{LogDir: t.TempDir()})
	want := fmt.Sprintf("config %s: [architecture_presets] OfmapOffset %d: layer 0 (%s) would have addresses beyond 2^62", cfg.Path, cfg.OfmapOffset, layers[0].Name)
	if err == nil || err.Error() != want {
		t.Errorf("huge OfmapOffset: %v, want %q", err, want)
	}
}

// listTree returns the files under dir, relative, sorted.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// TestRerunCleansFolder: a rerun into a used folder kept stale reports
// and layerN folders. Now it removes what npusim wrote and keeps, and
// names, everything else.
func TestRerunCleansFolder(t *testing.T) {
	cfg, layers := tinyRun(t)
	logDir := t.TempDir()
	dir := filepath.Join(logDir, cfg.RunName)
	if _, err := Run(cfg, layers, Options{LogDir: logDir, Traces: true}); err != nil {
		t.Fatal(err)
	}
	// A multi-core run's core folders too: traces go, the rest stays.
	for _, f := range []string{"notes.txt", "layer1/mine.txt", "layer2/IFMAP_SRAM_TRACE.csv.part", "X_REPORT.csv",
		"layer0/core3/FILTER_DRAM_TRACE.csv", "layer1/core0/OFMAP_SRAM_TRACE.csv", "layer1/core0/mine.txt"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "layer9"), 0o755); err != nil {
		t.Fatal(err)
	}
	var con strings.Builder
	if _, err := Run(cfg, layers[:1], Options{LogDir: logDir, Console: &con}); err != nil {
		t.Fatal(err)
	}
	want := []string{"BANDWIDTH_REPORT.csv", "COMPUTE_REPORT.csv", "DETAILED_ACCESS_REPORT.csv", "ENERGY_REPORT.csv", "layer1/core0/mine.txt", "layer1/mine.txt", "notes.txt"}
	if got := listTree(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the rerun the folder holds %q, want %q", got, want)
	}
	if msg := fmt.Sprintf("Kept in %s (not written by npusim): layer1/core0/mine.txt, layer1/mine.txt, notes.txt\n", dir); !strings.Contains(con.String(), msg) {
		t.Errorf("console does not say %q:\n%s", msg, con.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "COMPUTE_REPORT.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Errorf("COMPUTE_REPORT.csv has %d lines after a one-layer rerun, want 2", n)
	}
}

// cancelOn is a Console that cancels a context once it has been sent a
// given text.
type cancelOn struct {
	text   string
	cancel context.CancelCauseFunc
	seen   strings.Builder
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.seen.Write(p)
	if strings.Contains(c.seen.String(), c.text) {
		c.cancel(errors.New("stop requested"))
	}
	return len(p), nil
}

// checkStopped checks a run folder after a run stopped with done layers
// finished: the reports hold exactly those layers (as a full run writes
// them), the marker names the last one, nothing sits under a .part or
// .rows name, and the unfinished layer left no trace folder.
func checkStopped(t *testing.T, dir, fullDir string, done, total int, lastName string) {
	t.Helper()
	for _, r := range reportFiles {
		got, err := os.ReadFile(filepath.Join(dir, r.Name()))
		if done == 0 {
			if !os.IsNotExist(err) {
				t.Errorf("%s exists though no layer finished (%v)", r.Name(), err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		full, err := os.ReadFile(filepath.Join(fullDir, r.Name()))
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join(strings.SplitAfter(string(full), "\n")[:done+1], "")
		if string(got) != want {
			t.Errorf("%s:\n%s\nwant the first %d layers of a complete run:\n%s", r.Name(), got, done, want)
		}
	}
	marker, err := os.ReadFile(filepath.Join(dir, report.IncompleteMarker))
	if err != nil {
		t.Fatalf("no %s: %v", report.IncompleteMarker, err)
	}
	want := fmt.Sprintf("npusim run incomplete: no layer of %d finished\n", total)
	if done > 0 {
		want = fmt.Sprintf("npusim run incomplete: %d of %d layers finished, the last one layer %d (%s); the reports hold layers 0-%d\n",
			done, total, done-1, lastName, done-1)
	}
	if string(marker) != want {
		t.Errorf("%s = %q, want %q", report.IncompleteMarker, marker, want)
	}
	for _, f := range listTree(t, dir) {
		if report.IsScratch(f) {
			t.Errorf("scratch file %s left", f)
		}
		if strings.HasPrefix(f, fmt.Sprintf("layer%d/", done)) {
			t.Errorf("the unfinished layer left %s", f)
		}
	}
}

// TestContextStopsRun stops a run between layers and inside one.
func TestContextStopsRun(t *testing.T) {
	cfg, layers := tinyRun(t)
	fullLog := t.TempDir()
	if _, err := Run(cfg, layers, Options{LogDir: fullLog, Traces: true}); err != nil {
		t.Fatal(err)
	}
	fullDir := filepath.Join(fullLog, cfg.RunName)

	// Between layers: the console says "Running Layer 2" before layer 2.
	ctx, cancel := context.WithCancelCause(context.Background())
	logDir := t.TempDir()
	_, err := Run(cfg, layers, Options{LogDir: logDir, Traces: true, Context: ctx,
		Console: &cancelOn{text: "Running Layer 2", cancel: cancel}})
	dir := filepath.Join(logDir, cfg.RunName)
	want := fmt.Sprintf("stop requested during layer 2; layers 0-1 of 3 finished (last: %s); %s marks the run incomplete",
		layers[1].Name, filepath.Join(dir, report.IncompleteMarker))
	if err == nil || err.Error() != want {
		t.Fatalf("Run = %v, want %q", err, want)
	}
	if !errors.Is(err, errStopped) {
		t.Errorf("error %v is not errStopped", err)
	}
	checkStopped(t, dir, fullDir, 2, 3, layers[1].Name)

	// Inside a layer: the progress bar's first drawing of layer 1 (after
	// its first folds) cancels; the engine stops at its next event.
	ctx, cancel = context.WithCancelCause(context.Background())
	logDir = t.TempDir()
	_, err = Run(cfg, layers, Options{LogDir: logDir, Traces: true, Context: ctx, Workers: 1, NoReuse: true, // the serial run's bar per layer
		Progress: &cancelOn{text: "layer 1 folds", cancel: cancel}})
	if err == nil || !strings.HasPrefix(err.Error(), "stop requested during layer 1;") {
		t.Fatalf("Run = %v, want a stop during layer 1", err)
	}
	checkStopped(t, filepath.Join(logDir, cfg.RunName), fullDir, 1, 3, layers[0].Name)

	// A rerun into the stopped run's folder completes it.
	if _, err := Run(cfg, layers, Options{LogDir: logDir, Traces: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := listTree(t, filepath.Join(logDir, cfg.RunName)), listTree(t, fullDir); !slices.Equal(got, want) {
		t.Errorf("rerun folder holds %q, want %q", got, want)
	}
}

// openFiles counts the process's open file descriptors (Linux).
func openFiles(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

// TestTraceOpenFails: when one of a layer's trace files cannot be created,
// the ones already opened were left open. Now they are closed and removed.
func TestTraceOpenFails(t *testing.T) {
	cfg, layers := tinyRun(t)
	logDir := t.TempDir()
	dir := filepath.Join(logDir, cfg.RunName)
	// a folder where layer 1's OFMAP SRAM trace goes (npusim keeps it)
	blocker := filepath.Join(dir, "layer1", "OFMAP_SRAM_TRACE.csv.part")
	if err := os.MkdirAll(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	before := openFiles(t)
	_, err := Run(cfg, layers, Options{LogDir: logDir, Traces: true})
	if want := "open " + blocker + ": is a directory"; err == nil || err.Error() != want {
		t.Fatalf("Run = %v, want %q", err, want)
	}
	if after := openFiles(t); after != before {
		t.Errorf("%d files open before the run, %d after", before, after)
	}
	var layer1 []string
	for _, f := range listTree(t, dir) {
		if strings.HasPrefix(f, "layer1/") {
			layer1 = append(layer1, f)
		}
	}
	if len(layer1) != 0 {
		t.Errorf("layer 1's opened traces were left: %q", layer1)
	}
	if _, err := os.Stat(filepath.Join(dir, report.IncompleteMarker)); err != nil {
		t.Errorf("no %s: %v", report.IncompleteMarker, err)
	}
}
