package view

import "fmt"

// CacheNote is what a plan's summary adds about recorded outputs that are missing or changed
// on disk: how many the shared cache gives back for free, and what the others would cost to
// generate again. "" when there are none.
func CacheNote(pullable, lost int, lostUSD float64, lostKnown bool) string {
	s := ""
	if pullable > 0 {
		s = fmt.Sprintf("%d outputs can be pulled for free: run genform pull.", pullable)
		if pullable == 1 {
			s = "1 output can be pulled for free: run genform pull."
		}
	}
	if lost > 0 {
		if s != "" {
			s += "\n"
		}
		unknown := 0
		if !lostKnown {
			unknown = 1
		}
		cost := CostText(lostUSD, 0)
		if unknown > 0 {
			cost += " + unknown"
		}
		s += fmt.Sprintf("%d recorded outputs are in no cache: generating them again costs %s.", lost, cost)
	}
	return s
}
