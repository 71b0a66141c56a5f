package main

import (
	"strings"
	"testing"

	"github.com/npusim/npusim/internal/readmetest"
)

// TestREADME runs the sample and checks that the README shows its output.
func TestREADME(t *testing.T) {
	var out strings.Builder
	write(&out)
	readmetest.ShowsVerbatim(t, "../../README.md", out.String())
}
