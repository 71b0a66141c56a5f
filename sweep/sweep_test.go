package sweep

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
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
	// The merge's provenance is the unsharded sweep's.
	want, _ = os.ReadFile(ProvenancePath(filepath.Join(whole, "sweep.csv")))
	got, _ = os.ReadFile(ProvenancePath(mpath))
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("merged provenance differs from the unsharded sweep's:\n%s\nwant\n%s", got, want)
	}
	if _, err := Merge([]string{paths[0], paths[0]}); err == nil || err.Error() != "merge: "+paths[0]+" and "+paths[0]+" are both shard 2 of 3" {
		t.Errorf("merging a shard twice: %v", err)
	}
}

// shards runs the 3 shards of a sweep of spec (over layers) into a new
// folder and returns their CSVs in shard order.
func shards(t *testing.T, spec Spec, layers []systolic.Layer, n int) []string {
	t.Helper()
	base, _ := load(t)
	pts := mustPoints(t, spec, base)
	dir := t.TempDir()
	var paths []string
	for i := range n {
		res, err := Run(pts, layers, Options{OutDir: dir, Jobs: 1, Shard: i, Shards: n})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, res.CSV)
	}
	return paths
}

// TestMergeRefuses checks that merge refuses every set that is not one
// sweep's shards, all of them, naming the missing or foreign file (issue
// 18, defect 6), and headers of equal length but other columns.
func TestMergeRefuses(t *testing.T) {
	_, layers := load(t)
	set := func(s string) Spec {
		p, err := ParseSet(s)
		if err != nil {
			t.Fatal(err)
		}
		return Spec{Params: []Param{p}}
	}
	df := set("Dataflow=os,ws,is")
	good := shards(t, df, layers, 3)
	otherTopo := shards(t, df, layers[:2], 3)
	otherN := shards(t, df, layers, 2)
	otherKeys := shards(t, set("IfmapSramSzkB=1,2,3"), layers, 3)
	colA, colB := shards(t, set("general.a=1,2"), layers, 1), shards(t, set("general.b=1,2"), layers, 1)

	m, err := Merge(good)
	if err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(t.TempDir(), "sweep.csv")
	if err := m.Write(merged); err != nil {
		t.Fatal(err)
	}
	noProv := filepath.Join(t.TempDir(), "copy.csv")
	data, _ := os.ReadFile(good[1])
	os.WriteFile(noProv, data, 0o644)
	edited := filepath.Join(t.TempDir(), "sweep-shard-1-of-3.csv")
	os.WriteFile(edited, data[:bytes.LastIndexByte(data[:len(data)-1], '\n')+1], 0o644) // a row lost
	prov, _ := os.ReadFile(ProvenancePath(good[1]))
	os.WriteFile(ProvenancePath(edited), prov, 0o644)

	cases := []struct {
		name  string
		paths []string
		want  string
	}{
		{"2 of 3 shards", []string{good[0], good[2]},
			"merge: incomplete: 2 of 3 shards given; missing shard 1 (sweep-shard-1-of-3.csv)"},
		{"1 of 3 shards", []string{good[1]},
			"merge: incomplete: 1 of 3 shards given; missing shard 0 (sweep-shard-0-of-3.csv), 2 (sweep-shard-2-of-3.csv)"},
		{"another topology", []string{good[0], otherTopo[1], good[2]},
			"merge: " + otherTopo[1] + " is from another sweep than " + good[0] + ": another topology"},
		{"another N", []string{good[0], otherN[1]},
			"merge: " + otherN[1] + " is from another sweep than " + good[0] + ": split into 2 shards, not 3"},
		{"a merged sweep among its shards", []string{good[0], good[1], merged},
			"merge: " + merged + " is from another sweep than " + good[0] + ": split into 1 shard (a whole or merged sweep), not 3"},
		{"other swept values", []string{good[0], good[1], otherKeys[2]},
			"merge: " + otherKeys[2] + " is from another sweep than " + good[0] + ": swept keys \"IfmapSramSzkB=1,2,3\", not \"Dataflow=os,ws,is\""},
		{"equal-length headers, other columns", []string{colA[0], colB[0]},
			"merge: " + colB[0] + " has other columns than " + colA[0]},
		{"no provenance", []string{good[0], noProv, good[2]},
			"merge: " + noProv + " has no provenance (open " + ProvenancePath(noProv) + ": no such file or directory): was it written by npusim sweep?"},
		{"edited shard", []string{good[0], edited, good[2]},
			"merge: " + edited + " was changed after its sweep wrote it (its SHA-256 is not the one in " + ProvenancePath(edited) + ")"},
	}
	for _, c := range cases {
		if _, err := Merge(c.paths); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v\nwant %s", c.name, err, c.want)
		}
	}
	if len(colA) != 1 || len(colB) != 1 {
		t.Fatal("one-shard sweeps")
	}
	ta, _ := ReadTable(colA[0])
	tb, _ := ReadTable(colB[0])
	if len(ta.Header) != len(tb.Header) || slices.Equal(ta.Header, tb.Header) {
		t.Errorf("headers %v and %v: want equal lengths, other columns", ta.Header, tb.Header)
	}
	if _, err := Merge(good); err != nil {
		t.Errorf("the 3 shards: %v", err)
	}
}

// TestReadTableCaps checks that a huge file or one without line breaks
// (/dev/zero) is refused quickly, after reading at most a line's cap.
func TestReadTableCaps(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := ReadTable("/dev/zero")
	if want := "sweep CSV /dev/zero: line 1 is longer than 1048576 bytes: not a sweep CSV"; err == nil || err.Error() != want {
		t.Errorf("/dev/zero: %v, want %s", err, want)
	}
	big := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxTableBytes + 1) // sparse: no disk used
	f.Close()
	_, err = ReadTable(big)
	if want := "sweep CSV " + big + ": 268435457 bytes, more than the 268435456 a sweep CSV may have"; err == nil || err.Error() != want {
		t.Errorf("huge file: %v, want %s", err, want)
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

// TestSpecRefusals checks the inputs issue 18 found accepted: a key under
// two spellings, a key in the wrong section, a key in two sections, pes
// twice, control characters, a name too long for a folder, and a sweep
// above MaxConfigs; each is refused before anything runs.
func TestSpecRefusals(t *testing.T) {
	base, _ := load(t)
	set := func(s string) Param {
		p, err := ParseSet(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	many := func(n int) string {
		vs := make([]string, n)
		for i := range vs {
			vs[i] = strconv.Itoa(i + 1)
		}
		return strings.Join(vs, ",")
	}
	long := strings.Repeat("a", 300)
	cases := []struct {
		name string
		spec Spec
		base string
		want string
	}{
		{"two spellings", Spec{Params: []Param{set("ArrayHeight=2,4"), set("architecture_presets.ArrayHeight=8")}}, "",
			"sweep: key ArrayHeight is swept twice, as ArrayHeight and as architecture_presets.ArrayHeight"},
		{"two spellings, other case", Spec{Params: []Param{set("architecture_presets.dataflow=os"), set("DATAFLOW=ws")}}, "",
			"sweep: key DATAFLOW is swept twice, as architecture_presets.dataflow and as DATAFLOW"},
		{"wrong section", Spec{Params: []Param{set("general.ArrayHeight=2,4")}}, "",
			"sweep: key general.ArrayHeight: ArrayHeight is read from [architecture_presets], not [general]"},
		{"two sections", Spec{Params: []Param{set("Latency=1,2")}}, "\n[dram]\nLatency = 5\n[multicore]\nLatency = 7\n",
			"sweep: config scale.cfg: key Latency is in [dram] and in [multicore]: write SECTION.Latency"},
		{"300-character value", Spec{Params: []Param{set("general.extra=b," + long)}}, "",
			"sweep: configuration 1 is named \"" + long[:40] + "...\", 300 bytes long: a name (made of the swept values) names a folder and may have at most 200; shorten the values"},
		{"above MaxConfigs", Spec{Params: []Param{set("general.a=" + many(101)), set("general.b=" + many(100))}}, "",
			"sweep: 10100 configurations, more than the 10000 a sweep may have: cut the design space into several sweeps"},
	}
	for _, c := range cases {
		_, err := c.spec.Points("scale.cfg", append(slices.Clone(base), c.base...))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v\nwant %s", c.name, err, c.want)
		}
	}
	// Sections differ: two keys of the same name are two keys.
	if _, err := (Spec{Params: []Param{set("dram.Latency=1,2"), set("multicore.Latency=3")}}).Points("scale.cfg",
		append(slices.Clone(base), "\n[dram]\nLatency = 5\n[multicore]\nLatency = 7\n"...)); err != nil && strings.Contains(err.Error(), "twice") {
		t.Errorf("dram.Latency and multicore.Latency: %v", err)
	}

	if _, err := ParseFile("s.txt", strings.NewReader("ArrayHeight = 2,4\npes = 16\npes = 64\n")); err == nil || err.Error() != "sweep file s.txt line 3: pes is given twice (16, then 64)" {
		t.Errorf("pes twice: %v", err)
	}
	spec := Spec{PEs: 16}
	if err := spec.SetPEs([]string{"64"}); err == nil || spec.PEs != 16 {
		t.Errorf("SetPEs over a file's pes: %v, pes %d", err, spec.PEs)
	}
	for _, s := range []string{"Dataflow=os,\x1b[31mws", "Dataflow=os\a", "general.x\x1b=1", "general.x=\xff"} {
		_, err := ParseSet(s)
		if err == nil {
			t.Errorf("ParseSet(%q) accepted", s)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x1b\a\xff") {
			t.Errorf("ParseSet(%q): the error carries the raw bytes: %q", s, err)
		}
	}
	if _, err := ParseFile("s.txt", strings.NewReader("Dataflow = os, \x1b]0;title\a\n")); err == nil || strings.ContainsAny(err.Error(), "\x1b\a") {
		t.Errorf("sweep file with ESC/BEL: %q", err)
	}
}

// TestStopAndRowCap checks that a stopped sweep says so (and returns the
// cause), and that a sweep above MaxRows CSV rows is refused before it
// runs.
func TestStopAndRowCap(t *testing.T) {
	base, layers := load(t)
	pts := mustPoints(t, tinySpec(t), base)
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("interrupted by SIGINT")
	cancel(stop)
	out := t.TempDir()
	_, err := Run(pts, layers, Options{OutDir: out, Context: ctx})
	if want := "sweep stopped with 0 of 12 configurations finished (running it again finishes it): interrupted by SIGINT"; err == nil || err.Error() != want || !errors.Is(err, stop) {
		t.Errorf("stopped sweep: %v, want %s", err, want)
	}
	if _, err := os.Stat(filepath.Join(out, "sweep.csv")); err == nil {
		t.Error("a stopped sweep wrote sweep.csv")
	}
	many := make([]systolic.Layer, MaxRows/len(pts)+1)
	for i := range many {
		many[i] = layers[0]
	}
	_, err = Run(pts, many, Options{OutDir: t.TempDir()})
	if want := "sweep: 12 configurations of 20834 layers make 250008 CSV rows, more than the 250000 a sweep may have"; err == nil || err.Error() != want {
		t.Errorf("row cap: %v, want %s", err, want)
	}
}

// TestPEsCountsCores checks that the pes column of a multi-core sweep
// counts every core's PEs (issue 18, defect 7): 4 cores of 4x4 and of 8x2
// are 64 PEs, while rows and cols stay one core's array.
func TestPEsCountsCores(t *testing.T) {
	base, layers := load(t)
	base = append(base, "\n[multicore]\nCores = 4\n"...)
	p, _ := ParseSet("ArrayHeight=4,8")
	pts := mustPoints(t, Spec{Params: []Param{p}, PEs: 16}, base)
	res, err := Run(pts, layers, Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tab := res.Table
	for _, r := range tab.Records {
		if got := r[tab.Col("pes")]; got != "64" {
			t.Errorf("%s: pes %s, want 64 (4 cores x 16)", r[tab.Col("config")], got)
		}
		if r[tab.Col("rows")]+"x"+r[tab.Col("cols")] != r[tab.Col("config")] {
			t.Errorf("%s: rows %s cols %s", r[tab.Col("config")], r[tab.Col("rows")], r[tab.Col("cols")])
		}
	}
	if len(tab.Records) != 2*len(layers) {
		t.Errorf("%d rows", len(tab.Records))
	}
}
