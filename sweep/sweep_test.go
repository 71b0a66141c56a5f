package sweep

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
)

const tiny = "../testdata/golden/tiny_4x4_os_traces"

func load(t *testing.T) ([]byte, []systolic.Layer) {
	t.Helper()
	base, err := os.ReadFile(tiny + "/scale.cfg")
	if err != nil {
		t.Fatal(err)
	}
	layers, err := topology.Load(tiny+"/topology.csv", topology.Conv)
	if err != nil {
		t.Fatal(err)
	}
	return base, layers
}

func mustPoints(t *testing.T, spec Spec, base []byte) []Point {
	t.Helper()
	pts, err := spec.Points("scale.cfg", base)
	if err != nil {
		t.Fatal(err)
	}
	return pts
}

func TestPoints(t *testing.T) {
	base, _ := load(t)
	spec, err := ParseFile("s.txt", strings.NewReader("# aspect ratio\nArrayHeight = 2, 4, 8\npes = 16\n\ndataflow = os,ws\nIfmapSramSzkB=2\n"))
	if err != nil {
		t.Fatal(err)
	}
	pts := mustPoints(t, spec, base)
	var names []string
	for _, p := range pts {
		names = append(names, p.Name)
		if p.Config.ArrayHeight*p.Config.ArrayWidth != 16 || p.Config.IfmapSRAMKB != 2 || p.Config.RunName != p.Name {
			t.Errorf("%s: %+v", p.Name, p.Config)
		}
	}
	want := "2x8_os_2 2x8_ws_2 4x4_os_2 4x4_ws_2 8x2_os_2 8x2_ws_2"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names %s, want %s", got, want)
	}
	if pts[3].Config.Dataflow != systolic.WS || pts[3].ID != 3 {
		t.Errorf("point 3: %+v", pts[3])
	}
	// A key missing from the config is added to its section.
	p, _ := ParseSet("general.extra=1,2")
	if pts := mustPoints(t, Spec{Params: []Param{p}}, base); !strings.Contains(string(pts[1].Text), "[general]\nextra = 2\n") {
		t.Errorf("added key:\n%s", pts[1].Text)
	}
}

func TestPointsErrors(t *testing.T) {
	base, _ := load(t)
	set := func(s string) Param {
		p, err := ParseSet(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{}, "sweep: nothing to sweep (give a sweep file or -set KEY=V1,V2,...)"},
		{Spec{Params: []Param{set("Dataflow=os,xs")}}, "sweep: configuration xs: config scale.cfg: [architecture_presets] Dataflow: "},
		{Spec{Params: []Param{set("Nope=1")}}, "sweep: config scale.cfg: key Nope is not in the config (write SECTION.Nope to add it)"},
		{Spec{Params: []Param{set("ArrayHeight=3")}, PEs: 16}, "sweep: ArrayHeight 3 does not divide pes 16"},
		{Spec{Params: []Param{set("Dataflow=os")}, PEs: 16}, "sweep: a fixed PE count needs ArrayHeight to be swept"},
		{Spec{Params: []Param{set("Dataflow=os"), set("dataflow=ws")}}, "sweep: key dataflow is swept twice"},
	}
	for _, c := range cases {
		_, err := c.spec.Points("scale.cfg", base)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.spec, err, c.want)
		}
	}
	for _, s := range []string{"x", "=1", "k="} {
		if _, err := ParseSet(s); err == nil {
			t.Errorf("ParseSet(%q) accepted", s)
		}
	}
	if _, _, err := ParseShard("2/2"); err == nil || err.Error() != `-shard "2/2": want I/N with 0 <= I < N (e.g. $SLURM_ARRAY_TASK_ID/8)` {
		t.Errorf("ParseShard: %v", err)
	}
}

func tinySpec(t *testing.T) Spec {
	spec, err := ParseFile("s", strings.NewReader("ArrayHeight=4,8\nArrayWidth=4,2\nDataflow=os,ws,is\n"))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestSweepMatchesGolden checks the tidy rows of the 4x4 configurations
// against SCALE-Sim's golden reports of the same configurations.
func TestSweepMatchesGolden(t *testing.T) {
	base, layers := load(t)
	pts := mustPoints(t, tinySpec(t), base)
	out := t.TempDir()
	res, err := Run(pts, layers, Options{OutDir: out, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ran != 12 || res.Reused != 0 || len(res.Table.Records) != 12*3 {
		t.Fatalf("ran %d reused %d rows %d", res.Ran, res.Reused, len(res.Table.Records))
	}
	tab, err := ReadTable(filepath.Join(out, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, cyc, util, bw := tab.Col("config"), tab.Col("total_cycles"), tab.Col("overall_util_pct"), tab.Col("ifmap_dram_reads")
	checked := 0
	for _, df := range []string{"os", "ws", "is"} {
		gold, err := report.Load("../testdata/golden/tiny_4x4_" + df + "_traces")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tab.Records {
			if r[cfg] != "4x4_"+df {
				continue
			}
			l := gold.Layers[atoiT(t, r[tab.Col("layer")])]
			if r[cyc] != itoa(l.TotalCycles) || r[bw] != itoa(l.DRAM[0].Words) || !near(r[util], l.OverallUtil) {
				t.Errorf("%s layer %d: %v, golden %+v", df, l.ID, r, l)
			}
			checked++
		}
	}
	if checked != 9 {
		t.Errorf("checked %d golden rows, want 9", checked)
	}
}

func atoiT(t *testing.T, s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// near compares a CSV float with SCALE-Sim's to 1e-9, as TestGolden does.
func near(s string, f float64) bool {
	v, err := strconv.ParseFloat(s, 64)
	return err == nil && math.Abs(v-f) <= 1e-9*math.Max(1, math.Abs(f))
}

// TestShardsMerge checks that the shards of a sweep, merged, give the
// unsharded run's CSV byte for byte.
func TestShardsMerge(t *testing.T) {
	base, layers := load(t)
	pts := mustPoints(t, tinySpec(t), base)
	whole := t.TempDir()
	if _, err := Run(pts, layers, Options{OutDir: whole, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	sharded := t.TempDir()
	var paths []string
	for i := 2; i >= 0; i-- { // any order
		res, err := Run(pts, layers, Options{OutDir: sharded, Jobs: 1, Shard: i, Shards: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Table.Records) != 4*3 || res.Ran != 4 {
			t.Errorf("shard %d: %d rows, ran %d", i, len(res.Table.Records), res.Ran)
		}
		paths = append(paths, res.CSV)
	}
	merged, err := Merge(paths)
	if err != nil {
		t.Fatal(err)
	}
	mpath := filepath.Join(sharded, "merged.csv")
	if err := merged.Write(mpath); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(whole, "sweep.csv"))
	got, _ := os.ReadFile(mpath)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("merged shards differ from the unsharded sweep:\n%s\nwant\n%s", got, want)
	}
	if _, err := Merge([]string{paths[0], paths[0]}); err == nil || !strings.Contains(err.Error(), "is in both") {
		t.Errorf("merging a shard twice: %v", err)
	}
}

// TestRestart checks that a restarted sweep simulates only the
// configurations that did not finish: a finished one keeps its (here
// doctored) reports, an unfinished one is simulated again.
func TestRestart(t *testing.T) {
	base, layers := load(t)
	pts := mustPoints(t, tinySpec(t), base)
	out := t.TempDir()
	if _, err := Run(pts, layers, Options{OutDir: out}); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(filepath.Join(out, "sweep.csv"))
	// 4x4_os finished, but its report is doctored: a rerun would restore it.
	kept := filepath.Join(out, "runs", "4x4_os", report.ComputeFile)
	data, _ := os.ReadFile(kept)
	os.WriteFile(kept, bytes.Replace(data, []byte("0, 431,"), []byte("0, 999,"), 1), 0o644)
	// 8x2_is was stopped half-way: no done mark, a truncated report.
	redo := filepath.Join(out, "runs", "8x2_is")
	os.Remove(filepath.Join(redo, DoneFile))
	os.WriteFile(filepath.Join(redo, report.ComputeFile), []byte("LayerID,\n"), 0o644)

	res, err := Run(pts, layers, Options{OutDir: out, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ran != 1 || res.Reused != 11 {
		t.Errorf("ran %d, reused %d; want 1 and 11", res.Ran, res.Reused)
	}
	second, _ := os.ReadFile(filepath.Join(out, "sweep.csv"))
	if want := bytes.Replace(first, []byte("\n0,4x4_os,4,4,16,os,1,1,1,CALC,,0,tiny_conv,3888,431,"), []byte("\n0,4x4_os,4,4,16,os,1,1,1,CALC,,0,tiny_conv,3888,999,"), 1); bytes.Equal(want, first) || !bytes.Equal(second, want) {
		t.Errorf("restarted sweep CSV:\n%s\nwant\n%s", second, want)
	}
	// A changed topology invalidates every finished configuration.
	res, err = Run(pts, layers[:2], Options{OutDir: out})
	if err != nil || res.Ran != 12 {
		t.Errorf("after a topology change: ran %d, %v", res.Ran, err)
	}
}

// TestSweepBandwidth sweeps the interface mode and the bandwidth: the
// USER, bandwidth 2 configuration is the golden tiny_4x4_os_user2 case.
func TestSweepBandwidth(t *testing.T) {
	base, layers := load(t)
	mode, _ := ParseSet("InterfaceBandwidth=CALC,USER")
	bw, _ := ParseSet("Bandwidth=2,10")
	pts := mustPoints(t, Spec{Params: []Param{mode, bw}}, base)
	res, err := Run(pts, layers, Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	gold, err := report.Load("../testdata/golden/tiny_4x4_os_user2_traces")
	if err != nil {
		t.Fatal(err)
	}
	tab := res.Table
	cfg, stall, cyc, bwc := tab.Col("config"), tab.Col("stall_cycles"), tab.Col("total_cycles"), tab.Col("bandwidth")
	n := 0
	for _, r := range tab.Records {
		if r[cfg] != "USER_2" {
			continue
		}
		l := gold.Layers[n]
		if r[bwc] != "2" || r[cyc] != itoa(l.TotalCycles) || r[stall] != itoa(l.StallCycles) {
			t.Errorf("USER_2 layer %d: %v, golden %+v", n, r, l)
		}
		n++
	}
	if n != 3 || gold.Totals().StallCycles == 0 {
		t.Errorf("%d USER_2 rows; golden stalls %d", n, gold.Totals().StallCycles)
	}
}
