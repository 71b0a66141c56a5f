package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/npusim/npusim/plot"
	"github.com/npusim/npusim/sweep"
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
		{[]string{"sweep", "-c", golden + "/scale.cfg", "-t", conv, "-o", out, "-j", "0", "-set", "Dataflow=os"}, "-j 0: want at least 1"},
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
	re := regexp.MustCompile(`\nTotal: 745 cycles, 0 stall cycles, 51\.91% utilisation, 3 layers in [0-9]+\.[0-9]{2} s\nReports: ` +
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
	bestLine := fmt.Sprintf("Best by total cycles: %s (%d cycles)\n", best.Name, best.TotalCycles)
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
}

// TestSummaryMulticore: with [multicore] Cores = 4 the summary's
// utilisation is over all four cores' PEs: the golden case's 6188 MACs
// (3888 + 2160 + 140) over the run's cycles x 4 x 16 PEs, and so never
// above 100%.
func TestSummaryMulticore(t *testing.T) {
	dir := t.TempDir()
	base, err := os.ReadFile(golden + "/scale.cfg")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "mc.cfg")
	if err := os.WriteFile(cfg, append(base, "\n[multicore]\nCores = 4\nPartition = filters\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := capture(t, "-c", cfg, "-t", golden+"/topology.csv", "-p", dir)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\nTotal: ([0-9]+) cycles, [0-9]+ stall cycles, ([0-9.]+)% utilisation, 3 layers in `).FindStringSubmatch(o)
	if m == nil {
		t.Fatalf("no summary line:\n%s", o)
	}
	var cycles int64
	var util float64
	fmt.Sscan(m[1], &cycles)
	fmt.Sscan(m[2], &util)
	want := 6188 * 100 / (float64(cycles) * 4 * 16)
	if cycles <= 0 || fmt.Sprintf("%.2f", want) != m[2] || util > 100 {
		t.Errorf("summary %q: %d cycles, want utilisation %.2f%% (6188 MACs over 4 cores of 16 PEs)", m[0], cycles, want)
	}
}
