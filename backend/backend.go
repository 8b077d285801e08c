// Package backend owns where a project's state, lock and runs live: the Backend interface the
// commands use, and the file backend (the state file, its journal and a file lock, as a project
// without a backend block has them). backend/pg keeps them in PostgreSQL for a team. Commands
// open a backend once; the engine never sees one (it records through the Recorder it is
// given).
package backend

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/genform/genform/state"
)

// Backend is where the state and the lock live.
type Backend interface {
	// Read returns the state with everything a killed apply recorded folded in. A project
	// with no state yet gets state.New() and Status.Exists false.
	Read(ctx context.Context) (*state.File, Status, error)
	// Lock takes the project lock for a state-changing command, waiting up to req.Timeout
	// while another holds it; then it fails with a *LockedError naming the holder.
	Lock(ctx context.Context, req LockRequest) (Lock, error)
	// ForceUnlock releases the lock with this ID, whoever holds it.
	ForceUnlock(ctx context.Context, id string) error
	// Describe says where the state is, for messages (never credentials).
	Describe() string
	Close() error
}

// Status is what Read found besides the state.
type Status struct {
	Exists  bool // a state was written before (a fresh project has none)
	Pending int  // instances a killed apply recorded that no state write has folded in yet
	// Warnings says what the reader skipped (lines of the journal that are no entry), each a
	// sentence for the user.
	Warnings []string
}

// LockRequest says who asks for the lock.
type LockRequest struct {
	Command string        // the genform command, e.g. "apply", "state rm"
	Timeout time.Duration // how long to wait for a holder to let go; 0 fails at once
}

// Lock is the held project lock. The state may be written only through it.
type Lock interface {
	// ID names the lock for genform force-unlock.
	ID() string
	// Recorder opens what apply records each finished instance with, durably, for the state
	// st it started from.
	Recorder(ctx context.Context, st *state.File) (Recorder, error)
	// Write replaces the state with st, folding in what was recorded; st.Serial becomes the
	// serial written (bumped only when the content changed).
	Write(ctx context.Context, st *state.File) error
	Unlock() error
}

// Recorder records finished instances one at a time (see engine.Journal: each Append is
// durable when it returns; Write and Sync are its two steps). *state.Journal is one.
type Recorder interface {
	Append(state.Entry) error
	Write(state.Entry) (uint64, error)
	Sync(n uint64) error
	SyncsBlobs(c *state.Cache) bool
	Close() error
}

// Holder is who holds (or held) a lock.
type Holder struct {
	ID         string // "" for a file lock: the OS releases it when its holder dies
	Command    string
	Who        string // user name
	Host       string
	PID        int // 0 when unknown
	Since      time.Time
	Heartbeat  time.Time // last sign of life (leases only)
	Expires    time.Time // when the lease lapses without a heartbeat (leases only)
	Generation int64     // fencing generation (leases only)
}

// LockedError says another process holds the lock.
type LockedError struct {
	Holder Holder
	Where  string        // the lock file, or the workspace
	Waited time.Duration // how long -lock-timeout waited
}

func (e *LockedError) Error() string {
	h := e.Holder
	var b strings.Builder
	if h.PID == 0 {
		fmt.Fprintf(&b, "the project is locked by another genform process (lock %s)", e.Where)
	} else {
		fmt.Fprintf(&b, "the project is locked by genform %s (pid %d", h.Command, h.PID)
		if h.Host != "" {
			fmt.Fprintf(&b, " on %s", h.Host)
		}
		if h.Who != "" {
			fmt.Fprintf(&b, ", user %s", h.Who)
		}
		fmt.Fprintf(&b, ", since %s", h.Since.Local().Format("15:04:05"))
		if h.ID != "" {
			fmt.Fprintf(&b, ", lock ID %s", h.ID)
		}
		b.WriteString(")")
	}
	if e.Waited > 0 {
		fmt.Fprintf(&b, "; waited %s", e.Waited)
	}
	if h.ID != "" {
		fmt.Fprintf(&b, ". The lock lapses by itself %s after its holder stops; 'genform force-unlock %s' releases it now",
			h.Expires.Sub(h.Heartbeat).Round(time.Second), h.ID)
	}
	return b.String()
}

// Wait calls try until it returns something other than a *LockedError or timeout has passed,
// polling every interval. The last *LockedError is returned with the time waited.
func Wait(ctx context.Context, timeout, interval time.Duration, try func() (Lock, error)) (Lock, error) {
	start := time.Now()
	for {
		l, err := try()
		le, locked := err.(*LockedError)
		if !locked {
			return l, err
		}
		waited := time.Since(start)
		if waited >= timeout {
			if timeout > 0 {
				le.Waited = timeout
			}
			return nil, le
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(interval, timeout-waited)):
		}
	}
}

// Importer is a Lock that can take a whole state from elsewhere (genform init
// -migrate-state): its rows, lineage and serial exactly as they are.
type Importer interface {
	Import(ctx context.Context, st *state.File) error
}
