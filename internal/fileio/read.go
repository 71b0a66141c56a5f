// Package fileio reads input files within a size bound, so that a wrong
// path (-c /dev/zero, a huge binary) fails at once instead of filling memory.
package fileio

import (
	"fmt"
	"io"
	"os"
	"unicode"
)

// MaxInputBytes bounds a config or topology file. Real ones are a few kB;
// the bound keeps a wrong path (-c /dev/zero, a huge binary) from being
// read until memory runs out.
const MaxInputBytes = 64 << 20

// ReadLimited reads all of r, failing once it holds more than
// MaxInputBytes. what and path name the file in the error.
func ReadLimited(r io.Reader, what, path string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%s %s: larger than %d MB; is it the right file?", what, path, MaxInputBytes>>20)
	}
	return data, nil
}

// ReadFileLimited opens path and reads it with ReadLimited.
func ReadFileLimited(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	defer f.Close()
	return ReadLimited(f, what, path)
}

// NonPrintable returns the first character of s that is not printable (a
// control character such as ESC, BEL or TAB, or a non-ASCII space), or -1
// if there is none. A run name becomes a folder name and is printed, so it
// must not hold any.
func NonPrintable(s string) rune {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return r
		}
	}
	return -1
}
