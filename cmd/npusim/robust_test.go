package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildNpusim builds the command into a temporary folder.
func buildNpusim(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("signals and ulimit need a Unix system")
	}
	bin := filepath.Join(t.TempDir(), "npusim")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// tree maps the files under dir (relative paths) to their contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// firstRows is the header and the first n rows of a report.
func firstRows(report string, n int) string {
	return strings.Join(strings.SplitAfter(report, "\n")[:n+1], "")
}

// checkPartialRun checks an interrupted or failed run's folder against a
// complete run's (full): reports hold the first done layers' rows exactly,
// traces under final names are complete, no scratch file is left, and
// RUN_INCOMPLETE is there.
func checkPartialRun(t *testing.T, got, full map[string]string, done int) {
	t.Helper()
	if _, ok := got["RUN_INCOMPLETE"]; !ok {
		t.Errorf("no RUN_INCOMPLETE; the folder holds %v", slices.Sorted(mapKeys(got)))
	}
	for name, data := range got {
		switch {
		case name == "RUN_INCOMPLETE":
		case strings.HasSuffix(name, "_REPORT.csv"):
			if want := firstRows(full[name], done); data != want {
				t.Errorf("%s = %q, want the first %d layers of a complete run: %q", name, data, done, want)
			}
		case strings.HasSuffix(name, "_TRACE.csv"):
			if data != full[name] {
				t.Errorf("%s (%d bytes) is not the complete trace (%d bytes)", name, len(data), len(full[name]))
			}
		default:
			t.Errorf("unexpected file %s left", name)
		}
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestInterrupt sends SIGINT (and SIGTERM) to the built command once three
// layers have finished and the fourth, long one is running. An interrupted
// run used to leave traces cut mid-row under their final names and no
// report at all.
func TestInterrupt(t *testing.T) {
	bin := buildNpusim(t)
	dir := t.TempDir()
	tiny, err := os.ReadFile(golden + "/topology.csv")
	if err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.csv")
	long := filepath.Join(dir, "long.csv")
	os.WriteFile(short, tiny, 0o644)
	// 15376 folds on the 4x4 array: seconds of simulation
	os.WriteFile(long, append(slices.Clip(tiny), "big, 64, 64, 3, 3, 16, 64, 1,\n"...), 0o644)
	cfg := golden + "/scale.cfg"
	fullLog := filepath.Join(dir, "full")
	if out, err := exec.Command(bin, "-q", "-traces", "-c", cfg, "-t", short, "-p", fullLog).CombinedOutput(); err != nil {
		t.Fatalf("complete run: %v\n%s", err, out)
	}
	full := tree(t, filepath.Join(fullLog, "tiny_4x4_os_traces"))

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		logDir := filepath.Join(dir, sig.String())
		run := filepath.Join(logDir, "tiny_4x4_os_traces")
		cmd := exec.Command(bin, "-q", "-traces", "-c", cfg, "-t", long, "-p", logDir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// wait for layer 2's rows, then interrupt layer 3
		deadline := time.Now().Add(60 * time.Second)
		for {
			data, _ := os.ReadFile(filepath.Join(run, "COMPUTE_REPORT.csv"))
			if strings.Count(string(data), "\n") == 4 {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("layer 2 did not finish within a minute")
			}
			time.Sleep(5 * time.Millisecond)
		}
		start := time.Now()
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		took := time.Since(start)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
			t.Errorf("%v: exit %v, want status %d", sig, err, 128+int(sig))
		}
		// the message below is the run's own: it stopped at its next
		// event, not after the command's grace period
		t.Logf("%v: stopped %v after the signal", sig, took)
		name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[sig]
		want := fmt.Sprintf("npusim: interrupted by %s during layer 3; layers 0-2 of 4 finished (last: tiny_fc); %s marks the run incomplete\n",
			name, filepath.Join(run, "RUN_INCOMPLETE"))
		if stderr.String() != want {
			t.Errorf("%v: stderr %q, want %q", sig, stderr.String(), want)
		}
		got := tree(t, run)
		checkPartialRun(t, got, full, 3)
		if m, want := got["RUN_INCOMPLETE"], "npusim run incomplete: 3 of 4 layers finished, the last one layer 2 (tiny_fc); the reports hold layers 0-2\n"; m != want {
			t.Errorf("RUN_INCOMPLETE = %q, want %q", m, want)
		}
		for name := range got {
			if strings.HasPrefix(name, "layer3/") {
				t.Errorf("the interrupted layer left %s", name)
			}
		}
	}
}

// TestFileSizeLimit runs the command under a file-size limit (ulimit -f),
// so that writes fail part-way as on a full disk: the first layer's
// traces fit, the second's do not. The run must fail with one line naming
// the file, and leave only complete files under final names.
func TestFileSizeLimit(t *testing.T) {
	bin := buildNpusim(t)
	dir := t.TempDir()
	// tiny_fc's traces are at most 1.6 kB, tiny_conv's up to 12.6 kB
	topo := filepath.Join(dir, "topo.csv")
	os.WriteFile(topo, []byte("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"+
		"tiny_fc, 1, 1, 1, 1, 20, 7, 1,\ntiny_conv, 8, 8, 3, 3, 2, 6, 1,\n"), 0o644)
	cfg := golden + "/scale.cfg"
	args := []string{"-q", "-traces", "-c", cfg, "-t", topo}
	fullLog := filepath.Join(dir, "full")
	if out, err := exec.Command(bin, append(args, "-p", fullLog)...).CombinedOutput(); err != nil {
		t.Fatalf("complete run: %v\n%s", err, out)
	}
	full := tree(t, filepath.Join(fullLog, "tiny_4x4_os_traces"))

	logDir := filepath.Join(dir, "limited")
	// 8 blocks: 4 kB in dash's 512-byte blocks, 8 kB in bash's 1 kB ones
	cmd := exec.Command("/bin/sh", append([]string{"-c", `ulimit -f 8 && exec "$0" "$@"`, bin}, append(args, "-p", logDir)...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; stderr %q", err, stderr.String())
	}
	msg := stderr.String()
	run := filepath.Join(logDir, "tiny_4x4_os_traces")
	if !strings.HasPrefix(msg, "npusim: layer 1 trace: ") || strings.Count(msg, "\n") != 1 ||
		strings.Count(msg, run) != 1 || !strings.Contains(msg, "file too large") {
		t.Errorf("stderr %q: want one line naming the layer 1 trace that failed", msg)
	}
	got := tree(t, run)
	checkPartialRun(t, got, full, 1)
	if got["layer0/FILTER_SRAM_TRACE.csv"] == "" {
		t.Errorf("layer 0's traces are missing: %v", slices.Sorted(mapKeys(got)))
	}
}
