package providers

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestRetrierClasses(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		errs      []error // op's errors, in order; nil after the list means success
		max       int
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
		{name: "400 fails at once", errs: []error{&Error{Class: Permanent, Status: 400}}, max: 5, wantCalls: 1, wantErr: true},
		{name: "401 fails at once", errs: []error{&Error{Class: Auth, Status: 401}}, max: 5, wantCalls: 1, wantErr: true},
		{name: "expired fails at once", errs: []error{&Error{Class: Expired, Status: 410}}, max: 5, wantCalls: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewFakeClock(start)
			r := &Retrier{MaxRetries: tt.max, Clock: clock, Jitter: func() float64 { return 0.5 }}
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
