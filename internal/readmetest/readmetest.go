// Package readmetest checks that a documentation page shows a sample's
// output, so that the page cannot drift from what the sample prints.
package readmetest

import (
	"os"
	"strings"
	"testing"
)

// ShowsVerbatim fails t unless the Markdown page at path (README.md or a
// page under docs/) holds out verbatim as a fenced block.
func ShowsVerbatim(t testing.TB, path, out string) {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "```\n"+out+"```\n") {
		t.Errorf("%s does not show the sample's output:\n%s", path, out)
	}
}
