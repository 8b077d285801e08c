package providers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Clock is the time source of retries and polling. Tests inject a FakeClock so that backoff
// and Retry-After waits never sleep for real.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx is done, when it returns ctx's error.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FakeClock is a Clock for tests: Sleep returns at once (unless ctx is already done) and moves
// Now forward by the duration slept. It records every sleep. It is safe for concurrent use.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and advances the fake time by it.
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return nil
}

// Sleeps returns a copy of the durations slept so far, in order.
func (c *FakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// Retrier runs one request again when it fails with a retryable error. It is meant for a
// single HTTP request (a create, a poll, a download), never for a whole generation: retrying a
// generation could pay for it twice.
//
//   - Retryable errors (5xx, network errors, timeouts) are retried up to MaxRetries times, with
//     exponential backoff and jitter, or after the error's RetryAfter when the server sent one.
//   - RateLimited errors (429) wait for their RetryAfter (or the backoff when there is none)
//     and are retried until the context's deadline, without using up MaxRetries. Without a
//     deadline they are retried for at most RateLimitBudget of waiting.
//   - Ambiguous errors (a paid request sent, no complete reply) are retried at most
//     MaxAmbiguous times, with the same backoff: each attempt may have been charged.
//   - Permanent, Auth and Expired errors are returned at once.
//
// A Retrier is safe for concurrent use; its fields must not change once it is in use.
type Retrier struct {
	MaxRetries int // retries of Retryable errors; 0 tries once
	// MaxAmbiguous bounds the retries of Ambiguous errors, apart from MaxRetries; 0: none.
	MaxAmbiguous int
	Base         time.Duration // first backoff; default 1s
	Max          time.Duration // longest backoff; default 30s
	// RateLimitBudget bounds the total wait (for 429s, and any Retry-After) when the context
	// has no deadline; default 15 minutes. A wait past it, or past the deadline, is not
	// waited: the error says so, and when to try again.
	RateLimitBudget time.Duration
	Clock           Clock          // default RealClock
	Jitter          func() float64 // a number in [0,1); default math/rand
}

// Retry is what a Retrier tells its caller before it waits to try again.
type Retry struct {
	Attempt int           // 1 for the first retry
	Err     error         // why the last attempt failed
	Wait    time.Duration // how long it waits before the next attempt
}

// Do calls op until it succeeds, fails for good, or ctx is done. onRetry, when not nil, is
// called before each wait. The error returned is op's last error; when ctx ends a wait, it is
// op's last error joined with the context's.
func (r *Retrier) Do(ctx context.Context, op func(ctx context.Context) error, onRetry func(Retry)) error {
	clock := r.clock()
	var retries, limited, ambiguous int
	var waited time.Duration
	for {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return joinCtx(err, ctx)
		}
		class := ClassOf(err)
		var wait time.Duration
		switch class {
		case Retryable:
			if retries >= r.MaxRetries {
				return err
			}
			wait = r.backoff(retries)
			if ra := retryAfter(err); ra > wait {
				wait = ra
			}
			retries++
		case Ambiguous:
			if ambiguous >= r.MaxAmbiguous {
				return err
			}
			wait = max(r.backoff(ambiguous), retryAfter(err))
			ambiguous++
		case RateLimited:
			wait = retryAfter(err)
			if wait > 0 {
				// spread the herd that was told the same moment
				wait += time.Duration(float64(wait) * 0.2 * r.jitter())
			} else {
				wait = r.backoff(limited)
			}
			limited++
		default:
			return err
		}
		if late := r.pastLimit(ctx, err, wait, waited); late != nil {
			return late
		}
		waited += wait
		if onRetry != nil {
			onRetry(Retry{Attempt: retries + limited + ambiguous, Err: err, Wait: wait})
		}
		if serr := clock.Sleep(ctx, wait); serr != nil {
			return joinCtx(err, ctx)
		}
	}
}

// pastLimit tells whether waiting wait would end past ctx's deadline or, without one, past
// RateLimitBudget of waiting in all. It returns err with that said, and when to try again;
// nil when the wait is within the limits.
func (r *Retrier) pastLimit(ctx context.Context, err error, wait, waited time.Duration) error {
	now := r.clock().Now()
	limit := "past this request's deadline"
	if dl, ok := ctx.Deadline(); ok {
		if !now.Add(wait).After(dl) {
			return nil
		}
	} else {
		budget := r.rateLimitBudget()
		if waited+wait <= budget {
			return nil
		}
		limit = fmt.Sprintf("longer than genform waits for one request (%v in all)", budget)
	}
	what := fmt.Sprintf("the next attempt would wait %v", wait.Round(time.Second))
	if ra := retryAfter(err); ra > 0 {
		what = fmt.Sprintf("the gateway asks to wait %v (Retry-After)", ra.Round(time.Second))
		wait = ra
	}
	e := &Error{Class: ClassOf(err), Err: err}
	var pe *Error
	if errors.As(err, &pe) {
		e.Class, e.Status, e.RetryAfter = pe.Class, pe.Status, pe.RetryAfter
		e.Message = pe.Message
		if e.Message == "" && pe.Err != nil {
			e.Message = pe.Err.Error()
		}
	} else {
		e.Message = err.Error()
	}
	e.Message = fmt.Sprintf("%s; %s, %s: try again after %s", strings.TrimSuffix(e.Message, "."), what, limit, when(now, now.Add(wait)))
	return e
}

// when formats a moment in local time: the time of day, with the date when it is not today.
func when(now, t time.Time) string {
	now, t = now.Local(), t.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05 MST")
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// backoff is the n-th (from 0) exponential wait with "equal jitter": half fixed, half random.
func (r *Retrier) backoff(n int) time.Duration {
	base, max := r.Base, r.Max
	if base <= 0 {
		base = time.Second
	}
	if max <= 0 {
		max = 30 * time.Second
	}
	d := float64(base) * math.Pow(2, float64(min(n, 30)))
	if d > float64(max) {
		d = float64(max)
	}
	return time.Duration(d/2 + d/2*r.jitter())
}

func (r *Retrier) clock() Clock {
	if r.Clock != nil {
		return r.Clock
	}
	return RealClock{}
}

func (r *Retrier) jitter() float64 {
	if r.Jitter != nil {
		return r.Jitter()
	}
	return rand.Float64()
}

func (r *Retrier) rateLimitBudget() time.Duration {
	if r.RateLimitBudget > 0 {
		return r.RateLimitBudget
	}
	return 15 * time.Minute
}

func retryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// joinCtx reports that the context ended the retries, keeping the last error's message and
// class for the caller.
func joinCtx(err error, ctx context.Context) error {
	if errors.Is(err, ctx.Err()) {
		return err
	}
	return errors.Join(err, ctx.Err())
}

// maxRetryAfter bounds what ParseRetryAfter returns; any wait that long is past every
// deadline anyway.
const maxRetryAfter = 365 * 24 * time.Hour

// ParseRetryAfter reads a Retry-After header: a number of seconds, or an HTTP date. It
// returns 0 when the header is absent or not understood.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || math.IsNaN(secs) {
			return 0
		}
		return time.Duration(math.Min(secs, maxRetryAfter.Seconds()) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}
