package plot

import (
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/npusim/npusim/sweep"
	"github.com/npusim/npusim/topology"
	"gonum.org/v1/plot/plotutil"
)

const tiny = "../testdata/golden/tiny_4x4_os_traces"

// tinySweep runs 3 shapes of 16 PEs x 2 dataflows on the tiny golden case
// and draws its plots into a temporary folder.
func tinySweep(t *testing.T) (string, *sweep.Table, []Config) {
	t.Helper()
	base, err := os.ReadFile(tiny + "/scale.cfg")
	if err != nil {
		t.Fatal(err)
	}
	layers, err := topology.Load(tiny+"/topology.csv", topology.Conv)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := sweep.ParseFile("s", strings.NewReader("ArrayHeight = 2, 4, 8\npes = 16\nDataflow = os, ws\n"))
	if err != nil {
		t.Fatal(err)
	}
	pts, err := spec.Points("scale.cfg", base)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := sweep.Run(pts, layers, sweep.Options{OutDir: dir, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := Write(dir, res.Table, "sweep.csv")
	if err != nil {
		t.Fatal(err)
	}
	return dir, res.Table, cfgs
}

// svgOf parses an SVG file completely and returns its texts and the count
// of shapes of each fill colour.
func svgOf(t *testing.T, path string) (texts []string, fills map[string]int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fills = map[string]int{}
	dec := xml.NewDecoder(f)
	root := ""
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not valid XML: %v", path, err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = e.Name.Local
			}
			inText = e.Name.Local == "text"
			for _, a := range e.Attr {
				if a.Name.Local == "style" && strings.HasPrefix(a.Value, "fill:#") {
					fills[strings.ToUpper(a.Value[5:12])]++
				}
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element %q, want svg", path, root)
	}
	return texts, fills
}

func hex(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02X%02X%02X", r>>8, g>>8, b>>8)
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPlotFiles checks that the SVGs are valid and hold the expected
// series (a bar per configuration and layer, a line per dataflow), and that
// the PNGs decode and show every series' colour.
func TestPlotFiles(t *testing.T) {
	dir, _, cfgs := tinySweep(t)
	if len(cfgs) != 6 {
		t.Fatalf("%d configurations", len(cfgs))
	}
	texts, fills := svgOf(t, filepath.Join(dir, CyclesPlot+".svg"))
	for _, want := range []string{"Cycles per layer", "layer 0 (tiny_conv)", "layer 1 (tiny_stride2)", "layer 2 (tiny_fc)",
		"2x8 Dataflow=os", "2x8 Dataflow=ws", "4x4 Dataflow=os", "4x4 Dataflow=ws", "8x2 Dataflow=os", "8x2 Dataflow=ws",
		"configuration", "total cycles", "1.2k"} {
		if !contains(texts, want) {
			t.Errorf("cycles.svg lacks the text %q (has %q)", want, texts)
		}
	}
	if n := count(texts, "best"); n != 1 {
		t.Errorf("cycles.svg: %d \"best\" marks, want 1", n)
	}
	for l := range 3 { // 6 bars and a legend swatch per layer
		if got := fills[hex(plotutil.Color(l))]; got != 7 {
			t.Errorf("cycles.svg: %d shapes of layer %d's colour, want 7", got, l)
		}
	}
	texts, _ = svgOf(t, filepath.Join(dir, UtilPlot+".svg"))
	for _, want := range []string{"os", "ws", "2x8", "4x4", "8x2", "utilization (%)"} {
		if !contains(texts, want) {
			t.Errorf("util_aspect.svg lacks %q (has %q)", want, texts)
		}
	}
	texts, fills = svgOf(t, filepath.Join(dir, DRAMPlot+".svg"))
	for _, want := range []string{"Average DRAM bandwidth per operand", "configuration", "average DRAM bandwidth needed (words/cycle)", "4x4 Dataflow=ws"} {
		if !contains(texts, want) {
			t.Errorf("dram_bw.svg lacks %q (has %q)", want, texts)
		}
	}
	for op, name := range operandNames {
		if !contains(texts, name) || fills[hex(plotutil.Color(op))] != 7 {
			t.Errorf("dram_bw.svg: operand %s: %d bars (want 7 with the legend), texts %q", name, fills[hex(plotutil.Color(op))], texts)
		}
	}
	for _, p := range Plots {
		f, err := os.Open(filepath.Join(dir, p.Name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s.png: %v", p.Name, err)
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
			t.Errorf("%s.png is %v", p.Name, b)
		}
		series := 3
		if p.Name == UtilPlot {
			series = 2
		}
		for s := range series {
			if n := countColour(img, plotutil.Color(s)); n < 20 {
				t.Errorf("%s.png: %d pixels of series %d's colour", p.Name, n, s)
			}
		}
	}
}

func countColour(img image.Image, c color.Color) int {
	r0, g0, b0, _ := c.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r>>8 == r0>>8 && g>>8 == g0>>8 && bb>>8 == b0>>8 {
				n++
			}
		}
	}
	return n
}

// TestSummarise checks the per-configuration sums against the CSV rows
// and the page's best configuration against the minimum of the totals.
func TestSummarise(t *testing.T) {
	dir, tab, cfgs := tinySweep(t)
	cyc, name := tab.Col("total_cycles"), tab.Col("config")
	sums := map[string]int64{}
	for _, r := range tab.Records {
		var v int64
		fmt.Sscan(r[cyc], &v)
		sums[r[name]] += v
	}
	best := cfgs[0]
	for _, c := range cfgs {
		if c.TotalCycles != sums[c.Name] || len(c.LayerCycles) != 3 || c.Util <= 0 || c.Util > 100 {
			t.Errorf("%s: %+v, total want %d", c.Name, c, sums[c.Name])
		}
		if c.TotalCycles < best.TotalCycles {
			best = c
		}
	}
	if got := Best(cfgs); got.Name != best.Name {
		t.Errorf("Best = %s, want %s", got.Name, best.Name)
	}
	page, err := os.ReadFile(filepath.Join(dir, PageFile))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`<strong id="best-name">%s</strong>`, best.Name)
	if !strings.Contains(string(page), want) || strings.Count(string(page), `<tr class="best">`) != 1 {
		t.Errorf("index.html lacks %s or its best row", want)
	}
}

func TestSI(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{{0, "0"}, {950, "950"}, {1000, "1k"}, {1200, "1.2k"}, {350000, "350k"}, {1200000, "1.2M"}, {1234567, "1.23M"}, {2.5e9, "2.5G"}, {0.25, "0.25"}} {
		if got := SI(c.x); got != c.want {
			t.Errorf("SI(%g) = %q, want %q", c.x, got, c.want)
		}
	}
}

// TestLabelsAndPEs summarises a hand-written table of a multi-core sweep
// over Bandwidth: configurations are named with their keys (Bandwidth=4,
// not 4), and the utilization divides by every core's PEs (the pes
// column), not by one core's rows x cols.
func TestLabelsAndPEs(t *testing.T) {
	header := strings.Split("config_id,config,rows,cols,pes,dataflow,ifmap_sram_kb,filter_sram_kb,ofmap_sram_kb,bandwidth_mode,bandwidth,"+
		"layer,layer_name,macs,total_cycles,stall_cycles,ifmap_dram_reads,filter_dram_reads,ofmap_dram_writes", ",")
	row := func(s string) []string { return strings.Split(s, ",") }
	tab := &sweep.Table{Header: header, Records: [][]string{
		row("0,4,4,4,64,os,1,1,1,USER,4,0,l0,1000,100,0,10,20,30"),
		row("0,4,4,4,64,os,1,1,1,USER,4,1,l1,600,60,0,10,20,30"),
		row("1,8,4,4,64,os,1,1,1,USER,8,0,l0,1000,50,0,10,20,30"),
		row("1,8,4,4,64,os,1,1,1,USER,8,1,l1,600,30,0,10,20,30"),
	}}
	cfgs, err := Summarise(tab)
	if err != nil {
		t.Fatal(err)
	}
	// 1600 MACs over 160 cycles of 64 PEs is 15.625%; 80 cycles, 31.25%.
	for i, want := range []struct {
		label string
		util  float64
	}{{"Bandwidth=4", 15.625}, {"Bandwidth=8", 31.25}} {
		if c := cfgs[i]; c.Label != want.label || c.PEs != 64 || c.Util != want.util {
			t.Errorf("configuration %d: label %q, %d PEs, util %g; want %q, 64, %g", i, c.Label, c.PEs, c.Util, want.label, want.util)
		}
	}
	dir := t.TempDir()
	if _, err := Write(dir, tab, "sweep.csv"); err != nil {
		t.Fatal(err)
	}
	texts, _ := svgOf(t, filepath.Join(dir, DRAMPlot+".svg"))
	if !contains(texts, "Bandwidth=8") || !contains(texts, "average DRAM bandwidth (words/cycle)") {
		t.Errorf("dram_bw.svg texts %q", texts)
	}
	page, _ := os.ReadFile(filepath.Join(dir, PageFile))
	for _, want := range []string{`<strong id="best-name">8</strong> (Bandwidth=8)`, "<th>OFMAP DRAM BW (words/cycle)</th>", "<th>utilization %</th>"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	if strings.Contains(string(page), "plots shown") {
		t.Error("index.html still says how many plots are shown")
	}
}
