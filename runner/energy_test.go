package runner

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/report"
)

// energyTable is an [energy] section with round figures, so that the
// expected energies below can be worked out by hand.
const energyTable = `
[energy]
MultpJ = 0.5
AddpJ = 0.25
IdlePEpJ = 0.125
IfmapSRAMpJ = 8
FilterSRAMpJ = 16
OfmapSRAMpJ = 24
DRAMReadpJ = 800
DRAMWritepJ = 1600
ClockMHz = 500
`

// runGoldenWith runs golden case dir with extra config text appended and
// returns the run's output folder and config.
func runGoldenWith(t *testing.T, dir, extra string) (string, Config, []report.Layer) {
	t.Helper()
	cfg, layers, _ := loadGoldenWith(t, dir, extra)
	out := t.TempDir()
	reps, err := Run(cfg, layers, Options{LogDir: out})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, cfg.RunName), cfg, reps
}

// readEnergyReport returns ENERGY_REPORT.csv's rows as column -> value.
func readEnergyReport(t *testing.T, dir string) []map[string]string {
	t.Helper()
	lines := readLines(t, filepath.Join(dir, "ENERGY_REPORT.csv"))
	header := strings.Split(strings.TrimSuffix(lines[0], ","), ", ")
	var rows []map[string]string
	for _, l := range lines[1:] {
		items := strings.Split(strings.TrimSuffix(l, ","), ", ")
		if len(items) != len(header) {
			t.Fatalf("row %q has %d items, header %d", l, len(items), len(header))
		}
		row := map[string]string{}
		for i, h := range header {
			row[h] = items[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// TestEnergyHandComputed checks ENERGY_REPORT.csv on a dense and a sparse
// (layer-wise 1:4, csr) GEMM against energies worked out by hand from the
// golden reports:
//
//	dense G1 (64x32x64 on 16x16 ws, 879 cycles): 131072 MACs, 93952 idle
//	  PE-cycles; SRAM 8192/2048/8192 words, DRAM 4096/2048/8192 words
//	sparse G1 1:4: 64 pixels x 512 weights = 32768 MACs, 219*256-32768 =
//	  23296 idle; SRAM 2048 (unscaled)/512/2048, 577 metadata words
//	  (2308 bytes), DRAM 1024/512/2048
func TestEnergyHandComputed(t *testing.T) {
	tests := []struct {
		dir    string
		cycles float64
		want   map[string]float64
	}{
		{"../testdata/golden-v3/dense_gemm_16x16_ws", 879, map[string]float64{
			"MACs":                               131072,
			"MAC Energy (pJ)":                    131072 * 0.75,
			"Idle PE Cycles":                     93952,
			"Idle PE Energy (pJ)":                93952 * 0.125,
			"IFMAP SRAM Read Energy (pJ)":        8192.0 / 8 * 8,
			"FILTER SRAM Read Energy (pJ)":       2048.0 / 8 * 16,
			"FILTER Metadata SRAM Reads (words)": 0,
			"OFMAP SRAM Write Energy (pJ)":       8192.0 / 8 * 24,
			"IFMAP DRAM Reads (bytes)":           4096,
			"IFMAP DRAM Read Energy (pJ)":        4096.0 / 8 * 800,
			"FILTER DRAM Read Energy (pJ)":       2048.0 / 8 * 800,
			"OFMAP DRAM Write Energy (pJ)":       8192.0 / 8 * 1600,
			"Total Energy (pJ)":                  2399712,
		}},
		{"../testdata/golden-v3/sp_gemm_16x16_ws_lw_csr_1of4", 219, map[string]float64{
			"MACs":                                  32768,
			"MAC Energy (pJ)":                       24576,
			"Idle PE Cycles":                        23296,
			"Idle PE Energy (pJ)":                   2912,
			"IFMAP SRAM Reads (words)":              2048,
			"IFMAP SRAM Read Energy (pJ)":           2048,
			"FILTER SRAM Read Energy (pJ)":          1024,
			"FILTER Metadata SRAM Reads (words)":    577,
			"FILTER Metadata SRAM Reads (bytes)":    2308,
			"FILTER Metadata SRAM Read Energy (pJ)": 4616,
			"OFMAP SRAM Write Energy (pJ)":          6144,
			"IFMAP DRAM Read Energy (pJ)":           102400,
			"FILTER DRAM Read Energy (pJ)":          51200,
			"OFMAP DRAM Write Energy (pJ)":          409600,
			"Total Energy (pJ)":                     604520,
		}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.dir), func(t *testing.T) {
			out, _, _ := runGoldenWith(t, tc.dir, energyTable)
			rows := readEnergyReport(t, out)
			if len(rows) != 2 || rows[1]["LayerID"] != "Total" {
				t.Fatalf("want one layer row and a Total row, got %v", rows)
			}
			total := tc.want["Total Energy (pJ)"]
			seconds := tc.cycles / 500e6
			tc.want["Average Power (mW)"] = total * 1e-12 / seconds * 1e3
			tc.want["EDP (J*s)"] = total * 1e-12 * seconds
			for _, row := range rows { // one layer: the total equals it
				for col, want := range tc.want {
					got, err := strconv.ParseFloat(row[col], 64)
					if err != nil {
						t.Fatalf("%s %q: %v", row["LayerID"], col, err)
					}
					if math.Abs(got-want) > 1e-9*math.Abs(want) {
						t.Errorf("%s %q = %v, want %v", row["LayerID"], col, got, want)
					}
				}
			}
		})
	}
}

// TestEnergyOverride checks that each [energy] key changes exactly the
// energy terms it prices and nothing else.
func TestEnergyOverride(t *testing.T) {
	dir := "../testdata/golden-v3/sp_conv_8x8_os_lw_csr_2of4" // sparse: metadata too
	_, cfg, reps := runGoldenWith(t, dir, "")
	layers, err := LoadTopologyFor(cfg, filepath.Join(dir, "topology.csv"), Conv)
	if err != nil {
		t.Fatal(err)
	}
	base := report.Energy(cfg, layers, reps)
	keys := map[string][]int{
		"MultpJ": {report.ActMAC}, "AddpJ": {report.ActMAC}, "IdlePEpJ": {report.ActIdlePE},
		"IfmapSRAMpJ": {report.ActIfmapSRAM}, "FilterSRAMpJ": {report.ActFilterSRAM, report.ActMetadataSRAM},
		"OfmapSRAMpJ": {report.ActOfmapSRAM}, "DRAMReadpJ": {report.ActIfmapDRAM, report.ActFilterDRAM},
		"DRAMWritepJ": {report.ActOfmapDRAM},
	}
	data, err := os.ReadFile(filepath.Join(dir, "scale.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for key, terms := range keys {
		c, err := ParseConfig("x.cfg", append(data, "\n[energy]\n"+key+" = 12345\n"...))
		if err != nil {
			t.Fatal(err)
		}
		got := report.Energy(c, layers, reps)
		for i := range got {
			for a := range report.NumActions {
				changed := got[i].Actions[a] != base[i].Actions[a]
				want := false
				for _, x := range terms {
					want = want || x == a
				}
				if changed != want {
					t.Errorf("%s: %s changed = %v, want %v", key, report.ActionNames[a], changed, want)
				}
			}
			if got[i].Cycles != base[i].Cycles {
				t.Errorf("%s changed the cycles", key)
			}
		}
	}
	c, err := ParseConfig("x.cfg", append(data, "\n[energy]\nClockMHz = 2000\n"...))
	if err != nil {
		t.Fatal(err)
	}
	got := report.Energy(c, layers, reps)
	if got[0].Actions != base[0].Actions || got[0].PowerW() != 2*base[0].PowerW() {
		t.Errorf("ClockMHz 2000: power %v, want twice %v, energies unchanged", got[0].PowerW(), base[0].PowerW())
	}
}

// TestEnergyDefaults checks the default table against Horowitz's figures.
func TestEnergyDefaults(t *testing.T) {
	for _, c := range []struct{ bytes, want float64 }{{8 * 1024, 10}, {1 << 20, 100}} {
		if got := config.SRAMAccessPJ(c.bytes); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("SRAMAccessPJ(%v) = %v, want %v", c.bytes, got, c.want)
		}
	}
	if a, b := config.SRAMAccessPJ(64*1024), config.SRAMAccessPJ(128*1024); !(a > 10 && a < b && b < 100) {
		t.Errorf("SRAM energy must grow with size between the anchors: 64 kB %v, 128 kB %v", a, b)
	}
	for _, c := range []struct {
		wb        int
		mult, add float64
	}{{1, 0.2, 0.03}, {0, 0.2, 0.03}, {4, 3.1, 0.1}, {2, 0.8, 0.06}} {
		e := config.DefaultEnergy(config.Config{WordBytes: c.wb, IfmapSRAMKB: 8, FilterSRAMKB: 1024, OfmapSRAMKB: 8})
		if math.Abs(e.MultPJ-c.mult) > 1e-12 || math.Abs(e.AddPJ-c.add) > 1e-12 {
			t.Errorf("WordBytes %d: mult %v add %v, want %v %v", c.wb, e.MultPJ, e.AddPJ, c.mult, c.add)
		}
		if e.DRAMReadPJ != 1950 || e.ClockMHz != 1000 || math.Abs(e.SRAMPJ[1]-100) > 1e-9 {
			t.Errorf("defaults %+v", e)
		}
	}
	bad := map[string]string{
		"DRAMReadpJ = -1": "[energy] DRAMReadpJ: must not be negative, got -1",
		"ClockMHz = 0":    "[energy] ClockMHz: must be positive, got 0",
		"AddpJ = x":       `[energy] AddpJ: "x" is not a number`,
	}
	data, err := os.ReadFile("../testdata/configs/scale.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range bad {
		_, err := ParseConfig("x.cfg", append(data, "\n[energy]\n"+line+"\n"...))
		if err == nil || err.Error() != "config x.cfg: "+want {
			t.Errorf("%s: error %v, want %q", line, err, want)
		}
	}
}
