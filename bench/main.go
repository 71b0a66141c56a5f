// Command bench measures npusim on the project's performance targets and
// prints one table: wall time, simulated cycles per second, speedup over
// SCALE-Sim v2, peak RSS and trace output rate, each against its goal.
//
// Each target runs in a process of its own (the program re-executes
// itself), so that its peak RSS is its own. Run it from the repository
// root (bench/run.sh does):
//
//	go run ./bench [-n N] [-compare] [-serial] [quick | all | TARGET...]
//
// quick runs the targets that take a few seconds; all (the default) runs
// every target. -n N runs each target N times and keeps the fastest run
// (the machine may be shared; the CPU column, user plus system time of
// the whole process, shows how much of the wall time was work). -serial simulates every layer, one at a time (the runner's
// Workers=1, NoReuse); -compare runs each target both ways and adds the
// serial time and the gain of parallel layers and reuse.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/runner"
	"github.com/npusim/npusim/topology"
)

// target is one benchmark run and its goal.
type target struct {
	name      string
	cfg, topo string // relative to the repository root
	kind      topology.Kind
	traces    bool
	quick     bool
	// dram, when set, runs the config over that [dram] Model, and the
	// table also runs it over the ideal channel to show the ratio.
	dram string
	// refSeconds is SCALE-Sim v2's wall time on the same run, from a golden
	// case's REFERENCE_SECONDS (refFile) or the project brief; 0 if none.
	refSeconds float64
	refFile    string
	goal       goal
}

// goal is what a target must reach; zero fields are not checked.
type goal struct {
	speedup  float64 // at least this many times faster than SCALE-Sim
	seconds  float64 // wall time below this
	rssMB    float64 // peak RSS below this
	traceMBs float64 // trace output at least this many MB/s
	vsIdeal  float64 // at most this many times the ideal channel's wall time
}

func (g goal) String() string {
	var s []string
	if g.speedup > 0 {
		s = append(s, fmt.Sprintf("≥%gx", g.speedup))
	}
	if g.seconds > 0 {
		s = append(s, fmt.Sprintf("<%gs", g.seconds))
	}
	if g.rssMB > 0 {
		s = append(s, fmt.Sprintf("<%gMB", g.rssMB))
	}
	if g.traceMBs > 0 {
		s = append(s, fmt.Sprintf("≥%gMB/s", g.traceMBs))
	}
	if g.vsIdeal > 0 {
		s = append(s, fmt.Sprintf("≤%gx ideal", g.vsIdeal))
	}
	return strings.Join(s, " ")
}

var targets = []target{
	{name: "alexnet_32x32_os_calc", cfg: "testdata/configs/scale.cfg", topo: "testdata/topologies/alexnet.csv",
		quick: true, refSeconds: 87.6, goal: goal{speedup: 1000}},
	{name: "resnet50_32x32_ws_calc", cfg: "bench/inputs/resnet50_32x32_ws.cfg", topo: "testdata/topologies/Resnet50.csv",
		quick: true, refSeconds: 362, goal: goal{speedup: 1000, rssMB: 200}},
	{name: "mobilenet4_32x32_is_user4", cfg: "bench/inputs/mobilenet4_32x32_is_user4.cfg", topo: "bench/inputs/mobilenet4.csv",
		refSeconds: 311, goal: goal{speedup: 300}},
	{name: "alexnet_part_32x32_ws_user10", cfg: "testdata/golden/alexnet_part_32x32_ws_user10/scale.cfg",
		topo: "testdata/golden/alexnet_part_32x32_ws_user10/topology.csv", quick: true,
		refFile: "testdata/golden/alexnet_part_32x32_ws_user10/REFERENCE_SECONDS", goal: goal{speedup: 300}},
	{name: "resnet50_8x8_os_calc", cfg: "bench/inputs/resnet50_8x8_os.cfg", topo: "testdata/topologies/Resnet50.csv",
		quick: true, goal: goal{seconds: 2}},
	{name: "gpt2_eyeriss", cfg: "testdata/configs/eyeriss.cfg", topo: "testdata/topologies/gpt2.csv", kind: topology.Gemm,
		goal: goal{seconds: 5}},
	{name: "gnmt_scale", cfg: "testdata/configs/scale.cfg", topo: "testdata/topologies/gnmt.csv", kind: topology.Gemm,
		goal: goal{seconds: 10}},
	// A real memory (npusim's DRAMsim3-exact model) in the loop, against
	// the ideal channel on the same run: AlexNet Conv1, full AlexNet, and
	// ResNet-50 with SCALE-Sim google.cfg's buffers (6/6/2 MB; with
	// scale.cfg's 64 kB ResNet-50 is 99% stalls, 7.4G words over DRAM).
	{name: "alexnet_part_ws_user10_ddr4", cfg: "testdata/golden/alexnet_part_32x32_ws_user10/scale.cfg",
		topo: "testdata/golden/alexnet_part_32x32_ws_user10/topology.csv", dram: "ddr4", quick: true,
		goal: goal{seconds: 1, vsIdeal: 3}},
	{name: "alexnet_part_ws_user10_hbm2", cfg: "testdata/golden/alexnet_part_32x32_ws_user10/scale.cfg",
		topo: "testdata/golden/alexnet_part_32x32_ws_user10/topology.csv", dram: "hbm2", quick: true,
		goal: goal{vsIdeal: 3}},
	{name: "alexnet_32x32_ws_user10_hbm2", cfg: "bench/inputs/alexnet_32x32_ws_user10.cfg",
		topo: "testdata/topologies/alexnet.csv", dram: "hbm2", goal: goal{vsIdeal: 3}},
	{name: "resnet50_32x32_ws_user10_6mb_hbm2", cfg: "bench/inputs/resnet50_32x32_ws_user10_6mb.cfg",
		topo: "testdata/topologies/Resnet50.csv", dram: "hbm2", goal: goal{seconds: 10, vsIdeal: 3}},
	{name: "alexnet_traces", cfg: "testdata/configs/scale.cfg", topo: "testdata/topologies/alexnet.csv", traces: true,
		quick: true, goal: goal{traceMBs: 300}},
}

// result is what a child process reports about its run.
type result struct {
	Seconds    float64 // wall time of loading and running, in the child
	Cycles     int64   // simulated cycles, summed over layers
	TraceBytes int64   // bytes of every trace file written
	RSSMB      float64 // peak RSS, filled in by the parent
	CPU        float64 // user+system seconds, filled in by the parent
}

func main() {
	child := flag.String("child", "", "run one target in this process and print its result (internal)")
	serial := flag.Bool("serial", false, "simulate every layer, one at a time")
	ideal := flag.Bool("ideal", false, "with -child: run a real-memory target over the ideal channel")
	compare := flag.Bool("compare", false, "also run each target serially and show the gain")
	cpuProfile := flag.String("cpuprofile", "", "with -child: write the run's CPU profile to this file")
	flag.IntVar(&repeats, "n", 1, "runs per target; the table shows the fastest")
	flag.Parse()
	if *child != "" {
		if *cpuProfile != "" {
			stop, err := startProfile(*cpuProfile)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
				os.Exit(1)
			}
			defer stop()
		}
		if err := runChild(*child, *serial, *ideal); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	chosen, err := choose(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := table(chosen, *serial, *compare); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func choose(args []string) ([]target, error) {
	if len(args) == 0 || (len(args) == 1 && args[0] == "all") {
		return targets, nil
	}
	if len(args) == 1 && args[0] == "quick" {
		var out []target
		for _, t := range targets {
			if t.quick {
				out = append(out, t)
			}
		}
		return out, nil
	}
	var out []target
next:
	for _, a := range args {
		for _, t := range targets {
			if t.name == a {
				out = append(out, t)
				continue next
			}
		}
		var names []string
		for _, t := range targets {
			names = append(names, t.name)
		}
		return nil, fmt.Errorf("unknown target %q (targets: quick, all, %s)", a, strings.Join(names, ", "))
	}
	return out, nil
}

func find(name string) (target, bool) {
	for _, t := range targets {
		if t.name == name {
			return t, true
		}
	}
	return target{}, false
}

// runChild runs one target and prints its result as JSON.
func runChild(name string, serial, ideal bool) error {
	t, ok := find(name)
	if !ok {
		return fmt.Errorf("unknown target %q", name)
	}
	out, err := os.MkdirTemp("", "npusim-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(out)
	start := time.Now()
	cfg, err := loadConfig(t, ideal)
	if err != nil {
		return err
	}
	layers, err := topology.Load(t.topo, t.kind)
	if err != nil {
		return err
	}
	opts := runner.Options{LogDir: out, Traces: t.traces}
	if serial {
		opts.Workers, opts.NoReuse = 1, true
	}
	reps, err := runner.Run(cfg, layers, opts)
	if err != nil {
		return err
	}
	r := result{Seconds: time.Since(start).Seconds()}
	for _, rep := range reps {
		r.Cycles += rep.TotalCycles
	}
	if t.traces {
		filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, "_TRACE.csv") {
				if info, err := d.Info(); err == nil {
					r.TraceBytes += info.Size()
				}
			}
			return err
		})
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// loadConfig loads a target's config, over its [dram] model unless ideal.
func loadConfig(t target, ideal bool) (config.Config, error) {
	if t.dram == "" || ideal {
		return config.Load(t.cfg)
	}
	data, err := config.ReadFile(t.cfg)
	if err != nil {
		return config.Config{}, err
	}
	return config.Parse(t.cfg, append(data, []byte("\n[dram]\nModel = "+t.dram+"\n")...))
}

// repeats is how many times measure runs a target.
var repeats int

// measure runs a target repeats times, each in a child process, and
// returns the fastest run (the largest RSS of all).
func measure(t target, serial, ideal bool) (result, error) {
	var best result
	for i := range max(1, repeats) {
		r, err := measureOnce(t, serial, ideal)
		if err != nil {
			return r, err
		}
		rss := max(best.RSSMB, r.RSSMB)
		if i == 0 || r.Seconds < best.Seconds {
			best = r
		}
		best.RSSMB = rss
	}
	return best, nil
}

// measureOnce runs a target in a child process.
func measureOnce(t target, serial, ideal bool) (result, error) {
	args := []string{"-child", t.name}
	if serial {
		args = append(args, "-serial")
	}
	if ideal {
		args = append(args, "-ideal")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", t.name, err)
	}
	var r result
	if err := json.Unmarshal(outb, &r); err != nil {
		return result{}, fmt.Errorf("%s: %w", t.name, err)
	}
	r.RSSMB, r.CPU = usage(cmd.ProcessState)
	return r, nil
}

func table(chosen []target, serial, compare bool) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "target\twall s\tCPU s\tMcycles/s\tSCALE-Sim s\tspeedup\tpeak RSS MB\ttrace MB/s\tideal s\tx ideal\t"
	if compare {
		head += "serial s\tgain\t"
	}
	fmt.Fprintln(w, head+"goal\tmet\t")
	for _, t := range chosen {
		fmt.Fprintf(os.Stderr, "running %s\n", t.name)
		r, err := measure(t, serial, false)
		if err != nil {
			return err
		}
		ref := t.refSeconds
		if t.refFile != "" {
			raw, err := os.ReadFile(t.refFile)
			if err != nil {
				return err
			}
			if ref, err = strconv.ParseFloat(strings.TrimSpace(string(raw)), 64); err != nil {
				return fmt.Errorf("%s: %w", t.refFile, err)
			}
		}
		met := true
		row := fmt.Sprintf("%s\t%.3f\t%.2f\t%.1f\t", t.name, r.Seconds, r.CPU, float64(r.Cycles)/r.Seconds/1e6)
		if ref > 0 {
			sp := ref / r.Seconds
			row += fmt.Sprintf("%g\t%.0fx\t", ref, sp)
			met = met && (t.goal.speedup == 0 || sp >= t.goal.speedup)
		} else {
			row += "-\t-\t"
		}
		row += fmt.Sprintf("%.1f\t", r.RSSMB)
		if t.traces {
			mbs := float64(r.TraceBytes) / 1e6 / r.Seconds
			row += fmt.Sprintf("%.0f (%.0f MB, %.0f per CPU s)\t", mbs, float64(r.TraceBytes)/1e6, float64(r.TraceBytes)/1e6/r.CPU)
			met = met && (t.goal.traceMBs == 0 || mbs >= t.goal.traceMBs)
		} else {
			row += "-\t"
		}
		if t.dram != "" {
			// The same run over the ideal channel, measured right after
			// this one: a ratio of two runs under the same load.
			id, err := measure(t, serial, true)
			if err != nil {
				return err
			}
			x := r.Seconds / id.Seconds
			row += fmt.Sprintf("%.3f\t%.2fx\t", id.Seconds, x)
			met = met && (t.goal.vsIdeal == 0 || x <= t.goal.vsIdeal)
		} else {
			row += "-\t-\t"
		}
		met = met && (t.goal.seconds == 0 || r.Seconds < t.goal.seconds) &&
			(t.goal.rssMB == 0 || r.RSSMB < t.goal.rssMB)
		if compare {
			s, err := measure(t, true, false)
			if err != nil {
				return err
			}
			row += fmt.Sprintf("%.3f\t%.2fx\t", s.Seconds, s.Seconds/r.Seconds)
		}
		yes := "yes"
		if !met {
			yes = "NO"
		}
		fmt.Fprintf(w, "%s%s\t%s\t\n", row, t.goal, yes)
	}
	return w.Flush()
}
