package state

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The cache's side of receipts: a paid output enters the cache at once and is made durable
// apart (SyncBlob, or a flush of the whole file system by the journal).

// Take moves a finished output file into the cache as the blob sha, at once and without
// waiting for the disk (see SyncBlob). file must be on the cache's file system (apply writes
// outputs in .genform/tmp); across file systems it is copied, durably, and removed. On an
// error the file is left where it was.
func (c *Cache) Take(file, sha string) error {
	if !isSHA256(sha) {
		return fmt.Errorf("caching %s: %q is not a hex sha256", file, sha)
	}
	if c.Has(sha) {
		os.Remove(file)
		return nil
	}
	if err := os.Chmod(file, 0o444); err != nil {
		return fmt.Errorf("caching: %w", err)
	}
	dst := c.blobPath(sha)
	err := c.rename(file, dst)
	if errors.Is(err, fs.ErrNotExist) { // the blob's folder is missing (or the file is)
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			err = c.rename(file, dst)
		}
	}
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// another file system: a durable copy, checked against sha
	got, _, err := c.put(file, true)
	if err == nil && got != sha {
		os.Remove(dst)
		err = fmt.Errorf("its sha256 is %s, not %s (did it change?)", got, sha)
	}
	if err != nil {
		return fmt.Errorf("caching %s: %w", file, err)
	}
	os.Remove(file)
	return nil
}

// SyncBlob makes the blob sha and its name durable (fsync of the file and of its folder, or
// of the pack that holds it): after it, the blob survives a power cut.
func (c *Cache) SyncBlob(sha string) error {
	if !isSHA256(sha) {
		return fmt.Errorf("syncing blob: %q is not a hex sha256", sha)
	}
	if _, ok := c.pack.entry(sha); ok {
		return c.pack.sync()
	}
	f, err := os.Open(c.blobPath(sha))
	if err != nil {
		return fmt.Errorf("syncing blob %s: %w", sha, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing blob %s: %w", sha, err)
	}
	return syncDir(filepath.Dir(c.blobPath(sha)))
}

// PutBytes stores data as a blob (not synced: for a copy of what a durable record holds, such
// as a chat's text) and returns its sha256.
func (c *Cache) PutBytes(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	return sha, c.putBytes(data, sha)
}

// TakeBytes stores data as the blob sha at once and without waiting for the disk (SyncBlob
// makes it durable): for an output a provider holds in memory. Like Take, it trusts sha to be
// data's sha256 (the provider hashed the bytes as it received them; every read checks it).
// Data up to PackMax bytes is appended to the pack, larger data is a file of its own.
func (c *Cache) TakeBytes(data []byte, sha string) error {
	if !isSHA256(sha) {
		return fmt.Errorf("caching: %q is not a hex sha256", sha)
	}
	return c.putBytes(data, sha)
}

func (c *Cache) putBytes(data []byte, sha string) error {
	if len(data) <= PackMax { // no look for a file of its own: a copy in both is harmless
		return c.pack.put(sha, data)
	}
	if c.Has(sha) {
		return nil
	}
	if err := writeAtomic(c.blobPath(sha), data, 0o444, false); err != nil {
		return fmt.Errorf("caching blob %s: %w", sha, err)
	}
	return nil
}

// RemoveTemp removes the temporary blobs (blobs/tmp-*, pack.tmp-*) a killed writer left. Call
// it only while no other process writes the cache (apply, under the project's lock). It
// returns how many it removed. (A record a killed writer left half-written at the end of the
// pack is cut off by the next write to the pack.)
func (c *Cache) RemoveTemp() int {
	names, _ := filepath.Glob(filepath.Join(c.dir, "blobs", "tmp-*"))
	packs, _ := filepath.Glob(filepath.Join(c.dir, "pack.tmp-*"))
	names = append(names, packs...)
	n := 0
	for _, name := range names {
		if os.Remove(name) == nil {
			n++
		}
	}
	return n
}
