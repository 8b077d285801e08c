package providers

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiterConcurrencyCap(t *testing.T) {
	l := NewLimiter(3, 0)
	var cur, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := l.Acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			cur.Add(-1)
			release(Done)
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 {
		t.Errorf("peak concurrency = %d, want 3 at most", p)
	}
}

func TestLimiterAIMD(t *testing.T) {
	l := NewLimiter(8, 0)
	ctx := context.Background()
	var rels []func(Outcome)
	for range 8 {
		r, err := l.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r)
	}
	// A whole round answers 429: the window halves once, not eight times.
	for _, r := range rels {
		r(Throttled)
	}
	if w, _ := l.Window(); w != 4 {
		t.Fatalf("window after a throttled round = %v, want 4", w)
	}
	// A second round, started after the cut, is throttled again: halve again.
	r, _ := l.Acquire(ctx)
	r(Throttled)
	if w, _ := l.Window(); w != 2 {
		t.Fatalf("window after a second throttled round = %v, want 2", w)
	}
	// Successes grow it by about one slot per window of answers, up to the cap.
	for range 100 {
		r, _ := l.Acquire(ctx)
		r(Done)
	}
	if w, _ := l.Window(); w != 8 {
		t.Errorf("window after 100 successes = %v, want the cap 8", w)
	}
	// Aborted requests leave it alone.
	r, _ = l.Acquire(ctx)
	r(Aborted)
	if w, in := l.Window(); w != 8 || in != 0 {
		t.Errorf("window, inflight = %v, %d, want 8, 0", w, in)
	}
}

func TestLimiterUnboundedWindowLearnsFromThrottle(t *testing.T) {
	l := NewLimiter(0, 0)
	ctx := context.Background()
	var rels []func(Outcome)
	for range 10 {
		r, _ := l.Acquire(ctx)
		rels = append(rels, r)
	}
	if w, in := l.Window(); !math.IsInf(w, 1) || in != 10 {
		t.Fatalf("window, inflight = %v, %d, want +Inf, 10", w, in)
	}
	rels[0](Throttled)
	if w, _ := l.Window(); w != 5 {
		t.Errorf("window after 429 with 10 in flight = %v, want 5", w)
	}
	for _, r := range rels[1:] {
		r(Done)
	}
}

func TestLimiterAcquireCanceled(t *testing.T) {
	l := NewLimiter(1, 0)
	hold, _ := l.Acquire(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire on a full limiter = %v, want deadline exceeded", err)
	}
	hold(Done)
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	r(Done)
}

func TestLimiterRequestsPerMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("paces real requests")
	}
	l := NewLimiter(0, 1200) // 20 per second, burst 10
	start := time.Now()
	for range 20 {
		r, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r(Done)
	}
	// 10 from the burst, then 10 more at 50ms each: never faster than that (how much slower
	// depends on the machine, so it is not asserted)
	if el := time.Since(start); el < 400*time.Millisecond {
		t.Errorf("20 requests at 1200/min took %v, want at least about 500ms", el)
	}
}

func TestNilLimiter(t *testing.T) {
	var l *Limiter
	r, err := l.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r(Throttled)
}
