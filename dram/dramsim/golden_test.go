package dramsim

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goldenDir holds DRAMsim3's per-request timings (copied from
// ../shared/dram-golden): <case>/requests.trace and <case>/<CONFIG>.csv.
const goldenDir = "../../testdata/dram-golden"

var goldenCases = []string{
	"alexnet_conv1_ws_user10", "eyeriss_inc5b_ws", "mnk_gemm_os", "rect_is_user4",
	"synth_random", "synth_rowconflict", "synth_stream",
}

var goldenConfigs = []string{"DDR4_8Gb_x8_3200", "HBM2_8Gb_x128", "LPDDR4_8Gb_x16_2400"}

// readGoldenCSV reads index,addr,op,arrival,accept,done.
func readGoldenCSV(t testing.TB, file string) (reqs []Request, res []Result) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		p := strings.Split(sc.Text(), ",")
		if len(p) != 6 {
			t.Fatalf("%s: bad line %q", file, sc.Text())
		}
		addr, err1 := strconv.ParseUint(strings.TrimPrefix(p[1], "0x"), 16, 64)
		arr, err2 := strconv.ParseInt(p[3], 10, 64)
		acc, err3 := strconv.ParseInt(p[4], 10, 64)
		done, err4 := strconv.ParseInt(p[5], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Fatalf("%s: bad line %q", file, sc.Text())
		}
		reqs = append(reqs, Request{Addr: addr, Write: p[2] == "W", Arrival: arr})
		res = append(res, Result{acc, done})
	}
	return reqs, res
}

// TestGoldenExact replays every shared case on every config and asserts
// DRAMsim3's accept and done cycle for every request.
func TestGoldenExact(t *testing.T) {
	for _, cfgName := range goldenConfigs {
		cfg, err := LoadConfig(filepath.Join(goldenDir, cfgName+".ini"))
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range goldenCases {
			t.Run(cs+"/"+cfgName, func(t *testing.T) {
				reqs, err := ReadTrace(filepath.Join(goldenDir, cs, "requests.trace"))
				if err != nil {
					t.Fatal(err)
				}
				gReqs, want := readGoldenCSV(t, filepath.Join(goldenDir, cs, cfgName+".csv"))
				if len(gReqs) != len(reqs) {
					t.Fatalf("trace has %d requests, golden %d", len(reqs), len(gReqs))
				}
				for i := range reqs {
					if reqs[i] != gReqs[i] {
						t.Fatalf("request %d: trace %+v, golden %+v", i, reqs[i], gReqs[i])
					}
				}
				got, stats, err := Replay(cfg, reqs, ReplayOptions{StopOnLivelock: true})
				if err != nil {
					t.Fatal(err)
				}
				bad := 0
				first := ""
				for i := range want {
					if got[i] != want[i] {
						if bad == 0 {
							first = fmt.Sprintf("request %d (%#x %v arr %d): got accept %d done %d, want %d %d",
								i, reqs[i].Addr, reqs[i].Write, reqs[i].Arrival, got[i].Accept, got[i].Done, want[i].Accept, want[i].Done)
						}
						bad++
					}
				}
				if bad > 0 {
					t.Errorf("%d of %d requests differ; first: %s", bad, len(want), first)
				}
				if stats.LivelockBreaks != 0 {
					t.Errorf("%d livelock breaks on a trace DRAMsim3 finishes", stats.LivelockBreaks)
				}
			})
		}
	}
}
