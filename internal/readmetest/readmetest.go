// Package readmetest checks that README.md shows a sample's output.
package readmetest

import (
	"os"
	"strings"
	"testing"
)

// ShowsVerbatim fails t unless the README at path holds out verbatim as a
// fenced block.
func ShowsVerbatim(t testing.TB, path, out string) {
	t.Helper()
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```\n"+out+"```\n") {
		t.Errorf("%s does not show the sample's output:\n%s", path, out)
	}
}
