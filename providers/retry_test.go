package providers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetrierClasses(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		errs      []error // op's errors, in order; nil after the list means success
		max       int
		maxAmb    int
		wantCalls int
		wantErr   bool
		wantWaits []time.Duration
	}{
		{
			name:      "success at once",
			wantCalls: 1,
		},
		{
			name:      "5xx retried then success",
			errs:      []error{&Error{Class: Retryable, Status: 502}, &Error{Class: Retryable, Status: 503}},
			max:       5,
			wantCalls: 3,
			wantWaits: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{
			name:      "network error (unclassified) is retryable",
			errs:      []error{errors.New("connection reset")},
			max:       1,
			wantCalls: 2,
			wantWaits: []time.Duration{750 * time.Millisecond},
		},
		{
			name:      "5xx gives up after max retries",
			errs:      []error{&Error{Class: Retryable}, &Error{Class: Retryable}, &Error{Class: Retryable}},
			max:       2,
			wantCalls: 3,
			wantErr:   true,
			wantWaits: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{
			name:      "Retry-After on a 503 is honoured when longer than the backoff",
			errs:      []error{&Error{Class: Retryable, RetryAfter: 7 * time.Second}},
			max:       1,
			wantCalls: 2,
			wantWaits: []time.Duration{7 * time.Second},
		},
		{
			name: "429 does not use up max retries",
			errs: []error{
				&Error{Class: RateLimited, RetryAfter: 2 * time.Second},
				&Error{Class: RateLimited, RetryAfter: 2 * time.Second},
				&Error{Class: RateLimited, RetryAfter: 2 * time.Second},
			},
			max:       0,
			wantCalls: 4,
			// Retry-After plus up to 20% jitter (jitter fixed at 0.5 here)
			wantWaits: []time.Duration{2200 * time.Millisecond, 2200 * time.Millisecond, 2200 * time.Millisecond},
		},
		{
			name:      "429 without Retry-After backs off",
			errs:      []error{&Error{Class: RateLimited}, &Error{Class: RateLimited}},
			wantCalls: 3,
			wantWaits: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{
			name:      "ambiguous retried up to max ambiguous, apart from max retries",
			errs:      []error{&Error{Class: Retryable}, &Error{Class: Ambiguous}, &Error{Class: Ambiguous}, &Error{Class: Ambiguous}},
			max:       1,
			maxAmb:    2,
			wantCalls: 4,
			wantErr:   true,
			wantWaits: []time.Duration{750 * time.Millisecond, 750 * time.Millisecond, 1500 * time.Millisecond},
		},
		{name: "ambiguous not retried by default", errs: []error{&Error{Class: Ambiguous, Status: 502}}, max: 5, wantCalls: 1, wantErr: true},
		{name: "400 fails at once", errs: []error{&Error{Class: Permanent, Status: 400}}, max: 5, wantCalls: 1, wantErr: true},
		{name: "401 fails at once", errs: []error{&Error{Class: Auth, Status: 401}}, max: 5, wantCalls: 1, wantErr: true},
		{name: "expired fails at once", errs: []error{&Error{Class: Expired, Status: 410}}, max: 5, wantCalls: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewFakeClock(start)
			r := &Retrier{MaxRetries: tt.max, MaxAmbiguous: tt.maxAmb, Clock: clock, Jitter: func() float64 { return 0.5 }}
			calls := 0
			var notified []time.Duration
			err := r.Do(context.Background(), func(context.Context) error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			}, func(rt Retry) { notified = append(notified, rt.Wait) })
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := clock.Sleeps(); !equalDurations(got, tt.wantWaits) {
				t.Errorf("sleeps = %v, want %v", got, tt.wantWaits)
			}
			if !equalDurations(notified, tt.wantWaits) {
				t.Errorf("notified waits = %v, want %v", notified, tt.wantWaits)
			}
		})
	}
}

func TestRetrierRateLimitedUntilDeadline(t *testing.T) {
	clock := NewFakeClock(time.Now())
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(50*time.Second))
	defer cancel()
	r := &Retrier{MaxRetries: 0, Clock: clock, Jitter: func() float64 { return 0 }}
	calls := 0
	err := r.Do(ctx, func(context.Context) error {
		calls++
		return &Error{Class: RateLimited, Status: 429, RetryAfter: 20 * time.Second}
	}, nil)
	// waits at 0s and 20s; a third wait would end at 60s, past the 50s deadline
	if calls != 3 {
		t.Errorf("calls = %d, want 3 (tried until the deadline)", calls)
	}
	if ClassOf(err) != RateLimited {
		t.Errorf("error class = %v, want rate limited: %v", ClassOf(err), err)
	}
}

func TestRetrierRateLimitBudgetWithoutDeadline(t *testing.T) {
	clock := NewFakeClock(time.Now())
	r := &Retrier{Clock: clock, Jitter: func() float64 { return 0 }, RateLimitBudget: time.Minute}
	calls := 0
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		return &Error{Class: RateLimited, RetryAfter: 25 * time.Second}
	}, nil)
	if calls != 3 || err == nil {
		t.Errorf("calls = %d err = %v, want 3 calls then the 429", calls, err)
	}
}

// A Retry-After longer than the deadline (or, without one, than genform waits) is not waited
// out: the error says so and when to try again.
func TestRetryAfterPastTheLimit(t *testing.T) {
	start := time.Now() // the context's deadline is on the real clock
	again := start.Add(time.Hour).Format("15:04:05 MST")
	for _, deadline := range []bool{true, false} {
		clock := NewFakeClock(start)
		ctx := context.Background()
		want := "longer than genform waits for one request (15m0s in all): try again after "
		if deadline {
			var cancel func()
			ctx, cancel = context.WithDeadline(ctx, start.Add(10*time.Minute))
			defer cancel()
			want = "past this request's deadline: try again after "
		}
		r := &Retrier{Clock: clock}
		calls := 0
		err := r.Do(ctx, func(context.Context) error {
			calls++
			return &Error{Class: RateLimited, Status: 429, Message: "slow down", RetryAfter: time.Hour}
		}, nil)
		if calls != 1 || len(clock.Sleeps()) != 0 {
			t.Errorf("deadline %v: %d calls, %d waits, want 1 and none", deadline, calls, len(clock.Sleeps()))
		}
		if err == nil || !strings.Contains(err.Error(), "slow down; the gateway asks to wait 1h0m0s (Retry-After), "+want) ||
			!strings.Contains(err.Error(), again) {
			t.Errorf("deadline %v: err = %v, want it to say %q", deadline, err, want)
		}
		if ClassOf(err) != RateLimited {
			t.Errorf("class %v, want rate limited", ClassOf(err))
		}
	}
}

func TestRetrierCanceledDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Retrier{MaxRetries: 3, Base: time.Hour}
	done := make(chan error)
	go func() {
		done <- r.Do(ctx, func(context.Context) error { return &Error{Class: Retryable, Message: "bad gateway"} }, nil)
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled in the chain", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Do did not return after cancel")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{"0", 0},
		{"-4", 0},
		{"soon", 0},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0},
		{"90000", 25 * time.Hour},
		{"1e30", 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			if got := ParseRetryAfter(h, now); got != tt.want {
				t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		value   string
		allowed []string
		want    string
	}{
		{"4k", []string{"1K", "2K", "4K"}, "4K"},
		{"16;9", []string{"1:1", "16:9", "9:16"}, "16:9"},
		{"hgih", []string{"low", "medium", "high"}, "high"},
		{"trasparent", []string{"auto", "transparent", "opaque"}, "transparent"},
		{"ultra", []string{"low", "medium", "high"}, ""},
		{"", []string{"a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := Suggest(tt.value, tt.allowed); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
