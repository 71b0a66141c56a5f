package runner

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

// readLimited reads all of r, failing once it holds more than
// MaxInputBytes. what and path name the file in the error.
func readLimited(r io.Reader, what, path string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%s %s: larger than %d MB; is it the right file?", what, path, MaxInputBytes>>20)
	}
	return data, nil
}

// readFileLimited opens path and reads it with readLimited.
func readFileLimited(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	defer f.Close()
	return readLimited(f, what, path)
}

// nonPrintable returns the first character of s that is not printable (a
// control character such as ESC, BEL or TAB, or a non-ASCII space), or -1
// if there is none. A run name becomes a folder name and is printed, so it
// must not hold any.
func nonPrintable(s string) rune {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return r
		}
	}
	return -1
}
