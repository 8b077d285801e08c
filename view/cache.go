package view

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/genform/genform/engine"
)

// cacheNote is the plan summary's word on missing recorded outputs.
func cacheNote(plan engine.Changes) string {
	lost, cost := plan.Unrecoverable()
	return CacheNote(plan.Pullable(), lost, cost.USD, cost.Known)
}

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

// Counter shows the progress of long work counted in items (push, pull, gc): on a terminal
// one line rewritten in place, at most ten times a second; elsewhere a line at each tenth of
// work of a thousand items or more, and nothing for less. Safe for concurrent use.
type Counter struct {
	w     io.Writer
	verb  string
	total int
	tty   bool

	mu    sync.Mutex
	done  int
	last  time.Time
	tenth int
}

// NewCounter starts a counter of total items, each line starting with verb ("Pushing").
func NewCounter(w io.Writer, tty bool, verb string, total int) *Counter {
	return &Counter{w: w, verb: verb, total: total, tty: tty}
}

// Add counts n more items done.
func (c *Counter) Add(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done += n
	switch {
	case c.tty:
		if now := time.Now(); now.Sub(c.last) >= 100*time.Millisecond || c.done == c.total {
			c.last = now
			fmt.Fprintf(c.w, "\r%s: %d of %d", c.verb, c.done, c.total)
		}
	case c.total >= 1000:
		if t := c.done * 10 / c.total; t > c.tenth && c.done < c.total {
			c.tenth = t
			fmt.Fprintf(c.w, "%s: %d of %d\n", c.verb, c.done, c.total)
		}
	}
}

// Close ends the in-place line on a terminal.
func (c *Counter) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tty && c.done > 0 {
		fmt.Fprintln(c.w)
	}
}
