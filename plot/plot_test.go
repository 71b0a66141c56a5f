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
		"2x8_os", "2x8_ws", "4x4_os", "4x4_ws", "8x2_os", "8x2_ws"} {
		if !contains(texts, want) {
			t.Errorf("cycles.svg lacks the text %q (has %q)", want, texts)
		}
	}
	for l := range 3 { // 6 bars and a legend swatch per layer
		if got := fills[hex(plotutil.Color(l))]; got != 7 {
			t.Errorf("cycles.svg: %d shapes of layer %d's colour, want 7", got, l)
		}
	}
	texts, _ = svgOf(t, filepath.Join(dir, UtilPlot+".svg"))
	for _, want := range []string{"os", "ws", "2x8", "4x4", "8x2", "Utilisation (%)"} {
		if !contains(texts, want) {
			t.Errorf("util_aspect.svg lacks %q (has %q)", want, texts)
		}
	}
	texts, fills = svgOf(t, filepath.Join(dir, DRAMPlot+".svg"))
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
