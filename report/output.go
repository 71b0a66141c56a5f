package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/fileio"
)

// A run writes its folder so that, whenever it stops, every file under a
// final name is complete: reports grow a row per finished layer (a failed
// write is rolled back to the last complete row), traces and the marker
// are written under a temporary name and renamed when complete, and
// IncompleteMarker stays in the folder until the last layer's rows are
// written.

// IncompleteMarker is the file in a run folder that says the run did not
// complete and which layers the reports hold. A run writes it first and
// removes it when every layer is done.
const IncompleteMarker = "RUN_INCOMPLETE"

// PartSuffix marks a file still being written; it is renamed to its final
// name when complete.
const PartSuffix = ".part"

// markerEvery is how often, at most, a run refreshes IncompleteMarker
// after a layer (it is always rewritten when the run stops early).
const markerEvery = time.Second

// Format is a report with a row per layer and, for some, a last row
// written when the run completes (footer).
type Format struct {
	name, header string
	row          func(*Layer) string
	footer       func() string
	// vrow, if set, is the report's row for a vector layer (vector.go).
	vrow func(*VectorLayer) string
}

// Name is the file name of the report.
func (f Format) Name() string { return f.name }

// reportFiles are SCALE-Sim's three reports, one row per layer.
var reportFiles = []Format{
	{name: "COMPUTE_REPORT.csv", header: ComputeHeader, row: (*Layer).computeRow},
	{name: "BANDWIDTH_REPORT.csv", header: BandwidthHeader, row: (*Layer).bandwidthRow},
	{name: "DETAILED_ACCESS_REPORT.csv", header: DetailedHeader, row: (*Layer).detailedRow},
}

// Formats lists the reports a run of cfg writes: SCALE-Sim's three
// (in v3's layout for a v3 config, with SPARSE_REPORT.csv when sparsity is
// on) and ENERGY_REPORT.csv.
func Formats(cfg config.Config) []Format {
	var specs []Format
	if cfg.V3 == nil {
		specs = append(specs, reportFiles...)
	} else {
		v3 := func(row func(v3Layer) string) func(*Layer) string {
			return func(r *Layer) string { return row(newV3Layer(cfg.V3, cfg.Dataflow, r.Shape, r)) }
		}
		specs = append(specs,
			Format{name: "COMPUTE_REPORT.csv", header: v3ComputeHeader, row: v3(v3Layer.computeRow)},
			Format{name: "BANDWIDTH_REPORT.csv", header: BandwidthHeader, row: v3(v3Layer.bandwidthRow)},
			Format{name: "DETAILED_ACCESS_REPORT.csv", header: DetailedHeader, row: v3(v3Layer.detailedRow)})
		if cfg.V3.Sparsity.Enabled {
			specs[1].header = v3BandwidthHeader
			specs = append(specs, Format{name: "SPARSE_REPORT.csv", header: sparseHeader, row: v3(v3Layer.sparseRow)})
		}
	}
	specs = append(specs, energyReport(cfg))
	specs = append(specs, dramReports(cfg)...)
	return append(specs, vectorReports(cfg)...)
}

// fileErr makes err name path, once: errors of the os package already
// name it.
func fileErr(path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	if errors.As(err, &pe) || errors.As(err, &le) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// reportFile is one report being written row by row.
type reportFile struct {
	path, header string
	row          func(*Layer) string
	footer       func() string // the last row, written when the run completes
	vrow         func(*VectorLayer) string
	f            fileio.File // nil until the first row
	size         int64       // bytes of the header and the complete rows
	pending      int64       // size after the row being added
}

// add writes r's row (and the header first, if the file is new).
func (rf *reportFile) add(r *Layer) error {
	text := rf.row(r)
	if rf.f == nil {
		f, err := fileio.Create(rf.path)
		if err != nil {
			return fileErr(rf.path, err)
		}
		rf.f, rf.size = f, 0
		text = rf.header + "\n" + text
	}
	n, err := io.WriteString(rf.f, text)
	rf.pending = rf.size + int64(n)
	if err != nil {
		return fileErr(rf.path, err)
	}
	return nil
}

// rollback cuts the file back to its complete rows; a file that holds
// none, or cannot be cut, is removed rather than left truncated.
func (rf *reportFile) rollback() {
	if rf.f == nil {
		return
	}
	if rf.size > 0 && rf.f.Truncate(rf.size) == nil {
		return
	}
	rf.f.Close()
	os.Remove(rf.path)
	rf.f, rf.size = nil, 0
}

// close closes the file; a file that fails to close is removed.
func (rf *reportFile) close() error {
	if rf.f == nil {
		return nil
	}
	err := rf.f.Close()
	rf.f = nil
	if err != nil {
		os.Remove(rf.path)
		return fileErr(rf.path, err)
	}
	return nil
}

// Output is a run folder being written.
type Output struct {
	dir      string
	total    int // layers of the run
	reports  []*reportFile
	done     int    // layers whose rows are written
	last     string // the last finished layer's name
	marker   bool   // the run keeps IncompleteMarker up to date
	markedAt time.Time
	closed   bool
}

// newOutput returns a Output for dir that writes reports only.
func newOutput(dir string, specs []Format, total int) *Output {
	o := &Output{dir: dir, total: total}
	for _, r := range specs {
		o.reports = append(o.reports, &reportFile{path: filepath.Join(dir, r.name), header: r.header, row: r.row, footer: r.footer, vrow: r.vrow})
	}
	return o
}

// StartOutput prepares the run folder dir for a run of total layers: it
// removes what an earlier run wrote there (see cleanRunDir), says on con
// which other files it kept, and marks the run incomplete.
func StartOutput(dir string, specs []Format, total int, con io.Writer) (*Output, error) {
	kept, err := cleanRunDir(dir)
	if err != nil {
		return nil, err
	}
	if len(kept) > 0 {
		fmt.Fprintf(con, "Kept in %s (not written by npusim): %s\n", dir, strings.Join(kept, ", "))
	}
	o := newOutput(dir, specs, total)
	o.marker = true
	if err := o.mark(); err != nil {
		return nil, err
	}
	return o, nil
}

// layerDone writes layer r's rows to the reports. On an error every report
// is cut back to the layers before.
func (o *Output) LayerDone(r *Layer) error {
	for _, rf := range o.reports {
		if err := rf.add(r); err != nil {
			for _, rf := range o.reports {
				rf.rollback()
			}
			return err
		}
	}
	for _, rf := range o.reports {
		rf.size = rf.pending
	}
	o.done++
	o.last = r.Name
	if o.marker && time.Since(o.markedAt) >= markerEvery {
		return o.mark()
	}
	return nil
}

// markerText says how far the run got.
func (o *Output) markerText() string {
	if o.done == 0 {
		return fmt.Sprintf("npusim run incomplete: no layer of %d finished\n", o.total)
	}
	return fmt.Sprintf("npusim run incomplete: %d of %d layers finished, the last one layer %d (%s); the reports hold layers 0-%d\n",
		o.done, o.total, o.done-1, o.last, o.done-1)
}

// mark writes IncompleteMarker (under a temporary name first, so that it
// is never seen half-written).
func (o *Output) mark() error {
	if !o.marker {
		return nil
	}
	path := filepath.Join(o.dir, IncompleteMarker)
	o.markedAt = time.Now()
	f, err := fileio.Create(path + PartSuffix)
	if err != nil {
		return fileErr(path+PartSuffix, err)
	}
	_, err = io.WriteString(f, o.markerText())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+PartSuffix, path)
	}
	if err != nil {
		os.Remove(path + PartSuffix)
		return fileErr(path+PartSuffix, err)
	}
	return nil
}

// finish closes the reports (creating header-only ones for a run without
// layers) and removes the marker: the run is complete.
func (o *Output) Finish() error {
	o.closed = true
	for _, rf := range o.reports {
		if rf.f == nil && o.done == 0 {
			f, err := fileio.Create(rf.path)
			if err != nil {
				return o.Fail(fileErr(rf.path, err))
			}
			rf.f = f
			if _, err := io.WriteString(f, rf.header+"\n"); err != nil {
				rf.rollback()
				return o.Fail(fileErr(rf.path, err))
			}
		}
		if rf.footer != nil && rf.f != nil {
			if _, err := io.WriteString(rf.f, rf.footer()); err != nil {
				rf.rollback()
				return o.Fail(fileErr(rf.path, err))
			}
		}
		if err := rf.close(); err != nil {
			return o.Fail(err)
		}
	}
	if !o.marker {
		return nil
	}
	if err := os.Remove(filepath.Join(o.dir, IncompleteMarker)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// fail stops the run after err: it closes the reports, rewrites the marker
// with the layers finished, and returns err; when the run was stopped (a
// cancelled Options.Context), the error says how far it got.
func (o *Output) Fail(err error) error {
	o.closed = true
	for _, rf := range o.reports {
		rf.close()
	}
	o.mark()
	if errors.Is(err, ErrStopped) {
		got := "no layer finished"
		if o.done > 0 {
			got = fmt.Sprintf("layers 0-%d of %d finished (last: %s)", o.done-1, o.total, o.last)
		}
		return fmt.Errorf("%w during layer %d; %s; %s marks the run incomplete",
			err, o.done, got, filepath.Join(o.dir, IncompleteMarker))
	}
	return err
}

// abandon is deferred by Run: a run that returns neither through finish
// nor fail (a panic) still closes its files and leaves the marker.
func (o *Output) Abandon() {
	if !o.closed {
		o.Fail(nil)
	}
}

// IsScratch reports whether name is a file npusim writes while a run is
// in progress.
func IsScratch(name string) bool {
	return strings.HasSuffix(name, PartSuffix) || strings.HasSuffix(name, ".rows")
}

// isRunFile reports whether name, in a run folder, is a file npusim
// writes there: a report, the marker or a scratch file.
func isRunFile(name string) bool {
	return strings.HasSuffix(name, "_REPORT.csv") || name == IncompleteMarker || IsScratch(name)
}

// isLayerDir reports whether name is a layer's trace folder, layerN.
func isLayerDir(name string) bool { return numbered(name, "layer") }

// isCoreDir reports whether name, in a layerN folder, is one core's trace
// folder of a multi-core run, coreK.
func isCoreDir(name string) bool { return numbered(name, "core") }

// numbered reports whether name is prefix followed by a decimal number.
func numbered(name, prefix string) bool {
	digits := strings.TrimPrefix(name, prefix)
	return len(digits) > 0 && len(digits) < len(name) && strings.Trim(digits, "0123456789") == ""
}

// cleanRunDir removes from dir what an earlier npusim run wrote there, so
// that stale reports or layer folders cannot pass for this run's: reports,
// the marker, scratch files, and the traces of layerN folders (a folder
// left empty goes too). Everything else stays; cleanRunDir returns those
// files, relative to dir.
func cleanRunDir(dir string) (kept []string, err error) {
	if err := CheckRunDir(dir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cleaning run folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		switch {
		case e.Type().IsRegular() && isRunFile(name):
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("cleaning run folder: %w", err)
			}
		case e.IsDir() && isLayerDir(name):
			keptHere, err := CleanLayerDir(path)
			if err != nil {
				return nil, fmt.Errorf("cleaning run folder: %w", err)
			}
			for _, k := range keptHere {
				kept = append(kept, filepath.Join(name, k))
			}
		default:
			kept = append(kept, name)
		}
	}
	return kept, nil
}

// CheckRunDir refuses a run folder (or a layerN folder in it) holding a
// symbolic link under a name npusim writes: a report, the marker, a
// scratch file, a layerN folder or a trace. Writing there would write
// through the link, outside the log folder. The run folder itself must not
// be a link either; a folder that does not exist yet holds none.
func CheckRunDir(dir string) error {
	if fileio.IsLink(dir) {
		return fileio.LinkError(dir)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking run folder: %w", err)
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		switch {
		case e.Type()&fs.ModeSymlink != 0 && (isRunFile(e.Name()) || isLayerDir(e.Name())):
			return fileio.LinkError(path)
		case e.IsDir() && isLayerDir(e.Name()):
			if err := checkTraceDir(path, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkTraceDir refuses a layerN folder, or (layer false) a coreK folder
// in one, holding a symbolic link under a name npusim writes there.
func checkTraceDir(dir string, layer bool) error {
	inner, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checking run folder: %w", err)
	}
	for _, f := range inner {
		path := filepath.Join(dir, f.Name())
		core := layer && isCoreDir(f.Name())
		switch {
		case f.Type()&fs.ModeSymlink != 0 && (isTraceFile(f.Name()) || core):
			return fileio.LinkError(path)
		case f.IsDir() && core:
			if err := checkTraceDir(path, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// isTraceFile reports whether name, in a layerN folder, is a file npusim
// writes there: a trace or a scratch file.
func isTraceFile(name string) bool { return strings.HasSuffix(name, "_TRACE.csv") || IsScratch(name) }

// CleanLayerDir removes the traces and scratch files from a layerN
// folder and from its coreK folders (a multi-core run's), and each folder
// that this empties; it returns the other files.
func CleanLayerDir(dir string) (kept []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Type()&fs.ModeSymlink != 0 && (isTraceFile(e.Name()) || isCoreDir(e.Name())) {
			return nil, fileio.LinkError(filepath.Join(dir, e.Name()))
		}
		if e.IsDir() && isCoreDir(e.Name()) {
			keptHere, err := CleanLayerDir(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, k := range keptHere {
				kept = append(kept, filepath.Join(e.Name(), k))
			}
			continue
		}
		if e.Type().IsRegular() && isTraceFile(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return nil, err
			}
			continue
		}
		kept = append(kept, e.Name())
	}
	if len(kept) == 0 {
		return nil, os.Remove(dir)
	}
	return kept, nil
}

// traceFile is a trace being written: Close completes it under its final
// name, abort removes it.
type traceFile interface {
	Close() error
	abort()
}

func FinishTrace(t traceFile, keep bool) error {
	if keep {
		return t.Close()
	}
	t.abort()
	return nil
}

// CloseTraces closes a layer's traces, completing them if keep. If the
// layer did not finish, or one of its traces fails to complete, it removes
// the layer's traces and their folder (unless something else is in it). It
// returns the first error.
func CloseTraces(closers []func(keep bool) error, dir string, keep bool) error {
	var first error
	for _, c := range closers {
		if err := c(keep); err != nil {
			if first == nil {
				first = err
			}
			keep = false // one trace failed: the layer's traces are incomplete
		}
	}
	if !keep && len(closers) > 0 {
		CleanLayerDir(dir)
	}
	return first
}

// ErrStopped is matched by the error of a run that was stopped before it
// finished (a cancelled context); Output.Fail then says how far it got.
var ErrStopped = errors.New("run stopped")
