package runner

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/systolic"
)

// runMemOpts is runMem with run options.
func runMemOpts(t testing.TB, extra string, opts Options, layers ...systolic.Layer) string {
	t.Helper()
	cfg, err := ParseConfig("mem.cfg", []byte(memBaseConfig+extra))
	if err != nil {
		t.Fatal(err)
	}
	opts.LogDir = t.TempDir()
	if _, err := Run(cfg, layers, opts); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(opts.LogDir, cfg.RunName)
}

func readReports(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range []string{"COMPUTE_REPORT.csv", "DETAILED_ACCESS_REPORT.csv", "BANDWIDTH_REPORT.csv", "DRAM_REPORT.csv"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(data)
	}
	return out
}

// TestDRAMModelSameOutput: with npusim's DRAM model every layer starts on
// an idle memory at its own cycle 0, so a plain serial run, parallel layers
// with any number of workers and reused layers write the same reports, on
// every preset.
func TestDRAMModelSameOutput(t *testing.T) {
	layers := []systolic.Layer{memLayers[0], memLayers[2], memLayers[0], memLayers[1]}
	for _, model := range []string{"fixed", "ddr4", "hbm2", "lpddr4"} {
		extra := "[dram]\nModel = " + model + "\n"
		want := readReports(t, runMemOpts(t, extra, Options{Workers: 1, NoReuse: true}, layers...))
		for _, opts := range []Options{{Workers: 4}, {Workers: 2, NoReuse: true}, {Workers: 1}} {
			got := readReports(t, runMemOpts(t, extra, opts, layers...))
			for name, w := range want {
				if got[name] != w {
					t.Errorf("%s, workers %d, no reuse %v: %s differs from the serial run\n%s\nvs\n%s", model, opts.Workers, opts.NoReuse, name, got[name], w)
				}
			}
		}
		// Layers 0 and 2 are the same layer on an idle memory: same rows.
		rows := strings.Split(want["COMPUTE_REPORT.csv"], "\n")
		if a, b := rows[1][strings.Index(rows[1], ","):], rows[3][strings.Index(rows[3], ","):]; a != b {
			t.Errorf("%s: the same layer twice gives %q and %q", model, a, b)
		}
	}
}

// TestDRAMModelReport: DRAM_REPORT.csv of npusim's DRAM model has the
// command columns filled, the same on a layer's three rows, with as many
// row hits, misses and conflicts as READ and WRITE commands (at least one
// per request of the layer), and refresh cycles a multiple of tRFC.
func TestDRAMModelReport(t *testing.T) {
	dir := runMemOpts(t, "[dram]\nModel = ddr4\n", Options{}, memLayers[0], memLayers[1])
	data, err := os.ReadFile(filepath.Join(dir, "DRAM_REPORT.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 1+3*2 {
		t.Fatalf("DRAM_REPORT.csv:\n%s", data)
	}
	for l := 0; l < 2; l++ {
		var reqs int64
		var cmds string
		for op := 0; op < 3; op++ {
			f := strings.Split(strings.TrimSuffix(lines[1+3*l+op], ","), ", ")
			if len(f) != 19 {
				t.Fatalf("row %q: %d fields", lines[1+3*l+op], len(f))
			}
			n, _ := strconv.ParseInt(f[2], 10, 64)
			reqs += n
			if op > 0 && strings.Join(f[13:], ",") != cmds {
				t.Errorf("layer %d: command columns differ between operands: %v vs %s", l, f[13:], cmds)
			}
			cmds = strings.Join(f[13:], ",")
		}
		var v [6]int64
		for i, s := range strings.Split(cmds, ",") {
			x, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("layer %d: command column %d = %q", l, i, s)
			}
			v[i] = x
		}
		// Reads of one address merge and writes may stay buffered: at most
		// one READ/WRITE per request.
		if acc := v[0] + v[1] + v[2]; acc == 0 || acc > reqs || v[1]+v[2] == 0 {
			t.Errorf("layer %d: %d requests, hits/misses/conflicts %v", l, reqs, v[:3])
		}
		if v[3]%560 != 0 {
			t.Errorf("layer %d: refresh cycles %d not a multiple of tRFC 560", l, v[3])
		}
	}
}

// TestDRAMModelContinuous: with Continuous the layers run back to back on
// one memory, serially, whatever the workers: the same reports for any
// worker count.
func TestDRAMModelContinuous(t *testing.T) {
	extra := "[dram]\nModel = hbm2\nContinuous = true\n"
	layers := []systolic.Layer{memLayers[0], memLayers[0]}
	a := readReports(t, runMemOpts(t, extra, Options{Workers: 1, NoReuse: true}, layers...))
	b := readReports(t, runMemOpts(t, extra, Options{Workers: 4}, layers...))
	for name := range a {
		if a[name] != b[name] {
			t.Errorf("%s differs between 1 and 4 workers", name)
		}
	}
}

// TestDRAMModelEnergy: with npusim's DRAM model, ENERGY_REPORT.csv's DRAM
// columns hold the memory's own energy from its [power] section (they add
// up to dramsim.Config.Energy of the layer's commands), not the per-word
// constant.
func TestDRAMModelEnergy(t *testing.T) {
	cfg, err := ParseConfig("mem.cfg", []byte(memBaseConfig+"[energy]\nClockMHz = 1000\n[dram]\nModel = ddr4\n"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reps, err := Run(cfg, memLayers[:1], Options{LogDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := reps[0]
	if r.DRAMEnergyPJ == nil || r.DRAMCommands == nil {
		t.Fatal("no DRAM energy")
	}
	dcfg, _ := cfg.DRAM.LoadDRAMsim()
	cycles := int64(math.Ceil(float64(r.TotalCycles) * dcfg.FreqHz() / 1e9))
	want := dcfg.Energy(*r.DRAMCommands, cycles).TotalPJ()
	got := r.DRAMEnergyPJ[0] + r.DRAMEnergyPJ[1] + r.DRAMEnergyPJ[2]
	if math.Abs(got-want) > 1e-6*want || want <= 0 {
		t.Errorf("DRAM energy %g pJ, want %g", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, cfg.RunName, "ENERGY_REPORT.csv"))
	if err != nil {
		t.Fatal(err)
	}
	row := strings.Split(strings.Split(string(data), "\n")[1], ", ")
	hdr := strings.Split(strings.Split(string(data), "\n")[0], ", ")
	for i, h := range hdr {
		if h == "OFMAP DRAM Write Energy (pJ)" {
			v, _ := strconv.ParseFloat(row[i], 64)
			if math.Abs(v-r.DRAMEnergyPJ[2]) > 1e-6*v {
				t.Errorf("ENERGY_REPORT.csv OFMAP DRAM energy %s, want %g", row[i], r.DRAMEnergyPJ[2])
			}
		}
	}
}

// TestFrequencyMHz: the accelerator clock ([npusim] FrequencyMHz) leaves
// the ideal channel's cycle counts alone; over npusim's DRAM model, whose
// clock is its tCK, a slower accelerator waits fewer of its own cycles for
// the same memory.
func TestFrequencyMHz(t *testing.T) {
	stalls := func(extra string) int64 {
		cfg, err := ParseConfig("mem.cfg", []byte(memBaseConfig+extra))
		if err != nil {
			t.Fatal(err)
		}
		reps, err := Run(cfg, memLayers[:1], Options{LogDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return reps[0].StallCycles
	}
	if a, b := stalls(""), stalls("[npusim]\nFrequencyMHz = 500\n"); a != b {
		t.Errorf("ideal channel: %d stall cycles at 1 GHz, %d at 500 MHz", a, b)
	}
	slow := stalls("[npusim]\nFrequencyMHz = 500\n[dram]\nModel = ddr4\n")
	base := stalls("[dram]\nModel = ddr4\n")
	fast := stalls("[npusim]\nFrequencyMHz = 2000\n[dram]\nModel = ddr4\n")
	t.Logf("ddr4 stall cycles: %d at 500 MHz, %d at 1 GHz, %d at 2 GHz", slow, base, fast)
	if !(slow < base && base < fast) {
		t.Errorf("ddr4 stall cycles %d, %d, %d at 500, 1000, 2000 MHz: want increasing", slow, base, fast)
	}
}

// TestMulticoreDRAMReport: a multi-core run over npusim's DRAM model
// writes DRAM_REPORT.csv, three rows per layer with every core's requests,
// the same in two runs.
func TestMulticoreDRAMReport(t *testing.T) {
	cfg := mcTestConfigMem(t, "auto", "[dram]\nModel = hbm2\n")
	var outs []string
	for range 2 {
		dir := t.TempDir()
		if _, err := Run(cfg, mcTestLayers, Options{LogDir: dir}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, cfg.RunName, "DRAM_REPORT.csv"))
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, string(data))
	}
	if outs[0] != outs[1] {
		t.Errorf("two runs differ:\n%s\n%s", outs[0], outs[1])
	}
	reps, err := Run(cfg, mcTestLayers, Options{LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.DRAMEnergyPJ == nil || r.DRAMEnergyPJ[0]+r.DRAMEnergyPJ[1]+r.DRAMEnergyPJ[2] <= 0 {
			t.Errorf("layer %d: no DRAM energy from the memory's [power] section", r.Layer)
		}
	}
	lines := strings.Split(strings.TrimSuffix(outs[0], "\n"), "\n")
	if len(lines) != 1+3*len(mcTestLayers) {
		t.Fatalf("DRAM_REPORT.csv:\n%s", outs[0])
	}
	for _, line := range lines[1:] {
		f := strings.Split(strings.TrimSuffix(line, ","), ", ")
		if n, err := strconv.ParseInt(f[2], 10, 64); err != nil || n <= 0 || len(f) != 19 || f[13] == "" {
			t.Errorf("row %q: want requests and the command columns", line)
		}
	}
}

// TestDRAMModelNoProgress: a DRAMsim3 config whose timings leave no room
// to serve a request (refreshes too close together to let a READ follow
// its ACTIVATE) stops the run with an error naming the memory, as no
// cycle would ever finish the layer.
func TestDRAMModelNoProgress(t *testing.T) {
	data, err := os.ReadFile("../testdata/dram-golden/DDR4_8Gb_x8_3200.ini")
	if err != nil {
		t.Fatal(err)
	}
	ini := filepath.Join(t.TempDir(), "tight.ini")
	if err := os.WriteFile(ini, []byte(strings.Replace(string(data), "tREFI = 12480", "tREFI = 580", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig("mem.cfg", []byte(memBaseConfig+"[dram]\nConfig = "+ini+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(cfg, memLayers[:1], Options{LogDir: t.TempDir(), Workers: 1, NoReuse: true})
	if err == nil || !strings.Contains(err.Error(), "made no progress") {
		t.Errorf("error %v, want the memory's no-progress error", err)
	}
}

// TestMulticoreDRAMSameLayer: a multi-core NPU runs its layers one after
// the other on one engine and one memory, each layer on an idle memory at
// its own cycle 0, so a layer gives the same rows whatever ran before it
// (the cores' bursts that reach the shared memory at one instant are
// served in an order that does not depend on the connections' history).
func TestMulticoreDRAMSameLayer(t *testing.T) {
	layers := []systolic.Layer{mcTestLayers[0], mcTestLayers[1], mcTestLayers[0]}
	for _, model := range []string{"fixed", "ddr4", "hbm2", "lpddr4"} {
		cfg := mcTestConfigMem(t, "pixels", "[dram]\nModel = "+model+"\n")
		dir := t.TempDir()
		if _, err := Run(cfg, layers, Options{LogDir: dir}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"DRAM_REPORT.csv", "CORE_REPORT.csv", "COMPUTE_REPORT.csv"} {
			data, err := os.ReadFile(filepath.Join(dir, cfg.RunName, name))
			if err != nil {
				t.Fatal(err)
			}
			// Rows by layer, without the layer column.
			byLayer := map[string][]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
				id, rest, _ := strings.Cut(line, ",")
				byLayer[id] = append(byLayer[id], rest)
			}
			if a, b := strings.Join(byLayer["0"], "\n"), strings.Join(byLayer["2"], "\n"); a == "" || a != b {
				t.Errorf("%s: %s: layer 0 and the same layer after another differ:\n%s\nvs\n%s", model, name, a, b)
			}
		}
	}
}

// TestAkitaMemorySameOutput: akita's memories keep their state from layer
// to layer, so their layers run in order whatever -j and reuse say; the
// reports are the same for every choice (they differed before).
func TestAkitaMemorySameOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("akita's memories tick every cycle")
	}
	layers := []systolic.Layer{memLayers[0], memLayers[2], memLayers[0]}
	for _, model := range []string{"akita-ddr4", "akita-hbm2"} {
		extra := "[dram]\nModel = " + model + "\n"
		want := readReports(t, runMemOpts(t, extra, Options{Workers: 1, NoReuse: true}, layers...))
		for _, opts := range []Options{{Workers: 4}, {Workers: 2, NoReuse: true}, {Workers: 1}} {
			got := readReports(t, runMemOpts(t, extra, opts, layers...))
			for name, w := range want {
				if got[name] != w {
					t.Errorf("%s, workers %d, no reuse %v: %s differs from the serial run\n%s\nvs\n%s", model, opts.Workers, opts.NoReuse, name, got[name], w)
				}
			}
		}
	}
}
