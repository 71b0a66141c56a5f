package doctest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// root is the repository's top folder, seen from this package.
const root = "../.."

// pages lists README.md and every page in docs/, relative to root.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, d := range docs {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rel)
	}
	slices.Sort(out[1:])
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkLinks returns one message per link of the page at dir/page (a
// path relative to dir) whose file or #anchor does not exist. Links to
// other sites are not followed.
func checkLinks(dir, page string) []string {
	text, err := os.ReadFile(filepath.Join(dir, page))
	if err != nil {
		return []string{err.Error()}
	}
	var bad []string
	anchorsOf := map[string]map[string]bool{}
	for _, l := range Links(string(text)) {
		if strings.Contains(l.Target, "://") || strings.HasPrefix(l.Target, "mailto:") {
			continue
		}
		path, anchor, _ := strings.Cut(l.Target, "#")
		file := page
		if path != "" {
			file = filepath.Join(filepath.Dir(page), filepath.FromSlash(path))
		}
		where := page + ":" + strconv.Itoa(l.Line) + ": " + l.Target
		if rel, err := filepath.Rel(".", file); err != nil || strings.HasPrefix(rel, "..") {
			bad = append(bad, where+": points outside the repository")
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			bad = append(bad, where+": no such file "+filepath.ToSlash(file))
			continue
		}
		if anchor == "" {
			continue
		}
		if !strings.HasSuffix(file, ".md") {
			bad = append(bad, where+": an anchor into a file that is not Markdown")
			continue
		}
		a, ok := anchorsOf[file]
		if !ok {
			b, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				bad = append(bad, where+": "+err.Error())
				continue
			}
			a = Anchors(string(b))
			anchorsOf[file] = a
		}
		if !a[anchor] {
			bad = append(bad, where+": no heading with anchor #"+anchor+" in "+filepath.ToSlash(file))
		}
	}
	return bad
}

// TestLinks checks that every relative link of README.md, docs/*.md and
// every other Markdown file of the repository (samples/dse/README.md,
// CHANGELOG.md, ...) reaches an existing file and, with #anchor, one of
// its headings.
func TestLinks(t *testing.T) {
	var all []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			all = append(all, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages(t) {
		if !slices.Contains(all, p) {
			t.Errorf("%s was not found by the walk", p)
		}
	}
	for _, p := range all {
		for _, msg := range checkLinks(root, p) {
			t.Error(msg)
		}
	}
}

// TestLinkChecker checks the checker itself on a page with known good and
// broken links, so that TestLinks cannot pass by finding nothing.
func TestLinkChecker(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# Top\n\n[ok](docs/a.md) [ok](docs/a.md#real-memory-dram) [ok](#top)\n"+
		"[missing file](docs/nope.md) [missing anchor](docs/a.md#nope) [up](../x.md)\n"+
		"`[not a link](nope.md)`\n```\n[in code](nope.md)\n```\n[second](docs/a.md#setup-1)\n")
	write("docs/a.md", "# A\n\n## Real memory (`[dram]`)\n\n## Setup\n\n## Setup\n\n[back](../README.md#top) [bad](../README.md#a)\n")
	got := append(checkLinks(dir, "README.md"), checkLinks(dir, "docs/a.md")...)
	want := []string{
		"README.md:4: docs/nope.md: no such file docs/nope.md",
		"README.md:4: docs/a.md#nope: no heading with anchor #nope in docs/a.md",
		"README.md:4: ../x.md: points outside the repository",
		"docs/a.md:9: ../README.md#a: no heading with anchor #a in README.md",
	}
	if !slices.Equal(got, want) {
		t.Errorf("checker found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSlug pins GitHub's anchors for the kinds of heading the pages use.
func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"Config (INI)":                   "config-ini",
		"Real memory (`[dram]`)":         "real-memory-dram",
		"A SoC: `samples/soc`":           "a-soc-samplessoc",
		"Where the time goes":            "where-the-time-goes",
		"SCALE-Sim v3 sparsity":          "scale-sim-v3-sparsity",
		"Sweeps, plots and reports":      "sweeps-plots-and-reports",
		"See [the docs](docs/README.md)": "see-the-docs",
		"word_size and the 1.5 GB case":  "word_size-and-the-15-gb-case",
	} {
		if got := Slug(heading); got != want {
			t.Errorf("Slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

// TestPagesStartWithExample checks that every page in docs/ (but the
// index) shows a shell command or Go code before its first section. A
// page that is only its title is a placeholder for a page another branch
// brings, and is let through.
func TestPagesStartWithExample(t *testing.T) {
	for _, p := range pages(t) {
		if p == "README.md" || p == filepath.Join("docs", "README.md") {
			continue
		}
		text := read(t, filepath.Join(root, p))
		if strings.Count(strings.TrimSpace(text), "\n") == 0 {
			t.Logf("%s is a placeholder (only its title)", p)
			continue
		}
		head, _, _ := strings.Cut(text, "\n## ")
		blocks := Blocks(head)
		if len(blocks) == 0 || (blocks[0].Info != "sh" && blocks[0].Info != "go") {
			t.Errorf("%s does not start with a runnable example (a ```sh or ```go block before its first section)", p)
		}
	}
}

// trackedTopLevel returns the top-level entries of the repository that
// hold files under version control, so that the scratch folder looks like
// a fresh clone (no runs/ or binary left by an earlier session); nil when
// git cannot tell (a tree that is not a git checkout), and then every
// entry is linked.
func trackedTopLevel(repo string) map[string]bool {
	out, err := exec.Command("git", "-C", repo, "ls-files").Output()
	if err != nil || len(out) == 0 {
		return nil
	}
	top := map[string]bool{}
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		first, _, _ := strings.Cut(f, "/")
		top[first] = true
	}
	return top
}

// elapsed masks the wall times that npusim prints ("in 0.19 s"), the only
// part of its console output that changes from run to run.
var elapsed = regexp.MustCompile(`\bin [0-9]+(\.[0-9]+)? s\b`)

// TestCommands runs the shell commands of README.md, and the first shell
// block of every page in docs/ (its opening example; not with -short),
// as a new user would on a fresh clone:
//
//   - the clone is this tree: `git clone` and `cd npusim` are not run;
//   - `go install ./cmd/npusim` is run with GOBIN in a temporary folder,
//     which is put first on PATH: the one build of the binary;
//   - `go test ./...` is not run (this test is part of it);
//   - other `go` commands run in the repository (the build cache applies);
//     everything else runs in a scratch folder holding a symlink to each of
//     the repository's top-level entries under version control, so their
//     outputs (runs/, dse/) land there. TMPDIR is a temporary folder too.
//
// Every command must succeed. A block of one command followed directly by
// a plain ``` block must print exactly that block on standard output (wall
// times aside).
func TestCommands(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run the README's commands: %v", err)
	}
	repo, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin, scratch, tmpdir := filepath.Join(tmp, "bin"), filepath.Join(tmp, "clone"), filepath.Join(tmp, "tmp")
	for _, d := range []string{bin, scratch, tmpdir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	tracked := trackedTopLevel(repo)
	var before []string
	for _, e := range entries {
		before = append(before, e.Name())
		if strings.HasPrefix(e.Name(), ".") || (tracked != nil && !tracked[e.Name()]) {
			continue
		}
		if err := os.Symlink(filepath.Join(repo, e.Name()), filepath.Join(scratch, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+filepath.Dir(goBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOBIN="+bin, "TMPDIR="+tmpdir)

	run := func(page string, b *Block) {
		t.Helper()
		cmds := Commands(b.Text)
		for _, c := range cmds {
			switch {
			case strings.HasPrefix(c, "git clone "), c == "cd npusim":
				t.Logf("%s:%d: %s: not run, this tree is the clone", page, b.Line, c)
				continue
			case c == "go test ./...":
				t.Logf("%s:%d: %s: not run, this test is part of it", page, b.Line, c)
				continue
			}
			dir := scratch
			if strings.HasPrefix(c, "go ") {
				dir = repo
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			cmd := exec.CommandContext(ctx, "sh", "-c", c)
			cmd.Dir, cmd.Env, cmd.WaitDelay = dir, env, 5*time.Second
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			cancel()
			if err != nil {
				t.Errorf("%s:%d: %s\nfailed after %v: %v\nstdout:\n%s\nstderr:\n%s", page, b.Line, c,
					time.Since(start).Round(time.Millisecond), err, stdout.String(), stderr.String())
				continue
			}
			if len(cmds) == 1 && b.Next != nil && b.Next.Info == "" {
				got := elapsed.ReplaceAllString(stdout.String(), "in X s")
				want := elapsed.ReplaceAllString(b.Next.Text, "in X s")
				if got != want {
					t.Errorf("%s:%d: %s\nprints\n%s\nbut the page (line %d) shows\n%s", page, b.Line, c, stdout.String(), b.Next.Line, b.Next.Text)
				}
			}
		}
	}

	for _, b := range Blocks(read(t, filepath.Join(root, "README.md"))) {
		if b.Info == "sh" {
			run("README.md", b)
		}
	}
	if _, err := os.Stat(filepath.Join(bin, "npusim")); err != nil {
		t.Fatalf("README.md's commands did not install npusim (go install ./cmd/npusim): %v", err)
	}
	if testing.Short() {
		t.Log("-short: the docs pages' opening examples are not run")
	} else {
		for _, p := range pages(t)[1:] {
			for _, b := range Blocks(read(t, filepath.Join(root, p))) {
				if b.Info == "sh" {
					run(filepath.ToSlash(p), b)
					break
				}
			}
		}
	}

	after, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range after {
		if !slices.Contains(before, e.Name()) {
			t.Errorf("the commands wrote %s into the repository", e.Name())
		}
	}
}

// TestIndexListsEveryPage checks that docs/README.md, the table of
// contents, links to every page in docs/, and that the front page links
// to the index.
func TestIndexListsEveryPage(t *testing.T) {
	linked := map[string]bool{}
	for _, l := range Links(read(t, filepath.Join(root, "docs", "README.md"))) {
		path, _, _ := strings.Cut(l.Target, "#")
		linked[path] = true
	}
	for _, p := range pages(t)[1:] {
		name := filepath.Base(p)
		if name != "README.md" && !linked[name] {
			t.Errorf("docs/README.md does not list %s", name)
		}
	}
	front := false
	for _, l := range Links(read(t, filepath.Join(root, "README.md"))) {
		front = front || l.Target == "docs/README.md"
	}
	if !front {
		t.Error("README.md does not link to docs/README.md")
	}
}
