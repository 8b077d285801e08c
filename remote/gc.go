package remote

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// GCPlan says what a collection keeps: the input hashes and blobs the state references, and
// anything written since Since (a recent entry keeps its blob too).
type GCPlan struct {
	Hashes map[string]bool // input hashes the state records
	Blobs  map[string]bool // output sha256s the state records
	Since  time.Time
	DryRun bool
	// Progress is told how many deletions of how many are done; may be nil.
	Progress func(done, total int)
}

// GCResult is what a collection removed (or would remove, in a dry run).
type GCResult struct {
	Entries, Blobs int
	Bytes          int64
	KeptEntries    int
	KeptBlobs      int
}

// GC removes the entries and blobs nothing keeps: entries first, then blobs, so an entry never
// outlives its blob. A blob written since Since is kept even when no entry names it yet (an
// apply elsewhere uploads the blob before its entry).
func (c *Cache) GC(ctx context.Context, plan GCPlan) (*GCResult, error) {
	blobs, entries, err := c.listing(ctx)
	if err != nil {
		return nil, err
	}
	keepBlob := map[string]bool{}
	for sha := range plan.Blobs {
		keepBlob[sha] = true
	}
	var dropEntries, recent []string
	c.mu.Lock()
	for h, mod := range entries {
		switch {
		case plan.Hashes[h]:
		case mod.After(plan.Since):
			recent = append(recent, h)
		default:
			dropEntries = append(dropEntries, h)
		}
	}
	c.mu.Unlock()
	// a recent entry keeps the blob it names
	found, err := c.Lookup(ctx, recent, nil)
	if err != nil {
		return nil, err
	}
	for _, rec := range found {
		if rec.Output != nil {
			keepBlob[rec.Output.SHA256] = true
		}
	}
	res := &GCResult{Entries: len(dropEntries), KeptEntries: len(entries) - len(dropEntries)}
	var dropBlobs []string
	c.mu.Lock()
	for sha, size := range blobs {
		if keepBlob[sha] || c.blobMod[sha].After(plan.Since) {
			res.KeptBlobs++
			continue
		}
		dropBlobs = append(dropBlobs, sha)
		res.Bytes += size
	}
	c.mu.Unlock()
	res.Blobs = len(dropBlobs)
	if plan.DryRun {
		return res, nil
	}
	if err := c.drop(ctx, plan.Progress, dropEntries, dropBlobs); err != nil {
		return nil, err
	}
	return res, nil
}

// drop deletes the entries, then the blobs, from the store and from what the cache knows,
// telling progress as it goes (progress may be nil).
func (c *Cache) drop(ctx context.Context, progress func(done, total int), dropEntries, dropBlobs []string) error {
	total := len(dropEntries) + len(dropBlobs)
	var done atomic.Int64
	del := func(keys []string) error {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(gets)
		for _, k := range keys {
			g.Go(func() error {
				if err := c.store.Delete(gctx, k); err != nil {
					return err
				}
				if progress != nil {
					progress(int(done.Add(1)), total)
				}
				return nil
			})
		}
		return g.Wait()
	}
	keys := make([]string, len(dropEntries))
	for i, h := range dropEntries {
		keys[i] = entryKey(h)
	}
	if err := del(keys); err != nil {
		return wrap("removing entries from the shared cache "+c.store.String(), err)
	}
	keys = make([]string, len(dropBlobs))
	for i, sha := range dropBlobs {
		keys[i] = blobKey(sha)
	}
	if err := del(keys); err != nil {
		return wrap("removing blobs from the shared cache "+c.store.String(), err)
	}
	c.mu.Lock()
	for _, h := range dropEntries {
		delete(c.entries, h)
	}
	for _, sha := range dropBlobs {
		delete(c.blobs, sha)
	}
	c.mu.Unlock()
	return nil
}
