package providers

import (
	"errors"
	"fmt"
	"time"
)

// Class says what a caller should do about an error.
type Class int

// Error classes.
const (
	// Permanent errors fail at once: a bad request (400, 404), a blocked prompt, a failed job.
	Permanent Class = iota
	// Retryable errors may succeed when tried again: 5xx, network errors, timeouts.
	Retryable
	// RateLimited errors (429) are retried after RetryAfter without using up the retry budget.
	RateLimited
	// Auth errors (401, 403, a missing key) fail at once and fail every request alike.
	Auth
	// Expired means an asynchronous job's output is gone (expired before download).
	Expired
	// Ambiguous errors ended a paid request after it was sent and before a complete reply
	// (a timeout, a reset, a 5xx, a reply cut off): the gateway may have charged for it. They
	// are retried at most Retrier.MaxAmbiguous times, and each is reported through
	// Job.PossiblyCharged.
	Ambiguous
)

func (c Class) String() string {
	switch c {
	case Permanent:
		return "permanent"
	case Retryable:
		return "retryable"
	case RateLimited:
		return "rate limited"
	case Auth:
		return "auth"
	case Expired:
		return "expired"
	case Ambiguous:
		return "possibly charged"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Error is a classified provider error. Message is the gateway's own message where it sent
// one; it never contains credentials.
type Error struct {
	Class      Class
	Status     int           // HTTP status, 0 when none
	Message    string        // human-readable, e.g. the gateway's error.message
	RetryAfter time.Duration // from Retry-After, 0 when none
	Err        error         // the underlying error, if any
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Status != 0 {
		return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the class of err: the class of the first *Error in its chain, or Retryable
// for an unclassified error (a network error, say). A nil error has no class and gives
// Permanent, which no caller retries.
func ClassOf(err error) Class {
	if err == nil {
		return Permanent
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Retryable
}
