package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/npusim/npusim/plot"
	"gonum.org/v1/plot/plotutil"
)

// dseDir and dseOut are the sample's output folder and text, made once
// per test binary by sample.
var dseDir, dseOut string

func sample(t *testing.T) (string, string) {
	t.Helper()
	if dseDir == "" {
		dir, err := os.MkdirTemp("", "npusim-dse-test")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := run([]string{"-o", dir}, &out); err != nil {
			t.Fatal(err)
		}
		dseDir, dseOut = dir, out.String()
	}
	return dseDir, dseOut
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dseDir != "" {
		os.RemoveAll(dseDir)
	}
	os.Exit(code)
}

// TestSample checks that the sample writes the CSV (27 configurations x 3
// layers), the plots and the page; that every configuration's cycles are
// SCALE-Sim's (by its formulas, see scaleSimCycles); and that it names the
// best configuration by those formulas.
func TestSample(t *testing.T) {
	dir, out := sample(t)
	for _, f := range []string{"sweep.csv", plot.PageFile, "cycles.svg", "cycles.png", "util_aspect.svg",
		"util_aspect.png", "dram_bw.svg", "dram_bw.png", "runs/16x256_os/COMPUTE_REPORT.csv", "runs/16x256_os/scale.cfg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "sweep.csv"))
	if n := strings.Count(string(data), "\n"); n != 1+27*3 {
		t.Errorf("sweep.csv has %d lines, want %d", n, 1+27*3)
	}
	cfgs, err := dse(dir, 2) // all finished: read back, not rerun
	if err != nil {
		t.Fatal(err)
	}
	bestName, bestCycles := handBest(t, cfgs)
	want := fmt.Sprintf("  best %s with %d cycles", bestName, bestCycles)
	if !strings.Contains(out, want) || !strings.Contains(out, "Part a, 64x64 array") {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// handBest checks every configuration's cycles against SCALE-Sim's
// formulas (not the code under test) and returns the best one by them.
func handBest(t *testing.T, cfgs []plot.Config) (string, int64) {
	t.Helper()
	bestName, bestCycles := "", int64(0)
	for _, c := range cfgs {
		var total int64
		for l, layer := range tutorialLayers {
			want := scaleSimCycles(c.Rows, c.Cols, c.Dataflow, layer)
			if l >= len(c.LayerCycles) || c.LayerCycles[l] != want {
				t.Errorf("%s %s: %v cycles, SCALE-Sim's formula gives %d", c.Name, layer.name, c.LayerCycles, want)
			}
			total += want
		}
		if name := fmt.Sprintf("%dx%d_%s", c.Rows, c.Cols, c.Dataflow); c.Name != name {
			t.Errorf("configuration %q, want %q", c.Name, name)
		}
		if bestName == "" || total < bestCycles {
			bestName, bestCycles = c.Name, total
		}
	}
	if len(cfgs) != 27 {
		t.Fatalf("%d configurations, want 27", len(cfgs))
	}
	return bestName, bestCycles
}

// tutorialLayers are tutorial1.csv's layers as SCALE-Sim maps them: P
// output pixels (Eh x Ew), K = Fh x Fw x Ch, N filters.
var tutorialLayers = []struct {
	name    string
	P, K, N int
}{
	{"Conv_3x3", 54 * 54, 3 * 3 * 64, 64}, // 56x56, 3x3, stride 1: 54x54 outputs
	{"Conv_1x1", 56 * 56, 64, 256},
	{"FC", 1, 2048, 1000},
}

// scaleSimCycles is SCALE-Sim v2's Total Cycles for a layer that never
// stalls (CALC mode with buffers that hold the layer's fills):
// row_fold x col_fold folds of F cycles, minus one (Total Cycles is the
// last cycle's index). os maps P to rows, N to columns, K in time, with
// F = T + R + C - 2; ws maps K, N, P and is K, P, N, with F = 2R + C + T -
// 2.
func scaleSimCycles(r, c int, df string, l struct {
	name    string
	P, K, N int
}) int64 {
	sr, sc, t := l.P, l.N, l.K
	f := t + r + c - 2
	switch df {
	case "ws":
		sr, sc, t = l.K, l.N, l.P
		f = 2*r + c + t - 2
	case "is":
		sr, sc, t = l.K, l.P, l.N
		f = 2*r + c + t - 2
	}
	folds := int64((sr+r-1)/r) * int64((sc+c-1)/c)
	return folds*int64(f) - 1
}

// chromium finds a headless-capable Chromium. Without one the test
// fails on CI (CI=true: .ci/run installs it, so its absence is a broken
// CI) and skips elsewhere, saying so on standard error, where go test
// shows it without -v.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "chromium is not installed (apt-get install -y chromium; .ci/run installs it when it can)"
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true, but " + why)
	}
	fmt.Fprintf(os.Stderr, "%s: SKIP: %s\n", t.Name(), why)
	t.Skip(why)
	return ""
}

// browse runs headless Chromium on the page with extra flags.
func browse(t *testing.T, bin, page string, flags ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--virtual-time-budget=3000", "--user-data-dir=" + t.TempDir()}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, "file://"+page)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", flags, err, errb.String())
	}
	return out.String()
}

// TestPageInChromium opens the sample's index.html in headless Chromium:
// after its script ran, the page says that the browser shows every plot,
// names the best configuration, and the table lists all 27; a screenshot
// is a real picture.
func TestPageInChromium(t *testing.T) {
	bin := chromium(t)
	dir, _ := sample(t)
	page, err := filepath.Abs(filepath.Join(dir, plot.PageFile))
	if err != nil {
		t.Fatal(err)
	}
	dom := browse(t, bin, page, "--dump-dom")
	want := fmt.Sprintf(`<body data-plots-shown="%d">`, len(plot.Plots))
	if !strings.Contains(dom, want) {
		t.Errorf("the page's script did not see every plot: no %s in\n%s", want, dom)
	}
	tab, err := dse(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	bestName, _ := handBest(t, tab)
	if want := fmt.Sprintf(`<strong id="best-name">%s</strong>`, bestName); !strings.Contains(dom, want) {
		t.Errorf("the page does not name %s as best", bestName)
	}
	if n := strings.Count(dom, "<tr"); n != 1+27 {
		t.Errorf("the table has %d rows, want 28", n)
	}
	// Sorted by total cycles (by the page's script), the best comes first.
	sorted := browse(t, bin, page+"#sort=total%20cycles", "--dump-dom")
	first := sorted[strings.Index(sorted, "<tbody>"):]
	first = first[:strings.Index(first, "</tr>")]
	if !strings.Contains(first, "<td>"+bestName+"</td>") || !strings.Contains(sorted, `aria-sort="ascending"`) {
		t.Errorf("sorted by total cycles, the first row is not %s: %s", bestName, first)
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	browse(t, bin, page, "--window-size=1100,1400", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The plots' bar colours must be on screen, not just white page.
	colours := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bb, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bb >> 8}] = true
		}
	}
	rgb := func(i int) [3]uint32 {
		r, g, b, _ := plotutil.Color(i).RGBA()
		return [3]uint32{r >> 8, g >> 8, b >> 8}
	}
	if !colours[rgb(0)] || !colours[rgb(1)] || !colours[rgb(2)] {
		t.Errorf("the screenshot (%v, %d colours) does not show the plots' bars", b, len(colours))
	}
}

// TestChromiumMissing runs TestPageInChromium in a child test process
// whose PATH has no Chromium: with CI=true it must fail, and otherwise
// skip with its reason printed without -v.
func TestChromiumMissing(t *testing.T) {
	if os.Getenv("NPUSIM_CHROMIUM_CHILD") != "" {
		t.Skip("in the child")
	}
	for _, ci := range []string{"true", ""} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPageInChromium$")
		cmd.Env = []string{"PATH=" + t.TempDir(), "CI=" + ci, "NPUSIM_CHROMIUM_CHILD=1", "HOME=" + os.Getenv("HOME")}
		out, err := cmd.CombinedOutput()
		switch {
		case ci == "true" && (err == nil || !strings.Contains(string(out), "CI=true, but chromium is not installed")):
			t.Errorf("CI=true without chromium: %v\n%s", err, out)
		case ci == "" && (err != nil || !strings.Contains(string(out), "TestPageInChromium: SKIP: chromium is not installed")):
			t.Errorf("without chromium: %v\n%s", err, out)
		}
	}
}
