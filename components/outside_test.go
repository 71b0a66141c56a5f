package components_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutsideProgram builds the program docs/kit.md shows, a module of its
// own that uses npusim through a replace directive, and runs it: two NPUs
// and a traffic generator on one connection it owns, on akita's parallel
// engine. It must print what the page says, and the same on the serial
// engine.
func TestOutsideProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module of its own")
	}
	page, err := os.ReadFile("../docs/kit.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(page), "<!-- outside program -->\n```go\n")
	src, rest, ok2 := strings.Cut(rest, "```\n")
	_, printed, ok3 := strings.Cut(rest, "It prints:\n\n```\n")
	printed, _, ok4 := strings.Cut(printed, "```\n")
	if !ok || !ok2 || !ok3 || !ok4 || !strings.Contains(src, "sim.NewParallelEngine()") {
		t.Fatal("docs/kit.md does not show the outside program and its output")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module example.com/twonpus\n\ngo 1.26\n\nrequire (\n\tgithub.com/npusim/npusim v0.0.0\n\tgithub.com/sarchlab/akita/v3 v3.1.0\n)\n\nreplace github.com/npusim/npusim => " + root + "\n"
	run := func(src string) string {
		dir := t.TempDir()
		for name, data := range map[string]string{"main.go": src, "go.mod": gomod, "go.sum": string(sum)} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("go", "run", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go run: %v\n%s", err, out)
		}
		return string(out)
	}
	if got := run(src); got != printed {
		t.Errorf("on the parallel engine it printed\n%s\ndocs/kit.md says\n%s", got, printed)
	}
	serial := strings.Replace(src, "sim.NewParallelEngine()", "sim.NewSerialEngine()", 1)
	if got := run(serial); got != printed {
		t.Errorf("on the serial engine it printed\n%s\nthe parallel engine\n%s", got, printed)
	}
}
