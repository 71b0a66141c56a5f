package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
)

// configFiles lists every config the project ships: the golden cases and the
// SCALE-Sim examples.
func configFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"../testdata/golden/*/scale.cfg", "../testdata/configs/*.cfg"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("found only %d config files", len(files))
	}
	return files
}

func TestLoadConfigShipped(t *testing.T) {
	for _, path := range configFiles(t) {
		t.Run(path, func(t *testing.T) {
			cfg, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			checkConfigInvariants(t, cfg)
			if strings.Contains(path, "golden") {
				// The golden folders are named after run_name.
				if want := filepath.Base(filepath.Dir(path)); cfg.RunName != want {
					t.Errorf("RunName = %q, want %q", cfg.RunName, want)
				}
				// Folder names say the mode: userN means USER with Bandwidth N.
				user := strings.Contains(cfg.RunName, "_user")
				if user != (cfg.BandwidthMode == USER) {
					t.Errorf("BandwidthMode = %v for %s", cfg.BandwidthMode, cfg.RunName)
				}
			}
		})
	}
}

func TestLoadConfigValues(t *testing.T) {
	tests := []struct {
		path string
		want Config
	}{
		{"../testdata/golden/alexnet_part_32x32_ws_user10/scale.cfg", Config{
			Path:        "../testdata/golden/alexnet_part_32x32_ws_user10/scale.cfg",
			RunName:     "alexnet_part_32x32_ws_user10",
			ArrayHeight: 32, ArrayWidth: 32,
			IfmapSRAMKB: 64, FilterSRAMKB: 64, OfmapSRAMKB: 64,
			IfmapOffset: 0, FilterOffset: 10000000, OfmapOffset: 20000000,
			Dataflow:      systolic.WS,
			BandwidthMode: USER,
			Bandwidth:     []int{10},
			MemoryBanks:   1,
		}},
		{"../testdata/configs/eyeriss.cfg", Config{
			Path:        "../testdata/configs/eyeriss.cfg",
			RunName:     "eyeriss",
			ArrayHeight: 12, ArrayWidth: 14,
			IfmapSRAMKB: 36, FilterSRAMKB: 36, OfmapSRAMKB: 36,
			IfmapOffset: 0, FilterOffset: 10000000, OfmapOffset: 20000000,
			Dataflow:      systolic.WS,
			BandwidthMode: CALC,
			MemoryBanks:   1,
		}},
		{"../testdata/configs/scale.cfg", Config{
			Path:        "../testdata/configs/scale.cfg",
			RunName:     "scale_example_run_32x32_os",
			ArrayHeight: 32, ArrayWidth: 32,
			IfmapSRAMKB: 64, FilterSRAMKB: 64, OfmapSRAMKB: 64,
			IfmapOffset: 0, FilterOffset: 10000000, OfmapOffset: 20000000,
			Dataflow:      systolic.OS,
			BandwidthMode: CALC,
			MemoryBanks:   1,
		}},
		{"../testdata/golden/stall_8x8_is_user1/scale.cfg", Config{
			Path:        "../testdata/golden/stall_8x8_is_user1/scale.cfg",
			RunName:     "stall_8x8_is_user1",
			ArrayHeight: 8, ArrayWidth: 8,
			IfmapSRAMKB: 1, FilterSRAMKB: 1, OfmapSRAMKB: 1,
			IfmapOffset: 0, FilterOffset: 10000000, OfmapOffset: 20000000,
			Dataflow:      systolic.IS,
			BandwidthMode: USER,
			Bandwidth:     []int{1},
			MemoryBanks:   1,
		}},
	}
	for _, tt := range tests {
		got, err := Load(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Load(%s):\n got %+v\nwant %+v", tt.path, got, tt.want)
		}
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := Load("../testdata/configs/does-not-exist.cfg")
	if err == nil || !strings.HasPrefix(err.Error(), "config ../testdata/configs/does-not-exist.cfg: ") {
		t.Fatalf("err = %v", err)
	}
}

var baseConfig = func() string {
	data, err := os.ReadFile("../testdata/configs/base.cfg")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

// edit replaces the line starting with key (a whole line prefix) in
// baseConfig by repl, or deletes it when repl is "".
func edit(t *testing.T, prefix, repl string) string {
	t.Helper()
	lines := strings.Split(baseConfig, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			if repl == "" {
				return strings.Join(append(lines[:i:i], lines[i+1:]...), "\n")
			}
			lines[i] = repl
			return strings.Join(lines, "\n")
		}
	}
	t.Fatalf("no line %q", prefix)
	return ""
}

func TestParseConfigGood(t *testing.T) {
	base := Config{
		Path: "a.cfg", RunName: "base",
		ArrayHeight: 4, ArrayWidth: 8,
		IfmapSRAMKB: 1, FilterSRAMKB: 2, OfmapSRAMKB: 3,
		FilterOffset: 10000000, OfmapOffset: 20000000,
		Dataflow: systolic.WS, BandwidthMode: USER, Bandwidth: []int{10}, MemoryBanks: 1,
	}
	tests := []struct {
		name string
		in   func(t *testing.T) string
		mod  func(c *Config)
	}{
		{"base", func(t *testing.T) string { return baseConfig }, func(c *Config) {}},
		{"keys case-insensitive", func(t *testing.T) string {
			return edit(t, "ArrayHeight", "ARRAYHEIGHT = 6")
		}, func(c *Config) { c.ArrayHeight = 6 }},
		{"python int", func(t *testing.T) string {
			return edit(t, "ArrayWidth", "ArrayWidth: +1_6 ")
		}, func(c *Config) { c.ArrayWidth = 16 }},
		{"bandwidth list", func(t *testing.T) string {
			return edit(t, "Bandwidth", "Bandwidth = 10, 20 ,30")
		}, func(c *Config) { c.Bandwidth = []int{10, 20, 30} }},
		{"calc ignores malformed bandwidth", func(t *testing.T) string {
			s := edit(t, "InterfaceBandwidth", "InterfaceBandwidth: CALC")
			return strings.Replace(s, "Bandwidth : 10", "Bandwidth : ten", 1)
		}, func(c *Config) { c.BandwidthMode = CALC; c.Bandwidth = nil }},
		{"calc without bandwidth", func(t *testing.T) string {
			s := edit(t, "InterfaceBandwidth", "InterfaceBandwidth: CALC")
			return strings.Replace(s, "Bandwidth : 10\n", "", 1)
		}, func(c *Config) { c.BandwidthMode = CALC; c.Bandwidth = nil }},
		{"no memory banks", func(t *testing.T) string {
			return edit(t, "MemoryBanks", "")
		}, func(c *Config) {}},
		{"memory banks parsed", func(t *testing.T) string {
			return edit(t, "MemoryBanks", "MemoryBanks: 4")
		}, func(c *Config) { c.MemoryBanks = 4 }},
		{"comments and unknown keys", func(t *testing.T) string {
			return "# top\n; also\n" + edit(t, "MemoryBanks", "  # indented comment\nReadRequestBuffer: 32")
		}, func(c *Config) {}},
		{"CRLF", func(t *testing.T) string {
			return strings.ReplaceAll(baseConfig, "\n", "\r\n")
		}, func(c *Config) {}},
		{"DEFAULT section supplies keys", func(t *testing.T) string {
			return "[DEFAULT]\nDataflow = is\n" + edit(t, "Dataflow", "")
		}, func(c *Config) { c.Dataflow = systolic.IS }},
		{"network_presets quirk", func(t *testing.T) string {
			return edit(t, "MemoryBanks", `TopologyCsvLoc: "../topologies/x.csv"`) + "[network_presets]\nTopologyCsvLoc: ignored\n"
		}, func(c *Config) { c.Topology = "../topologies/x.csv" }},
		{"run_name with spaces", func(t *testing.T) string {
			return edit(t, "run_name", "run_name = my run ")
		}, func(c *Config) { c.RunName = "my run" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("a.cfg", []byte(tt.in(t)))
			if err != nil {
				t.Fatal(err)
			}
			want := base
			want.Bandwidth = append([]int(nil), base.Bandwidth...)
			tt.mod(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseConfigBad(t *testing.T) {
	tests := []struct {
		name string
		in   func(t *testing.T) string
		want string
	}{
		{"dataflow", func(t *testing.T) string { return edit(t, "Dataflow", "Dataflow: xs") },
			`config a.cfg: [architecture_presets] Dataflow: unknown value "xs" (allowed: os, ws, is)`},
		{"dataflow case", func(t *testing.T) string { return edit(t, "Dataflow", "Dataflow: WS") },
			`config a.cfg: [architecture_presets] Dataflow: unknown value "WS" (allowed: os, ws, is)`},
		{"float", func(t *testing.T) string { return edit(t, "ArrayHeight", "ArrayHeight: 4.0") },
			`config a.cfg: [architecture_presets] ArrayHeight: "4.0" is not an integer`},
		{"empty int", func(t *testing.T) string { return edit(t, "ArrayHeight", "ArrayHeight:") },
			`config a.cfg: [architecture_presets] ArrayHeight: "" is not an integer`},
		{"inline comment kept", func(t *testing.T) string { return edit(t, "ArrayWidth", "ArrayWidth: 4 ; x") },
			`config a.cfg: [architecture_presets] ArrayWidth: "4 ; x" is not an integer; inline comments are not stripped (SCALE-Sim's configparser keeps them in the value): put the comment on a line of its own`},
		{"zero", func(t *testing.T) string { return edit(t, "ArrayHeight", "ArrayHeight: 0") },
			`config a.cfg: [architecture_presets] ArrayHeight: must be positive, got 0`},
		{"negative sram", func(t *testing.T) string { return edit(t, "OfmapSramSzkB", "OfmapSramSzkB: -1") },
			`config a.cfg: [architecture_presets] OfmapSramSzkB: must be positive, got -1`},
		{"huge sram", func(t *testing.T) string { return edit(t, "IfmapSramSzkB", "IfmapSramSzkB: 9223372036854775807") },
			`config a.cfg: [architecture_presets] IfmapSramSzkB: must be at most 9007199254740991, got 9223372036854775807`},
		{"out of range", func(t *testing.T) string { return edit(t, "FilterOffset", "FilterOffset: 99999999999999999999") },
			`config a.cfg: [architecture_presets] FilterOffset: "99999999999999999999" is out of range`},
		{"negative offset", func(t *testing.T) string { return edit(t, "IfmapOffset", "IfmapOffset: -5") },
			`config a.cfg: [architecture_presets] IfmapOffset: must be >= 0, got -5`},
		{"mode case", func(t *testing.T) string {
			return edit(t, "InterfaceBandwidth", "InterfaceBandwidth: user")
		}, `config a.cfg: [run_presets] InterfaceBandwidth: unknown value "user" (allowed: USER, CALC)`},
		{"user without bandwidth", func(t *testing.T) string { return edit(t, "Bandwidth", "") },
			`config a.cfg: [architecture_presets] Bandwidth: missing (required when InterfaceBandwidth is USER)`},
		{"user bandwidth bad element", func(t *testing.T) string { return edit(t, "Bandwidth", "Bandwidth: 10,") },
			`config a.cfg: [architecture_presets] Bandwidth: element 2 of "10,": "" is not an integer`},
		{"user bandwidth zero", func(t *testing.T) string { return edit(t, "Bandwidth", "Bandwidth: 0") },
			`config a.cfg: [architecture_presets] Bandwidth: must be positive, got 0`},
		{"user bandwidth zero element", func(t *testing.T) string { return edit(t, "Bandwidth", "Bandwidth: 4, 0") },
			`config a.cfg: [architecture_presets] Bandwidth: element 2 of "4, 0": must be positive, got 0`},
		{"memory banks", func(t *testing.T) string { return edit(t, "MemoryBanks", "MemoryBanks: 0") },
			`config a.cfg: [architecture_presets] MemoryBanks: must be positive, got 0`},
		{"missing run_name", func(t *testing.T) string { return edit(t, "run_name", "") },
			`config a.cfg: [general] run_name: missing`},
		{"missing key", func(t *testing.T) string { return edit(t, "FilterOffset", "") },
			`config a.cfg: [architecture_presets] FilterOffset: missing`},
		{"missing section", func(t *testing.T) string {
			return strings.Replace(baseConfig, "[run_presets]\nInterfaceBandwidth: USER\n", "", 1)
		}, `config a.cfg: missing section [run_presets]`},
		{"section case-sensitive", func(t *testing.T) string { return edit(t, "[general]", "[General]") },
			`config a.cfg: missing section [general]`},
		{"empty run_name", func(t *testing.T) string { return edit(t, "run_name", "run_name =") },
			`config a.cfg: [general] run_name: must not be empty`},
		{"run_name path", func(t *testing.T) string { return edit(t, "run_name", "run_name = ../x") },
			`config a.cfg: [general] run_name: must not contain a path separator, got "../x"`},
		{"run_name backslash", func(t *testing.T) string { return edit(t, "run_name", `run_name = a\b`) },
			`config a.cfg: [general] run_name: must not contain a path separator, got "a\\b"`},
		{"run_name dotdot", func(t *testing.T) string { return edit(t, "run_name", "run_name = ..") },
			`config a.cfg: [general] run_name: must name a folder, got ".."`},
		{"duplicate key", func(t *testing.T) string { return edit(t, "ArrayWidth", "ArrayWidth: 8\narraywidth = 8") },
			`config a.cfg: [architecture_presets] ArrayWidth: duplicate key (lines 6 and 7)`},
		{"duplicate empty key", func(t *testing.T) string { return edit(t, "ArrayWidth", "ArrayWidth: 8\narraywidth =") },
			`config a.cfg: [architecture_presets] ArrayWidth: duplicate key (lines 6 and 7)`},
		{"duplicate section", func(t *testing.T) string { return baseConfig + "[general]\nx = 1\n" },
			`config a.cfg: line 19: duplicate section [general] (first on line 1)`},
		{"key before section", func(t *testing.T) string { return "x = 1\n" + baseConfig },
			`config a.cfg: line 1: "x = 1" is outside any [section]`},
		{"no delimiter", func(t *testing.T) string { return edit(t, "MemoryBanks", "MemoryBanks 1") },
			`config a.cfg: line 15: expected key = value or key: value, got "MemoryBanks 1"`},
		{"multi-line value", func(t *testing.T) string { return edit(t, "ArrayHeight", "ArrayHeight: 4\n  5") },
			`config a.cfg: line 6: indented line continues the previous value (a configparser multi-line value); npusim does not accept multi-line values`},
		{"ini backtick quoting", func(t *testing.T) string { return edit(t, "ArrayHeight", "ArrayHeight: `4`") },
			"config a.cfg: [architecture_presets] ArrayHeight: value \"`4`\" uses ini quoting that SCALE-Sim's configparser does not understand"},
		{"ini quoted key", func(t *testing.T) string { return baseConfig + "[x]\n\"k\" = 3\n" },
			`config a.cfg: [x] k: key name uses ini syntax (quotes or an auto-increment "-") that SCALE-Sim's configparser does not understand`},
		{"quotes kept", func(t *testing.T) string { return edit(t, "ArrayHeight", `ArrayHeight: "4"`) },
			`config a.cfg: [architecture_presets] ArrayHeight: "\"4\"" is not an integer`},
		{"network_presets without key", func(t *testing.T) string { return baseConfig + "[network_presets]\nTopologyCsvLoc: \"x.csv\"\n" },
			`config a.cfg: [architecture_presets] TopologyCsvLoc: missing (SCALE-Sim reads it from [architecture_presets] when a [network_presets] section exists)`},
		{"network_presets unquoted", func(t *testing.T) string {
			return edit(t, "MemoryBanks", "TopologyCsvLoc: x.csv") + "[network_presets]\n"
		}, `config a.cfg: [architecture_presets] TopologyCsvLoc: value must be a double-quoted path, got "x.csv"`},
		{"unclosed section", func(t *testing.T) string { return edit(t, "[run_presets]", "[run_presets") },
			`config a.cfg: line 17: unclosed section header "[run_presets"`},
		{"not utf8", func(t *testing.T) string { return edit(t, "run_name", "run_name = \xff") },
			`config a.cfg: not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("a.cfg", []byte(tt.in(t)))
			if err == nil {
				t.Fatalf("no error; got %+v", cfg)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestPyInt(t *testing.T) {
	good := map[string]int64{"0": 0, " 7 ": 7, "+3": 3, "-3": -3, "007": 7, "1_000": 1000, "\t12\n": 12}
	for s, want := range good {
		if got, err := py.Int(s); err != nil || got != want {
			t.Errorf("Int(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", " ", "4.0", "0x10", "1e3", "+", "-", "_1", "1_", "1__0", "+-1", "1 2", "٣"} {
		if got, err := py.Int(s); err == nil {
			t.Errorf("Int(%q) = %d, want error", s, got)
		}
	}
}

func checkConfigInvariants(t testing.TB, cfg Config) {
	t.Helper()
	if cfg.ArrayHeight <= 0 || cfg.ArrayWidth <= 0 || cfg.IfmapSRAMKB <= 0 || cfg.FilterSRAMKB <= 0 ||
		cfg.OfmapSRAMKB <= 0 || cfg.MemoryBanks <= 0 {
		t.Fatalf("non-positive size in %+v", cfg)
	}
	if cfg.IfmapOffset < 0 || cfg.FilterOffset < 0 || cfg.OfmapOffset < 0 {
		t.Fatalf("negative offset in %+v", cfg)
	}
	if cfg.RunName == "" || strings.ContainsAny(cfg.RunName, `/\`) || cfg.RunName == "." || cfg.RunName == ".." {
		t.Fatalf("bad run name %q", cfg.RunName)
	}
	if _, err := systolic.ParseDataflow(cfg.Dataflow.String()); err != nil {
		t.Fatalf("bad dataflow %v", cfg.Dataflow)
	}
	switch cfg.BandwidthMode {
	case USER:
		if len(cfg.Bandwidth) == 0 {
			t.Fatalf("USER mode without bandwidth: %+v", cfg)
		}
		for _, b := range cfg.Bandwidth {
			if b <= 0 {
				t.Fatalf("non-positive bandwidth in %+v", cfg)
			}
		}
	case CALC:
		if cfg.Bandwidth != nil {
			t.Fatalf("CALC mode with bandwidth: %+v", cfg)
		}
	default:
		t.Fatalf("bad mode %v", cfg.BandwidthMode)
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, path := range configFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(baseConfig))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.cfg", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config f.cfg: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		checkConfigInvariants(t, cfg)
	})
}

func TestBandwidthModeString(t *testing.T) {
	if CALC.String() != "CALC" || USER.String() != "USER" {
		t.Errorf("String: %q %q", CALC, USER)
	}
}
