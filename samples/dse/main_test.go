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
// layers), the plots and the page, and that the findings it prints are
// those of the CSV.
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
	best := plot.Best(cfgs)
	want := fmt.Sprintf("  best %s with %d cycles", best.Name, best.TotalCycles)
	if !strings.Contains(out, want) || !strings.Contains(out, "Part a, 64x64 array") {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
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
	best := plot.Best(tab)
	if want := fmt.Sprintf(`<strong id="best-name">%s</strong>`, best.Name); !strings.Contains(dom, want) {
		t.Errorf("the page does not name %s as best", best.Name)
	}
	if n := strings.Count(dom, "<tr"); n != 1+27 {
		t.Errorf("the table has %d rows, want 28", n)
	}
	// Sorted by total cycles (by the page's script), the best comes first.
	sorted := browse(t, bin, page+"#sort=total%20cycles", "--dump-dom")
	first := sorted[strings.Index(sorted, "<tbody>"):]
	first = first[:strings.Index(first, "</tr>")]
	if !strings.Contains(first, "<td>"+best.Name+"</td>") || !strings.Contains(sorted, `aria-sort="ascending"`) {
		t.Errorf("sorted by total cycles, the first row is not %s: %s", best.Name, first)
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
