package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADME runs the sample and checks that the README shows its output
// verbatim.
func TestREADME(t *testing.T) {
	var out strings.Builder
	write(&out)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```\n"+out.String()+"```\n") {
		t.Errorf("README.md does not show the sample's output:\n%s", out.String())
	}
}
