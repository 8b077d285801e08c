package state

import (
	"errors"
	"fmt"
	"path/filepath"
)

// The pack's durability: a receipt's packed blob is synced on its own (sync), or with the
// other blobs taken since the journal's last group commit (syncTaken, Journal.SyncsBlobs).

// sync makes the pack's content and its name durable.
func (p *pack) sync() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil { // closed meanwhile: what was written is in the file all the same
		if _, err := p.refreshLocked(); err != nil {
			return fmt.Errorf("syncing the pack: %w", err)
		}
		if p.f == nil {
			return errors.New("syncing the pack: there is no pack")
		}
	}
	return p.syncLocked()
}

// syncTaken makes the pack durable up to the last blob taken for a receipt, if it is not yet.
// A pack closed meanwhile needs nothing: `cache gc` replaced it by a synced copy, or the cache
// was closed after its receipts.
func (p *pack) syncTaken() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil || p.taken <= p.synced {
		return nil
	}
	return p.syncLocked()
}

// syncLocked makes the open pack durable as it is (fdatasync, and its name the first time);
// the caller holds p.mu.
func (p *pack) syncLocked() error {
	upTo := p.end
	if err := fdatasync(p.f); err != nil {
		return fmt.Errorf("syncing the pack: %w", err)
	}
	if !p.dirSynced {
		if err := syncDir(filepath.Dir(p.path)); err != nil {
			return err
		}
		p.dirSynced = true
	}
	p.synced = upTo
	return nil
}

// hasTaken reports whether blobs taken for receipts wait for syncTaken.
func (p *pack) hasTaken() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.taken > p.synced
}

// markTaken makes the next syncTaken sync the pack as it is now.
func (p *pack) markTaken() {
	p.mu.Lock()
	p.taken = p.end
	p.mu.Unlock()
}
