package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/topology"
)

// TestTargetsLoad checks that every target's config and topology load and
// that the reference times it names exist, so that the table cannot break
// silently when inputs move.
func TestTargetsLoad(t *testing.T) {
	for _, tg := range targets {
		at := tg
		at.cfg = filepath.Join("..", tg.cfg)
		cfg, err := loadConfig(at, false)
		if err == nil && tg.dram != "" && cfg.DRAM.Model != tg.dram {
			err = fmt.Errorf("runs over %q, want %q", cfg.DRAM.Model, tg.dram)
		}
		if err != nil {
			t.Errorf("%s: %v", tg.name, err)
			continue
		}
		layers, err := topology.Load(filepath.Join("..", tg.topo), tg.kind)
		if err != nil || len(layers) == 0 {
			t.Errorf("%s: %d layers, %v", tg.name, len(layers), err)
		}
		if tg.refFile != "" {
			if _, err := os.Stat(filepath.Join("..", tg.refFile)); err != nil {
				t.Errorf("%s: %v", tg.name, err)
			}
		}
		if tg.name == "mobilenet4_32x32_is_user4" && (len(layers) != 4 || cfg.BandwidthMode != config.USER || cfg.Bandwidth[0] != 4) {
			t.Errorf("mobilenet cut: %d layers, mode %v, bandwidth %v", len(layers), cfg.BandwidthMode, cfg.Bandwidth)
		}
	}
}

// TestChoose checks the target selection of the command line.
func TestChoose(t *testing.T) {
	quick, err := choose([]string{"quick"})
	if err != nil || len(quick) == 0 || len(quick) == len(targets) {
		t.Fatalf("quick: %d targets of %d, %v", len(quick), len(targets), err)
	}
	for _, tg := range quick {
		if !tg.quick {
			t.Errorf("quick chose %s", tg.name)
		}
	}
	if all, _ := choose(nil); len(all) != len(targets) {
		t.Errorf("no argument: %d targets, want %d", len(all), len(targets))
	}
	one, err := choose([]string{"gnmt_scale"})
	if err != nil || len(one) != 1 || one[0].name != "gnmt_scale" {
		t.Errorf("gnmt_scale: %v, %v", one, err)
	}
	if _, err := choose([]string{"nope"}); err == nil || !strings.Contains(err.Error(), `unknown target "nope"`) {
		t.Errorf("unknown target: %v", err)
	}
}
