package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/genform/genform/state"
	"golang.org/x/sync/errgroup"
)

const (
	blobPrefix  = "cas/"
	entryPrefix = "ac/"
	// entryVersion is the format of an action-cache entry.
	entryVersion = 1
	// maxEntry caps what is read of one entry: a record is a few kilobytes.
	maxEntry = 4 << 20
	// gets is how many objects are fetched at once.
	gets = 16
	// attempts of a blob download whose bytes came out wrong or cut short.
	attempts = 3
)

// Cache is a shared output cache over a Store. It lists the store's blobs and entries once
// (the first time it needs them) and keeps the listing up to date with its own writes; a
// Cache lives as long as one command. Safe for concurrent use.
type Cache struct {
	store Store

	mu      sync.Mutex
	blobs   map[string]int64     // sha256 -> size; nil until listed
	blobMod map[string]time.Time // sha256 -> when written
	entries map[string]time.Time // input hash -> when written; nil until listed
}

// New returns a cache over store.
func New(store Store) *Cache {
	return &Cache{store: store}
}

// String names the remote for messages.
func (c *Cache) String() string { return c.store.String() }

func blobKey(sha string) string         { return blobPrefix + sha[:2] + "/" + sha }
func entryKey(hash string) string       { return entryPrefix + hash }
func isHex64(s string) bool             { _, err := hex.DecodeString(s); return err == nil && len(s) == 64 }
func lastPart(key string) string        { return key[strings.LastIndexByte(key, '/')+1:] }
func (c *Cache) lock() func()           { c.mu.Lock(); return c.mu.Unlock }
func wrap(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }

// listing lists blobs and entries once.
func (c *Cache) listing(ctx context.Context) (map[string]int64, map[string]time.Time, error) {
	defer c.lock()()
	if c.blobs != nil {
		return c.blobs, c.entries, nil
	}
	blobs := map[string]int64{}
	blobMod := map[string]time.Time{}
	entries := map[string]time.Time{}
	err := c.store.List(ctx, blobPrefix, func(o Object) error {
		if sha := lastPart(o.Key); isHex64(sha) && o.Key == blobKey(sha) {
			blobs[sha] = o.Size
			blobMod[sha] = o.Modified
		}
		return nil
	})
	if err == nil {
		err = c.store.List(ctx, entryPrefix, func(o Object) error {
			if h := lastPart(o.Key); isHex64(h) && o.Key == entryKey(h) {
				entries[h] = o.Modified
			}
			return nil
		})
	}
	if err != nil {
		return nil, nil, wrap("listing the shared cache "+c.store.String(), err)
	}
	c.blobs, c.blobMod, c.entries = blobs, blobMod, entries
	return blobs, entries, nil
}

// HasBlob reports whether the shared cache holds blob sha of the given size.
func (c *Cache) HasBlob(ctx context.Context, sha string, size int64) (bool, error) {
	blobs, _, err := c.listing(ctx)
	if err != nil {
		return false, err
	}
	defer c.lock()()
	got, ok := blobs[sha]
	return ok && got == size, nil
}

type entry struct {
	Version   int             `json:"version"`
	InputHash string          `json:"input_hash"`
	Record    json.RawMessage `json:"record"`
}

// Lookup returns the records the shared cache holds for these input hashes, each only when
// the blob of its output is there too. known holds records the caller has already (the
// state's) for some of the hashes: for those only the blob is looked for. One listing for the
// whole batch, then one small read per other entry found, many at once. An entry that does
// not decode is skipped.
func (c *Cache) Lookup(ctx context.Context, hashes []string, known map[string]*state.Record) (map[string]*state.Record, error) {
	blobs, entries, err := c.listing(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*state.Record)
	var want []string
	c.mu.Lock()
	for _, h := range hashes {
		if rec := known[h]; rec != nil && hasBlob(rec) && rec.InputHash == h {
			if size, ok := blobs[rec.Output.SHA256]; ok && size == rec.Output.Size {
				out[h] = rec
				continue
			}
		}
		if _, ok := entries[h]; ok {
			want = append(want, h)
		}
	}
	c.mu.Unlock()
	found := make([]*state.Record, len(want))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(gets)
	for i, h := range want {
		g.Go(func() error {
			rec, err := c.readEntry(gctx, h)
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errBadEntry) {
				return nil // removed meanwhile, or damaged: a miss
			}
			found[i] = rec
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, wrap("reading the shared cache "+c.store.String(), err)
	}
	defer c.lock()()
	for i, rec := range found {
		if rec == nil {
			continue
		}
		if o := rec.Output; o != nil && hasBlob(rec) {
			if size, ok := c.blobs[o.SHA256]; !ok || size != o.Size {
				continue // the entry's blob is gone: a miss
			}
		}
		out[want[i]] = rec
	}
	return out, nil
}

// hasBlob reports whether a record's output lives in a blob: a chat's file is its text, which
// the record holds.
func hasBlob(rec *state.Record) bool { return rec.Output != nil && rec.Kind != "chat" }

var errBadEntry = errors.New("damaged entry")

func (c *Cache) readEntry(ctx context.Context, hash string) (*state.Record, error) {
	r, err := c.store.Get(ctx, entryKey(hash))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxEntry))
	if err != nil {
		return nil, err
	}
	var e entry
	if json.Unmarshal(data, &e) != nil || e.Version != entryVersion || e.InputHash != hash {
		return nil, errBadEntry
	}
	rec, err := state.UnmarshalRecord(e.Record)
	if err != nil || rec.InputHash != hash {
		return nil, errBadEntry
	}
	return rec, nil
}

// Fetch brings blob sha of the given size into the local cache, checking its sha256: a
// download cut short or carrying other bytes is tried again, then refused.
func (c *Cache) Fetch(ctx context.Context, sha string, size int64, into *state.Cache) error {
	if into.Has(sha) {
		return nil
	}
	var err error
	for try := 0; try < attempts; try++ {
		if err = c.fetchOnce(ctx, sha, size, into); err == nil || errors.Is(err, fs.ErrNotExist) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return wrap(fmt.Sprintf("fetching blob %s from the shared cache %s", sha, c.store.String()), err)
	}
	return nil
}

func (c *Cache) fetchOnce(ctx context.Context, sha string, size int64, into *state.Cache) error {
	r, err := c.store.Get(ctx, blobKey(sha))
	if err != nil {
		return err
	}
	defer r.Close()
	return into.PutReader(r, sha, size+1) // one byte past the size: a longer blob fails the hash
}

// Upload sends one result to the shared cache: its output blob from the local cache first
// (skipped when the listing has it), then its entry. A chat without an output file has only
// the entry.
func (c *Cache) Upload(ctx context.Context, rec *state.Record, from *state.Cache) error {
	if rec == nil || !isHex64(rec.InputHash) {
		return nil // nothing the action cache could key
	}
	if o := rec.Output; o != nil && hasBlob(rec) {
		if err := c.pushBlob(ctx, o.SHA256, o.Size, from); err != nil {
			return err
		}
	}
	return c.pushEntry(ctx, rec)
}

func (c *Cache) pushBlob(ctx context.Context, sha string, size int64, from *state.Cache) error {
	if ok, err := c.HasBlob(ctx, sha, size); err != nil || ok {
		return err
	}
	f, got, err := from.OpenBlob(sha)
	if err != nil {
		return wrap("uploading to the shared cache", err)
	}
	defer f.Close()
	if got != size {
		return fmt.Errorf("uploading blob %s: the local copy is %d bytes, not %d", sha, got, size)
	}
	// verify the local copy before anyone else can read it
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return wrap("uploading blob "+sha, err)
	}
	if hex.EncodeToString(h.Sum(nil)) != sha {
		return fmt.Errorf("uploading blob %s: %w (the local copy changed)", sha, state.ErrCorrupt)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return wrap("uploading blob "+sha, err)
	}
	if err := c.store.Put(ctx, blobKey(sha), f, size, sha); err != nil {
		return wrap(fmt.Sprintf("uploading blob %s to the shared cache %s", sha, c.store.String()), err)
	}
	defer c.lock()()
	c.blobs[sha], c.blobMod[sha] = size, time.Now()
	return nil
}

func (c *Cache) pushEntry(ctx context.Context, rec *state.Record) error {
	raw, err := state.MarshalRecord(rec)
	if err != nil {
		return err
	}
	data, err := json.Marshal(entry{Version: entryVersion, InputHash: rec.InputHash, Record: bytes.TrimSpace(raw)})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	if err := c.store.Put(ctx, entryKey(rec.InputHash), bytes.NewReader(data), int64(len(data)), hex.EncodeToString(sum[:])); err != nil {
		return wrap(fmt.Sprintf("uploading the entry of %s to the shared cache %s", rec.Addr, c.store.String()), err)
	}
	if _, _, err := c.listing(ctx); err == nil {
		defer c.lock()()
		c.entries[rec.InputHash] = time.Now()
	}
	return nil
}

// HasEntry reports whether the shared cache holds an entry for an input hash.
func (c *Cache) HasEntry(ctx context.Context, hash string) (bool, error) {
	_, entries, err := c.listing(ctx)
	if err != nil {
		return false, err
	}
	defer c.lock()()
	_, ok := entries[hash]
	return ok, nil
}
