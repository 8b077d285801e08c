package main

import (
	"context"
	"flag"
	"path/filepath"
	"time"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/backend/pg"
)

// openBackend opens where the project's state and lock live: the genform block's backend, or
// the state file.
func (c *cli) openBackend(p *project) bool {
	if p.backend != nil {
		return true
	}
	b := p.cfg.Settings.Backend
	if b == nil {
		p.backend = &backend.File{StatePath: p.statePath, WorkDir: filepath.Join(p.dir, ".genform")}
		return true
	}
	be, err := pg.Open(context.Background(), pg.Config{ConnStr: b.ConnStr, Schema: b.Schema, Workspace: b.Workspace})
	if err != nil {
		c.ui().Errorf("opening the pg backend: %v", err)
		return false
	}
	p.backend = be
	return true
}

// closeBackend closes the backend, if one was opened.
func (p *project) closeBackend() {
	if p.backend != nil {
		p.backend.Close()
	}
}

// lockProject takes the project lock for command, waiting up to timeout; the caller unlocks
// with p.lock.Unlock.
func (c *cli) lockProject(p *project, command string, timeout time.Duration) bool {
	if !c.openBackend(p) {
		return false
	}
	l, err := p.backend.Lock(context.Background(), backend.LockRequest{Command: command, Timeout: timeout})
	if err != nil {
		c.ui().Error(err)
		return false
	}
	p.lock = l
	return true
}

// lockTimeoutFlag adds -lock-timeout to a command that takes the lock.
func lockTimeoutFlag(fs *flag.FlagSet) *time.Duration {
	return fs.Duration("lock-timeout", 0, "wait up to `DURATION` for another command to release the lock (default 0: fail at once, naming the holder)")
}
