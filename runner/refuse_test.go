package runner

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/dram"
	"github.com/npusim/npusim/internal/fileio"
)

// TestSymlinksRefused: a symbolic link planted in the run folder under a
// name npusim writes (a report, layer0/, a trace in layer0/, a core's
// folder layer0/coreK/ of a multi-core run or a trace in it, the marker's
// scratch file), or the run folder itself being a link, refuses the run
// with an error naming it, before anything is printed; nothing is written
// through the link.
func TestSymlinksRefused(t *testing.T) {
	cfg, layers := tinyRun(t)
	cases := []struct {
		name   string
		link   string // in the run folder; "" is the run folder itself
		toDir  bool
		traces bool
	}{
		{"report", "COMPUTE_REPORT.csv", false, false},
		{"energy report", "ENERGY_REPORT.csv", false, false},
		{"marker scratch", "RUN_INCOMPLETE.part", false, false},
		{"layer folder", "layer0", true, true},
		{"trace", "layer0/IFMAP_SRAM_TRACE.csv", false, true},
		{"core folder", "layer0/core1", true, true},
		{"core trace", "layer0/core0/OFMAP_DRAM_TRACE.csv", false, true},
		{"run folder", "", true, false},
	}
	for _, c := range cases {
		logDir, outside := t.TempDir(), t.TempDir()
		dir := filepath.Join(logDir, cfg.RunName)
		target := filepath.Join(outside, "precious.csv")
		if c.toDir {
			target = outside
		} else if err := os.WriteFile(target, []byte("precious\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		link := dir
		if c.link != "" {
			link = filepath.Join(dir, c.link)
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		var con strings.Builder
		_, err := Run(cfg, layers, Options{LogDir: logDir, Traces: c.traces, Console: &con})
		if want := link + " is a symbolic link: npusim does not write through links (remove it)"; err == nil || err.Error() != want || !errors.Is(err, fileio.ErrLink) {
			t.Errorf("%s: %v, want %q", c.name, err, want)
		}
		if con.Len() != 0 {
			t.Errorf("%s: printed before refusing:\n%s", c.name, con.String())
		}
		if c.toDir {
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("%s: %d files written through the link", c.name, len(entries))
			}
		} else if data, _ := os.ReadFile(target); string(data) != "precious\n" {
			t.Errorf("%s: the link's target now holds %q", c.name, data)
		}
	}
}

// TestCreateNoFollow: the files a run writes are opened without following
// a link, so that one planted after the run folder was checked is refused
// too.
func TestCreateNoFollow(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("x"), 0o644)
	link := filepath.Join(dir, "COMPUTE_REPORT.csv")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := fileio.Create(link); err == nil || !errors.Is(err, fileio.ErrLink) {
		t.Errorf("Create through a link: %v", err)
	}
	if err := fileio.MkdirNoFollow(link); err == nil || !errors.Is(err, fileio.ErrLink) {
		t.Errorf("MkdirNoFollow on a link: %v", err)
	}
	if data, _ := os.ReadFile(target); string(data) != "x" {
		t.Errorf("target changed: %q", data)
	}
}

// TestRefusedBeforeBanner: a multi-core run with -trace-tasks, and a [dram]
// memory too small for the layers, are refused before anything is
// printed, and leave no run folder (nor log folder) behind.
func TestRefusedBeforeBanner(t *testing.T) {
	cfg, layers := tinyRun(t)
	multi := cfg
	multi.Multicore = config.MulticoreConfig{Cores: 2}
	small := cfg
	small.BandwidthMode, small.Bandwidth = config.USER, []int{10}
	small.DRAM = dram.MemorySpec{Model: dram.Fixed, Latency: 10}
	small.OfmapOffset = 1 << 50
	cases := []struct {
		name string
		cfg  Config
		task string
		want string
	}{
		{"multicore task trace", multi, "tasks.csv", "[multicore]: task traces (-trace-tasks) are not written by multi-core runs"},
		{"dram capacity", small, "", "[dram]: OFMAP occupies bytes 1125899906842624 to "},
	}
	for _, c := range cases {
		logDir := filepath.Join(t.TempDir(), "runs")
		var con strings.Builder
		task := ""
		if c.task != "" {
			task = filepath.Join(t.TempDir(), c.task)
		}
		_, err := Run(c.cfg, layers, Options{LogDir: logDir, Traces: true, TaskTrace: task, Console: &con})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if con.Len() != 0 {
			t.Errorf("%s: printed before the error:\n%s", c.name, con.String())
		}
		if _, err := os.Stat(logDir); !os.IsNotExist(err) {
			t.Errorf("%s: the log folder was created (%v)", c.name, err)
		}
	}
}

// TestDRAMAtItsBounds: a fixed memory at every upper bound of
// docs/limits.md at once (1024 channels, 1024 requests per cycle, 64 KiB
// requests, 65536 in flight, a latency of 2^31-1 cycles) runs the tiny
// case to the end in little memory: each layer waits the latency once per
// round of requests, so its cycles are at least 2^31-1.
func TestDRAMAtItsBounds(t *testing.T) {
	cfg, layers := tinyRun(t)
	cfg.BandwidthMode, cfg.Bandwidth = config.USER, []int{10}
	cfg.DRAM = dram.MemorySpec{Model: dram.Fixed, Channels: config.MaxDRAMChannels, Width: config.MaxDRAMWidth,
		RequestBytes: config.MaxDRAMRequestBytes, MaxInFlight: config.MaxDRAMInFlight, Latency: config.MaxDRAMLatency}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	reps, err := Run(cfg, layers, Options{LogDir: t.TempDir(), Workers: 1})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.TotalCycles < config.MaxDRAMLatency {
			t.Errorf("layer %s: %d cycles, less than one latency", r.Name, r.TotalCycles)
		}
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<20 {
		t.Errorf("allocated %d MB", n>>20)
	}
}
