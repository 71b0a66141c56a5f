// Package doctest checks the documentation: that every relative link in
// README.md and docs/*.md resolves (files and #anchors), and that the
// shell commands the pages show run as written on a fresh clone. The
// tests are in doctest_test.go; this file holds the small Markdown reader
// they share.
package doctest

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Block is a fenced code block of a page.
type Block struct {
	Info string // the info string after the opening fence ("sh", "go", "")
	Text string // the block's lines, each ending in "\n"
	Line int    // 1-based line of the opening fence
	// Next is the fenced block that follows with only blank lines between,
	// or nil.
	Next *Block
}

// Blocks returns the fenced code blocks of a Markdown page, in order.
// Fences may be indented (inside a list item); the indentation of the
// opening fence is removed from the block's lines.
func Blocks(page string) []*Block {
	var blocks []*Block
	lines := strings.Split(page, "\n")
	var cur *Block
	indent := ""
	blankSince := -1 // index into blocks of the last closed block, while only blank lines follow it
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		if cur == nil {
			if strings.HasPrefix(trimmed, "```") {
				indent = l[:len(l)-len(trimmed)]
				cur = &Block{Info: strings.TrimSpace(trimmed[3:]), Line: i + 1}
				if blankSince >= 0 {
					blocks[blankSince].Next = cur
				}
				blankSince = -1
				continue
			}
			if strings.TrimSpace(l) != "" {
				blankSince = -1
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") && strings.TrimSpace(trimmed) == "```" {
			blocks = append(blocks, cur)
			blankSince = len(blocks) - 1
			cur = nil
			continue
		}
		cur.Text += strings.TrimPrefix(l, indent) + "\n"
	}
	return blocks
}

// Link is a Markdown link [text](target) or image ![alt](target).
type Link struct {
	Target string
	Line   int // 1-based
}

var codeSpan = regexp.MustCompile("`[^`]*`")

var linkRe = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)\)`)

// Links returns the links in a page's prose (not in code).
func Links(page string) []Link {
	var links []Link
	lines := strings.Split(page, "\n")
	in := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimLeft(l, " "), "```") {
			in = !in
			continue
		}
		if in {
			continue
		}
		// A code span's text is not a link, but a link's text may be a
		// code span ([`samples/soc`](#...)): drop the spans, keep the rest.
		for _, m := range linkRe.FindAllStringSubmatch(codeSpan.ReplaceAllString(l, ""), -1) {
			links = append(links, Link{Target: m[1], Line: i + 1})
		}
	}
	return links
}

var headingRe = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)

// Anchors returns the anchors GitHub gives a page's headings: the heading
// text as rendered (code spans keep their text, links their text), lower
// case, with every character that is not a letter, digit, space, hyphen
// or underscore removed and spaces turned into hyphens; a repeated anchor
// gets -1, -2, ... appended.
func Anchors(page string) map[string]bool {
	anchors := map[string]bool{}
	count := map[string]int{}
	lines := strings.Split(page, "\n")
	in := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimLeft(l, " "), "```") {
			in = !in
			continue
		}
		if in {
			continue
		}
		m := headingRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		s := Slug(m[2])
		if n := count[s]; n > 0 {
			anchors[s+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[s] = true
		}
		count[s]++
	}
	return anchors
}

var mdLink = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)

// Slug is GitHub's anchor for a heading's text.
func Slug(heading string) string {
	text := mdLink.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Commands splits a shell block into its commands: one per line, with
// backslash-continued lines joined, blank lines and whole-line comments
// dropped.
func Commands(block string) []string {
	var cmds []string
	cur := ""
	for _, l := range strings.Split(block, "\n") {
		if cur == "" && (strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#")) {
			continue
		}
		if strings.HasSuffix(l, `\`) {
			cur += strings.TrimSuffix(l, `\`) + " "
			continue
		}
		cur += l
		cmds = append(cmds, strings.TrimSpace(cur))
		cur = ""
	}
	if strings.TrimSpace(cur) != "" {
		cmds = append(cmds, strings.TrimSpace(cur))
	}
	return cmds
}
