package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/plot"
	"github.com/npusim/npusim/sweep"
	"github.com/npusim/npusim/topology"
)

// TestMain lets a test run the real main (exit status, stdout, stderr) by
// re-executing the test binary with NPUSIM_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("NPUSIM_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runMain runs npusim's main with args in a child process.
func runMain(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "NPUSIM_MAIN=1")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// capture runs run(args) with stdout captured.
func capture(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	old := stdout
	stdout = &buf
	defer func() { stdout = old }()
	err := run(args)
	return buf.String(), err
}

const gemmGolden = "../../testdata/golden/gemm_sd_16x16_is"

// TestCLIMistakes checks each mistake's exact message, printed once on
// stderr with nothing on stdout, and exit status 1.
func TestCLIMistakes(t *testing.T) {
	out := t.TempDir()
	conv := golden + "/topology.csv"
	gemm := gemmGolden + "/topology.csv"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-c", golden + "/scale.cfg", "-t", conv, "-i", "foo"},
			`-i "foo": the topology format must be conv or gemm`},
		{[]string{"-c", golden + "/scale.cfg", "-t", conv, "-i", "gemm", "-p", out},
			"topology " + conv + ` line 1: the header "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides," looks like a conv topology: use -i conv`},
		{[]string{"-c", gemmGolden + "/scale.cfg", "-t", gemm, "-p", out},
			"topology " + gemm + ` line 1: the header "Layer, M, N, K," looks like a GEMM topology: use -i gemm`},
		{[]string{"-x"}, "flag provided but not defined: -x (npusim -h for help)"},
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-t", conv, "-o", out, "-j", "-1", "-set", "Dataflow=os"}, "-j -1: want 0 (one per CPU this process may use) or more"},
		{[]string{"-c", golden + "/scale.cfg", "-t", conv, "-p", out, "-j", "-1"}, "-j -1: want 0 (one per CPU this process may use) or more"},
		{[]string{"-c", golden + "/scale.cfg", "-t", conv, "-trace"}, "flag provided but not defined: -trace (did you mean -traces?) (npusim -h for help)"},
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-sets", "Dataflow=os"}, "flag provided but not defined: -sets (did you mean -set?) (npusim -h for help)"},
		{[]string{"-c", golden + "/scale.cfg", "-t", conv, "-tarces"}, "flag provided but not defined: -tarces (did you mean -traces?) (npusim -h for help)"},
		{[]string{"-c", golden + "/scale.cfg", "-t", "../../samples/onnx/resnet18.onnx", "-i", "gemm", "-p", out},
			"topology ../../samples/onnx/resnet18.onnx: -i gemm is for GEMM topology CSVs; an ONNX model's layers come from the model (drop -i gemm)"},
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-t", conv, "-o", out, "-f", "../../testdata/golden/tiny_4x4_os_traces/scale.cfg"},
			`sweep file ../../testdata/golden/tiny_4x4_os_traces/scale.cfg line 1: -set "[general]": want KEY=V1,V2,...`},
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-t", conv, "-o", out, "-set", "ArrayHeight=2,4", "-set", "architecture_presets.ArrayHeight=8"},
			"sweep: key ArrayHeight is swept twice, as ArrayHeight and as architecture_presets.ArrayHeight"},
		{[]string{"help", "nope"}, "help nope: no such command (commands: dram, help, import, merge, plot, sweep, version)"},
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-t", conv, "-o", out, "-set", "Dataflow=os", "-pad", "none"},
			"topology " + conv + ": -pad and -batch apply to ONNX models only"},
		// /dev/zero: one line, after reading 1 MiB, not an out-of-memory death.
		{[]string{"plot", "/dev/zero"}, "sweep CSV /dev/zero: line 1 is longer than 1048576 bytes: not a sweep CSV"},
		{[]string{"merge", "-o", filepath.Join(out, "m.csv"), "/dev/zero"}, "sweep CSV /dev/zero: line 1 is longer than 1048576 bytes: not a sweep CSV"},
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-t", conv, "-o", out, "-set", "Dataflow=os,ws\x1b[2J\a"},
			`invalid value "Dataflow=os,ws\x1b[2J\a" for flag -set: -set "Dataflow=os,ws\x1b[2J\a": control character U+001B at byte 14 (npusim -h for help)`},
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-t", conv, "-o", out, "-shard", "2/2", "-set", "Dataflow=os"},
			`-shard "2/2": want I/N with 0 <= I < N (e.g. $SLURM_ARRAY_TASK_ID/8)`},
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-t", conv, "-o", out},
			"sweep: nothing to sweep (give a sweep file or -set KEY=V1,V2,...)"},
		{[]string{"sweep", "-set", "Dataflow"}, `invalid value "Dataflow" for flag -set: -set "Dataflow": want KEY=V1,V2,... (npusim -h for help)`},
		{[]string{"merge", "-o", filepath.Join(out, "m.csv")}, "merge: no shard CSVs given"},
		{[]string{"plot"}, "plot: want one sweep CSV, got 0 arguments"},
		// The log folder's parent is missing: the error alone, no banner.
		{[]string{"-c", golden + "/scale.cfg", "-t", conv, "-p", filepath.Join(out, "no", "such")},
			"creating log folder: mkdir " + filepath.Join(out, "no", "such") + ": no such file or directory"},
	}
	for _, c := range cases {
		o, e, code := runMain(t, c.args...)
		if want := "npusim: " + c.want + "\n"; e != want || o != "" || code != 1 {
			t.Errorf("npusim %q:\nstdout %q\nstderr %q\nstatus %d\nwant stderr %q, status 1", c.args, o, e, code, want)
		}
	}
}

// TestKindAnyCase runs the GEMM golden case with -i GEMM.
func TestKindAnyCase(t *testing.T) {
	dir := t.TempDir()
	if _, err := capture(t, "-c", gemmGolden+"/scale.cfg", "-t", gemmGolden+"/topology.csv", "-i", "GEMM", "-p", dir); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "gemm_sd_16x16_is", "COMPUTE_REPORT.csv"))
	want, _ := os.ReadFile(gemmGolden + "/COMPUTE_REPORT.csv")
	if len(got) == 0 || !bytes.Equal(got, want) {
		t.Errorf("-i GEMM report:\n%s\nwant\n%s", got, want)
	}
}

// TestSummary checks the lines that end a run: the golden case's totals
// and where the reports went.
func TestSummary(t *testing.T) {
	dir := t.TempDir()
	o, err := capture(t, "-c", golden+"/scale.cfg", "-t", golden+"/topology.csv", "-p", dir)
	if err != nil {
		t.Fatal(err)
	}
	// 431 + 263 + 51 cycles; 3888+2160+140 MACs over 745 x 16 PE-cycles.
	re := regexp.MustCompile(`\nTotal: 745 cycles, 0 stall cycles, 51\.91% utilization, 3 layers in [0-9]+\.[0-9]{2} s\nReports: ` +
		regexp.QuoteMeta(filepath.Join(dir, "tiny_4x4_os_traces")) + "\n$")
	if !re.MatchString(o) {
		t.Errorf("summary:\n%s", o)
	}
	if !strings.HasPrefix(o, "=====") {
		t.Errorf("output does not start with the banner:\n%s", o)
	}
	if o, _ := capture(t, "-c", golden+"/scale.cfg", "-t", golden+"/topology.csv", "-p", dir, "-q"); o != "" {
		t.Errorf("-q printed %q", o)
	}
}

// TestHelp checks -h: a description, a usage line per subcommand, an
// example, the flags; on stdout, exit status 0.
func TestHelp(t *testing.T) {
	o, e, code := runMain(t, "-h")
	if code != 0 || e != "" {
		t.Fatalf("status %d, stderr %q", code, e)
	}
	for _, want := range []string{"npusim simulates systolic-array NPUs", "Usage:\n  npusim -c CONFIG",
		"\n  npusim sweep -c CONFIG", "\n  npusim merge -o SWEEP.csv SHARD.csv...", "\n  npusim plot [-o DIR] SWEEP.csv",
		"Example:\n  npusim -c ", "  -traces\n"} {
		if !strings.Contains(o, want) {
			t.Errorf("help lacks %q:\n%s", want, o)
		}
	}
	// The bounds the help texts state are the code's.
	for sub, want := range map[string]string{"sweep": fmt.Sprintf("at most %d configurations", sweep.MaxConfigs),
		"merge": fmt.Sprintf("at most %d MiB", sweep.MaxTableBytes>>20), "plot": fmt.Sprintf("at most %d MiB", sweep.MaxTableBytes>>20)} {
		if o, _, _ := runMain(t, sub, "-h"); !strings.Contains(strings.ReplaceAll(o, "\n", " "), want) {
			t.Errorf("%s -h does not say %q:\n%s", sub, want, o)
		}
	}
	for _, sub := range []string{"sweep", "merge", "plot"} {
		o, _, code := runMain(t, sub, "-h")
		if code != 0 || !strings.Contains(o, "Usage:\n  npusim "+sub) || !strings.Contains(o, "Example:") {
			t.Errorf("%s -h: status %d\n%s", sub, code, o)
		}
	}
}

// TestSweepCommand runs a small sweep, then the same sweep in two shards
// merged, through the CLI: the merged CSV is the sweep's, byte for byte,
// and the plots and page exist.
func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"sweep", "-c", golden + "/scale.cfg", "-t", golden + "/topology.csv",
		"-set", "ArrayHeight=2,4,8", "-pes", "16", "-set", "Dataflow=os,ws"}
	o, err := capture(t, append(args, "-o", dir, "-j", "2")...)
	if err != nil {
		t.Fatal(err)
	}
	// The best configuration is the one with the fewest cycles in the CSV.
	tab, err := sweep.ReadTable(filepath.Join(dir, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := plot.Summarise(tab)
	if err != nil || len(cfgs) != 6 {
		t.Fatalf("%d configurations, %v", len(cfgs), err)
	}
	best := cfgs[0]
	for _, c := range cfgs {
		if c.TotalCycles < best.TotalCycles {
			best = c
		}
	}
	label := strings.Replace(strings.Replace(best.Name, "_", " Dataflow=", 1), "_", " ", -1)
	bestLine := fmt.Sprintf("Best by total cycles: %s (%s, %d cycles)\n", best.Name, label, best.TotalCycles)
	if !regexp.MustCompile(`^Sweep: 6 configurations \(6 run, 0 already finished\) in [0-9.]+ s on 2 cores\n` + regexp.QuoteMeta(bestLine)).MatchString(o) {
		t.Errorf("sweep output:\n%s", o)
	}
	for _, f := range []string{"sweep.csv", "index.html", "cycles.svg", "cycles.png", "util_aspect.svg", "dram_bw.png", "runs/8x2_ws/COMPUTE_REPORT.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	sh := t.TempDir()
	for _, s := range []string{"0/2", "1/2"} {
		if _, err := capture(t, append(args, "-o", sh, "-j", "1", "-shard", s)...); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(sh, "sweep.csv")
	if _, err := capture(t, "merge", "-o", merged, filepath.Join(sh, "sweep-shard-1-of-2.csv"), filepath.Join(sh, "sweep-shard-0-of-2.csv")); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "sweep.csv"))
	b, _ := os.ReadFile(merged)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("merged shards differ:\n%s\nwant\n%s", b, a)
	}
	o, err = capture(t, "plot", merged)
	if err != nil || o != bestLine+"Report: "+filepath.Join(sh, "index.html")+"\n" {
		t.Errorf("plot: %v\n%s", err, o)
	}
	// plot FILE -o DIR works as plot -o DIR FILE.
	other := filepath.Join(t.TempDir(), "report")
	o, err = capture(t, "plot", merged, "-o", other)
	if err != nil || o != bestLine+"Report: "+filepath.Join(other, "index.html")+"\n" {
		t.Errorf("plot FILE -o DIR: %v\n%s", err, o)
	}
	// merge with -o after the files; "1 file", not "1 files".
	one := filepath.Join(t.TempDir(), "one.csv")
	o, err = capture(t, "merge", filepath.Join(dir, "sweep.csv"), "-o", one)
	if err != nil || o != "Merged 1 file, 18 rows: "+one+"\n" {
		t.Errorf("merge FILE -o OUT: %v\n%s", err, o)
	}
}

// TestEntryPoints checks npusim alone (the usage, status 0), npusim help
// [COMMAND], and npusim version / -version (one line from the build
// info, ending with the Go toolchain and platform).
func TestEntryPoints(t *testing.T) {
	o, e, code := runMain(t)
	if code != 0 || e != "" || !strings.Contains(o, "Usage:\n  npusim -c CONFIG") || !strings.Contains(o, "  -traces\n") {
		t.Errorf("npusim alone: status %d, stderr %q\n%s", code, e, o)
	}
	if h, _, code := runMain(t, "help"); code != 0 || h != o {
		t.Errorf("npusim help: status %d, not the usage:\n%s", code, h)
	}
	if h, _, code := runMain(t, "help", "plot"); code != 0 || !strings.Contains(h, "Usage:\n  npusim plot") {
		t.Errorf("npusim help plot: status %d\n%s", code, h)
	}
	v, e, code := runMain(t, "version")
	suffix := " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if code != 0 || e != "" || !strings.HasPrefix(v, "npusim ") || !strings.HasSuffix(v, suffix) || strings.Count(v, "\n") != 1 {
		t.Errorf("npusim version: status %d, stderr %q, %q; want npusim VERSION ...%s", code, e, v, suffix)
	}
	if v2, _, code := runMain(t, "-version"); code != 0 || v2 != v {
		t.Errorf("npusim -version: status %d, %q, want %q", code, v2, v)
	}
}

// TestProgressLines runs a sweep with standard error not a terminal: its
// progress comes as plain lines (a batch job's log), not a redrawn bar.
func TestProgressLines(t *testing.T) {
	var log syncBuffer
	oldEvery, oldTerm, oldLog := progressEvery, stderrTerminal, progressLog
	progressEvery, stderrTerminal, progressLog = 5*time.Millisecond, func() bool { return false }, &log
	defer func() { progressEvery, stderrTerminal, progressLog = oldEvery, oldTerm, oldLog }()
	// enough work to span several intervals: 6 configurations, one at a time
	if _, err := capture(t, "sweep", "-c", golden+"/scale.cfg", "-t", golden+"/topology.csv", "-o", t.TempDir(), "-j", "1",
		"-set", "ArrayHeight=2,4,8", "-pes", "16", "-set", "Dataflow=os,ws"); err != nil {
		t.Fatal(err)
	}
	got := log.String()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	re := regexp.MustCompile(`^sweep +[0-9]+% \|[^|]*\| \([0-5]/6\) \[[0-9a-z:]+\]$`)
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("progress line %q does not match %s", l, re)
		}
	}
	if got == "" || strings.ContainsAny(got, "\r\x1b") {
		t.Errorf("progress log %q: want plain lines", got)
	}
	// -q: nothing.
	log = syncBuffer{}
	if _, err := capture(t, "-q", "-c", golden+"/scale.cfg", "-t", golden+"/topology.csv", "-p", t.TempDir(), "-j", "1"); err != nil {
		t.Fatal(err)
	}
	if got := log.String(); got != "" {
		t.Errorf("-q printed progress %q", got)
	}
}

// syncBuffer is a bytes.Buffer safe for the progress ticker's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSweepStopped stops a sweep as SIGINT does: it says how far it got,
// and the command exits with SIGINT's status.
func TestSweepStopped(t *testing.T) {
	old := interrupted
	interrupted = func() context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(signalError{syscall.SIGINT})
		return ctx
	}
	defer func() { interrupted = old }()
	_, err := capture(t, "sweep", "-c", golden+"/scale.cfg", "-t", golden+"/topology.csv", "-o", t.TempDir(), "-set", "Dataflow=os,ws")
	if want := "sweep stopped with 0 of 2 configurations finished (running it again finishes it): interrupted by SIGINT"; err == nil || err.Error() != want || exitStatus(err) != 130 {
		t.Errorf("stopped sweep: %v (status %d), want %s (status 130)", err, exitStatus(err), want)
	}
}

// TestMulticoreSummary checks that the summary line of a 4-core run
// divides the MACs by all 64 PEs (it used to divide by one core's 16 and
// print over 100%).
func TestMulticoreSummary(t *testing.T) {
	dir := t.TempDir()
	cfg, err := os.ReadFile(golden + "/scale.cfg")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mc.cfg")
	os.WriteFile(path, append(cfg, "\n[multicore]\nCores = 4\n"...), 0o644)
	o, err := capture(t, "-c", path, "-t", golden+"/topology.csv", "-p", dir)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\nTotal: ([0-9]+) cycles, [0-9]+ stall cycles, ([0-9.]+)% utilization, 3 layers in`).FindStringSubmatch(o)
	if m == nil {
		t.Fatalf("no summary line in\n%s", o)
	}
	cycles, _ := strconv.ParseFloat(m[1], 64)
	// 3888 + 2160 + 140 MACs (the golden case's) over cycles x 4 x 16 PEs
	if want := fmt.Sprintf("%.2f", 6188*100/(cycles*64)); m[2] != want {
		t.Errorf("utilization %s%%, want %s%% (6188 MACs over %s cycles of 64 PEs)", m[2], want, m[1])
	}
}

// TestONNXPadDefault checks that an ONNX model is read with -pad include
// unless -pad says otherwise, in a run as in import.
func TestONNXPadDefault(t *testing.T) {
	model := "../../samples/onnx/resnet18.onnx"
	cfg, err := config.Parse("scale.cfg", []byte("[general]\nrun_name = x\n[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nIfmapSramSzkB: 1\nFilterSramSzkB: 1\nOfmapSramSzkB: 1\nIfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow: os\n[run_presets]\nInterfaceBandwidth: CALC\n"))
	if err != nil {
		t.Fatal(err)
	}
	def, err := loadTopology(cfg, model, topology.Conv, "", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	inc, _ := loadTopology(cfg, model, topology.Conv, "include", 1, nil)
	none, _ := loadTopology(cfg, model, topology.Conv, "none", 1, nil)
	if !reflect.DeepEqual(def, inc) || reflect.DeepEqual(def, none) {
		t.Errorf("the default -pad is not include")
	}
	// conv1 of ResNet-18: 7x7 stride 2 with 3 pads on a 224x224 input
	// gives the model's 112x112 output from 229 padded rows ((229-7)/2+1;
	// the 230th is never read), and 109x109 from the unpadded 224.
	if def[0].H != 229 || none[0].H != 224 {
		t.Errorf("conv1 ifmap height %d (default), %d (none); want 229 and 224", def[0].H, none[0].H)
	}
	out := filepath.Join(t.TempDir(), "r.csv")
	if err := importCmd([]string{model, "-o", out}); err != nil {
		t.Fatal(err)
	}
	got, err := topology.Load(out, topology.Conv)
	if err != nil || got[0].H != 229 {
		t.Errorf("import's default: conv1 height %v, %v; want 229", got[0], err)
	}
}

// TestOneLayer runs a one-layer topology: the summary says "1 layer",
// not "1 layers".
func TestOneLayer(t *testing.T) {
	dir := t.TempDir()
	topo := filepath.Join(dir, "one.csv")
	os.WriteFile(topo, []byte("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc, 8, 8, 3, 3, 2, 6, 1,\n"), 0o644)
	o, err := capture(t, "-c", golden+"/scale.cfg", "-t", topo, "-p", dir, "-j", "2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(o, "% utilization, 1 layer in ") {
		t.Errorf("summary: %s", o)
	}
}

// TestSweepONNX sweeps an ONNX model with -batch: the CSV's MACs are the
// model's lowered layers' (batch 2: twice batch 1's).
func TestSweepONNX(t *testing.T) {
	model := "../../onnx/testdata/transformer_encoder.onnx"
	macs := func(batch string) int64 {
		dir := t.TempDir()
		if _, err := capture(t, "sweep", "-q", "-c", "../../testdata/configs/scale.cfg", "-t", model, "-o", dir,
			"-set", "ArrayHeight=32,64", "-pes", "4096", "-batch", batch); err != nil {
			t.Fatal(err)
		}
		tab, err := sweep.ReadTable(filepath.Join(dir, "sweep.csv"))
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, r := range tab.Records {
			if r[tab.Col("config_id")] == "0" {
				v, _ := strconv.ParseInt(r[tab.Col("macs")], 10, 64)
				sum += v
			}
		}
		return sum
	}
	one, two := macs("1"), macs("2")
	if one == 0 || two != 2*one {
		t.Errorf("MACs %d with -batch 1, %d with -batch 2", one, two)
	}
}
