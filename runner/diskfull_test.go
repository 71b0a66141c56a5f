package runner

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/report"
)

// fullDisk stands in for a disk with room for budget more bytes: a write
// past it is cut short with ENOSPC, as os.File reports it. It counts the
// files open.
type fullDisk struct {
	budget int
	open   int
}

type diskFile struct {
	*os.File
	d *fullDisk
}

func (d *fullDisk) create(path string) (fileio.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	d.open++
	return diskFile{f, d}, nil
}

func (f diskFile) Write(p []byte) (int, error) {
	if len(p) <= f.d.budget {
		f.d.budget -= len(p)
		return f.File.Write(p)
	}
	n, _ := f.File.Write(p[:f.d.budget])
	f.d.budget = 0
	return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
}

func (f diskFile) Close() error {
	f.d.open--
	return f.File.Close()
}

// TestDiskFull runs the tiny case with room for 0, 5, 10, ... bytes of
// reports and marker. Every run that fails must close every file, name
// the file once, and leave no empty or cut report under a final name: the
// reports hold the same whole rows, a prefix of a complete run's, and the
// marker says the run is incomplete.
func TestDiskFull(t *testing.T) {
	cfg, layers := tinyRun(t)
	fullLog := t.TempDir()
	if _, err := Run(cfg, layers, Options{LogDir: fullLog}); err != nil {
		t.Fatal(err)
	}
	full := map[string]string{}
	total := len("npusim run incomplete: no layer of 3 finished\n")
	for _, r := range report.Formats(cfg) {
		data, err := os.ReadFile(filepath.Join(fullLog, cfg.RunName, r.Name()))
		if err != nil {
			t.Fatal(err)
		}
		full[r.Name()] = string(data)
		total += len(data)
	}
	defer func(c func(string) (fileio.File, error)) { fileio.Create = c }(fileio.Create)
	for budget := 0; budget <= total+5; budget += 5 {
		d := &fullDisk{budget: budget}
		fileio.Create = d.create
		logDir := t.TempDir()
		dir := filepath.Join(logDir, cfg.RunName)
		_, err := Run(cfg, layers, Options{LogDir: logDir})
		if d.open != 0 {
			t.Errorf("budget %d: %d files left open", budget, d.open)
		}
		if budget >= total {
			if err != nil {
				t.Errorf("budget %d (enough): %v", budget, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("budget %d: no error", budget)
			continue
		}
		msg := err.Error()
		if strings.Count(msg, dir) != 1 || strings.Count(msg, "no space left on device") != 1 {
			t.Errorf("budget %d: error %q does not name one file once", budget, msg)
		}
		rows := -1
		for _, r := range report.Formats(cfg) {
			data, err := os.ReadFile(filepath.Join(dir, r.Name()))
			if os.IsNotExist(err) {
				if rows > 0 {
					t.Errorf("budget %d: %s missing beside reports of %d layers", budget, r.Name(), rows)
				}
				rows = 0
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			n := strings.Count(string(data), "\n") - 1
			if n < 1 || !strings.HasPrefix(full[r.Name()], string(data)) || !strings.HasSuffix(string(data), ",\n") {
				t.Errorf("budget %d: %s is empty or cut: %q", budget, r.Name(), data)
			}
			if rows >= 0 && n != rows {
				t.Errorf("budget %d: %s has %d layers, another report %d", budget, r.Name(), n, rows)
			}
			rows = n
		}
		_, merr := os.Stat(filepath.Join(dir, report.IncompleteMarker))
		if rows > 0 && merr != nil {
			t.Errorf("budget %d: reports of %d layers but no %s: %v", budget, rows, report.IncompleteMarker, merr)
		}
		for _, f := range listTree(t, dir) {
			if report.IsScratch(f) {
				t.Errorf("budget %d: scratch file %s left", budget, f)
			}
		}
	}
}

func (f diskFile) WriteString(s string) (int, error) { return f.Write([]byte(s)) }
