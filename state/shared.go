package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// What a shared output cache (remote/) needs of this package: a record as a self-contained
// JSON document, and the local cache's blobs as streams.

// MarshalRecord encodes one record, its address included, as the JSON the cache index uses.
func MarshalRecord(r *Record) ([]byte, error) {
	if r == nil {
		return nil, errors.New("encoding a record: nil record")
	}
	if why := checkRecord(r); why != "" {
		return nil, fmt.Errorf("encoding record %s: it %s", r.Addr, why)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&addrRecord{Addr: r.Addr, diskRecord: *recordToDisk(r)}); err != nil {
		return nil, fmt.Errorf("encoding record %s: %w", r.Addr, err)
	}
	return b.Bytes(), nil
}

// UnmarshalRecord decodes and checks what MarshalRecord wrote; unknown fields are refused.
func UnmarshalRecord(data []byte) (*Record, error) {
	var rec addrRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("decoding a record: %w", err)
	}
	r, why := recordFromDisk(rec.Addr, &rec.diskRecord)
	if why != "" {
		return nil, fmt.Errorf("decoding record %s: it %s", rec.Addr, why)
	}
	return r, nil
}

// OpenBlob opens the local blob sha for reading, with its size. A missing blob wraps
// fs.ErrNotExist. The caller verifies what it reads (a blob file may have rotted; a packed
// blob is checked as it is opened, and a damaged one wraps ErrCorrupt).
func (c *Cache) OpenBlob(sha string) (io.ReadSeekCloser, int64, error) {
	if !isSHA256(sha) {
		return nil, 0, fmt.Errorf("opening blob %q: not a hex sha256", sha)
	}
	f, size, _, err := c.openBlob(sha)
	if err != nil {
		return nil, 0, fmt.Errorf("opening blob %s: %w", sha, err)
	}
	return f, size, nil
}

// openBlob opens blob sha, packed or a file, with its size. A packed blob is read whole and
// checked (a damaged one wraps ErrCorrupt); a file is checked by whoever reads it.
func (c *Cache) openBlob(sha string) (rc io.ReadSeekCloser, size int64, packed bool, err error) {
	data, packed, err := c.pack.read(sha)
	if packed {
		if err != nil {
			return nil, 0, true, err
		}
		return nopSeekCloser{bytes.NewReader(data)}, int64(len(data)), true, nil
	}
	f, err := os.Open(c.blobPath(sha))
	if err != nil {
		return nil, 0, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, false, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, false, fmt.Errorf("blob %s is not a regular file", sha)
	}
	return f, fi.Size(), false, nil
}

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }

// PutReader stores what r yields as blob sha, checking the hash as it copies: a stream that is
// cut short or carries other bytes is refused with an error wrapping ErrCorrupt, and nothing
// becomes visible. At most limit bytes are read (limit <= 0: no cap).
func (c *Cache) PutReader(r io.Reader, sha string, limit int64) error {
	if !isSHA256(sha) {
		return fmt.Errorf("caching %q: not a hex sha256", sha)
	}
	if c.Has(sha) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Join(c.dir, "blobs"), "tmp-*")
	if err != nil {
		return fmt.Errorf("caching blob %s: %w", sha, err)
	}
	if limit > 0 {
		r = io.LimitReader(r, limit)
	}
	got, _, err := copyHashed(tmp, r)
	if err == nil && got != sha {
		err = fmt.Errorf("%w: received bytes hash to %s", ErrCorrupt, got)
	}
	if err != nil {
		discard(tmp)
		return fmt.Errorf("caching blob %s: %w", sha, err)
	}
	return c.store(tmp, sha, false)
}

// Blobs calls fn with the sha256 and size of every blob in the local cache, packed or a file,
// each once.
func (c *Cache) Blobs(fn func(sha string, size int64) error) error {
	packed := c.pack.entries()
	for _, sha := range slices.Sorted(maps.Keys(packed)) {
		if err := fn(sha, packed[sha].size); err != nil {
			return err
		}
	}
	root := filepath.Join(c.dir, "blobs")
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isSHA256(d.Name()) {
			return err
		}
		if _, ok := packed[d.Name()]; ok {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		return fn(d.Name(), fi.Size())
	})
}

// RemoveBlob deletes blob sha from the local cache (from the pack, by rewriting it, and as a
// file); a missing blob is not an error.
func (c *Cache) RemoveBlob(sha string) error {
	if !isSHA256(sha) || strings.ContainsAny(sha, `/\`) {
		return fmt.Errorf("removing blob %q: not a hex sha256", sha)
	}
	return c.removeBlobs([]string{sha})
}

// removeBlobs deletes blobs: the packed ones by one rewrite of the pack.
func (c *Cache) removeBlobs(shas []string) error {
	drop := map[string]bool{}
	for _, sha := range shas {
		if _, ok := c.pack.entry(sha); ok {
			drop[sha] = true
		}
		if err := os.Remove(c.blobPath(sha)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing blob %s: %w", sha, err)
		}
	}
	if len(drop) > 0 {
		if _, _, err := c.pack.compact(drop); err != nil {
			return fmt.Errorf("removing blobs: %w", err)
		}
	}
	return nil
}

// GCResult is what a collection of the local cache removed (or would, in a dry run).
type GCResult struct {
	Entries, Blobs int
	Bytes          int64
}

// Collect removes the index entries and blobs nothing keeps. An entry stays when its input
// hash is in keepHashes or its record was generated after since; a blob stays when it is in
// keepBlobs, a kept entry names it, or it was written after since (a deleted output stashed
// lately stays, so undoing the delete is still free). Entries go before blobs. The caller
// holds the project lock: no apply appends to the index meanwhile.
func (c *Cache) Collect(keepHashes, keepBlobs map[string]bool, since time.Time, dryRun bool) (*GCResult, error) {
	keepBlobs = maps.Clone(keepBlobs)
	if keepBlobs == nil {
		keepBlobs = map[string]bool{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	res := &GCResult{}
	data, err := os.ReadFile(c.indexPath())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the cache index: %w", err)
	}
	kept, dropped := keptIndex(data, keepHashes, keepBlobs, since)
	res.Entries = dropped
	if !dryRun && res.Entries > 0 {
		if c.log != nil {
			c.log.Close()
			c.log = nil
		}
		if err := writeAtomic(c.indexPath(), kept, 0o644, true); err != nil {
			return nil, fmt.Errorf("rewriting the cache index: %w", err)
		}
		c.index, c.size = nil, 0
	}
	var drop []string
	packed := c.pack.entries()
	err = c.Blobs(func(sha string, size int64) error {
		if keepBlobs[sha] {
			return nil
		}
		if e, ok := packed[sha]; ok && e.at.After(since) {
			return nil
		}
		if fi, err := os.Stat(c.blobPath(sha)); err == nil && fi.ModTime().After(since) {
			return nil
		}
		drop = append(drop, sha)
		res.Blobs++
		res.Bytes += size
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the cache: %w", err)
	}
	if dryRun {
		return res, nil
	}
	if err := c.removeBlobs(drop); err != nil {
		return nil, err
	}
	return res, nil
}

// keptIndex is the cache index data keeps: the last line of each input hash whose record is
// in keepHashes or was generated after since (adding the blob it names to keepBlobs), and how
// many input hashes it drops. A torn or unreadable line is dropped.
func keptIndex(data []byte, keepHashes, keepBlobs map[string]bool, since time.Time) (index []byte, dropped int) {
	type line struct {
		raw  []byte
		keep bool
	}
	latest := map[string]*line{}
	var order []string
	for _, raw := range bytes.SplitAfter(data, []byte("\n")) {
		if len(raw) == 0 || raw[len(raw)-1] != '\n' {
			continue // a torn last line
		}
		var l struct {
			InputHash string          `json:"input_hash"`
			Record    json.RawMessage `json:"record"`
			Version   int             `json:"version"`
		}
		if json.Unmarshal(raw, &l) != nil || l.Version != Version || !isSHA256(l.InputHash) {
			continue
		}
		r, err := UnmarshalRecord(l.Record)
		keep := err == nil && (keepHashes[l.InputHash] || r.GeneratedAt.After(since))
		if keep && r.Output != nil {
			keepBlobs[r.Output.SHA256] = true
		}
		if latest[l.InputHash] == nil {
			order = append(order, l.InputHash)
		}
		latest[l.InputHash] = &line{raw: raw, keep: keep}
	}
	var kept bytes.Buffer
	for _, h := range order {
		if l := latest[h]; l.keep {
			kept.Write(l.raw)
		} else {
			dropped++
		}
	}
	return kept.Bytes(), dropped
}
