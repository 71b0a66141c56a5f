// Command dse is Demo 1 of the SCALE-Sim tutorial, a design-space
// exploration, done with npusim's sweep: the tutorial's three-layer network
// (Conv_3x3, Conv_1x1, FC) on 4096 PEs shaped from 4x1024 to 1024x4, each
// shape with the three dataflows (27 configurations, 512 kB buffers, CALC
// mode). The 64x64 configurations are the tutorial's Part a (which
// dataflow wins), the whole sweep its Part b (which shape wins):
//
//	go run ./samples/dse [-o OUTDIR] [-j N]
//
// It writes OUTDIR/sweep.csv, the plots (SVG and PNG), OUTDIR/index.html and
// each configuration's SCALE-Sim reports in OUTDIR/runs/, and prints the
// findings. The inputs are embedded, so it works from any directory;
// OUTDIR defaults to $TMPDIR/npusim-dse.
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"strings"

	"github.com/npusim/npusim/internal/cpus"
	"github.com/npusim/npusim/plot"
	"github.com/npusim/npusim/sweep"
	"github.com/npusim/npusim/topology"
)

//go:embed scale.cfg
var configData []byte

//go:embed tutorial1.csv
var topologyData string

//go:embed aspect.sweep
var sweepData []byte

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dse:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("dse", flag.ContinueOnError)
	dir := fs.String("o", filepath.Join(os.TempDir(), "npusim-dse"), "output folder")
	jobs := fs.Int("j", cpus.Count(), "configurations simulated at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfgs, err := dse(*dir, *jobs)
	if err != nil {
		return err
	}
	fmt.Fprint(out, findings(cfgs))
	fmt.Fprintf(out, "CSV: %s\nReport: %s\n", filepath.Join(*dir, "sweep.csv"), filepath.Join(*dir, plot.PageFile))
	return nil
}

// dse runs the sweep into dir and draws its plots and page.
func dse(dir string, jobs int) ([]plot.Config, error) {
	res, err := tutorialSweep(dir, jobs)
	if err != nil {
		return nil, err
	}
	return plot.Write(dir, res.Table, filepath.Base(res.CSV))
}

// tutorialSweep runs the 27 configurations into dir on jobs cores.
func tutorialSweep(dir string, jobs int) (*sweep.Result, error) {
	layers, err := topology.Parse("tutorial1.csv", strings.NewReader(topologyData), topology.Conv)
	if err != nil {
		return nil, err
	}
	spec, err := sweep.ParseFile("aspect.sweep", bytes.NewReader(sweepData))
	if err != nil {
		return nil, err
	}
	points, err := spec.Points("scale.cfg", configData)
	if err != nil {
		return nil, err
	}
	return sweep.Run(points, layers, sweep.Options{OutDir: dir, Jobs: jobs})
}

// findings states the tutorial's two observations from the sweep's numbers.
func findings(cfgs []plot.Config) string {
	var b strings.Builder
	byName := map[string]plot.Config{}
	for _, c := range cfgs {
		byName[c.Name] = c
	}
	fmt.Fprintln(&b, "Part a, 64x64 array, total cycles (Conv_3x3 + Conv_1x1 + FC):")
	var a []plot.Config
	for _, df := range []string{"os", "ws", "is"} {
		c := byName["64x64_"+df]
		a = append(a, c)
		fmt.Fprintf(&b, "  %-3s %8d = %s\n", df, c.TotalCycles, joinCycles(c.LayerCycles))
	}
	best := plot.Best(a)
	fmt.Fprintf(&b, "  %s wins: %s\n", best.Dataflow, margins(best, a))
	for l := range best.LayerCycles {
		lb := a[0]
		for _, c := range a[1:] {
			if c.LayerCycles[l] < lb.LayerCycles[l] {
				lb = c
			}
		}
		fmt.Fprintf(&b, "  %s is fastest with %s\n", best.LayerNames[l], lb.Dataflow)
	}
	fmt.Fprintln(&b, "Part b, 4096 PEs, 27 configurations:")
	best = plot.Best(cfgs)
	worst := cfgs[0]
	for _, c := range cfgs {
		if c.TotalCycles > worst.TotalCycles {
			worst = c
		}
	}
	fmt.Fprintf(&b, "  best %s with %d cycles (%.1f%% utilization), %.1fx fewer than the worst, %s\n",
		best.Name, best.TotalCycles, best.Util, float64(worst.TotalCycles)/float64(best.TotalCycles), worst.Name)
	for _, df := range []string{"os", "ws", "is"} {
		var own []plot.Config
		for _, c := range cfgs {
			if c.Dataflow == df {
				own = append(own, c)
			}
		}
		ob := plot.Best(own)
		fmt.Fprintf(&b, "  best %s shape: %dx%d, %d cycles\n", df, ob.Rows, ob.Cols, ob.TotalCycles)
	}
	return b.String()
}

func joinCycles(cs []int64) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, " + ")
}

// margins says by how much best beats each other configuration of cs.
func margins(best plot.Config, cs []plot.Config) string {
	var s []string
	for _, c := range cs {
		if c.Name != best.Name {
			s = append(s, fmt.Sprintf("%.1f%% fewer cycles than %s", 100*(1-float64(best.TotalCycles)/float64(c.TotalCycles)), c.Dataflow))
		}
	}
	return strings.Join(s, ", ")
}
