package providers

import (
	"strings"

	"github.com/agext/levenshtein"
)

// Suggest returns the allowed value the user most likely meant by value, or "" when none is
// close: first a case-insensitive match ("4k" -> "4K"), then the nearest by edit distance
// when it is at most half the value's length in edits (at least 1, at most 3).
func Suggest(value string, allowed []string) string {
	if value == "" {
		return ""
	}
	for _, a := range allowed {
		if strings.EqualFold(a, value) {
			return a
		}
	}
	limit := min(max(len(value)/2, 1), 3)
	best, bestDist := "", limit+1
	for _, a := range allowed {
		if d := levenshtein.Distance(strings.ToLower(value), strings.ToLower(a), nil); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}
