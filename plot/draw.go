package plot

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// Plot names (without extension); each is written as .svg and .png.
const (
	CyclesPlot = "cycles"      // stacked bars of cycles per layer, per configuration
	UtilPlot   = "util_aspect" // utilization against aspect ratio, a line per dataflow
	DRAMPlot   = "dram_bw"     // average DRAM bandwidth per operand, per configuration
)

// Plots lists the plots in page order, with their titles.
var Plots = []struct{ Name, Title string }{
	{CyclesPlot, "Cycles per layer"},
	{UtilPlot, "Utilization vs. aspect ratio"},
	{DRAMPlot, "Average DRAM bandwidth per operand"},
}

var operandNames = [3]string{"IFMAP", "Filter", "OFMAP"}

// save writes p as name.svg and name.png in dir, wider with more bars.
func save(p *gplot.Plot, dir, name string, bars int) error {
	w := vg.Length(math.Max(7, 0.3*float64(bars)+2)) * vg.Inch
	for _, ext := range []string{".svg", ".png"} {
		path := filepath.Join(dir, name+ext)
		if err := p.Save(w, 4.5*vg.Inch, path); err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
	}
	return nil
}

// rotateX turns the nominal X labels upright so that many fit.
func rotateX(p *gplot.Plot) {
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = text.XRight
	p.X.Tick.Label.YAlign = text.YCenter
}

// siTicks are gonum's default ticks labelled with SI suffixes (1.2M,
// 350k), readable where cycle counts run to millions.
type siTicks struct{}

func (siTicks) Ticks(lo, hi float64) []gplot.Tick {
	ts := gplot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = SI(ts[i].Value)
		}
	}
	return ts
}

// SI writes x with at most 3 significant digits and a k, M, G or T
// suffix: 1200000 is "1.2M", 950 is "950".
func SI(x float64) string {
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if math.Abs(x) >= u.div {
			return strconv.FormatFloat(x/u.div, 'g', 3, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// drawCycles stacks each configuration's layer cycles, as the tutorial's
// plot_stacked_bar does, and marks the best configuration.
func drawCycles(cfgs []Config, dir string) error {
	p := gplot.New()
	p.Title.Text = "Cycles per layer"
	p.X.Label.Text = "configuration"
	p.Y.Label.Text = "total cycles"
	p.Y.Tick.Marker = siTicks{}
	names := make([]string, len(cfgs))
	layers := 0
	for i, c := range cfgs {
		names[i] = c.Label
		layers = max(layers, len(c.LayerCycles))
	}
	var below *plotter.BarChart
	for l := range layers {
		vs := make(plotter.Values, len(cfgs))
		label := fmt.Sprintf("layer %d", l)
		for i, c := range cfgs {
			if l < len(c.LayerCycles) {
				vs[i] = float64(c.LayerCycles[l])
				label = fmt.Sprintf("layer %d (%s)", l, c.LayerNames[l])
			}
		}
		bar, err := plotter.NewBarChart(vs, vg.Points(12))
		if err != nil {
			return err
		}
		bar.Color = plotutil.Color(l)
		bar.LineStyle.Width = 0
		if below != nil {
			bar.StackOn(below)
		}
		below = bar
		p.Add(bar)
		if layers <= 12 { // a legend for a whole ResNet would hide the bars
			p.Legend.Add(label, bar)
		}
	}
	var top int64
	best, bestX := Best(cfgs), 0
	for i, c := range cfgs {
		top = max(top, c.TotalCycles)
		if c.ID == best.ID {
			bestX = i
		}
	}
	mark, err := plotter.NewLabels(plotter.XYLabels{
		XYs:    plotter.XYs{{X: float64(bestX), Y: float64(best.TotalCycles)}},
		Labels: []string{"best"},
	})
	if err != nil {
		return err
	}
	mark.TextStyle[0].XAlign = text.XCenter
	mark.TextStyle[0].YAlign = text.YBottom
	mark.Offset.Y = vg.Points(2)
	p.Add(mark)
	p.Y.Min, p.Y.Max = 0, 1.25*float64(top) // room for the legend
	p.Legend.Top = true
	p.NominalX(names...)
	rotateX(p)
	return save(p, dir, CyclesPlot, len(cfgs))
}

// seriesKeys name the series a configuration belongs to in the
// utilization plot: its dataflow and any other setting that varies, as
// KEY=VALUE.
func seriesKeys(cfgs []Config) []string {
	varies := map[string]bool{}
	for _, c := range cfgs {
		for k, v := range c.Settings {
			if v != cfgs[0].Settings[k] {
				varies[k] = true
			}
		}
	}
	var vk []string
	for k := range varies {
		vk = append(vk, k)
	}
	sort.Strings(vk)
	keys := make([]string, len(cfgs))
	for i, c := range cfgs {
		parts := []string{c.Dataflow}
		for _, k := range vk {
			parts = append(parts, keyOf(k)+"="+c.Settings[k])
		}
		keys[i] = strings.Join(parts, " ")
	}
	return keys
}

// drawUtil draws the network's utilization against log2(rows/cols), one
// line per dataflow (and other varying setting).
func drawUtil(cfgs []Config, dir string) error {
	p := gplot.New()
	p.Title.Text = "Utilization vs. aspect ratio"
	p.X.Label.Text = "array shape (rows x cols)"
	p.Y.Label.Text = "utilization (%)"
	keys := seriesKeys(cfgs)
	var order []string
	series := map[string]plotter.XYs{}
	ticks := map[float64]string{}
	for i, c := range cfgs {
		x := math.Log2(float64(c.Rows) / float64(c.Cols))
		ticks[x] = fmt.Sprintf("%dx%d", c.Rows, c.Cols)
		if _, ok := series[keys[i]]; !ok {
			order = append(order, keys[i])
		}
		series[keys[i]] = append(series[keys[i]], plotter.XY{X: x, Y: c.Util})
	}
	for i, k := range order {
		xys := series[k]
		sort.SliceStable(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		pts.Color = plotutil.Color(i)
		pts.Shape = plotutil.Shape(i)
		p.Add(line, pts)
		p.Legend.Add(k, line, pts)
	}
	var tk gplot.ConstantTicks
	for x, l := range ticks {
		tk = append(tk, gplot.Tick{Value: x, Label: l})
	}
	sort.Slice(tk, func(a, b int) bool { return tk[a].Value < tk[b].Value })
	p.X.Tick.Marker = tk
	p.X.Min, p.X.Max = tk[0].Value-0.5, tk[len(tk)-1].Value+0.5
	var top float64
	for _, c := range cfgs {
		top = max(top, c.Util)
	}
	p.Y.Min, p.Y.Max = 0, 1.25*top // room for the legend
	p.Legend.Top = true
	rotateX(p)
	return save(p, dir, UtilPlot, 0)
}

// drawDRAM draws each configuration's average DRAM words per cycle (the
// operand's DRAM words over the network's cycles), a bar per operand side
// by side. In CALC mode SCALE-Sim sizes the interface to the demand, so
// the bars are the bandwidth needed.
func drawDRAM(cfgs []Config, dir string) error {
	p := gplot.New()
	p.Title.Text = "Average DRAM bandwidth per operand"
	p.X.Label.Text = "configuration"
	calc := 0
	for _, c := range cfgs {
		if c.Settings["bandwidth_mode"] == "CALC" {
			calc++
		}
	}
	switch calc {
	case len(cfgs):
		p.Y.Label.Text = "average DRAM bandwidth needed (words/cycle)"
	case 0:
		p.Y.Label.Text = "average DRAM bandwidth (words/cycle)"
	default:
		p.Y.Label.Text = "average DRAM bandwidth (words/cycle; needed, in CALC mode)"
	}
	names := make([]string, len(cfgs))
	for i, c := range cfgs {
		names[i] = c.Label
	}
	w := vg.Points(5)
	for op := range 3 {
		vs := make(plotter.Values, len(cfgs))
		for i, c := range cfgs {
			vs[i] = c.DRAMBandwidth[op]
		}
		bar, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return err
		}
		bar.Color = plotutil.Color(op)
		bar.LineStyle.Width = 0
		bar.Offset = w * vg.Length(op-1)
		p.Add(bar)
		p.Legend.Add(operandNames[op], bar)
	}
	var top float64
	for _, c := range cfgs {
		top = max(top, c.DRAMBandwidth[0], c.DRAMBandwidth[1], c.DRAMBandwidth[2])
	}
	p.Y.Min, p.Y.Max = 0, 1.25*top // room for the legend
	p.Legend.Top = true
	p.NominalX(names...)
	rotateX(p)
	return save(p, dir, DRAMPlot, len(cfgs))
}
