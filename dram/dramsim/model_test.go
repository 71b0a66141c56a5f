package dramsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func replayOK(t *testing.T, cfg *Config, reqs []Request) ([]Result, Stats) {
	t.Helper()
	res, st, err := Replay(cfg, reqs, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res, st
}

// The latencies below are worked out by hand from the .ini files, not from
// the model: a request accepted in cycle a moves to its command queue in
// tick a+1, its ACTIVATE issues in tick a+2, its READ tRCD (HBM: tRCDRD)
// later, and its data is back CL + BL/2 cycles after the READ.

// TestClosedBankRead: one read on an idle memory.
func TestClosedBankRead(t *testing.T) {
	for _, c := range []struct {
		preset string
		done   int64
	}{
		{"ddr4", 2 + 22 + 22 + 8/2},    // tRCD 22, CL 22, BL 8
		{"hbm2", 2 + 14 + 14 + 4/2},    // tRCDRD 14, CL 14, BL 4
		{"lpddr4", 2 + 15 + 17 + 16/2}, // tRCD 15, CL 17, BL 16
	} {
		cfg, _ := Preset(c.preset)
		res, st := replayOK(t, cfg, []Request{{Addr: 0x12340000, Arrival: 7}})
		if res[0].Accept != 7 || res[0].Done != 7+c.done {
			t.Errorf("%s: %+v, want accept 7, done %d", c.preset, res[0], 7+c.done)
		}
		if st.Activates != 1 || st.ReadCmds != 1 || st.RowMisses != 1 {
			t.Errorf("%s: %+v", c.preset, st)
		}
	}
}

// TestRowHit: a second read of the open row waits tCCD_L after the first
// READ (same bank, so same bank group), not for another ACTIVATE.
func TestRowHit(t *testing.T) {
	cfg, _ := Preset("ddr4")
	// 0x0 and 0x40: columns 0 and 1 of row 0 of rank 0, bank group 0, bank 0.
	res, st := replayOK(t, cfg, []Request{{Addr: 0x0}, {Addr: 0x40}})
	first := int64(2 + 22) // ACT at 2, READ tRCD = 22 later
	second := first + 8    // tCCD_L = 8 (> BL/2 = 4)
	if res[0].Done != first+22+4 || res[1].Done != second+22+4 {
		t.Errorf("done %d and %d, want %d and %d", res[0].Done, res[1].Done, first+26, second+26)
	}
	if st.RowHits != 1 || st.RowMisses != 1 || st.Activates != 1 {
		t.Errorf("stats %+v: want one hit, one miss, one activate", st)
	}
}

// TestStreamFinish: 16 reads of consecutive 64-byte blocks, all in row 0 of
// one DDR4 bank, all arriving at 0. They are accepted at once (32-entry
// read queue), move to the bank's 8-entry command queue one per cycle (the
// ninth when the first READ leaves it), and the READs follow each other
// tCCD_L = 8 apart from the first at 2 + tRCD: the last is at 24 + 15*8.
func TestStreamFinish(t *testing.T) {
	cfg, _ := Preset("ddr4")
	var reqs []Request
	for i := range 16 {
		reqs = append(reqs, Request{Addr: uint64(i) * 64})
	}
	res, _ := replayOK(t, cfg, reqs)
	for i, r := range res {
		want := int64(24+8*i) + 26
		if r.Accept != 0 || r.Done != want {
			t.Errorf("read %d: %+v, want accept 0, done %d", i, r, want)
		}
	}
}

// TestPostedWrite: a write completes two cycles after it is accepted
// whatever the DRAM does, and a read of its address that arrives while it
// waits in the write buffer is served from there, also in two cycles.
func TestPostedWrite(t *testing.T) {
	cfg, _ := Preset("ddr4")
	res, st := replayOK(t, cfg, []Request{{Addr: 0x1000, Write: true, Arrival: 3}, {Addr: 0x1000, Arrival: 5}})
	if res[0] != (Result{3, 5}) || res[1] != (Result{5, 7}) {
		t.Errorf("%+v, want {3 5} {5 7}", res)
	}
	if st.Forwarded != 1 {
		t.Errorf("forwarded %d", st.Forwarded)
	}
}

// livelockTrace makes DRAMsim3 livelock (R5.5): a read and then a write of
// the same address, and 8 more writes, all at cycle 0. With 9 writes
// buffered and every command queue empty the write buffer drains, its
// first write waits for the read, the drain stops, and so on every cycle.
func livelockTrace() []Request {
	reqs := []Request{{Addr: 0x0}, {Addr: 0x0, Write: true}}
	for i := range 8 {
		reqs = append(reqs, Request{Addr: uint64(i+1) << 20, Write: true})
	}
	return reqs
}

// TestLivelockBroken: the model serves the blocking read instead of
// livelocking, so the read completes as on an idle memory, and it says
// so; StopOnLivelock reports it instead.
func TestLivelockBroken(t *testing.T) {
	cfg, _ := Preset("ddr4")
	reqs := livelockTrace()
	_, _, err := Replay(cfg, reqs, ReplayOptions{StopOnLivelock: true})
	if err == nil || !strings.Contains(err.Error(), "livelock at cycle 1") {
		t.Fatalf("StopOnLivelock: error %v, want a livelock at cycle 1", err)
	}
	res, st := replayOK(t, cfg, reqs)
	if res[0] != (Result{0, 50}) {
		t.Errorf("read %+v, want accepted at 0 and done at 2 + tRCD 22 + CL 22 + 4 = 50", res[0])
	}
	for i, r := range res[1:] {
		if r != (Result{0, 2}) {
			t.Errorf("write %d: %+v, want {0 2}", i+1, r)
		}
	}
	if st.LivelockBreaks != 1 {
		t.Errorf("livelock breaks %d, want 1", st.LivelockBreaks)
	}
}

// TestLivelockRandom: random reads and writes over 48 blocks livelock
// DRAMsim3 (the note's example); the model finishes them all, with
// completions that make sense, and reports the breaks.
func TestLivelockRandom(t *testing.T) {
	for _, preset := range PresetNames() {
		cfg, _ := Preset(preset)
		r := rand.New(rand.NewPCG(1, 2))
		var reqs []Request
		for i := range 5000 {
			// 48 blocks in one channel: 32 columns of one row, 16 of another bank.
			b := uint64(r.IntN(48))
			reqs = append(reqs, Request{Addr: b%32*64 + b/32<<14, Write: r.IntN(2) == 0, Arrival: int64(i)})
		}
		if _, _, err := Replay(cfg, reqs, ReplayOptions{StopOnLivelock: true}); err == nil || !strings.Contains(err.Error(), "livelock") {
			t.Errorf("%s: StopOnLivelock gave %v, want a livelock", preset, err)
		}
		res, st := replayOK(t, cfg, reqs)
		if st.LivelockBreaks == 0 {
			t.Errorf("%s: no livelock break", preset)
		}
		for i, x := range res {
			if x.Accept < reqs[i].Arrival || x.Done < x.Accept+2 || (reqs[i].Write && x.Done != x.Accept+2) {
				t.Fatalf("%s: request %d %+v: %+v", preset, i, reqs[i], x)
			}
		}
	}
}

// variants are configs beside the presets that exercise the other paths:
// PER_RANK queues, close page, a unified queue, simultaneous refresh, no
// bank groups, short refresh intervals.
func variants(t testing.TB) map[string]*Config {
	out := map[string]*Config{}
	for _, preset := range PresetNames() {
		base, _ := PresetFile(preset)
		for name, extra := range map[string]string{
			"":              "",
			"per_rank":      "queue_structure = PER_RANK\n",
			"close_page":    "row_buf_policy = CLOSE_PAGE\n",
			"unified":       "unified_queue = true\n",
			"simultaneous":  "refresh_policy = RANK_LEVEL_SIMULTANEOUS\nqueue_structure = PER_RANK\n",
			"small_queues":  "cmd_queue_size = 2\ntrans_queue_size = 4\n",
			"no_bankgroups": "[dram_structure]\nbankgroup_enable = false\n",
			"short_refresh": "[timing]\ntREFI = 2000\n",
		} {
			// Drop the keys set again: a key given twice is joined, not
			// replaced (R2.1).
			var kept []string
			for _, l := range strings.Split(string(base), "\n") {
				k, _, _ := strings.Cut(l, "=")
				if k = strings.TrimSpace(k); k == "" || !strings.Contains(extra, k+" =") {
					kept = append(kept, l)
				}
			}
			text := strings.Join(kept, "\n") + "\n[system]\n" + extra
			cfg, err := ParseConfig(preset+"+"+name, []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			out[preset+"/"+name] = cfg
		}
	}
	return out
}

func randomTrace(seed uint64, n int, span uint64, gap int, writes int) []Request {
	r := rand.New(rand.NewPCG(seed, 7))
	var reqs []Request
	at := int64(0)
	for range n {
		at += int64(r.IntN(gap + 1))
		addr := r.Uint64N(span) &^ 63
		if r.IntN(4) == 0 { // some locality: the next block
			addr = (addr &^ 0xfff) | uint64(r.IntN(64))*64
		}
		reqs = append(reqs, Request{Addr: addr, Write: r.IntN(100) < writes, Arrival: at})
	}
	return reqs
}

// TestSkippingIsExact: evaluating only the cycles the model says something
// can happen in (and using its cached bounds) gives the same result as
// evaluating every cycle in full, on every path.
func TestSkippingIsExact(t *testing.T) {
	for name, cfg := range variants(t) {
		for seed, tr := range [][]Request{
			randomTrace(1, 1500, 1<<30, 3, 30), // random, busy
			randomTrace(2, 800, 1<<22, 40, 50), // sparse, across refreshes
			randomTrace(3, 1500, 1<<16, 1, 40), // hot rows, merging and forwarding
			randomTrace(4, 3000, 1<<34, 2, 20), // saturated, long waits, refreshes while busy
		} {
			want, wst, err1 := Replay(cfg, tr, ReplayOptions{noSkip: true})
			got, gst, err2 := Replay(cfg, tr, ReplayOptions{})
			if fmt.Sprint(err1) != fmt.Sprint(err2) {
				t.Fatalf("%s trace %d: errors %v / %v", name, seed, err1, err2)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s trace %d request %d: %+v skipping, %+v every cycle", name, seed, i, got[i], want[i])
				}
			}
			if gst != wst {
				t.Errorf("%s trace %d: stats %+v vs %+v", name, seed, gst, wst)
			}
		}
	}
}

// FuzzParseTrace: any text gives requests sorted by arrival or a one-line
// error naming the line; never a panic.
func FuzzParseTrace(f *testing.F) {
	f.Add("0x40 READ 0\n0x80 WRITE 3\n")
	f.Add("# comment\n\nDEADBEEF WRITE 10\n")
	f.Add("0x40 READ 5\n0x40 READ 4\n")
	f.Fuzz(func(t *testing.T, text string) {
		reqs, err := ParseTrace("f.trace", strings.NewReader(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.trace") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		for i := 1; i < len(reqs); i++ {
			if reqs[i].Arrival < reqs[i-1].Arrival {
				t.Fatalf("unsorted: %+v", reqs)
			}
		}
	})
}

// TestEnergy: one read of a closed HBM2 bank, by hand from the ini's
// [power] section (VDD 1.2 V, IDD0 65, IDD3N 55, IDD2N 40, IDD4R 390 mA,
// one device per rank, tCK 1 ns): an ACTIVATE costs
// 1.2 x (65 x tRC 48 - (55 x tRAS 34 + 40 x tRP 14)) = 828 pJ, a READ
// 1.2 x (390 - 55) x 2 burst cycles = 804 pJ, and 100 cycles of the 8
// ranks in precharged standby 1.2 x 40 x 800 = 38400 pJ.
func TestEnergy(t *testing.T) {
	cfg, _ := Preset("hbm2")
	_, st := replayOK(t, cfg, []Request{{Addr: 0x40}})
	e := cfg.Energy(st, 100)
	if e.ActivatePJ != 828 || math.Abs(e.ReadPJ-804) > 1e-9 || e.WritePJ != 0 || e.RefreshPJ != 0 || math.Abs(e.BackgroundPJ-38400) > 1e-9 {
		t.Errorf("energy %+v, want ACT 828, READ 804, background 38400 pJ", e)
	}
}

// TestRoom: Room counts the free transaction slots of the kind over all
// channels, as WillAccept sees them: each new read takes a read slot, a
// merged read and a write take none of the read queue's.
func TestRoom(t *testing.T) {
	cfg, _ := Preset("hbm2")
	m := NewModel(cfg)
	total := cfg.Channels * cfg.TransQueueSize
	if m.Room(false) != total || m.Room(true) != total {
		t.Fatalf("idle: room %d reads, %d writes, want %d", m.Room(false), m.Room(true), total)
	}
	m.Tick(0)
	var addrs []uint64
	for a := uint64(0); len(addrs) < 3*cfg.TransQueueSize; a += 64 {
		if !m.WillAccept(a, false) {
			break
		}
		m.Add(a, false, int64(len(addrs)), 0)
		addrs = append(addrs, a)
	}
	m.Add(addrs[0], false, -1, 0) // merges with the first
	m.Add(1<<20, true, -2, 0)
	if got, want := m.Room(false), total-len(addrs); got != want {
		t.Errorf("after %d reads: room %d, want %d", len(addrs), got, want)
	}
	if got, want := m.Room(true), total-1; got != want {
		t.Errorf("after a write: room %d, want %d", got, want)
	}
}
