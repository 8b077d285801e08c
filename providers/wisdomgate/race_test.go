//go:build race

package wisdomgate

const raceEnabled = true
