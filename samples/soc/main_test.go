package main

import (
	"strings"
	"testing"

	"github.com/npusim/npusim/internal/readmetest"
)

// TestREADME runs the sample and checks that docs/multicore.md, the page
// that describes it, shows its output.
func TestREADME(t *testing.T) {
	var out strings.Builder
	write(&out)
	readmetest.ShowsVerbatim(t, "../../docs/multicore.md", out.String())
}
