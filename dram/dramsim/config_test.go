package dramsim

import (
	"strings"
	"testing"
)

// TestPresetsDerived checks what DRAMsim3 derives from the three configs
// (the note's R2.4 and R7.4 tables).
func TestPresetsDerived(t *testing.T) {
	for _, c := range []struct {
		name                                 string
		ranks, channels, queues, burst, shft int
		readDelay, writeDelay, interval      int
		dual                                 bool
	}{
		{"ddr4", 2, 1, 32, 4, 6, 26, 20, 6240, false},
		{"hbm2", 1, 8, 16, 2, 6, 16, 6, 3900, true},
		{"lpddr4", 2, 1, 16, 8, 7, 25, 22, 4330, false},
	} {
		cfg, err := Preset(c.name)
		if err != nil {
			t.Fatal(err)
		}
		got := []int{cfg.Ranks, cfg.Channels, cfg.CommandQueues(), cfg.BurstCycle, int(cfg.shift), cfg.ReadDelay, cfg.WriteDelay, cfg.RefreshInterval()}
		want := []int{c.ranks, c.channels, c.queues, c.burst, c.shft, c.readDelay, c.writeDelay, c.interval}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: derived %v, want %v", c.name, got, want)
				break
			}
		}
		if cfg.HBMDualCmd != c.dual {
			t.Errorf("%s: dual command %v", c.name, cfg.HBMDualCmd)
		}
	}
}

// TestDecode checks the address mapping against the note's R3.4 table and
// its worked example (synth_random's r0 on DDR4).
func TestDecode(t *testing.T) {
	ddr4, _ := Preset("ddr4")
	if got, want := ddr4.Decode(0x1132d8c0), (Location{Rank: 1, BankGroup: 2, Bank: 1, Row: 0x44c, Column: 0x63}); got != want {
		t.Errorf("ddr4 0x1132d8c0: %+v, want %+v", got, want)
	}
	hbm, _ := Preset("hbm2")
	// channel: byte bits 11-13; column 6-10; bank 14-15; bank group 16-17; row 18-32.
	addr := uint64(5)<<11 | 3<<6 | 2<<14 | 1<<16 | 7<<18
	if got, want := hbm.Decode(addr), (Location{Channel: 5, BankGroup: 1, Bank: 2, Row: 7, Column: 3}); got != want {
		t.Errorf("hbm2 %#x: %+v, want %+v", addr, got, want)
	}
	lp, _ := Preset("lpddr4")
	if a, b := lp.Decode(0x0), lp.Decode(0x40); a != b {
		t.Errorf("lpddr4: 0x0 and 0x40 decode differently (%+v, %+v); the low 7 bits are dropped", a, b)
	}
}

// TestParseQuirks checks DRAMsim3's INI reading (R2.1): octal and hex
// integers, parsing stopping at the first bad character, inline `;`
// comments only after white space, names in any case, the first of two
// values.
func TestParseQuirks(t *testing.T) {
	ini := `[DRAM_Structure]
Protocol = DDR4 ; comment
bankgroups = 4
banks_per_group = 4
[timing]
CL = 022
tRP = 0x16
TRAS = 52.9
tRCD = 08
CWL = 16;x
tWR = 20
tWR = 30
tCK = 0.625
[system]
channel_size = 16384
address_mapping = rochrababgco   ; inline
`
	cfg, err := ParseConfig("q.ini", []byte(ini))
	if err != nil {
		t.Fatal(err)
	}
	tm := cfg.Timing
	if tm.CL != 18 || tm.TRP != 22 || tm.TRAS != 52 || tm.TRCD != 0 || tm.CWL != 16 || tm.TWR != 20 || tm.TCK != 0.625 {
		t.Errorf("timing %+v: want CL 18 (octal), tRP 22 (hex), tRAS 52, tRCD 0 (08 is octal 0), CWL 16, tWR 20 (first value), tCK 0.625", tm)
	}
	if cfg.Protocol != DDR4 || cfg.AddressMapping != "rochrababgco" {
		t.Errorf("protocol %q, mapping %q", cfg.Protocol, cfg.AddressMapping)
	}
	// Defaults of keys the file does not give.
	if tm.TRTRS != 2 || tm.TFAW != 50 || cfg.CmdQueueSize != 16 || cfg.TransQueueSize != 32 || cfg.Rows != 65536 {
		t.Errorf("defaults: %+v, cmd queue %d", tm, cfg.CmdQueueSize)
	}
	// HBM2's quirk: tRTP_L/tRTP_S are not read, tRTP keeps its default.
	hbm, _ := Preset("hbm2")
	if hbm.Timing.TRTP != 5 {
		t.Errorf("hbm2 tRTP %d, want the default 5", hbm.Timing.TRTP)
	}
}

// TestParseErrors: one line naming the file, the line, the section and
// the key.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ ini, want string }{
		{"[timing]\nCL = x22\n", `e.ini:2: [timing] CL: "x22" is not an integer`},
		{"[system]\n\nunified_queue = maybe\n", `e.ini:3: [system] unified_queue: "maybe" is not a boolean`},
		{"[dram_structure]\nprotocol = DDR5\n", `e.ini:2: [dram_structure] protocol: unknown or unsupported protocol "DDR5"`},
		{"[system]\naddress_mapping = rochrababgch\n", `e.ini:2: [system] address_mapping: "rochrababgch"`},
		{"[system]\naddress_mapping = rochrababgco;x\n", `[system] address_mapping: "rochrababgco;x"`},
		{"[system]\nchannels = 0\n", `e.ini:2: [system] channels: must be positive, got 0`},
		{"[timing]\ntREFI = 0\n", `e.ini:2: [timing] tREFI: gives a refresh interval of 0 cycles`},
		{"[timing]\ntRFC = 9000\n", `e.ini:2: [timing] tRFC: 9000 cycles is not shorter than tREFI (7800)`},
		{"[system]\nrefresh_policy = BANK_LEVEL_STAGGERED\n", `e.ini:2: [system] refresh_policy: BANK_LEVEL_STAGGERED is not modelled`},
		{"[timing]\ntCK = 0\n", `e.ini:2: [timing] tCK: must be positive`},
		{"[dram_structure]\nrows = 16\n", `[system] channel_size: a rank of this structure holds less than 1 MB`},
		{"[timing\nCL = 3\n", `e.ini: `},
	} {
		_, err := ParseConfig("e.ini", []byte(c.ini))
		if err == nil {
			t.Errorf("%q: no error, want %q", c.ini, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %q, want one line containing %q", c.ini, err, c.want)
		}
	}
}

// FuzzParseConfig: any text gives a config or an error, never a panic;
// a config it accepts runs a short trace to completion.
func FuzzParseConfig(f *testing.F) {
	for _, n := range PresetNames() {
		data, _ := PresetFile(n)
		f.Add(data)
	}
	f.Add([]byte("[system]\nchannels = 4\nqueue_structure = PER_RANK\nunified_queue = true\nrow_buf_policy = CLOSE_PAGE\n"))
	f.Add([]byte("[dram_structure]\nprotocol = GDDR6\nBL = 0\nbankgroup_enable = false\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("f.ini", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		var reqs []Request
		for i := range 40 {
			reqs = append(reqs, Request{Addr: uint64(i*i*4099) << 6 % (1 << 30), Write: i%3 == 0, Arrival: int64(i)})
		}
		res, _, err := Replay(cfg, reqs, ReplayOptions{})
		if err != nil {
			// Timings that leave no room to serve a request are reported,
			// not waited on forever.
			if strings.Contains(err.Error(), "no progress") {
				return
			}
			t.Fatalf("replay: %v", err)
		}
		for i, r := range res {
			if r.Accept < reqs[i].Arrival || r.Done <= r.Accept {
				t.Fatalf("request %d: %+v arrival %d", i, r, reqs[i].Arrival)
			}
		}
	})
}
