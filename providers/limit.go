package providers

import (
	"context"
	"math"
	"sync"

	"golang.org/x/time/rate"
)

// Outcome is how a request that held a Limiter slot ended.
type Outcome int

// Outcomes of a request, as the Limiter's adaptive window sees them.
const (
	// Done: the server answered (success or an error other than 429). The window grows.
	Done Outcome = iota
	// Throttled: the server answered 429. The window halves, once per round of requests.
	Throttled
	// Aborted: the request did not reach an answer (network error, cancellation). The window
	// stays as it is.
	Aborted
)

// Limiter paces the requests one provider sends: at most Concurrency at once, at most
// RequestsPerMinute, and an adaptive concurrency window that halves when the server answers
// 429 and grows by one slot per window's worth of answered requests (additive increase,
// multiplicative decrease), so a rate-limited batch settles at the rate the server allows
// instead of hammering it. The zero value is not usable; use NewLimiter. A nil *Limiter
// limits nothing.
type Limiter struct {
	rate *rate.Limiter // nil: no rate limit

	mu       sync.Mutex
	max      float64 // the configured cap; +Inf when none
	window   float64 // the adaptive cap, 1 <= window <= max
	inflight int
	seq      uint64 // acquisitions so far
	cutSeq   uint64 // seq at the last decrease: older requests' 429s do not cut again
	waiters  []chan struct{}
}

// NewLimiter makes a Limiter. concurrency 0 means no fixed cap (only the adaptive window
// applies once the server pushes back); requestsPerMinute 0 means no rate limit.
func NewLimiter(concurrency int, requestsPerMinute float64) *Limiter {
	l := &Limiter{max: math.Inf(1), window: math.Inf(1)}
	if concurrency > 0 {
		l.max, l.window = float64(concurrency), float64(concurrency)
	}
	if requestsPerMinute > 0 {
		burst := int(math.Max(1, math.Min(requestsPerMinute/60, 10)))
		l.rate = rate.NewLimiter(rate.Limit(requestsPerMinute/60), burst)
	}
	return l
}

// Acquire waits for a slot and, when rate limited, a token. It returns the function that
// gives the slot back, which the caller must call once with the request's outcome.
func (l *Limiter) Acquire(ctx context.Context) (release func(Outcome), err error) {
	if l == nil {
		return func(Outcome) {}, nil
	}
	seq, err := l.slot(ctx)
	if err != nil {
		return nil, err
	}
	if l.rate != nil {
		if err := l.rate.Wait(ctx); err != nil {
			l.release(seq, Aborted)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
	}
	var once sync.Once
	return func(o Outcome) { once.Do(func() { l.release(seq, o) }) }, nil
}

// Window returns the current adaptive concurrency cap (+Inf when there is none yet) and the
// number of requests in flight.
func (l *Limiter) Window() (window float64, inflight int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.window, l.inflight
}

func (l *Limiter) slot(ctx context.Context) (uint64, error) {
	for {
		l.mu.Lock()
		if float64(l.inflight) < math.Floor(l.window) {
			l.inflight++
			l.seq++
			seq := l.seq
			l.mu.Unlock()
			return seq, nil
		}
		ch := make(chan struct{})
		l.waiters = append(l.waiters, ch)
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			l.mu.Lock()
			for i, w := range l.waiters {
				if w == ch {
					l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
					break
				}
			}
			l.mu.Unlock()
			select {
			case <-ch: // woken meanwhile: pass the wake-up on
				l.wake()
			default:
			}
			return 0, ctx.Err()
		}
	}
}

func (l *Limiter) release(seq uint64, o Outcome) {
	l.mu.Lock()
	l.inflight--
	switch o {
	case Throttled:
		if seq > l.cutSeq {
			cur := l.window
			if math.IsInf(cur, 1) {
				cur = float64(l.inflight + 1)
			}
			l.window = math.Max(1, math.Floor(cur/2))
			l.cutSeq = l.seq
		}
	case Done:
		if !math.IsInf(l.window, 1) {
			l.window = math.Min(l.max, l.window+1/l.window)
		}
	}
	l.mu.Unlock()
	l.wake()
}

// wake lets every waiter try again; those that find no room queue up anew.
func (l *Limiter) wake() {
	l.mu.Lock()
	ws := l.waiters
	l.waiters = nil
	l.mu.Unlock()
	for _, ch := range ws {
		close(ch)
	}
}
