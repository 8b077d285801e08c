package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/genform/genform/backend"
	"github.com/genform/genform/backend/pg"
	"github.com/genform/genform/state"
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
// with p.lock.Unlock. With a shared backend the checkout's own lock (.genform/lock) is taken
// first too, so pull and cache gc in this checkout wait for this command as they do without
// one.
func (c *cli) lockProject(p *project, command string, timeout time.Duration) bool {
	if !c.openBackend(p) {
		return false
	}
	var local backend.Lock
	if _, isFile := p.backend.(*backend.File); !isFile {
		if local = c.lockCheckout(p, command, timeout); local == nil {
			return false
		}
	}
	l, err := p.backend.Lock(context.Background(), backend.LockRequest{Command: command, Timeout: timeout})
	if err != nil {
		if local != nil {
			local.Unlock()
		}
		c.ui().Error(err)
		return false
	}
	p.lock = l
	if local != nil {
		p.lock = &bothLocks{Lock: l, local: local}
	}
	return true
}

// lockCheckout takes this checkout's lock, .genform/lock, for a command that works on the
// checkout's files and caches only (pull, cache gc); nil when it could not.
func (c *cli) lockCheckout(p *project, command string, timeout time.Duration) backend.Lock {
	f := &backend.File{StatePath: p.statePath, WorkDir: p.work("")}
	l, err := f.Lock(context.Background(), backend.LockRequest{Command: command, Timeout: timeout})
	if err != nil {
		c.ui().Error(err)
		return nil
	}
	return l
}

// bothLocks is a shared backend's lock held together with the checkout's.
type bothLocks struct {
	backend.Lock
	local backend.Lock
}

func (b *bothLocks) Unlock() error {
	err := b.Lock.Unlock()
	if lerr := b.local.Unlock(); err == nil {
		err = lerr
	}
	return err
}

// Import passes genform init -migrate-state's import on to the backend's lock.
func (b *bothLocks) Import(ctx context.Context, st *state.File) error {
	imp, ok := b.Lock.(backend.Importer)
	if !ok {
		return fmt.Errorf("this backend cannot take a migrated state")
	}
	return imp.Import(ctx, st)
}

// lockTimeoutFlag adds -lock-timeout to a command that takes the lock.
func lockTimeoutFlag(fs *flag.FlagSet) *time.Duration {
	return fs.Duration("lock-timeout", 0, "wait up to `DURATION` for another command to release the lock (default 0: fail at once, naming the holder)")
}
