package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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
// fs.ErrNotExist. The caller verifies what it reads (the blob may have rotted).
func (c *Cache) OpenBlob(sha string) (*os.File, int64, error) {
	if !isSHA256(sha) {
		return nil, 0, fmt.Errorf("opening blob %q: not a hex sha256", sha)
	}
	f, err := os.Open(c.blobPath(sha))
	if err != nil {
		return nil, 0, fmt.Errorf("opening blob %s: %w", sha, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("opening blob %s: %w", sha, err)
	}
	return f, fi.Size(), nil
}

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

// Blobs calls fn with the sha256 and size of every blob in the local cache.
func (c *Cache) Blobs(fn func(sha string, size int64) error) error {
	root := filepath.Join(c.dir, "blobs")
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isSHA256(d.Name()) {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		return fn(d.Name(), fi.Size())
	})
}

// RemoveBlob deletes blob sha from the local cache; a missing blob is not an error.
func (c *Cache) RemoveBlob(sha string) error {
	if !isSHA256(sha) || strings.ContainsAny(sha, `/\`) {
		return fmt.Errorf("removing blob %q: not a hex sha256", sha)
	}
	if err := os.Remove(c.blobPath(sha)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing blob %s: %w", sha, err)
	}
	return nil
}
