package py

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// IsSpace reports whether Python's str.strip() removes r: Go's Unicode
// white space plus the ASCII separators U+001C..U+001F.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip is Python's str.strip() with no argument.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// Int parses s like Python's int(s): surrounding white space and one
// optional sign are allowed, as are single underscores between digits;
// "4.0", "" and "0x10" are rejected. Python integers are unbounded, so
// values outside int64 are reported as out of range. (Python also accepts
// non-ASCII decimal digits; npusim does not.)
func Int(s string) (int64, error) {
	t := Strip(s)
	digits := t
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	ok := digits != ""
	for i := 0; ok && i < len(digits); i++ {
		c := digits[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '_' && i > 0 && i < len(digits)-1 && digits[i-1] != '_':
		default:
			ok = false
		}
	}
	if !ok {
		return 0, fmt.Errorf("%q is not an integer", t)
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", t)
	}
	return v, nil
}

// True is v3's boolean test: value.lower() == "true".
func True(s string) bool { return strings.ToLower(s) == "true" }
