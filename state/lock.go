package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ProjectLock is the project's lock, held by one state-changing command at a time. The OS
// releases it when the process dies, so a crash never leaves a project locked.
type ProjectLock struct {
	path string
	fl   *flock.Flock
}

// LockedError says the project is locked by another process.
type LockedError struct {
	Path    string
	PID     int       // 0 when the holder's details could not be read
	Command string    // the holder's command, e.g. "apply"
	Since   time.Time // when the holder took the lock
}

func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("the project is locked by another genform process (lock file %s)", e.Path)
	}
	return fmt.Sprintf("the project is locked by genform %s (pid %d, since %s)",
		e.Command, e.PID, e.Since.Local().Format("15:04:05"))
}

// lockInfo is what the holder writes into the lock file for others to report.
type lockInfo struct {
	Command string `json:"command"`
	PID     int    `json:"pid"`
	Since   string `json:"since"`
}

// Lock takes the project lock at path without waiting, for command (the genform subcommand,
// e.g. "apply" or "state rm"). When another process holds it, Lock returns a *LockedError
// naming that process.
func Lock(path string, command string) (*ProjectLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("locking the project: %w", err)
	}
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o644))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking the project (%s): %w", path, err)
	}
	if !ok {
		return nil, lockedError(path)
	}
	command = strings.TrimPrefix(command, "genform ")
	info, _ := json.Marshal(lockInfo{Command: command, PID: os.Getpid(), Since: time.Now().UTC().Format(time.RFC3339)})
	// Written through a second descriptor: the lock belongs to fl's open file description,
	// which flock(2) keeps locked whatever else is opened or closed.
	if err := os.WriteFile(path, append(info, '\n'), 0o644); err != nil {
		fl.Unlock()
		return nil, fmt.Errorf("locking the project: %w", err)
	}
	return &ProjectLock{path: path, fl: fl}, nil
}

// lockedError reads the holder's details. The holder writes them just after taking the lock,
// so an empty or partial file is read again for a moment before giving up on them.
func lockedError(path string) *LockedError {
	e := &LockedError{Path: path}
	for range 20 {
		data, err := os.ReadFile(path)
		var info lockInfo
		if err == nil && json.Unmarshal(bytes.TrimSpace(data), &info) == nil && info.PID > 0 {
			e.PID, e.Command = info.PID, info.Command
			e.Since, _ = time.Parse(time.RFC3339, info.Since)
			return e
		}
		time.Sleep(10 * time.Millisecond)
	}
	return e
}

// Unlock releases the lock. The file stays (removing it would race with a process about to
// lock it); its details are cleared.
func (l *ProjectLock) Unlock() error {
	if l == nil || l.fl == nil {
		return nil
	}
	_ = os.Truncate(l.path, 0) // details of a released lock would only mislead
	err := l.fl.Close()
	l.fl = nil
	if err != nil {
		return fmt.Errorf("unlocking the project: %w", err)
	}
	return nil
}
