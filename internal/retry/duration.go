package retry

import (
	"math"
	"strings"
	"time"
)

// ParseDuration parses the duration texts upstreams put in headers, bodies
// and messages: Go-style sequences of decimal numbers with units ("1.5s",
// "500ms", "2m3s", "1h16m0.667s", "33740.910400305s", "135h9m46s"; units
// h, m, s, ms, us, µs, ns) and bare numbers, which are seconds ("37", "0.5").
// Surrounding white space is ignored. Negative, empty or malformed input
// gives false. Values beyond the range of time.Duration saturate at its
// maximum; callers clamp to their own limits.
func ParseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, false
	}
	var total uint64 // nanoseconds, saturating at math.MaxInt64
	for first := true; s != ""; first = false {
		whole, frac, scale, rest, ok := leadingDecimal(s)
		if !ok {
			return 0, false
		}
		unit, rest, ok := leadingUnit(rest)
		if !ok {
			if !first || rest != "" {
				return 0, false // a number without unit is only valid alone
			}
			unit = uint64(time.Second)
		}
		total = addSat(total, scaleSat(whole, frac, scale, unit))
		s = rest
	}
	return time.Duration(total), true
}

// leadingDecimal parses "123", "123.45", ".5" or "5." at the start of s.
// whole saturates at MaxInt64; frac/scale is the fraction.
func leadingDecimal(s string) (whole, frac uint64, scale float64, rest string, ok bool) {
	i, digits := 0, 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digit := uint64(s[i] - '0')
		if whole > (math.MaxInt64-digit)/10 {
			whole = math.MaxInt64 // keep consuming digits, saturated
			continue
		}
		whole = whole*10 + digit
	}
	digits = i
	scale = 1
	if i < len(s) && s[i] == '.' {
		i++
		// Fraction digits are kept while they fit, as time.ParseDuration does,
		// so that both give the same result for the same text.
		full := false
		for ; i < len(s) && isDigit(s[i]); i++ {
			digits++
			if full || frac > math.MaxInt64/10 {
				full = true
				continue
			}
			next := frac*10 + uint64(s[i]-'0')
			if next > 1<<63 {
				full = true
				continue
			}
			frac = next
			scale *= 10
		}
	}
	return whole, frac, scale, s[i:], digits > 0
}

// leadingUnit returns the size in nanoseconds of the unit at the start of s.
// Two-letter units are tried before their one-letter prefixes.
func leadingUnit(s string) (unit uint64, rest string, ok bool) {
	for _, u := range [...]struct {
		name string
		ns   time.Duration
	}{
		{"ns", time.Nanosecond},
		{"us", time.Microsecond},
		{"µs", time.Microsecond}, // micro sign
		{"μs", time.Microsecond}, // Greek mu
		{"ms", time.Millisecond},
		{"h", time.Hour},
		{"m", time.Minute},
		{"s", time.Second},
	} {
		if strings.HasPrefix(s, u.name) {
			return uint64(u.ns), s[len(u.name):], true
		}
	}
	return 0, s, false
}

// scaleSat returns (whole + frac/scale) * unit, saturating at MaxInt64.
func scaleSat(whole, frac uint64, scale float64, unit uint64) uint64 {
	var v uint64 = math.MaxInt64
	if whole <= math.MaxInt64/unit {
		v = whole * unit
	}
	if frac > 0 {
		v = addSat(v, uint64(float64(frac)*(float64(unit)/scale)))
	}
	return v
}

func addSat(a, b uint64) uint64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// durationInText finds a delay announced in a lower-cased message: "please
// retry in 12.3s", "try again in 6m0s", "will reset after 2h14m5s",
// "resets in 9h22m20s", "retry after 30 seconds". The first phrase followed
// by a parsable duration wins.
func durationInText(lower string) delay {
	for _, phrase := range [...]string{
		"retry in ", "retry after ", "try again in ", "try again after ",
		"reset after ", "resets after ", "reset in ", "resets in ",
	} {
		for rest := lower; ; {
			i := strings.Index(rest, phrase)
			if i < 0 {
				break
			}
			rest = rest[i+len(phrase):]
			if d, ok := leadingDuration(rest); ok {
				return some(d)
			}
		}
	}
	return delay{}
}

// leadingDuration parses the duration at the start of text: a Go-style
// duration ("2h14m5s", "12.3s."), or a number followed by a unit word
// ("30 seconds", "5 minutes"); a bare number is seconds.
func leadingDuration(text string) (time.Duration, bool) {
	end := 0
	for end < len(text) && strings.IndexByte("0123456789.hmsun", text[end]) >= 0 {
		end++
	}
	token := strings.TrimRight(text[:end], ".")
	if token == "" || !isDigit(token[0]) && token[0] != '.' {
		return 0, false
	}
	if strings.ContainsAny(token, "hmsun") {
		return ParseDuration(token)
	}
	d, ok := ParseDuration(token) // seconds, unless a unit word follows
	if !ok {
		return 0, false
	}
	word := strings.TrimLeft(text[end:], " ")
	for _, u := range [...]struct {
		prefix string
		unit   time.Duration
	}{
		{"millisecond", time.Millisecond},
		{"msec", time.Millisecond},
		{"sec", time.Second},
		{"minute", time.Minute},
		{"min", time.Minute},
		{"hour", time.Hour},
		{"hr", time.Hour},
	} {
		if strings.HasPrefix(word, u.prefix) {
			return scaleDuration(d, u.unit), true
		}
	}
	return d, true
}

// scaleDuration converts d, a number of seconds, to a number of units,
// saturating.
func scaleDuration(secs, unit time.Duration) time.Duration {
	f := secs.Seconds() * float64(unit)
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(f)
}
