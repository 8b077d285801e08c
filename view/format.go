package view

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// CostText renders a total whose unpriced part is said, never counted as zero.
func CostText(usd float64, unknown int) string {
	s := fmt.Sprintf("$%.2f", usd)
	if unknown > 0 {
		s += fmt.Sprintf(" + %d of unknown cost", unknown)
	}
	return s
}

// PossiblyCharged says what paid attempts without a complete reply may have cost:
// "possibly charged $0.48 for 2 attempts without a complete reply".
func PossiblyCharged(usd float64, attempts int, unknown bool) string {
	what := fmt.Sprintf("$%.2f", usd)
	if unknown {
		what = "an unknown amount"
	}
	plural := "s"
	if attempts == 1 {
		plural = ""
	}
	return fmt.Sprintf("possibly charged %s for %d attempt%s without a complete reply", what, attempts, plural)
}

// ValueText renders a JSON value in HCL-ish syntax, shortening anything huge (a data: URI or
// base64 in options never floods the terminal).
func ValueText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		cut := 120
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // never split a character
		}
		s = s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// ByteSize is a file size for people: 1.2 MB.
func ByteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
