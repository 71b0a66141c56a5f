package config

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/ini.v1"

	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
)

// BandwidthMode is the config's InterfaceBandwidth.
type BandwidthMode int

// The two interface bandwidth modes of SCALE-Sim v2.
const (
	CALC BandwidthMode = iota // the bandwidth is computed from the demand
	USER                      // the bandwidth is Bandwidth[0]
)

// String returns the config spelling.
func (m BandwidthMode) String() string {
	switch m {
	case CALC:
		return "CALC"
	case USER:
		return "USER"
	}
	return fmt.Sprintf("BandwidthMode(%d)", int(m))
}

// Config is a parsed and validated SCALE-Sim v2 config file.
type Config struct {
	Path                                   string // file it came from
	RunName                                string // names the output sub-folder
	ArrayHeight, ArrayWidth                int
	IfmapSRAMKB, FilterSRAMKB, OfmapSRAMKB int
	IfmapOffset, FilterOffset, OfmapOffset int64
	Dataflow                               systolic.Dataflow
	BandwidthMode                          BandwidthMode
	// Bandwidth is the parsed list in USER mode (SCALE-Sim uses only
	// Bandwidth[0]); nil in CALC mode, where the key is not read at all.
	Bandwidth []int
	// MemoryBanks is parsed if present, else 1. It has no effect, as in
	// SCALE-Sim v2; it is parsed only so that a garbled value is reported.
	MemoryBanks int
	// Topology is TopologyCsvLoc when a [network_presets] section exists,
	// else "". SCALE-Sim reads the key from [architecture_presets] (see
	// Parse); a topology given on the command line overrides it.
	Topology string
	// V3 is set for a SCALE-Sim v3 config (one with a [sparsity] section);
	// see config_v3.go.
	V3 *V3Config
	// WordBytes (bytes per word) and Batch (inputs per layer) are the
	// [npusim] section; 0 means 1 (config_ext.go).
	WordBytes, Batch int
	// FrequencyMHz is the accelerator's clock ([npusim] FrequencyMHz; 0:
	// the default, 1000). Cycle counts do not depend on it with the ideal
	// channels; with a real memory it sets how many of its cycles an
	// accelerator cycle lasts.
	FrequencyMHz float64
	// Energy is the [energy] section over the defaults; the zero value
	// means DefaultEnergy (energy.go).
	Energy EnergyTable
	// DRAM is the optional [dram] section: the memory behind the buffers
	// (zero value: SCALE-Sim's ideal channels).
	DRAM dram.MemorySpec
	// Multicore is the optional [multicore] section (multicoreconfig.go);
	// the zero value is one core.
	Multicore MulticoreConfig
	// Vector is the optional [vector] section (vector.go); nil without one.
	Vector *VectorConfig
}

// Section names. configparser compares them case-sensitively.
const (
	secGeneral = "general"
	secRun     = "run_presets"
	secArch    = "architecture_presets"
	secNetwork = "network_presets"
	secDefault = "DEFAULT" // configparser's default section: its keys are visible in every section
)

// maxSRAMKB keeps kB*1024 (the buffer size in words) within int64.
const maxSRAMKB = math.MaxInt64 / 1024

// Load reads and parses the config file at path.
func Load(path string) (Config, error) {
	data, err := fileio.ReadFileLimited(path, "config")
	if err != nil {
		return Config{}, err
	}
	return Parse(path, data)
}

// Parse parses a SCALE-Sim v2 config held in data; path is used in
// error messages and recorded in Config.Path.
//
// The file is read the way Python's configparser reads it (case-sensitive
// sections, case-insensitive keys, ':' or '=', full-line '#'/';' comments
// only, duplicates are errors, [DEFAULT] keys are visible everywhere).
// Validation is stricter than SCALE-Sim: sizes must be positive, offsets
// non-negative, and Dataflow must be exactly os, ws or is. SCALE-Sim warns
// on any other Dataflow and then silently simulates output stationary;
// npusim returns an error instead, because a typo such as "WS" would
// otherwise produce plausible but wrong numbers.
func Parse(path string, data []byte) (cfg Config, err error) {
	p := &cfgParser{path: path}
	if !utf8.Valid(data) {
		// Python decodes the file as UTF-8 and would fail; the run name
		// also becomes a folder name, so garbage must not get through.
		return Config{}, p.errf("not valid UTF-8")
	}
	if err := p.scan(data); err != nil {
		return Config{}, err
	}
	if err := p.load(data); err != nil {
		return Config{}, err
	}
	return p.build()
}

type cfgParser struct {
	path string
	// raw holds, per section and lower-cased key, the value exactly as
	// configparser would see it (see scan).
	raw      map[string]map[string]string
	sections map[string]bool // sections present in the file, excluding DEFAULT
	// line and spelling hold, per section and lower-cased key, its line
	// number and its spelling in the file.
	line     map[string]map[string]int
	spelling map[string]map[string]string
	file     *ini.File
}

func (p *cfgParser) errf(format string, args ...any) error {
	return fmt.Errorf("config %s: %s", p.path, fmt.Sprintf(format, args...))
}

func (p *cfgParser) keyErrf(section, key, format string, args ...any) error {
	return fmt.Errorf("config %s: [%s] %s: %s%s", p.path, section, key, fmt.Sprintf(format, args...), p.inlineCommentHint(section, key))
}

// scan walks the file line by line with ini.v1's line rules and checks the
// configparser rules that ini.v1 has no option for: duplicate sections and
// keys (ini.v1 silently keeps one), keys before any section header
// (configparser: MissingSectionHeaderError; ini.v1 would file them under
// DEFAULT) and indented lines after a key, which configparser appends to the
// previous value as a multi-line value (ini.v1 would read them as keys).
// npusim rejects multi-line values: none of the keys SCALE-Sim reads can
// hold one meaningfully. It also records each raw value so that load can
// verify ini.v1 did not reinterpret it (ini.v1 strips `...` and """..."""
// quotes, which configparser keeps).
func (p *cfgParser) scan(data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // ini.v1 skips a UTF-8 BOM
	p.raw = map[string]map[string]string{}
	p.line = map[string]map[string]int{}
	p.spelling = map[string]map[string]string{}
	p.sections = map[string]bool{}
	firstLine := map[string]int{} // "section\x00key" or "[section" -> line number
	section := ""
	inKey := false // the previous content line was a key line of this section
	keyIndent := 0
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		body := strings.TrimLeftFunc(line, unicode.IsSpace)
		if body == "" {
			continue
		}
		if body[0] == '#' || body[0] == ';' {
			continue
		}
		indent := len(line) - len(body)
		if inKey && indent > keyIndent {
			return p.errf("line %d: indented line continues the previous value (a configparser multi-line value); npusim does not accept multi-line values", n)
		}
		inKey = false
		if body[0] == '[' {
			end := strings.LastIndexByte(body, ']')
			if end < 0 {
				return p.errf("line %d: unclosed section header %q", n, strings.TrimSpace(body))
			}
			section = body[1:end]
			if section == "" {
				return p.errf("line %d: empty section name", n)
			}
			// configparser allows [DEFAULT] to be reopened, but not
			// other sections.
			if first, dup := firstLine["["+section]; dup && section != secDefault {
				return p.errf("line %d: duplicate section [%s] (first on line %d)", n, section, first)
			}
			firstLine["["+section] = n
			if section != secDefault {
				p.sections[section] = true
			}
			if p.raw[section] == nil {
				p.raw[section] = map[string]string{}
				p.line[section] = map[string]int{}
				p.spelling[section] = map[string]string{}
			}
			continue
		}
		if section == "" {
			return p.errf("line %d: %q is outside any [section]", n, strings.TrimSpace(body))
		}
		d := strings.IndexAny(body, "=:")
		if d < 0 {
			return p.errf("line %d: expected key = value or key: value, got %q", n, strings.TrimSpace(body))
		}
		name := strings.TrimSpace(body[:d])
		if name == "" {
			return p.errf("line %d: empty key name", n)
		}
		key := strings.ToLower(name)
		id := section + "\x00" + key
		if first, dup := firstLine[id]; dup {
			return p.keyErrf(section, keyDisplayName(key, name), "duplicate key (lines %d and %d)", first, n)
		}
		firstLine[id] = n
		p.raw[section][key] = strings.TrimSpace(body[d+1:])
		p.line[section][key] = n
		p.spelling[section][key] = name
		inKey = true
		keyIndent = indent
	}
	return nil
}

// load parses the file with ini.v1 and cross-checks every value with scan's.
func (p *cfgParser) load(data []byte) (err error) {
	defer func() {
		// Defensive: the library must not take the simulator down on a
		// malformed file; report a panic as a syntax error.
		if r := recover(); r != nil {
			err = p.errf("ini parser failed: %v", r)
		}
	}()
	f, err := ini.LoadSources(ini.LoadOptions{
		InsensitiveKeys:         true,  // configparser lower-cases keys (optionxform) ...
		InsensitiveSections:     false, // ... but not section names
		KeyValueDelimiters:      "=:",
		IgnoreInlineComment:     true, // configparser keeps "4 ; x" as the value
		IgnoreContinuation:      true, // a trailing '\' is literal in configparser
		PreserveSurroundedQuote: true, // configparser keeps quotes
		AllowShadows:            true, // duplicates are caught by scan; keep ini.v1 from merging
		AllowNonUniqueSections:  true,
	}, data)
	if err != nil {
		return p.errf("%v", err)
	}
	p.file = f
	for _, sec := range f.Sections() {
		for _, k := range sec.Keys() {
			want, ok := p.raw[sec.Name()][k.Name()]
			if !ok {
				return p.errf("[%s] %s: key name uses ini syntax (quotes or an auto-increment \"-\") that SCALE-Sim's configparser does not understand", sec.Name(), k.Name())
			}
			if want != k.Value() {
				return p.errf("[%s] %s: value %q uses ini quoting that SCALE-Sim's configparser does not understand", sec.Name(), keyDisplayName(k.Name(), k.Name()), want)
			}
		}
	}
	return nil
}

// get looks a key up the way configparser does: in the section, then in
// [DEFAULT]. The key name is SCALE-Sim's spelling, used in messages.
func (p *cfgParser) get(section, key string) (string, bool) {
	for _, s := range []string{section, secDefault} {
		secs, err := p.file.SectionsByName(s)
		if err != nil {
			continue
		}
		for _, sec := range secs {
			if k, err := sec.GetKey(key); err == nil && k != nil {
				return k.Value(), true
			}
		}
	}
	return "", false
}

func (p *cfgParser) require(section, key string) (string, error) {
	v, ok := p.get(section, key)
	if !ok {
		return "", p.keyErrf(section, key, "missing")
	}
	return v, nil
}

func (p *cfgParser) intKey(section, key string, min, max int64) (int64, error) {
	s, err := p.require(section, key)
	if err != nil {
		return 0, err
	}
	v, err := py.Int(s)
	if err != nil {
		return 0, p.keyErrf(section, key, "%v", err)
	}
	if v < min {
		if min == 1 {
			return 0, p.keyErrf(section, key, "must be positive, got %d", v)
		}
		return 0, p.keyErrf(section, key, "must be >= %d, got %d", min, v)
	}
	if v > max {
		return 0, p.keyErrf(section, key, "must be at most %d, got %d", max, v)
	}
	return v, nil
}

func (p *cfgParser) build() (Config, error) {
	cfg := Config{Path: p.path, MemoryBanks: 1}
	for _, s := range []string{secGeneral, secRun, secArch} {
		if !p.sections[s] {
			return Config{}, p.errf("missing section [%s]", s)
		}
	}
	if err := p.checkKeys(); err != nil {
		return Config{}, err
	}

	name, err := p.require(secGeneral, "run_name")
	if err != nil {
		return Config{}, err
	}
	// run_name names the output folder: keep it inside the log directory.
	switch {
	case name == "":
		return Config{}, p.keyErrf(secGeneral, "run_name", "must not be empty")
	case strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, os.PathSeparator):
		return Config{}, p.keyErrf(secGeneral, "run_name", "must not contain a path separator, got %q", name)
	case name == "." || name == "..":
		return Config{}, p.keyErrf(secGeneral, "run_name", "must name a folder, got %q", name)
	case strings.ContainsRune(name, 0):
		return Config{}, p.keyErrf(secGeneral, "run_name", "must not contain a NUL byte")
	case fileio.NonPrintable(name) >= 0:
		return Config{}, p.keyErrf(secGeneral, "run_name", "must be printable, got %q (character %U)", name, fileio.NonPrintable(name))
	}
	cfg.RunName = name

	mode, err := p.require(secRun, "InterfaceBandwidth")
	if err != nil {
		return Config{}, err
	}
	switch mode {
	case "USER":
		cfg.BandwidthMode = USER
	case "CALC":
		cfg.BandwidthMode = CALC
	default:
		// SCALE-Sim leaves the config invalid and crashes later.
		return Config{}, p.keyErrf(secRun, "InterfaceBandwidth", "unknown value %q (allowed: USER, CALC)", mode)
	}

	ints := []struct {
		key      string
		min, max int64
		dst      func(int64)
	}{
		{"ArrayHeight", 1, MaxArrayDim, func(v int64) { cfg.ArrayHeight = int(v) }},
		{"ArrayWidth", 1, MaxArrayDim, func(v int64) { cfg.ArrayWidth = int(v) }},
		{"IfmapSramSzkB", 1, maxSRAMKB, func(v int64) { cfg.IfmapSRAMKB = int(v) }},
		{"FilterSramSzkB", 1, maxSRAMKB, func(v int64) { cfg.FilterSRAMKB = int(v) }},
		{"OfmapSramSzkB", 1, maxSRAMKB, func(v int64) { cfg.OfmapSRAMKB = int(v) }},
		{"IfmapOffset", 0, math.MaxInt64, func(v int64) { cfg.IfmapOffset = v }},
		{"FilterOffset", 0, math.MaxInt64, func(v int64) { cfg.FilterOffset = v }},
		{"OfmapOffset", 0, math.MaxInt64, func(v int64) { cfg.OfmapOffset = v }},
	}
	for _, k := range ints {
		v, err := p.intKey(secArch, k.key, k.min, k.max)
		if err != nil {
			return Config{}, err
		}
		k.dst(v)
	}

	df, err := p.require(secArch, "Dataflow")
	if err != nil {
		return Config{}, err
	}
	if cfg.Dataflow, err = systolic.ParseDataflow(df); err != nil {
		return Config{}, p.keyErrf(secArch, "Dataflow", "unknown value %q (allowed: os, ws, is)", df)
	}

	// In CALC mode SCALE-Sim never reads Bandwidth, so it may be missing
	// or malformed there.
	if cfg.BandwidthMode == USER {
		bw, ok := p.get(secArch, "Bandwidth")
		if !ok {
			return Config{}, p.keyErrf(secArch, "Bandwidth", "missing (required when InterfaceBandwidth is USER)")
		}
		parts := strings.Split(py.Strip(bw), ",")
		cfg.Bandwidth = make([]int, len(parts))
		for i, part := range parts {
			where := ""
			if len(parts) > 1 {
				where = fmt.Sprintf("element %d of %q: ", i+1, bw)
			}
			v, err := py.Int(part)
			if err != nil {
				return Config{}, p.keyErrf(secArch, "Bandwidth", "%s%v", where, err)
			}
			if v <= 0 {
				return Config{}, p.keyErrf(secArch, "Bandwidth", "%smust be positive, got %d", where, v)
			}
			if v > MaxBandwidth {
				return Config{}, p.keyErrf(secArch, "Bandwidth", "%smust be at most %d, got %d", where, int64(MaxBandwidth), v)
			}
			cfg.Bandwidth[i] = int(v)
		}
	}

	if _, ok := p.get(secArch, "MemoryBanks"); ok {
		v, err := p.intKey(secArch, "MemoryBanks", 1, math.MaxInt)
		if err != nil {
			return Config{}, err
		}
		cfg.MemoryBanks = int(v)
	}

	// QUIRK (SCALE-Sim v2): when [network_presets] exists, the topology
	// path is read from [architecture_presets] (the wrong section
	// variable), as the text after the first '"' up to the next one
	// (Python's value.split('"')[1]).
	if p.sections[secNetwork] {
		loc, ok := p.get(secArch, "TopologyCsvLoc")
		if !ok {
			return Config{}, p.keyErrf(secArch, "TopologyCsvLoc", "missing (SCALE-Sim reads it from [%s] when a [%s] section exists)", secArch, secNetwork)
		}
		parts := strings.Split(loc, `"`)
		if len(parts) < 2 {
			return Config{}, p.keyErrf(secArch, "TopologyCsvLoc", "value must be a double-quoted path, got %q", loc)
		}
		cfg.Topology = parts[1]
	}
	if err := p.parseV3(&cfg); err != nil {
		return Config{}, err
	}
	if err := p.parseExtensions(&cfg); err != nil {
		return Config{}, err
	}
	if err := p.dramSection(&cfg); err != nil {
		return Config{}, err
	}
	if err := p.multicoreSection(&cfg); err != nil {
		return Config{}, err
	}
	if err := p.vectorSection(&cfg); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// keyDisplayName returns SCALE-Sim's spelling of a known lower-cased key,
// else the spelling found in the file.
func keyDisplayName(lower, asWritten string) string {
	for _, k := range []string{"run_name", "InterfaceBandwidth", "ArrayHeight", "ArrayWidth",
		"IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB", "IfmapOffset", "FilterOffset",
		"OfmapOffset", "Dataflow", "Bandwidth", "MemoryBanks", "TopologyCsvLoc"} {
		if strings.ToLower(k) == lower {
			return k
		}
	}
	return asWritten
}

// ReadFile reads a config file through the size limit Load applies,
// for a caller that needs its text as well (a sweep edits it).
func ReadFile(path string) ([]byte, error) { return fileio.ReadFileLimited(path, "config") }
