package backend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/genform/genform/state"
)

// File is the state file with its journal, backup and file lock under the working folder: the
// backend of a project without a backend block.
type File struct {
	StatePath string // the state file
	WorkDir   string // .genform: lock, journal.jsonl, state.backup.json
}

func (f *File) journalPath() string { return filepath.Join(f.WorkDir, "journal.jsonl") }

// Describe implements Backend.
func (f *File) Describe() string { return f.StatePath }

// Close implements Backend.
func (f *File) Close() error { return nil }

// Read reads the state file and folds in the journal an interrupted apply left. It writes
// nothing.
func (f *File) Read(context.Context) (*state.File, Status, error) {
	var status Status
	st, err := state.Read(f.StatePath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		st = state.New()
	case err != nil:
		return nil, status, err
	default:
		status.Exists = true
	}
	entries, bad, err := state.ReadJournalLenient(f.journalPath())
	if err != nil {
		return nil, status, fmt.Errorf("reading the journal of an interrupted apply: %w", err)
	}
	if len(bad) > 0 {
		status.Warnings = append(status.Warnings, journalWarning(f.journalPath(), bad))
	}
	st.Apply(entries)
	status.Pending = len(entries)
	return st, status, nil
}

// Lock takes the file lock, polling while another process holds it.
func (f *File) Lock(ctx context.Context, req LockRequest) (Lock, error) {
	path := filepath.Join(f.WorkDir, "lock")
	return Wait(ctx, req.Timeout, 100*time.Millisecond, func() (Lock, error) {
		l, err := state.Lock(path, req.Command)
		var le *state.LockedError
		if errors.As(err, &le) {
			return nil, &LockedError{Where: le.Path, Holder: Holder{Command: le.Command, PID: le.PID, Since: le.Since}}
		}
		if err != nil {
			return nil, err
		}
		return &fileLock{f: f, l: l}, nil
	})
}

// ForceUnlock implements Backend: a file lock is the OS's, released when its holder exits.
func (f *File) ForceUnlock(context.Context, string) error {
	return errors.New("this project's lock is a file lock, which the operating system releases when its holder exits; there is nothing to force")
}

type fileLock struct {
	f *File
	l *state.ProjectLock
	j *state.Journal // the journal this lock's apply records to, once opened
}

func (l *fileLock) ID() string { return "" }

func (l *fileLock) Recorder(context.Context, *state.File) (Recorder, error) {
	j, err := state.OpenJournal(l.f.journalPath())
	if err == nil {
		l.j = j
	}
	return j, err
}

// Write writes the state file and removes the journal it folded in. A journal that holds only
// what this lock's apply wrote is removed without being read back.
func (l *fileLock) Write(_ context.Context, st *state.File) error {
	if l.j != nil && l.j.Own() {
		return l.f.fold(st, false)
	}
	return l.f.Fold(st)
}

// Fold writes st to the state file and removes the journal it folded in. The caller holds the
// lock of the working folder (a fileLock, or the checkout lock a shared backend's command
// takes).
func (f *File) Fold(st *state.File) error { return f.fold(st, true) }

// fold is Fold; check reads the journal back first, to set aside lines no one could read.
func (f *File) fold(st *state.File, check bool) error {
	if _, err := state.Write(f.StatePath, st, filepath.Join(f.WorkDir, "state.backup.json")); err != nil {
		return fmt.Errorf("writing the state: %w", err)
	}
	var bad []*state.Error
	var err error
	if check {
		_, bad, err = state.ReadJournalLenient(f.journalPath())
	}
	if err == nil && len(bad) > 0 { // lines no one could read: keep them aside, never delete them
		aside := fmt.Sprintf("%s.corrupt-%s", f.journalPath(), time.Now().UTC().Format("20060102T150405.000000000Z"))
		if err := os.Rename(f.journalPath(), aside); err != nil {
			return fmt.Errorf("setting aside the journal with unreadable lines: %w", err)
		}
		return nil
	}
	if err := os.Remove(f.journalPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the journal: %w", err)
	}
	return nil
}

func (l *fileLock) Unlock() error { return l.l.Unlock() }

// journalWarning names the journal's lines that are no entry (the first few) and says the
// journal is kept.
func journalWarning(path string, bad []*state.Error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d line(s) of the journal are no journal entry and were skipped:", len(bad))
	const most = 5
	for _, e := range bad[:min(len(bad), most)] {
		fmt.Fprintf(&b, "\n  %v", e)
	}
	if len(bad) > most {
		fmt.Fprintf(&b, "\n  and %d more", len(bad)-most)
	}
	fmt.Fprintf(&b, "\nThe journal is kept, never cut or deleted: the next state write renames it to %s.corrupt-<time> so nothing in it is lost.", path)
	return b.String()
}
