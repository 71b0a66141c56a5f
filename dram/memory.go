package dram

import (
	"fmt"
	"math/bits"

	"github.com/npusim/npusim/dram/dramsim"
	akdram "github.com/sarchlab/akita/v3/mem/dram"
	"github.com/sarchlab/akita/v3/mem/idealmemcontroller"
	"github.com/sarchlab/akita/v3/mem/mem"
	"github.com/sarchlab/akita/v3/sim"
)

// The memory models a MemorySpec can name.
const (
	Ideal = "ideal" // SCALE-Sim's ideal channel (Channel); no akita memory
	// Fixed is a fixed latency, Width requests per cycle: the runner and
	// multicore serve it with a Controller (WithFixed, no tick per cycle);
	// BuildMemory still builds akita's mem/idealmemcontroller for it.
	Fixed = "fixed"
	// npusim's DRAM model (Controller), DRAMsim3's timing, with DRAMsim3's
	// configs DDR4_8Gb_x8_3200, HBM2_8Gb_x128 and LPDDR4_8Gb_x16_2400
	// (dramsim.Presets); MemorySpec.Config names any other DRAMsim3 .ini.
	DDR4   = "ddr4"
	HBM2   = "hbm2"
	LPDDR4 = "lpddr4"
	// akita's mem/dram with the timing sets below, kept for comparison.
	AkitaDDR4 = "akita-ddr4"
	AkitaHBM2 = "akita-hbm2"
)

// UsesController reports whether the spec is served by a Controller:
// npusim's DRAM model, or Fixed (a Controller with a fixed latency, which
// does not tick per cycle).
func (s MemorySpec) UsesController() bool { return s.IsDRAMsim() || s.Model == Fixed }

// Defaults returns the spec with its zero fields set to their defaults.
func (s MemorySpec) Defaults() MemorySpec { return s.withDefaults() }

// FixedCapacity is the bytes a Fixed memory holds per channel.
const FixedCapacity = 4 << 30

// IsDRAMsim reports whether the spec runs npusim's DRAM model
// (Controller) rather than an akita memory or the ideal channels.
func (s MemorySpec) IsDRAMsim() bool {
	return s.Model == DDR4 || s.Model == HBM2 || s.Model == LPDDR4 || s.Config != ""
}

// LoadDRAMsim returns the DRAMsim3 config of a spec that IsDRAMsim: the
// file Config names, else the preset Model names.
func (s MemorySpec) LoadDRAMsim() (*dramsim.Config, error) {
	if s.Parsed != nil {
		return s.Parsed, nil
	}
	if s.Config != "" {
		return dramsim.LoadConfig(s.Config)
	}
	return dramsim.Preset(s.Model)
}

// MemorySpec describes the memory behind the three operand buffers. The
// zero value of a field selects its default.
type MemorySpec struct {
	Model string // Ideal (the default), Fixed, DDR4, HBM2, LPDDR4, AkitaDDR4 or AkitaHBM2
	// Config is a DRAMsim3 .ini file for npusim's DRAM model (Model then
	// empty or the file's base name).
	Config string
	// Parsed is Config's content once read (config.Parse sets it), so that
	// a run never reads the file again; nil: LoadDRAMsim reads Config.
	Parsed *dramsim.Config
	// Continuous runs the layers back to back on one memory (serially);
	// by default each layer starts on an idle memory at its own cycle 0.
	Continuous bool
	// The fields below apply to Fixed, AkitaDDR4 and AkitaHBM2; npusim's
	// DRAM model takes its structure from its DRAMsim3 config.
	//
	// Channels is the number of memory controllers, addresses interleaved
	// across them every RequestBytes (default: 1; 8 for AkitaHBM2, one stack).
	Channels int
	// Latency (cycles of the accelerator clock, 0 allowed: it has no
	// default) and Width (requests a controller starts per cycle, default
	// 1) of Fixed.
	Latency, Width int
	// RequestBytes is the size of each memory request (default 64, a power
	// of two; at least the 64-byte access unit for DDR4 and HBM2).
	RequestBytes int
	// MaxInFlight limits each operand adapter's outstanding requests
	// (default 64).
	MaxInFlight int
}

// IsIdeal reports whether the spec keeps SCALE-Sim's ideal channels.
func (s MemorySpec) IsIdeal() bool { return (s.Model == "" && s.Config == "") || s.Model == Ideal }

// withDefaults fills the zero fields.
func (s MemorySpec) withDefaults() MemorySpec {
	if s.Model == "" {
		s.Model = Ideal
	}
	if s.Channels == 0 {
		s.Channels = 1
		if s.Model == AkitaHBM2 {
			s.Channels = 8
		}
	}
	if s.Width == 0 {
		s.Width = 1
	}
	if s.RequestBytes == 0 {
		s.RequestBytes = 64
	}
	if s.MaxInFlight == 0 {
		s.MaxInFlight = 64
	}
	return s
}

// Validate checks the spec; the error names the offending field.
func (s MemorySpec) Validate() error {
	switch s.Model {
	case "", Ideal, Fixed, DDR4, HBM2, LPDDR4, AkitaDDR4, AkitaHBM2:
	default:
		if s.Config == "" {
			return fmt.Errorf("Model: unknown value %q (allowed: %s, %s, %s, %s, %s, %s, %s, or Config = FILE.ini)", s.Model, Ideal, Fixed, DDR4, HBM2, LPDDR4, AkitaDDR4, AkitaHBM2)
		}
	}
	if s.IsDRAMsim() {
		for _, f := range []struct {
			name string
			v    int
		}{{"Channels", s.Channels}, {"Width", s.Width}, {"RequestBytes", s.RequestBytes}, {"MaxInFlight", s.MaxInFlight}, {"Latency", s.Latency}} {
			if f.v != 0 {
				return fmt.Errorf("%s: has no effect on npusim's DRAM model (its DRAMsim3 config sets the structure)", f.name)
			}
		}
		return nil
	}
	if s.Continuous {
		return fmt.Errorf("Continuous: applies only to npusim's DRAM model (%s, %s, %s or Config)", DDR4, HBM2, LPDDR4)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Channels", s.Channels}, {"Width", s.Width}, {"RequestBytes", s.RequestBytes}, {"MaxInFlight", s.MaxInFlight}} {
		if f.v < 0 {
			return fmt.Errorf("%s: must be positive, got %d", f.name, f.v)
		}
	}
	if s.Latency < 0 {
		return fmt.Errorf("Latency: must be >= 0, got %d", s.Latency)
	}
	d := s.withDefaults()
	if d.RequestBytes&(d.RequestBytes-1) != 0 {
		return fmt.Errorf("RequestBytes: must be a power of two, got %d", d.RequestBytes)
	}
	if t, ok := timings[d.Model]; ok {
		if d.RequestBytes < t.accessBytes() {
			return fmt.Errorf("RequestBytes: must be at least %d (the %s access unit), got %d", t.accessBytes(), d.Model, d.RequestBytes)
		}
		// A request lies within one row of a bank (the column bits above
		// it must not be negative).
		if most := t.busWidth / 8 * t.cols; d.RequestBytes > most {
			return fmt.Errorf("RequestBytes: must be at most %d for %s (a bank row: %d columns of %d bytes), got %d", most, d.Model, t.cols, t.busWidth/8, d.RequestBytes)
		}
		if most := 1 << t.colBits(d.RequestBytes); d.Channels&(d.Channels-1) != 0 || d.Channels > most {
			return fmt.Errorf("Channels: must be a power of two up to %d for %s with %d-byte requests, got %d", most, d.Model, d.RequestBytes, d.Channels)
		}
	}
	return nil
}

// timing is a complete, consistent akita mem/dram parameter set. All
// times are in cycles of the DRAM command clock freq. akita v3.1.0 has no
// presets: every field here must be set, because its defaults are DDR3's
// and a set that mixes them with another protocol's geometry or clock is
// wrong or panics ("previous cmd is not completed").
type timing struct {
	protocol                    akdram.Protocol
	freq                        sim.Freq
	busWidth, burstLength       int // bits, beats
	deviceWidth                 int // bits
	ranks, bankGroups, banks    int
	rows, cols                  int
	tCL, tCWL, tRCD, tRP, tRAS  int
	tRCDRD, tRCDWR              int // HBM and GDDR only
	tCCDL, tCCDS, tRRDL, tRRDS  int
	tWTRL, tWTRS, tWR, tRTP     int
	tRTRS, tPPD                 int
	tREFI, tRFC, tRFCb          int
	description, source, quirks string
}

// accessBytes is the bytes one column access (one burst) moves.
func (t timing) accessBytes() int { return t.busWidth / 8 * t.burstLength }

// colBits is the number of column bits above a request of reqBytes.
func (t timing) colBits(reqBytes int) uint {
	return log2(t.cols/t.burstLength) - log2(reqBytes/t.accessBytes())
}

// channelBytes is the capacity one controller addresses.
func (t timing) channelBytes() uint64 {
	return uint64(t.busWidth/8) * uint64(t.cols) * uint64(t.ranks*t.bankGroups*t.banks) * uint64(t.rows)
}

// peakBytesPerSecond is the channel's pin bandwidth: two transfers of the
// bus width per command clock (double data rate).
func (t timing) peakBytesPerSecond() float64 {
	return float64(t.busWidth/8) * 2 * float64(t.freq)
}

var timings = map[string]timing{
	// DDR4-3200AA (22-22-22) from JEDEC JESD79-4 speed bins: tCK 0.625 ns
	// (1600 MHz command clock), CL = tRCD = tRP = 22 (13.75 ns), tRAS 32 ns,
	// CWL 16, tCCD_S 4, tCCD_L 5 ns, tRRD_S/_L of a 1 KB page (x8 devices)
	// 2.5/4.9 ns -> 4/8 clocks, tWTR_S/_L 2.5/7.5 ns, tWR 15 ns, tRTP
	// 7.5 ns, tREFI 7.8 us, tRFC 350 ns (8 Gb die). The same values as
	// DRAMsim3's configs/DDR4_8Gb_x8_3200.ini. One rank of eight x8 8 Gb
	// devices on a 64-bit channel: 8 GiB, 4 bank groups of 4 banks,
	// 65536 rows, 1024 columns; BL8 moves 64 bytes.
	AkitaDDR4: {
		protocol: akdram.DDR4, freq: 1600 * sim.MHz,
		busWidth: 64, burstLength: 8, deviceWidth: 8,
		ranks: 1, bankGroups: 4, banks: 4, rows: 65536, cols: 1024,
		tCL: 22, tCWL: 16, tRCD: 22, tRP: 22, tRAS: 52,
		tRCDRD: 22, tRCDWR: 22,
		tCCDL: 8, tCCDS: 4, tRRDL: 8, tRRDS: 4,
		tWTRL: 12, tWTRS: 4, tWR: 24, tRTP: 12,
		tRTRS: 1, tPPD: 0,
		tREFI: 12480, tRFC: 560, tRFCb: 560,
		description: "DDR4-3200 22-22-22, 64-bit channel (25.6 GB/s)",
		source:      "JEDEC JESD79-4 (DDR4-3200AA speed bin); as DRAMsim3 configs/DDR4_8Gb_x8_3200.ini",
	},
	// HBM2 at 2 Gb/s per pin from JEDEC JESD235A: tCK 1 ns, a 128-bit
	// channel with 4 bank groups of 4 banks, 32768 rows; CL 14, CWL 4,
	// tRCDRD 14, tRP 14, tRAS 34, tRRD_S/_L 4/6, tWTR_S/_L 6/8, tWR 16,
	// tCCD_S/_L 1/2, tRTP 6 (tRTP_L), tREFI 3.9 us, tRFC 260 ns: the values
	// of DRAMsim3's configs/HBM2_8Gb_x128.ini. The channel is modelled as
	// one 128-bit bus with BL4 (64 bytes per access, 32 GB/s), the peak of
	// its two 64-bit pseudo channels; akita keeps a bank busy for tRCDRD
	// after an activate, so tRCDWR cannot be shorter and is 14 too.
	AkitaHBM2: {
		protocol: akdram.HBM2, freq: 1000 * sim.MHz,
		busWidth: 128, burstLength: 4, deviceWidth: 128,
		ranks: 1, bankGroups: 4, banks: 4, rows: 32768, cols: 64,
		tCL: 14, tCWL: 4, tRCD: 14, tRP: 14, tRAS: 34,
		tRCDRD: 14, tRCDWR: 14,
		tCCDL: 2, tCCDS: 1, tRRDL: 6, tRRDS: 4,
		tWTRL: 8, tWTRS: 6, tWR: 16, tRTP: 6,
		tRTRS: 1, tPPD: 0,
		tREFI: 3900, tRFC: 260, tRFCb: 260,
		description: "HBM2 2 Gb/s/pin, 128-bit channel (32 GB/s)",
		source:      "JEDEC JESD235A; as DRAMsim3 configs/HBM2_8Gb_x128.ini",
	},
}

// Memory is a set of akita memory controllers sharing one address space,
// interleaved every RequestBytes.
type Memory struct {
	Spec        MemorySpec // with defaults filled in
	Controllers []sim.Component
	// Finder routes a (converted) request address to its controller.
	Finder *mem.InterleavedLowModuleFinder
	// Converter spreads consecutive requests of a controller over its
	// banks (DDR4, HBM2); nil for Fixed.
	Converter mem.AddressConverter
	// Capacity is the bytes the memory holds.
	Capacity uint64
	peak     float64 // bytes per second
}

// BuildMemory creates the controllers a spec describes on engine; their
// names start with name, and freq is the accelerator clock (Fixed runs on it). An Ideal spec is an error: the ideal channels are
// built by components.Builder.
func BuildMemory(engine sim.Engine, freq sim.Freq, name string, spec MemorySpec) (*Memory, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	s := spec.withDefaults()
	if s.IsIdeal() {
		return nil, fmt.Errorf("Model: %s needs no memory controllers", Ideal)
	}
	if s.IsDRAMsim() {
		return nil, fmt.Errorf("Model: %s is npusim's DRAM model: build a Controller", s.Model)
	}
	m := &Memory{Spec: s, Finder: mem.NewInterleavedLowModuleFinder(uint64(s.RequestBytes))}
	unit := uint64(s.RequestBytes)
	for i := range s.Channels {
		cname := fmt.Sprintf("%s.Ctrl[%d]", name, i)
		conv := mem.InterleavingConverter{InterleavingSize: unit, TotalNumOfElements: s.Channels, CurrentElementIndex: i}
		var c sim.Component
		switch s.Model {
		case Fixed:
			const perChannel = 4 * mem.GB // akita's default controller size
			c = idealmemcontroller.MakeBuilder().WithEngine(engine).WithFreq(freq).
				WithLatency(s.Latency).WithWidth(s.Width).WithNewStorage(perChannel).
				WithAddressConverter(conv).Build(cname)
			m.Capacity += perChannel
		default:
			t := timings[s.Model]
			// Every controller gets its own storage of the size its
			// address mapping spans: akita's own sizing ignores bank
			// groups and would fail on the upper addresses.
			b := akdram.MakeBuilder().WithEngine(engine).WithProtocol(t.protocol).WithFreq(t.freq).
				WithBusWidth(t.busWidth).WithBurstLength(t.burstLength).WithDeviceWidth(t.deviceWidth).
				WithNumChannel(1).WithNumRank(t.ranks).WithNumBankGroup(t.bankGroups).WithNumBank(t.banks).
				WithNumRow(t.rows).WithNumCol(t.cols).
				WithTCL(t.tCL).WithTCWL(t.tCWL).WithTRCD(t.tRCD).WithTRP(t.tRP).WithTRAS(t.tRAS).
				WithTRCDRD(t.tRCDRD).WithTRCDWR(t.tRCDWR).
				WithTCCDL(t.tCCDL).WithTCCDS(t.tCCDS).WithTRRDL(t.tRRDL).WithTRRDS(t.tRRDS).
				WithTWTRL(t.tWTRL).WithTWTRS(t.tWTRS).WithTWR(t.tWR).WithTRTP(t.tRTP).
				WithTRTRS(t.tRTRS).WithTPPD(t.tPPD).
				WithTREFI(t.tREFI).WithRFC(t.tRFC).WithRFCb(t.tRFCb).
				WithGlobalStorage(mem.NewStorage(t.channelBytes())).
				WithInterleavingAddrConversion(unit, s.Channels, i, 0, 0)
			c = b.Build(cname)
			m.Capacity += t.channelBytes()
		}
		m.Controllers = append(m.Controllers, c)
		m.Finder.LowModules = append(m.Finder.LowModules, c.GetPortByName("Top"))
	}
	switch s.Model {
	case Fixed:
		m.peak = float64(s.Channels*s.Width*s.RequestBytes) * float64(1*sim.GHz)
	default:
		t := timings[s.Model]
		m.peak = float64(s.Channels) * t.peakBytesPerSecond()
		// The controller maps its address high to low as row | channel |
		// rank | bank | bank group | column, so consecutive requests would
		// hit one bank, and akita's close-page controller serialises them
		// (tRC apart): about a tenth of the peak. Rotate them over the
		// banks instead.
		m.Converter = BankInterleaver{
			UnitBytes: unit, Channels: uint64(s.Channels),
			BankBits: log2(t.ranks * t.bankGroups * t.banks),
			ColBits:  t.colBits(s.RequestBytes),
		}
	}
	return m, nil
}

// Ports returns the controllers' "Top" ports, to plug into the connection
// the adapters use.
func (m *Memory) Ports() []sim.Port { return m.Finder.LowModules }

// PeakBytesPerCycle is the memory's peak bandwidth in bytes per cycle of a
// clock of frequency f (the accelerator's): the pin bandwidth of all
// channels for DDR4 and HBM2, Channels x Width x RequestBytes per cycle of
// the accelerator clock for Fixed.
func (m *Memory) PeakBytesPerCycle(f sim.Freq) float64 { return m.peak / float64(f) }

// Describe is a one-line description of the memory and where its timing
// comes from.
func (m *Memory) Describe() string {
	s := m.Spec
	if s.Model == Fixed {
		return fmt.Sprintf("%d fixed-latency controller(s): %d cycles, %d requests/cycle", s.Channels, s.Latency, s.Width)
	}
	t := timings[s.Model]
	return fmt.Sprintf("%d x %s; timing: %s", s.Channels, t.description, t.source)
}

// AdapterBuilder returns an adapter builder routed to the memory, with its
// request size and in-flight limit.
func (m *Memory) AdapterBuilder() AdapterBuilder {
	b := MakeAdapterBuilder().WithLowModuleFinder(m.Finder).
		WithRequestBytes(m.Spec.RequestBytes).WithMaxInFlight(m.Spec.MaxInFlight)
	if m.Converter != nil {
		b = b.WithAddressConverter(m.Converter)
	}
	return b
}

// Span is a run of word addresses [Start, End) an operand occupies.
type Span struct {
	Operand    string
	Start, End int64
}

// CheckCapacity checks that every span, at wordBytes bytes per word, lies
// inside the memory; the error names the operand and the sizes.
func (m *Memory) CheckCapacity(wordBytes int, spans []Span) error {
	for _, sp := range spans {
		over, end := bits.Mul64(uint64(sp.End), uint64(wordBytes))
		if over != 0 || sp.End < 0 || end > m.Capacity {
			return fmt.Errorf("%s occupies bytes %d to %d (words %d to %d at %d bytes per word), beyond the %s memory's %d bytes (%d MiB)",
				sp.Operand, uint64(sp.Start)*uint64(wordBytes), end, sp.Start, sp.End, wordBytes, m.Spec.Model, m.Capacity, m.Capacity>>20)
		}
	}
	return nil
}

// BankInterleaver is a mem.AddressConverter that permutes the bits of
// the index of a UnitBytes block so that consecutive blocks go to
// consecutive controllers (the low log2(Channels) bits, which
// mem.InterleavedLowModuleFinder routes on, are kept) and, within a
// controller, rotate over its 2^BankBits banks (bank group first) before
// they move on to the next column. akita v3.1.0's mem/dram maps banks from
// the address it receives (not the one its interleaving converter makes),
// low to high as column | bank group | bank | rank | channel | row, the
// column taking ColBits bits above the block; so the permutation puts the
// BankBits that follow the controller bits right above the column field and
// moves the column bits down. Channels must be a power of two no larger
// than 2^ColBits. It is a bijection.
type BankInterleaver struct {
	UnitBytes, Channels uint64
	BankBits, ColBits   uint
}

// ConvertExternalToInternal maps a linear address to the one sent to the
// controllers.
func (c BankInterleaver) ConvertExternalToInternal(a uint64) uint64 {
	off, u := a%c.UnitBytes, a/c.UnitBytes
	k := uint(bits.TrailingZeros64(c.Channels))
	ch, v := u&(c.Channels-1), u>>k
	l, r := v&(1<<c.BankBits-1), v>>c.BankBits
	rlo, rhi := r&(1<<(c.ColBits-k)-1), r>>(c.ColBits-k)
	u = rhi<<(c.ColBits+c.BankBits) | l<<c.ColBits | rlo<<k | ch
	return u*c.UnitBytes + off
}

// ConvertInternalToExternal inverts ConvertExternalToInternal.
func (c BankInterleaver) ConvertInternalToExternal(a uint64) uint64 {
	off, u := a%c.UnitBytes, a/c.UnitBytes
	k := uint(bits.TrailingZeros64(c.Channels))
	ch := u & (c.Channels - 1)
	rlo := (u >> k) & (1<<(c.ColBits-k) - 1)
	l := (u >> c.ColBits) & (1<<c.BankBits - 1)
	rhi := u >> (c.ColBits + c.BankBits)
	r := rhi<<(c.ColBits-k) | rlo
	u = (r<<c.BankBits|l)<<k | ch
	return u*c.UnitBytes + off
}

func log2(n int) uint { return uint(bits.Len(uint(n)) - 1) }
