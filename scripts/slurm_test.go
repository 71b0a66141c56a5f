// Package scripts holds the tests of the shell scripts shipped beside
// npusim.
package scripts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const tiny = "../testdata/golden/tiny_4x4_os_traces"

// slurmUp skips the test, saying why on standard error too (visible
// without -v), unless sbatch is installed and a Slurm node is up
// (.ci/slurm-up starts one).
func slurmUp(t *testing.T) {
	t.Helper()
	skip := func(why string) {
		fmt.Fprintf(os.Stderr, "%s: SKIP: %s\n", t.Name(), why)
		t.Skip(why)
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		skip("sbatch is not installed (apt-get install slurm-wlm munge, then .ci/slurm-up; .ci/run does both when it can)")
	}
	out, err := exec.Command("sinfo", "-h", "-o", "%t").Output()
	if up := string(out); err != nil || !(strings.Contains(up, "idle") || strings.Contains(up, "mix") || strings.Contains(up, "alloc")) {
		skip(fmt.Sprintf("no Slurm node is up (sinfo: %q, %v; .ci/slurm-up starts one)", out, err))
	}
	// Only a cluster of this one machine: on a real cluster's login node
	// the jobs would run elsewhere, without this machine's temporary
	// folders.
	nodes, _ := exec.Command("sinfo", "-h", "-N", "-o", "%N").Output()
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	if names := strings.Fields(string(nodes)); len(names) != 1 || names[0] != host {
		skip(fmt.Sprintf("the Slurm cluster is not this machine alone (nodes %q, this is %s); the test runs on a one-node cluster such as .ci/slurm-up starts", names, host))
	}
}

// sbatch submits the shipped script from dir, with an --array of its own
// unless array is "" (a resubmission names its task), and waits for the
// job; the script runs bin.
func sbatch(t *testing.T, dir, bin, array string, args ...string) (string, error) {
	t.Helper()
	script, err := filepath.Abs("slurm-sweep.sh")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	flags := []string{"--wait", "--chdir", dir}
	if array != "" {
		flags = append(flags, "--array="+array)
	}
	if runtime.NumCPU() < 2 {
		flags = append(flags, "--cpus-per-task=1") // the script asks for 2
	}
	cmd := exec.CommandContext(ctx, "sbatch", append(append(flags, script), args...)...)
	cmd.Env = append(os.Environ(), "NPUSIM="+bin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// logs reads the Slurm output files of dir, by name.
func logs(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "slurm-*.out"))
	out := map[string]string{}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		out[filepath.Base(f)] = string(data)
	}
	return out
}

// TestSlurmSweep runs scripts/slurm-sweep.sh on a real (single-node) Slurm
// cluster: a 4-task array over a 9-configuration sweep gives the same
// sweep.csv and provenance as an unsharded sweep, and index.html; one
// task resubmitted alone reruns only its unfinished configuration and
// merges again; an --array beyond the script's shard count is refused.
func TestSlurmSweep(t *testing.T) {
	slurmUp(t)
	work := t.TempDir()
	bin := filepath.Join(work, "npusim")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/npusim").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg, _ := filepath.Abs(tiny + "/scale.cfg")
	topo, _ := filepath.Abs(tiny + "/topology.csv")
	sweepArgs := []string{"-c", cfg, "-t", topo, "-set", "ArrayHeight=2,4,8", "-pes", "16", "-set", "Dataflow=os,ws,is"}

	whole := filepath.Join(work, "whole")
	if out, err := exec.Command(bin, append([]string{"sweep", "-q", "-o", whole}, sweepArgs...)...).CombinedOutput(); err != nil {
		t.Fatalf("unsharded sweep: %v\n%s", err, out)
	}
	same := func(what string) {
		t.Helper()
		for _, f := range []string{"sweep.csv", "sweep.provenance.json"} {
			want, _ := os.ReadFile(filepath.Join(whole, f))
			got, err := os.ReadFile(filepath.Join(work, "job", "dse", f))
			if err != nil || len(want) == 0 || !bytes.Equal(got, want) {
				t.Errorf("%s: dse/%s differs from the unsharded sweep's (%v)", what, f, err)
			}
		}
		if _, err := os.Stat(filepath.Join(work, "job", "dse", "index.html")); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}

	dir := filepath.Join(work, "job")
	os.Mkdir(dir, 0o755)
	if out, err := sbatch(t, dir, bin, "", append([]string{"-o", "dse"}, sweepArgs...)...); err != nil {
		t.Fatalf("sbatch: %v\n%s\n%v", err, out, logs(t, dir))
	}
	same("the 4-task array")
	first := logs(t, dir)
	if len(first) != 4 {
		t.Fatalf("%d task logs, want 4: %v", len(first), first)
	}
	merged := 0
	for name, log := range first {
		if !strings.Contains(log, "npusim sweep: task ") || !strings.Contains(log, " CPUs, on ") {
			t.Errorf("%s:\n%s", name, log)
		}
		merged += strings.Count(log, "Merged 4 files, 27 rows: dse/sweep.csv\n")
	}
	if merged != 1 {
		t.Errorf("%d tasks merged, want 1 (the last): %v", merged, first)
	}

	// Task 2 (configurations 2 and 6) "failed" before 8x2_os (6)
	// finished: rerun it alone.
	os.Remove(filepath.Join(dir, "dse", "runs", "8x2_os", "SWEEP_DONE"))
	for _, f := range []string{"sweep.csv", "sweep-shard-2-of-4.csv", "sweep-shard-2-of-4.provenance.json", "index.html"} {
		os.Remove(filepath.Join(dir, "dse", f))
	}
	if out, err := sbatch(t, dir, bin, "2", append([]string{"-o", "dse"}, sweepArgs...)...); err != nil {
		t.Fatalf("resubmitting task 2: %v\n%s", err, out)
	}
	var rerun string
	for name, log := range logs(t, dir) {
		if _, old := first[name]; !old {
			rerun += log
		}
	}
	if !strings.Contains(rerun, "Shard 2/4: 2 of 9 configurations (1 run, 1 already finished)") || !strings.Contains(rerun, "Merged 4 files, 27 rows") {
		t.Errorf("the resubmitted task's log:\n%s", rerun)
	}
	same("after resubmitting task 2")

	// An array of 6 tasks for a script of 4 shards: every task refuses.
	bad := filepath.Join(work, "bad")
	os.Mkdir(bad, 0o755)
	out, err := sbatch(t, bad, bin, "0-5", append([]string{"-o", "dse"}, sweepArgs...)...)
	if err == nil {
		t.Errorf("an array of 6 tasks for 4 shards was accepted:\n%s", out)
	}
	for name, log := range logs(t, bad) {
		if !strings.Contains(log, "but this script's '#SBATCH --array=0-3' line makes 4 shards") {
			t.Errorf("%s:\n%s", name, log)
		}
	}
	if _, err := os.Stat(filepath.Join(bad, "dse")); err == nil {
		t.Error("the refused array wrote dse/")
	}
}
