// Package py reproduces the Python behaviour SCALE-Sim's numbers depend on:
// repr(float) for every float it writes, and int(), str.strip() and the
// v3 boolean test for what it reads.
package py

import (
	"math"
	"strconv"
	"strings"
)

// Float formats x as Python's repr(float) does, which is how SCALE-Sim
// writes every float in its reports and DRAM traces: the shortest digits
// that round-trip, always with a ".0" on integral values in fixed notation,
// and exponent notation (1e-05, 1.5e+16) only for exponents below -4 or at
// least 16. strconv's 'g' format differs on all three counts.
func Float(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	case x == 0:
		if math.Signbit(x) {
			return "-0.0"
		}
		return "0.0"
	}
	s := strconv.FormatFloat(x, 'e', -1, 64) // [-]d[.ddd]e±XX
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	ePos := strings.IndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[ePos+1:])
	digits := strings.Replace(s[:ePos], ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := strconv.Itoa(abs(exp))
		if len(es) < 2 {
			es = "0" + es
		}
		if exp < 0 {
			return sign + m + "e-" + es
		}
		return sign + m + "e+" + es
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
