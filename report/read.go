package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The three operands, indices into the per-operand arrays.
const (
	Ifmap = iota
	Filter
	Ofmap
)

// Report file names, as SCALE-Sim writes them.
const (
	ComputeFile   = "COMPUTE_REPORT.csv"
	BandwidthFile = "BANDWIDTH_REPORT.csv"
	DetailedFile  = "DETAILED_ACCESS_REPORT.csv"
)

// LayerFigures holds every figure the three reports give for one layer.
type LayerFigures struct {
	ID                int
	TotalCycles       int64
	StallCycles       int64
	OverallUtil       float64 // %
	MappingEfficiency float64 // %
	ComputeUtil       float64 // %

	SRAMBandwidth [3]float64 // average words per cycle: ifmap, filter, ofmap
	DRAMBandwidth [3]float64
	SRAM          [3]Access
	DRAM          [3]Access
}

// Run is a loaded run folder.
type Run struct {
	Dir    string
	Layers []LayerFigures
}

// LoadRun loads dataDir/runName, the arguments of SCALE-Sim's
// ScalesimReport.load_data.
func LoadRun(dataDir, runName string) (*Run, error) {
	return Load(filepath.Join(dataDir, runName))
}

// Load reads the three reports in dir. Every report must list the same
// layers in the same order.
func Load(dir string) (*Run, error) {
	compute, err := readReport(dir, ComputeFile, 6)
	if err != nil {
		return nil, err
	}
	bw, err := readReport(dir, BandwidthFile, 7)
	if err != nil {
		return nil, err
	}
	det, err := readReport(dir, DetailedFile, 19)
	if err != nil {
		return nil, err
	}
	if len(bw.rows) != len(compute.rows) || len(det.rows) != len(compute.rows) {
		return nil, fmt.Errorf("run %s: the reports list %d, %d and %d layers", dir,
			len(compute.rows), len(bw.rows), len(det.rows))
	}
	run := &Run{Dir: dir, Layers: make([]LayerFigures, len(compute.rows))}
	for i := range compute.rows {
		l := &run.Layers[i]
		c, b, d := compute.rows[i], bw.rows[i], det.rows[i]
		ids := []*report{compute, bw, det}
		for k, r := range [][]string{c, b, d} {
			id, err := ids[k].int(i, r, 0)
			if err != nil {
				return nil, err
			}
			if k == 0 {
				l.ID = int(id)
			} else if int(id) != l.ID {
				return nil, fmt.Errorf("%s line %d: LayerID %d, but %s says %d", ids[k].path, i+2, id, ComputeFile, l.ID)
			}
		}
		p := parser{}
		l.TotalCycles = p.int(compute, i, c, 1)
		l.StallCycles = p.int(compute, i, c, 2)
		l.OverallUtil = p.float(compute, i, c, 3)
		l.MappingEfficiency = p.float(compute, i, c, 4)
		l.ComputeUtil = p.float(compute, i, c, 5)
		for op := range 3 {
			l.SRAMBandwidth[op] = p.float(bw, i, b, 1+op)
			l.DRAMBandwidth[op] = p.float(bw, i, b, 4+op)
			l.SRAM[op] = p.access(det, i, d, 1+3*op)
			l.DRAM[op] = p.access(det, i, d, 10+3*op)
		}
		if p.err != nil {
			return nil, p.err
		}
	}
	return run, nil
}

// report is one CSV report split into rows of trimmed fields.
type report struct {
	path string
	rows [][]string
}

// readReport reads a SCALE-Sim report: a header, then one row per layer of
// at least cols fields, items separated by "," with a trailing comma.
func readReport(dir, name string, cols int) (*report, error) {
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	r := &report{path: path}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for n, line := range lines {
		if n == 0 || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(strings.TrimSuffix(strings.TrimSpace(line), ","), ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if len(f) < cols {
			return nil, fmt.Errorf("%s line %d: %d fields, want %d", path, n+1, len(f), cols)
		}
		r.rows = append(r.rows, f)
	}
	if len(r.rows) == 0 {
		return nil, fmt.Errorf("%s: no layers", path)
	}
	return r, nil
}

// int parses field col of row i; SCALE-Sim writes some counts as floats
// ("12.0"), so an integral float is accepted.
func (r *report) int(i int, row []string, col int) (int64, error) {
	s := row[col]
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%s line %d column %d: %q is not an integer", r.path, i+2, col+1, s)
	}
	return int64(f), nil
}

func (r *report) float(i int, row []string, col int) (float64, error) {
	f, err := strconv.ParseFloat(row[col], 64)
	if err != nil {
		return 0, fmt.Errorf("%s line %d column %d: %q is not a number", r.path, i+2, col+1, row[col])
	}
	return f, nil
}

// parser keeps the first error so that Load reads a row in straight lines.
type parser struct{ err error }

func (p *parser) int(r *report, i int, row []string, col int) int64 {
	v, err := r.int(i, row, col)
	if p.err == nil {
		p.err = err
	}
	return v
}

func (p *parser) float(r *report, i int, row []string, col int) float64 {
	v, err := r.float(i, row, col)
	if p.err == nil {
		p.err = err
	}
	return v
}

func (p *parser) access(r *report, i int, row []string, col int) Access {
	return Access{Start: p.int(r, i, row, col), Stop: p.int(r, i, row, col+1), Words: p.int(r, i, row, col+2)}
}

// ComputeCycles returns each layer's Total Cycles, as
// ScalesimReport.get_compute_cycles_all_layer.
func (r *Run) ComputeCycles() []int64 {
	out := make([]int64, len(r.Layers))
	for i, l := range r.Layers {
		out[i] = l.TotalCycles
	}
	return out
}

// StallCycles returns each layer's Stall Cycles.
func (r *Run) StallCycles() []int64 {
	out := make([]int64, len(r.Layers))
	for i, l := range r.Layers {
		out[i] = l.StallCycles
	}
	return out
}

// Totals are whole-run figures.
type Totals struct {
	TotalCycles, StallCycles int64
	// OverallUtil is the cycle-weighted mean of the layers' Overall Util %
	// (MACs over PE-cycles of the whole run); MappingEfficiency and
	// ComputeUtil are weighted the same way.
	OverallUtil, MappingEfficiency, ComputeUtil float64
	// SRAMWords and DRAMWords are the words each operand moved.
	SRAMWords, DRAMWords [3]int64
}

// Totals sums the layers.
func (r *Run) Totals() Totals {
	var t Totals
	for _, l := range r.Layers {
		t.TotalCycles += l.TotalCycles
		t.StallCycles += l.StallCycles
		w := float64(l.TotalCycles)
		t.OverallUtil += l.OverallUtil * w
		t.MappingEfficiency += l.MappingEfficiency * w
		t.ComputeUtil += l.ComputeUtil * w
		for op := range 3 {
			t.SRAMWords[op] += l.SRAM[op].Words
			t.DRAMWords[op] += l.DRAM[op].Words
		}
	}
	if t.TotalCycles > 0 {
		n := float64(t.TotalCycles)
		t.OverallUtil /= n
		t.MappingEfficiency /= n
		t.ComputeUtil /= n
	}
	return t
}

// LayerDiff is b minus a for one layer.
type LayerDiff struct {
	ID                       int
	TotalCycles, StallCycles int64
	OverallUtil              float64
	MappingEfficiency        float64
	ComputeUtil              float64
	SRAMBandwidth            [3]float64
	DRAMBandwidth            [3]float64
	SRAMWords, DRAMWords     [3]int64
}

// Same reports whether the layer's figures are equal in both runs.
func (d LayerDiff) Same() bool { return d == LayerDiff{ID: d.ID} }

// Compare returns, layer by layer, b's figures minus a's. The runs must
// have the same layers.
func Compare(a, b *Run) ([]LayerDiff, error) {
	if len(a.Layers) != len(b.Layers) {
		return nil, fmt.Errorf("compare %s with %s: %d layers against %d", a.Dir, b.Dir, len(a.Layers), len(b.Layers))
	}
	out := make([]LayerDiff, len(a.Layers))
	for i, la := range a.Layers {
		lb := b.Layers[i]
		if la.ID != lb.ID {
			return nil, fmt.Errorf("compare %s with %s: row %d is layer %d against %d", a.Dir, b.Dir, i, la.ID, lb.ID)
		}
		d := LayerDiff{
			ID:                la.ID,
			TotalCycles:       lb.TotalCycles - la.TotalCycles,
			StallCycles:       lb.StallCycles - la.StallCycles,
			OverallUtil:       lb.OverallUtil - la.OverallUtil,
			MappingEfficiency: lb.MappingEfficiency - la.MappingEfficiency,
			ComputeUtil:       lb.ComputeUtil - la.ComputeUtil,
		}
		for op := range 3 {
			d.SRAMBandwidth[op] = lb.SRAMBandwidth[op] - la.SRAMBandwidth[op]
			d.DRAMBandwidth[op] = lb.DRAMBandwidth[op] - la.DRAMBandwidth[op]
			d.SRAMWords[op] = lb.SRAM[op].Words - la.SRAM[op].Words
			d.DRAMWords[op] = lb.DRAM[op].Words - la.DRAM[op].Words
		}
		out[i] = d
	}
	return out, nil
}
