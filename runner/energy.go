package runner

import (
	"math"
	"strconv"
	"strings"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/systolic"
)

// EnergyTable holds the energy of each action npusim counts. The defaults
// (DefaultEnergy) come from M. Horowitz, "Computing's energy problem (and
// what we can do about it)", ISSCC 2014, 45 nm, 0.9 V; an [energy] section
// in the config overrides any entry.
type EnergyTable struct {
	// MultPJ and AddPJ make up one MAC. Horowitz: 8-bit integer multiply
	// 0.2 pJ, add 0.03 pJ; 32-bit integer multiply 3.1 pJ, add 0.1 pJ.
	// Other word sizes scale the 8-bit figures, the multiplier with the
	// square of the width and the adder linearly (which also gives
	// Horowitz's 32-bit figures to within 10%).
	MultPJ, AddPJ float64
	// IdlePEPJ is charged per PE per cycle without a MAC. Horowitz gives no
	// figure for it, so it is 0 unless the config sets it (clock and leakage
	// of an idle PE).
	IdlePEPJ float64
	// SRAMPJ is the energy of a 64-bit access to the ifmap, filter and ofmap
	// buffers (reads and writes alike). Horowitz: 10 pJ for an 8 kB SRAM,
	// 100 pJ for 1 MB; a buffer of S bytes costs 10*(S/8 kB)^(log 10/log 128)
	// pJ, the power law through both points (also used outside them).
	SRAMPJ [3]float64
	// DRAMReadPJ and DRAMWritePJ are per 64-bit DRAM access. Horowitz: 1.3
	// to 2.6 nJ; the default is the middle, 1950 pJ.
	DRAMReadPJ, DRAMWritePJ float64
	// ClockMHz turns cycles into time for the average power and the
	// energy-delay product; npusim's components run at 1 GHz by default.
	ClockMHz float64
}

// Horowitz, ISSCC 2014 (45 nm) figures the defaults are built from.
const (
	mult8PJ, add8PJ   = 0.2, 0.03  // 8-bit integer multiply and add
	mult32PJ, add32PJ = 3.1, 0.1   // 32-bit integer multiply and add
	sram8kPJ          = 10.0       // 64-bit read, 8 kB SRAM
	sram1MPJ          = 100.0      // 64-bit read, 1 MB SRAM
	dramPJ            = 1950.0     // 64-bit DRAM access, middle of 1.3-2.6 nJ
	defaultClockMHz   = 1000.0     // components.Builder's default clock
	sram8kBytes       = 8 * 1024.0 // the two SRAM sizes Horowitz gives
	sram1MBytes       = 1024 * 1024.0
)

// SRAMAccessPJ is the default energy of a 64-bit access to an SRAM of the
// given size: the power law through Horowitz's 8 kB and 1 MB figures.
func SRAMAccessPJ(bytes float64) float64 {
	exp := math.Log(sram1MPJ/sram8kPJ) / math.Log(sram1MBytes/sram8kBytes)
	return sram8kPJ * math.Pow(bytes/sram8kBytes, exp)
}

// DefaultEnergy is the energy table for cfg's word size and buffer sizes.
func DefaultEnergy(cfg Config) EnergyTable {
	e := EnergyTable{DRAMReadPJ: dramPJ, DRAMWritePJ: dramPJ, ClockMHz: defaultClockMHz}
	switch wb := max(cfg.WordBytes, 1); wb {
	case 1:
		e.MultPJ, e.AddPJ = mult8PJ, add8PJ
	case 4:
		e.MultPJ, e.AddPJ = mult32PJ, add32PJ
	default:
		e.MultPJ, e.AddPJ = mult8PJ*float64(wb*wb), add8PJ*float64(wb)
	}
	for i, kb := range []int{cfg.IfmapSRAMKB, cfg.FilterSRAMKB, cfg.OfmapSRAMKB} {
		e.SRAMPJ[i] = SRAMAccessPJ(float64(kb) * 1024)
	}
	return e
}

// Action is one kind of work in the energy report: how often it happened,
// in words (or MACs, or PE-cycles) and bytes, and its energy.
type Action struct {
	Count    float64 // MACs, PE-cycles or words
	Bytes    float64 // bytes moved (0 for MACs and idle PE-cycles)
	EnergyPJ float64
}

// The actions of a layer's energy, in report order.
const (
	ActMAC = iota
	ActIdlePE
	ActIfmapSRAM    // reads
	ActFilterSRAM   // reads
	ActMetadataSRAM // reads of sparse filter metadata (32-bit words)
	ActOfmapSRAM    // writes
	ActIfmapDRAM    // reads
	ActFilterDRAM   // reads
	ActOfmapDRAM    // writes
	numActions
)

var actionNames = [numActions]string{"MAC", "Idle PE Cycle", "IFMAP SRAM Read", "FILTER SRAM Read",
	"FILTER Metadata SRAM Read", "OFMAP SRAM Write", "IFMAP DRAM Read", "FILTER DRAM Read", "OFMAP DRAM Write"}

// LayerEnergy is one layer's (or the run's) energy account.
type LayerEnergy struct {
	Layer   int // -1 for the total
	Cycles  int64
	Actions [numActions]Action
	ClockHz float64
}

// TotalPJ is the sum of the actions' energies.
func (e LayerEnergy) TotalPJ() float64 {
	var s float64
	for _, a := range e.Actions {
		s += a.EnergyPJ
	}
	return s
}

// Seconds is the time the cycles take at the configured clock.
func (e LayerEnergy) Seconds() float64 { return float64(e.Cycles) / e.ClockHz }

// PowerW is the average power.
func (e LayerEnergy) PowerW() float64 { return e.TotalPJ() * 1e-12 / e.Seconds() }

// EDP is the energy-delay product in joule-seconds.
func (e LayerEnergy) EDP() float64 { return e.TotalPJ() * 1e-12 * e.Seconds() }

// Energy accounts the energy of each layer of a run from its reports, and
// the total (last element, Layer -1). Cycles are SCALE-Sim's Total Cycles.
// MACs are those really done: P*K*N for a dense layer, P*(weights kept)
// for a sparse one, the batch included. Idle PE-cycles are the rest of
// Cycles*R*C. SRAM and DRAM counts are the buffers' requests and the DRAM
// words of the reports, times WordBytes for bytes; sparse layers add one
// read of their filter metadata (SPARSE_REPORT's Filter Metadata Storage,
// 32-bit words) from the filter buffer.
func Energy(cfg Config, layers []systolic.Layer, reports []LayerReport) []LayerEnergy {
	t := cfg.Energy
	if t.ClockMHz == 0 {
		t = DefaultEnergy(cfg)
	}
	wb := float64(max(cfg.WordBytes, 1))
	out := make([]LayerEnergy, 0, len(reports)+1)
	total := LayerEnergy{Layer: -1, ClockHz: t.ClockMHz * 1e6}
	for i := range reports {
		r, l := &reports[i], layers[i]
		e := LayerEnergy{Layer: r.Layer, Cycles: r.TotalCycles, ClockHz: t.ClockMHz * 1e6}
		macs := float64(l.MACs())
		var metaWords float64
		if cfg.V3 != nil && cfg.V3.Sparsity.Enabled {
			s := sparseStorage(cfg.V3, l)
			macs = float64(int64(l.P()) * s.NNZ)
			metaWords = s.Metadata
		}
		idle := math.Max(float64(r.TotalCycles)*float64(r.ArrayPEs)-macs, 0)
		e.Actions[ActMAC] = Action{Count: macs, EnergyPJ: macs * (t.MultPJ + t.AddPJ)}
		e.Actions[ActIdlePE] = Action{Count: idle, EnergyPJ: idle * t.IdlePEPJ}
		mem := func(words, pj64 float64, bytesPerWord float64) Action {
			b := words * bytesPerWord
			return Action{Count: words, Bytes: b, EnergyPJ: b / 8 * pj64}
		}
		e.Actions[ActIfmapSRAM] = mem(float64(r.SRAM[protocol.Ifmap].Words), t.SRAMPJ[0], wb)
		e.Actions[ActFilterSRAM] = mem(float64(r.SRAM[protocol.Filter].Words), t.SRAMPJ[1], wb)
		e.Actions[ActMetadataSRAM] = mem(metaWords, t.SRAMPJ[1], 4)
		e.Actions[ActOfmapSRAM] = mem(float64(r.SRAM[protocol.Ofmap].Words), t.SRAMPJ[2], wb)
		e.Actions[ActIfmapDRAM] = mem(float64(r.DRAM[protocol.Ifmap].Words), t.DRAMReadPJ, wb)
		e.Actions[ActFilterDRAM] = mem(float64(r.DRAM[protocol.Filter].Words), t.DRAMReadPJ, wb)
		e.Actions[ActOfmapDRAM] = mem(float64(r.DRAM[protocol.Ofmap].Words), t.DRAMWritePJ, wb)
		out = append(out, e)
		total.add(e)
	}
	return append(out, total)
}

// add adds e's cycles and actions to t.
func (t *LayerEnergy) add(e LayerEnergy) {
	t.Cycles += e.Cycles
	for a := range e.Actions {
		t.Actions[a].Count += e.Actions[a].Count
		t.Actions[a].Bytes += e.Actions[a].Bytes
		t.Actions[a].EnergyPJ += e.Actions[a].EnergyPJ
	}
}

// energyHeader lists ENERGY_REPORT.csv's columns.
func energyHeader() string {
	items := []string{"LayerID", "Cycles", "MACs", "MAC Energy (pJ)", "Idle PE Cycles", "Idle PE Energy (pJ)"}
	for _, name := range actionNames[ActIfmapSRAM:] {
		items = append(items, name+"s (words)", name+"s (bytes)", name+" Energy (pJ)")
	}
	items = append(items, "Total Energy (pJ)", "Average Power (mW)", "EDP (J*s)")
	return strings.Join(items, ", ") + ","
}

// count prints a count: an integer when it is one (a metadata word count
// can be fractional).
func count(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return strconv.FormatInt(int64(x), 10)
	}
	return pyFloat(x)
}

func (e LayerEnergy) row() string {
	id := strconv.Itoa(e.Layer)
	if e.Layer < 0 {
		id = "Total"
	}
	items := []string{id, itoa(e.Cycles)}
	for a, act := range e.Actions {
		items = append(items, count(act.Count))
		if a != ActMAC && a != ActIdlePE {
			items = append(items, count(act.Bytes))
		}
		items = append(items, pyFloat(act.EnergyPJ))
	}
	items = append(items, pyFloat(e.TotalPJ()), pyFloat(e.PowerW()*1e3), pyFloat(e.EDP()))
	return csvLine(items...)
}

// energyReport is ENERGY_REPORT.csv: a row per layer as it finishes and a
// Total row when the run completes.
func energyReport(cfg Config) reportSpec {
	var total *LayerEnergy
	return reportSpec{
		name:   "ENERGY_REPORT.csv",
		header: energyHeader(),
		row: func(r *LayerReport) string {
			e := Energy(cfg, []systolic.Layer{r.shape}, []LayerReport{*r})
			if total == nil {
				total = &e[1]
			} else {
				total.add(e[1])
			}
			return e[0].row()
		},
		footer: func() string {
			if total == nil {
				return ""
			}
			return total.row()
		},
	}
}
