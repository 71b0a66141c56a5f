package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDramReplayMatchesGolden: the replay command prints DRAMsim3's CSV
// byte for byte, with a preset and with the .ini file.
func TestDramReplayMatchesGolden(t *testing.T) {
	dir := "../../testdata/dram-golden"
	for _, c := range []struct{ flag, value, csv string }{
		{"-model", "lpddr4", "LPDDR4_8Gb_x16_2400.csv"},
		{"-config", filepath.Join(dir, "HBM2_8Gb_x128.ini"), "HBM2_8Gb_x128.csv"},
	} {
		out, errOut, code := runMain(t, "dram", "replay", c.flag, c.value, filepath.Join(dir, "mnk_gemm_os", "requests.trace"))
		if code != 0 {
			t.Fatalf("%s %s: exit %d: %s", c.flag, c.value, code, errOut)
		}
		want, err := os.ReadFile(filepath.Join(dir, "mnk_gemm_os", c.csv))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal([]byte(out), want) {
			t.Errorf("%s %s: output differs from %s", c.flag, c.value, c.csv)
		}
	}
}

// TestDramReplayErrors: bad input gets one line naming the file, the line
// and the key.
func TestDramReplayErrors(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.trace", "0x40 READ 0\n")
	badTrace := write("bad.trace", "0x40 READ 0\n0x80 FETCH 1\n")
	unsorted := write("unsorted.trace", "0x40 READ 5\n0x80 READ 1\n")
	badIni := write("bad.ini", "[dram_structure]\nprotocol = DDR4\n\n[timing]\ntRCD = fast\n")
	badMap := write("map.ini", "[system]\naddress_mapping = rochrababgcc\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", "ddr4", badTrace}, badTrace + `:2: operation "FETCH" is neither READ nor WRITE`},
		{[]string{"-model", "ddr4", unsorted}, unsorted + ":2: arrival 1 is earlier than the previous request's 5"},
		{[]string{"-config", badIni, good}, badIni + `:5: [timing] tRCD: "fast" is not an integer`},
		{[]string{"-config", badMap, good}, badMap + `:2: [system] address_mapping: "rochrababgcc"`},
		{[]string{"-model", "ddr9", good}, `unknown DRAM preset "ddr9"`},
		{[]string{good}, "missing -config FILE.ini or -model NAME"},
		{[]string{"-model", "ddr4", "-config", badIni, good}, "not both"},
	} {
		_, errOut, code := runMain(t, append([]string{"dram", "replay"}, c.args...)...)
		if code == 0 {
			t.Errorf("%v: exit 0, want an error", c.args)
			continue
		}
		if !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: stderr %q, want one line containing %q", c.args, errOut, c.want)
		}
	}
}
