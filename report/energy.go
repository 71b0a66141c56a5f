package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/npusim/npusim/components/protocol"
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/py"
	"github.com/npusim/npusim/systolic"
)

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
	NumActions      // the number of actions
)

// ActionNames are the actions' names in ENERGY_REPORT.csv, by action.
var ActionNames = [NumActions]string{"MAC", "Idle PE Cycle", "IFMAP SRAM Read", "FILTER SRAM Read",
	"FILTER Metadata SRAM Read", "OFMAP SRAM Write", "IFMAP DRAM Read", "FILTER DRAM Read", "OFMAP DRAM Write"}

// LayerEnergy is one layer's (or the run's) energy account.
type LayerEnergy struct {
	Layer   int // -1 for the total
	Cycles  int64
	Actions [NumActions]Action
	ClockHz float64
	// VectorPJ is the vector unit's arithmetic (vector layers only).
	VectorPJ float64
	// ID, if set, replaces Layer in the report (V0, V1... for vector layers).
	ID string
}

// TotalPJ is the sum of the actions' energies.
func (e LayerEnergy) TotalPJ() float64 {
	var s float64
	s += e.VectorPJ
	for _, a := range e.Actions {
		s += a.EnergyPJ
	}
	return s
}

// Seconds is the time the cycles take at the configured clock.
func (e LayerEnergy) Seconds() float64 { return float64(e.Cycles) / e.ClockHz }

// PowerW is the average power.
func (e LayerEnergy) PowerW() float64 {
	if e.Cycles == 0 { // a fused vector layer
		return 0
	}
	return e.TotalPJ() * 1e-12 / e.Seconds()
}

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
func Energy(cfg config.Config, layers []systolic.Layer, reports []Layer) []LayerEnergy {
	t := cfg.Energy
	if t.ClockMHz == 0 {
		t = config.DefaultEnergy(cfg)
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
		if d := r.DRAMEnergyPJ; d != nil {
			// A real memory's own account (npusim's DRAM model).
			for op, a := range []int{ActIfmapDRAM, ActFilterDRAM, ActOfmapDRAM} {
				e.Actions[a].EnergyPJ = d[op]
			}
		}
		out = append(out, e)
		total.add(e)
	}
	return append(out, total)
}

// add adds e's cycles and actions to t.
func (t *LayerEnergy) add(e LayerEnergy) {
	t.Cycles += e.Cycles
	t.VectorPJ += e.VectorPJ
	for a := range e.Actions {
		t.Actions[a].Count += e.Actions[a].Count
		t.Actions[a].Bytes += e.Actions[a].Bytes
		t.Actions[a].EnergyPJ += e.Actions[a].EnergyPJ
	}
}

// energyHeader lists ENERGY_REPORT.csv's columns.
func energyHeader(withVector bool) string {
	items := []string{"LayerID", "Cycles", "MACs", "MAC Energy (pJ)", "Idle PE Cycles", "Idle PE Energy (pJ)"}
	for _, name := range ActionNames[ActIfmapSRAM:] {
		items = append(items, name+"s (words)", name+"s (bytes)", name+" Energy (pJ)")
	}
	if withVector {
		items = append(items, "Vector Op Energy (pJ)")
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
	return py.Float(x)
}

func (e LayerEnergy) row(withVector bool) string {
	id := strconv.Itoa(e.Layer)
	if e.Layer < 0 {
		id = "Total"
	}
	if e.ID != "" {
		id = e.ID
	}
	items := []string{id, itoa(e.Cycles)}
	for a, act := range e.Actions {
		items = append(items, count(act.Count))
		if a != ActMAC && a != ActIdlePE {
			items = append(items, count(act.Bytes))
		}
		items = append(items, py.Float(act.EnergyPJ))
	}
	if withVector {
		items = append(items, py.Float(e.VectorPJ))
	}
	items = append(items, py.Float(e.TotalPJ()), py.Float(e.PowerW()*1e3), py.Float(e.EDP()))
	return csvLine(items...)
}

// energyReport is ENERGY_REPORT.csv: a row per layer as it finishes and a
// Total row when the run completes. With a vector unit it has a Vector Op
// Energy column and a row per vector layer (LayerID V<n>), in the Total
// too.
func energyReport(cfg config.Config) Format {
	var total *LayerEnergy
	vec := cfg.Vector != nil
	add := func(e LayerEnergy) {
		if total == nil {
			total = &e
		} else {
			total.add(e)
		}
	}
	f := Format{
		name:   "ENERGY_REPORT.csv",
		header: energyHeader(vec),
		row: func(r *Layer) string {
			e := Energy(cfg, []systolic.Layer{r.Shape}, []Layer{*r})
			add(e[1])
			return e[0].row(vec)
		},
		footer: func() string {
			if total == nil {
				return ""
			}
			return total.row(vec)
		},
	}
	if vec {
		f.vrow = func(v *VectorLayer) string {
			e := vectorEnergy(cfg, v)
			add(e)
			return e.row(true)
		}
	}
	return f
}

// vectorEnergy is a vector layer's energy: the unit's arithmetic, the
// array idle for the layer's cycles, and the buffers' and DRAM's traffic,
// priced as a GEMM layer's.
func vectorEnergy(cfg config.Config, v *VectorLayer) LayerEnergy {
	t := cfg.Energy
	if t.ClockMHz == 0 {
		t = config.DefaultEnergy(cfg)
	}
	wb := float64(max(cfg.WordBytes, 1))
	r := v.asLayer()
	e := LayerEnergy{Layer: v.ID, ID: vectorID(v), Cycles: r.TotalCycles, ClockHz: t.ClockMHz * 1e6}
	idle := float64(r.TotalCycles) * float64(r.ArrayPEs)
	e.Actions[ActIdlePE] = Action{Count: idle, EnergyPJ: idle * t.IdlePEPJ}
	mem := func(words, pj64 float64) Action {
		b := words * wb
		return Action{Count: words, Bytes: b, EnergyPJ: b / 8 * pj64}
	}
	e.Actions[ActIfmapSRAM] = mem(float64(r.SRAM[protocol.Ifmap].Words), t.SRAMPJ[0])
	e.Actions[ActFilterSRAM] = mem(float64(r.SRAM[protocol.Filter].Words), t.SRAMPJ[1])
	e.Actions[ActOfmapSRAM] = mem(float64(r.SRAM[protocol.Ofmap].Words), t.SRAMPJ[2])
	e.Actions[ActIfmapDRAM] = mem(float64(r.DRAM[protocol.Ifmap].Words), t.DRAMReadPJ)
	e.Actions[ActFilterDRAM] = mem(float64(r.DRAM[protocol.Filter].Words), t.DRAMReadPJ)
	e.Actions[ActOfmapDRAM] = mem(float64(r.DRAM[protocol.Ofmap].Words), t.DRAMWritePJ)
	e.VectorPJ = vectorEnergyPJ(cfg, t, v)
	return e
}
