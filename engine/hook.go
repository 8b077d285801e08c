package engine

import (
	"time"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/state"
)

// Hook is told what apply does as it happens; the CLI renders it. Implementations must be
// safe for concurrent use and must not block for long: apply waits for them.
type Hook interface {
	// Started: an instance took a slot and began its work.
	Started(ch *Change)
	// Progress: a generation reports what it is doing.
	Progress(ch *Change, p providers.Progress)
	// Finished: an instance is done, recorded durably, or failed, or was skipped.
	Finished(ch *Change, o *Outcome)
}

// Status is how an instance's apply ended.
type Status string

// The statuses of an Outcome.
const (
	Done        Status = "done"
	Failed      Status = "failed"
	Skipped     Status = "skipped"     // an upstream failed or was skipped
	Interrupted Status = "interrupted" // Ctrl-C: a video job's id is recorded, polling resumes next time
)

// Outcome is how one instance's apply ended.
type Outcome struct {
	Status  Status
	Action  Action        // what was done: it may differ from the plan once upstream values are known
	Record  *state.Record // the new record (Done, not for Delete; Failed when paid and kept but not placed)
	Err     error         // Failed: the provider's or the file system's error
	Reason  string        // Skipped: which upstream failed
	Elapsed time.Duration
	Cost    providers.Price // of a generation; zero and known otherwise
	// Ambiguous counts the attempts of a paid request that got no complete reply (a
	// timeout, a reset, a 5xx) and may have been charged; AmbiguousCost is their estimate.
	Ambiguous     int
	AmbiguousCost providers.Price
}

// NopHook ignores everything.
type NopHook struct{}

func (NopHook) Started(*Change)                      {}
func (NopHook) Progress(*Change, providers.Progress) {}
func (NopHook) Finished(*Change, *Outcome)           {}
