package dramsim

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"math"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/ini.v1"
)

// The DRAMsim3 configs shipped with npusim (unchanged copies of DRAMsim3's
// configs/*.ini, MIT licence in presets/LICENSE-dramsim3).
//
//go:embed presets/*.ini presets/LICENSE-dramsim3
var presetFS embed.FS

// Presets maps a preset name to its DRAMsim3 config file in presets/.
var Presets = map[string]string{
	"ddr4":   "DDR4_8Gb_x8_3200.ini",
	"hbm2":   "HBM2_8Gb_x128.ini",
	"lpddr4": "LPDDR4_8Gb_x16_2400.ini",
}

// PresetNames lists the preset names, sorted.
func PresetNames() []string {
	var names []string
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the config of a preset (see Presets).
func Preset(name string) (*Config, error) {
	file, ok := Presets[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown DRAM preset %q (known: %s)", name, strings.Join(PresetNames(), ", "))
	}
	data, err := presetFS.ReadFile(path.Join("presets", file))
	if err != nil {
		return nil, err
	}
	return ParseConfig(file, data)
}

// PresetFile returns the text of a preset's .ini file.
func PresetFile(name string) ([]byte, error) {
	file, ok := Presets[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown DRAM preset %q", name)
	}
	return presetFS.ReadFile(path.Join("presets", file))
}

// LoadConfig reads a DRAMsim3 .ini file.
func LoadConfig(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseConfig(file, data)
}

// Protocol is a DRAM standard as DRAMsim3 names it.
type Protocol string

// The protocols DRAMsim3 knows. HMC is not modelled.
const (
	DDR3   Protocol = "DDR3"
	DDR4   Protocol = "DDR4"
	GDDR5  Protocol = "GDDR5"
	GDDR5X Protocol = "GDDR5X"
	GDDR6  Protocol = "GDDR6"
	LPDDR  Protocol = "LPDDR"
	LPDDR3 Protocol = "LPDDR3"
	LPDDR4 Protocol = "LPDDR4"
	HBM    Protocol = "HBM"
	HBM2   Protocol = "HBM2"
)

func (p Protocol) isHBM() bool  { return p == HBM || p == HBM2 }
func (p Protocol) isGDDR() bool { return p == GDDR5 || p == GDDR5X || p == GDDR6 }

// Refresh policies.
const (
	RankStaggered    = "RANK_LEVEL_STAGGERED"
	RankSimultaneous = "RANK_LEVEL_SIMULTANEOUS"
	BankStaggered    = "BANK_LEVEL_STAGGERED"
)

// Timing holds the [timing] keys that decide request timing, in memory
// clock cycles (TCK in ns).
type Timing struct {
	TCK                                    float64
	AL, CL, CWL                            int
	TCCDL, TCCDS, TRTRS, TRTP              int
	TWTRL, TWTRS, TWR, TRP, TRRDL, TRRDS   int
	TRAS, TRCD, TRFC, TREFI, TREFIb, TRFCb int
	TFAW, TPPD, T32AW, TRCDRD, TRCDWR      int
}

// Power holds the [power] currents (mA) and voltage (V) DRAMsim3 turns into
// energy per command and per background state.
type Power struct {
	VDD                                float64
	IDD0, IPP0, IDD2P, IDD2N, IDD3P    float64
	IDD3N, IDD4W, IDD4R, IDD5AB, IDD6x float64
}

// Config is a DRAMsim3 configuration: the keys DRAMsim3 reads, with its
// defaults, and the quantities it derives from them
// (rule R2 of the DRAMsim3 semantics note).
type Config struct {
	Name string // file the config came from

	Protocol       Protocol
	BankGroups     int // after bankgroup_enable
	BanksPerGroup  int
	Rows, Columns  int // Columns after DRAMsim3's rescaling (HBM x2, GDDR xBL)
	DeviceWidth    int
	BL             int
	HBMDualCmd     bool // effective: HBM protocols only
	ChannelSizeMB  int
	Channels       int
	BusWidth       int
	AddressMapping string
	PerRank        bool // queue_structure = PER_RANK (else PER_BANK)
	ClosePage      bool // row_buf_policy = CLOSE_PAGE
	CmdQueueSize   int
	TransQueueSize int
	UnifiedQueue   bool
	RefreshPolicy  string
	Timing         Timing
	Power          Power

	// Derived (R2.3, R2.4, R2.5).
	Ranks       int
	Banks       int // per rank
	BurstCycle  int
	RL, WL      int
	ReadDelay   int
	WriteDelay  int
	tRC         int
	DevsPerRank int

	// Address mapping (R3).
	RequestBytes int
	shift        uint
	fields       [6]field // ch, ra, bg, ba, ro, co
}

type field struct{ pos, width uint }

const (
	fCh = iota
	fRa
	fBg
	fBa
	fRo
	fCo
)

var fieldNames = map[string]int{"ch": fCh, "ra": fRa, "bg": fBg, "ba": fBa, "ro": fRo, "co": fCo}

// Freq returns the memory clock in Hz (1/tCK).
func (c *Config) FreqHz() float64 { return 1e9 / c.Timing.TCK }

// CommandQueues is the number of command queues per channel.
func (c *Config) CommandQueues() int {
	if c.PerRank {
		return c.Ranks
	}
	return c.Ranks * c.Banks
}

// RefreshInterval is the cycles between two refresh requests of a channel.
func (c *Config) RefreshInterval() int {
	switch c.RefreshPolicy {
	case RankSimultaneous:
		return c.Timing.TREFI
	case BankStaggered:
		return c.Timing.TREFIb
	}
	return c.Timing.TREFI / c.Ranks
}

// Location is where an address lands.
type Location struct {
	Channel, Rank, BankGroup, Bank int
	Row, Column                    int
}

// Decode maps a byte address to its location (R3.3).
func (c *Config) Decode(addr uint64) Location {
	a := addr >> c.shift
	f := &c.fields
	// Written out rather than through a helper closure: this runs for
	// every request a memory accepts.
	return Location{
		int((a >> f[fCh].pos) & (1<<f[fCh].width - 1)),
		int((a >> f[fRa].pos) & (1<<f[fRa].width - 1)),
		int((a >> f[fBg].pos) & (1<<f[fBg].width - 1)),
		int((a >> f[fBa].pos) & (1<<f[fBa].width - 1)),
		int((a >> f[fRo].pos) & (1<<f[fRo].width - 1)),
		int((a >> f[fCo].pos) & (1<<f[fCo].width - 1)),
	}
}

// ParseConfig reads a DRAMsim3 .ini (its text in data; name is used in
// errors) with DRAMsim3's parsing rules: names are case-insensitive, `;`
// starts an inline comment only after white space, integers are read like
// C's strtol with base 0 (a leading 0 means octal, parsing stops at the
// first character that is not a digit: "22.5" is 22), booleans are
// true/yes/on/1 or false/no/off/0, and a missing key takes DRAMsim3's
// default. Where DRAMsim3 would silently fall back to a default because a
// value does not parse at all, or would divide by zero or misbehave, the
// error names the file, the line, the section and the key.
func ParseConfig(name string, data []byte) (*Config, error) {
	f, err := ini.LoadSources(ini.LoadOptions{
		Insensitive:             true,
		IgnoreInlineComment:     true,
		AllowShadows:            true,
		PreserveSurroundedQuote: true,
		IgnoreContinuation:      true,
		KeyValueDelimiters:      "=:",
		SkipUnrecognizableLines: false,
		AllowBooleanKeys:        false,
	}, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", name, oneLine(err.Error()))
	}
	r := &reader{name: name, f: f, lines: keyLines(data)}
	c := &Config{Name: name}

	c.Protocol = Protocol(strings.ToUpper(r.str("dram_structure", "protocol", "DDR3")))
	switch c.Protocol {
	case DDR3, DDR4, GDDR5, GDDR5X, GDDR6, LPDDR, LPDDR3, LPDDR4, HBM, HBM2:
	default:
		return nil, r.errf("dram_structure", "protocol", "unknown or unsupported protocol %q (known: DDR3, DDR4, GDDR5, GDDR5X, GDDR6, LPDDR, LPDDR3, LPDDR4, HBM, HBM2)", c.Protocol)
	}
	c.BankGroups = r.int("dram_structure", "bankgroups", 2)
	c.BanksPerGroup = r.int("dram_structure", "banks_per_group", 2)
	if !r.bool("dram_structure", "bankgroup_enable", true) {
		c.BanksPerGroup *= c.BankGroups
		c.BankGroups = 1
	}
	c.Rows = r.int("dram_structure", "rows", 1<<16)
	c.Columns = r.int("dram_structure", "columns", 1<<10)
	c.DeviceWidth = r.int("dram_structure", "device_width", 8)
	c.BL = r.int("dram_structure", "BL", 8)
	c.HBMDualCmd = r.bool("dram_structure", "hbm_dual_cmd", true) && c.Protocol.isHBM()

	c.ChannelSizeMB = r.int("system", "channel_size", 1024)
	c.Channels = r.int("system", "channels", 1)
	c.BusWidth = r.int("system", "bus_width", 64)
	c.AddressMapping = r.str("system", "address_mapping", "chrobabgraco")
	switch qs := strings.ToUpper(r.str("system", "queue_structure", "PER_BANK")); qs {
	case "PER_BANK":
	case "PER_RANK":
		c.PerRank = true
	default:
		return nil, r.errf("system", "queue_structure", "unknown value %q (allowed: PER_BANK, PER_RANK)", qs)
	}
	switch p := strings.ToUpper(r.str("system", "row_buf_policy", "OPEN_PAGE")); p {
	case "OPEN_PAGE":
	case "CLOSE_PAGE":
		c.ClosePage = true
	default:
		return nil, r.errf("system", "row_buf_policy", "unknown value %q (allowed: OPEN_PAGE, CLOSE_PAGE)", p)
	}
	c.CmdQueueSize = r.int("system", "cmd_queue_size", 16)
	c.TransQueueSize = r.int("system", "trans_queue_size", 32)
	c.UnifiedQueue = r.bool("system", "unified_queue", false)
	c.RefreshPolicy = strings.ToUpper(r.str("system", "refresh_policy", RankStaggered))
	switch c.RefreshPolicy {
	case RankStaggered, RankSimultaneous:
	case BankStaggered:
		return nil, r.errf("system", "refresh_policy", "%s is not modelled (use %s or %s)", BankStaggered, RankStaggered, RankSimultaneous)
	default:
		return nil, r.errf("system", "refresh_policy", "unknown value %q (allowed: %s, %s)", c.RefreshPolicy, RankStaggered, RankSimultaneous)
	}
	if r.bool("system", "enable_self_refresh", false) {
		return nil, r.errf("system", "enable_self_refresh", "self-refresh is not modelled")
	}

	t := &c.Timing
	t.TCK = r.real("timing", "tCK", 1.0)
	t.AL = r.int("timing", "AL", 0)
	t.CL = r.int("timing", "CL", 12)
	t.CWL = r.int("timing", "CWL", 12)
	t.TCCDL = r.int("timing", "tCCD_L", 6)
	t.TCCDS = r.int("timing", "tCCD_S", 4)
	t.TRTRS = r.int("timing", "tRTRS", 2)
	t.TRTP = r.int("timing", "tRTP", 5)
	t.TWTRL = r.int("timing", "tWTR_L", 5)
	t.TWTRS = r.int("timing", "tWTR_S", 5)
	t.TWR = r.int("timing", "tWR", 10)
	t.TRP = r.int("timing", "tRP", 10)
	t.TRRDL = r.int("timing", "tRRD_L", 4)
	t.TRRDS = r.int("timing", "tRRD_S", 4)
	t.TRAS = r.int("timing", "tRAS", 24)
	t.TRCD = r.int("timing", "tRCD", 10)
	t.TRFC = r.int("timing", "tRFC", 74)
	t.TREFI = r.int("timing", "tREFI", 7800)
	t.TREFIb = r.int("timing", "tREFIb", 1950)
	t.TRFCb = r.int("timing", "tRFCb", 20)
	t.TFAW = r.int("timing", "tFAW", 50)
	t.TPPD = r.int("timing", "tPPD", 0)
	t.T32AW = r.int("timing", "t32AW", 330)
	t.TRCDRD = r.int("timing", "tRCDRD", 24)
	t.TRCDWR = r.int("timing", "tRCDWR", 20)

	p := &c.Power
	p.VDD = r.real("power", "VDD", 1.2)
	p.IDD0 = r.real("power", "IDD0", 75)
	p.IPP0 = r.real("power", "IPP0", 4)
	p.IDD2P = r.real("power", "IDD2P", 25)
	p.IDD2N = r.real("power", "IDD2N", 37)
	p.IDD3P = r.real("power", "IDD3P", 43)
	p.IDD3N = r.real("power", "IDD3N", 52)
	p.IDD4W = r.real("power", "IDD4W", 150)
	p.IDD4R = r.real("power", "IDD4R", 168)
	p.IDD5AB = r.real("power", "IDD5AB", 250)
	p.IDD6x = r.real("power", "IDD6x", 30)

	if r.err != nil {
		return nil, r.err
	}
	if err := c.derive(r); err != nil {
		return nil, err
	}
	return c, nil
}

// derive checks the structure and computes what DRAMsim3 derives from it.
func (c *Config) derive(r *reader) error {
	positive := []struct {
		sec, key string
		v        int
	}{
		{"dram_structure", "bankgroups", c.BankGroups}, {"dram_structure", "banks_per_group", c.BanksPerGroup},
		{"dram_structure", "rows", c.Rows}, {"dram_structure", "columns", c.Columns},
		{"dram_structure", "device_width", c.DeviceWidth},
		{"system", "channels", c.Channels}, {"system", "bus_width", c.BusWidth},
		{"system", "channel_size", c.ChannelSizeMB},
		{"system", "cmd_queue_size", c.CmdQueueSize}, {"system", "trans_queue_size", c.TransQueueSize},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return r.errf(p.sec, p.key, "must be positive, got %d", p.v)
		}
	}
	if c.BL < 0 {
		return r.errf("dram_structure", "BL", "must be >= 0, got %d", c.BL)
	}
	if c.Timing.TCK <= 0 {
		return r.errf("timing", "tCK", "must be positive, got %g", c.Timing.TCK)
	}
	if c.Channels > 1<<16 || c.BankGroups*c.BanksPerGroup > 1<<12 {
		return r.errf("system", "channels", "structure too large (%d channels, %d banks per rank)", c.Channels, c.BankGroups*c.BanksPerGroup)
	}
	c.Banks = c.BankGroups * c.BanksPerGroup
	// R2.3: burst cycles from the configured BL, then BL 0 means the
	// protocol's default, then the column count is rescaled.
	switch c.Protocol {
	case GDDR5:
		c.BurstCycle = c.BL / 4
	case GDDR5X:
		c.BurstCycle = c.BL / 8
	case GDDR6:
		c.BurstCycle = c.BL / 16
	default:
		c.BurstCycle = c.BL / 2
	}
	if c.BL == 0 {
		c.BL = 8
		if c.Protocol.isHBM() {
			c.BL = 4
		}
	}
	switch {
	case c.Protocol.isHBM():
		c.Columns *= 2
	case c.Protocol.isGDDR():
		c.Columns *= c.BL
	}
	// R2.4: ranks from the channel size.
	c.DevsPerRank = c.BusWidth / c.DeviceWidth
	pageBytes := c.Columns * c.DeviceWidth / 8
	megsPerBank := pageBytes * (c.Rows / 1024) / 1024
	megsPerRank := megsPerBank * c.Banks * c.DevsPerRank
	switch {
	case megsPerRank <= 0:
		return r.errf("system", "channel_size", "a rank of this structure holds less than 1 MB (rows %d, columns %d, device_width %d, bus_width %d): DRAMsim3 divides by zero", c.Rows, c.Columns, c.DeviceWidth, c.BusWidth)
	case megsPerRank > c.ChannelSizeMB:
		c.Ranks = 1
	default:
		c.Ranks = c.ChannelSizeMB / megsPerRank
	}
	if c.Ranks > 64 || c.Channels*c.Ranks*c.Banks > 1<<16 {
		return r.errf("system", "channel_size", "gives %d channels x %d ranks x %d banks; at most 64 ranks and 65536 banks in all are modelled", c.Channels, c.Ranks, c.Banks)
	}
	if c.CmdQueueSize > 1<<16 || c.TransQueueSize > 1<<16 {
		return r.errf("system", "trans_queue_size", "queues of %d (cmd_queue_size %d) entries: at most 65536 are modelled", c.TransQueueSize, c.CmdQueueSize)
	}
	// R2.5.
	t := c.Timing
	c.RL = t.AL + t.CL
	c.WL = t.AL + t.CWL
	c.tRC = t.TRAS + t.TRP
	c.ReadDelay = c.RL + c.BurstCycle
	c.WriteDelay = c.WL + c.BurstCycle
	if c.RefreshInterval() <= 0 {
		return r.errf("timing", "tREFI", "gives a refresh interval of %d cycles with %d ranks; it must be positive", c.RefreshInterval(), c.Ranks)
	}
	if t.TRFC >= t.TREFI {
		// Each rank would need refreshing again before its refresh ends:
		// the refresh backlog would grow without bound.
		return r.errf("timing", "tRFC", "%d cycles is not shorter than tREFI (%d)", t.TRFC, t.TREFI)
	}
	// R3: address mapping.
	c.RequestBytes = c.BusWidth / 8 * c.BL
	if c.RequestBytes <= 0 {
		return r.errf("system", "bus_width", "gives requests of %d bytes (bus_width/8 x BL)", c.RequestBytes)
	}
	c.shift = log2(c.RequestBytes)
	colBits := int(log2(c.Columns)) - int(log2(c.BL))
	if colBits < 0 {
		return r.errf("dram_structure", "columns", "%d columns hold less than one burst of BL %d", c.Columns, c.BL)
	}
	widths := [6]uint{log2(c.Channels), log2(c.Ranks), log2(c.BankGroups), log2(c.BanksPerGroup), log2(c.Rows), uint(colBits)}
	m := strings.ToLower(c.AddressMapping)
	if len(m) != 12 {
		return r.errf("system", "address_mapping", "%q: must be six 2-letter fields (ch ra bg ba ro co), each once", c.AddressMapping)
	}
	var seen [6]bool
	pos := uint(0)
	for i := 5; i >= 0; i-- {
		tok := m[2*i : 2*i+2]
		f, ok := fieldNames[tok]
		if !ok || seen[f] {
			return r.errf("system", "address_mapping", "%q: must be six 2-letter fields (ch ra bg ba ro co), each once; %q is unknown or repeated", c.AddressMapping, tok)
		}
		seen[f] = true
		c.fields[f] = field{pos: pos, width: widths[f]}
		pos += widths[f]
	}
	if pos+c.shift > 64 {
		return r.errf("system", "address_mapping", "needs %d address bits", pos+c.shift)
	}
	return nil
}

// log2 is DRAMsim3's: floor(log2(n)) by repeated halving, 0 for n <= 1.
func log2(n int) uint {
	var b uint
	for n > 1 {
		n >>= 1
		b++
	}
	return b
}

// reader reads typed values from an ini file the way DRAMsim3's INIReader
// does and remembers the first error.
type reader struct {
	name  string
	f     *ini.File
	lines map[string]int // "section.key" (lower case) -> line of its first occurrence
	err   error
}

// raw returns the value of a key as INIReader sees it: inline `;`
// comments (after white space) cut, a key given twice joined by a newline.
func (r *reader) raw(sec, key string) (string, bool) {
	s, err := r.f.GetSection(strings.ToLower(sec))
	if err != nil {
		return "", false
	}
	k, err := s.GetKey(strings.ToLower(key))
	if err != nil {
		return "", false
	}
	vals := k.ValueWithShadows()
	for i, v := range vals {
		vals[i] = cutComment(v)
	}
	return strings.Join(vals, "\n"), true
}

// cutComment removes an inline comment: a `;` at the start or after white
// space, and what follows it.
func cutComment(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] == ';' && (i == 0 || v[i-1] == ' ' || v[i-1] == '\t') {
			v = v[:i]
			break
		}
	}
	return strings.TrimSpace(v)
}

func (r *reader) errf(sec, key, format string, args ...any) error {
	line := r.lines[strings.ToLower(sec)+"."+strings.ToLower(key)]
	where := r.name
	if line > 0 {
		where = fmt.Sprintf("%s:%d", r.name, line)
	}
	return fmt.Errorf("%s: [%s] %s: %s", where, sec, key, fmt.Sprintf(format, args...))
}

func (r *reader) fail(sec, key, format string, args ...any) {
	if r.err == nil {
		r.err = r.errf(sec, key, format, args...)
	}
}

func (r *reader) str(sec, key, def string) string {
	v, ok := r.raw(sec, key)
	if !ok {
		return def
	}
	return v
}

// int reads an integer like strtol(value, &end, 0): a value where no digit
// parses is an error (DRAMsim3 would silently take the default).
func (r *reader) int(sec, key string, def int) int {
	v, ok := r.raw(sec, key)
	if !ok {
		return def
	}
	n, ok := strtol(v)
	if !ok {
		r.fail(sec, key, "%q is not an integer", firstLine(v))
		return def
	}
	if n > math.MaxInt32 || n < math.MinInt32 {
		r.fail(sec, key, "%q is out of range", firstLine(v))
		return def
	}
	return int(n)
}

// real reads a float like strtod: the longest prefix that parses.
func (r *reader) real(sec, key string, def float64) float64 {
	v, ok := r.raw(sec, key)
	if !ok {
		return def
	}
	s := firstLine(v)
	for end := len(s); end > 0; end-- {
		if x, err := strconv.ParseFloat(s[:end], 64); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
			return x
		}
	}
	r.fail(sec, key, "%q is not a number", s)
	return def
}

func (r *reader) bool(sec, key string, def bool) bool {
	v, ok := r.raw(sec, key)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true
	case "false", "no", "off", "0":
		return false
	}
	r.fail(sec, key, "%q is not a boolean (true/yes/on/1 or false/no/off/0)", firstLine(v))
	return def
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// strtol parses the start of s as C's strtol(s, &end, 0) does; ok is false
// when no digit was consumed.
func strtol(s string) (int64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := int64(10)
	if i < len(s) && s[i] == '0' {
		if i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && hexDigit(s[i+2]) >= 0 {
			base = 16
			i += 2
		} else {
			base = 8
		}
	}
	var n int64
	digits := 0
	for ; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || int64(d) >= base {
			break
		}
		digits++
		if n < math.MaxInt64/16 {
			n = n*base + int64(d)
		}
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// keyLines finds the line of the first occurrence of every section.key.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	sec := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == ';' || l[0] == '#' {
			continue
		}
		if l[0] == '[' {
			if i := strings.IndexByte(l, ']'); i > 0 {
				sec = strings.ToLower(strings.TrimSpace(l[1:i]))
			}
			continue
		}
		if i := strings.IndexAny(l, "=:"); i > 0 {
			k := sec + "." + strings.ToLower(strings.TrimSpace(l[:i]))
			if _, ok := lines[k]; !ok {
				lines[k] = n
			}
		}
	}
	return lines
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
