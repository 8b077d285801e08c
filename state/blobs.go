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
// apart (SyncBlob, or with the journal's lines: Journal.SyncsBlobs).

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
		c.tookPresent(sha)
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
	if err == nil {
		c.took(dst)
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
	if err := syncFile(c.blobPath(sha)); err != nil {
		return fmt.Errorf("syncing blob %s: %w", sha, err)
	}
	if err := syncDir(filepath.Dir(c.blobPath(sha))); err != nil {
		return err
	}
	return syncDir(filepath.Join(c.dir, "blobs")) // its folder (blobs/ab) may be new
}

// syncDirs syncs each folder in dirs.
func syncDirs(dirs ...string) error {
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// syncFile makes the content of the file at path durable.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = fdatasync(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// PutBytes stores data as a blob (not synced: for a copy of what a durable record holds, such
// as a chat's text) and returns its sha256.
func (c *Cache) PutBytes(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	return sha, c.putBytes(data, sha, false)
}

// TakeBytes stores data as the blob sha at once and without waiting for the disk (SyncBlob
// makes it durable): for an output a provider holds in memory. Like Take, it trusts sha to be
// data's sha256 (the provider hashed the bytes as it received them; every read checks it).
// Data up to PackMax bytes is appended to the pack, larger data is a file of its own.
func (c *Cache) TakeBytes(data []byte, sha string) error {
	if !isSHA256(sha) {
		return fmt.Errorf("caching: %q is not a hex sha256", sha)
	}
	return c.putBytes(data, sha, true)
}

// putBytes stores data as blob sha; taken: for a journal's group commit to make durable
// (Journal.SyncsBlobs).
func (c *Cache) putBytes(data []byte, sha string, taken bool) error {
	if len(data) <= PackMax { // no look for a file of its own: a copy in both is harmless
		return c.pack.put(sha, data, taken)
	}
	if c.Has(sha) {
		if taken {
			c.tookPresent(sha)
		}
		return nil
	}
	if err := writeAtomic(c.blobPath(sha), data, 0o444, false); err != nil {
		return fmt.Errorf("caching blob %s: %w", sha, err)
	}
	if taken {
		c.took(c.blobPath(sha))
	}
	return nil
}

// took notes a blob file taken for a receipt, for the journal's next flush to sync.
func (c *Cache) took(file string) {
	if !c.tracking.Load() {
		return
	}
	c.takenMu.Lock()
	c.takenFiles = append(c.takenFiles, file)
	c.takenMu.Unlock()
}

// tookPresent notes a blob taken for a receipt that the cache had already: that copy may be
// as new (taken a moment ago, not yet synced), so it is synced all the same, packed or not.
func (c *Cache) tookPresent(sha string) {
	c.pack.markTaken()
	c.took(c.blobPath(sha))
}

// syncTaken makes durable the blobs taken since it last ran: each blob file and its folder
// (once each) and blobs/, then the pack up to its last taken blob. A blob file gone meanwhile
// (a copy found in the pack, removed by gc) needs nothing.
func (c *Cache) syncTaken() error {
	c.takenMu.Lock()
	files := c.takenFiles
	c.takenFiles = nil
	c.takenMu.Unlock()
	synced := map[string]bool{} // files and folders
	for _, file := range files {
		if synced[file] {
			continue
		}
		synced[file] = true
		if err := syncFile(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("syncing blob %s: %w", filepath.Base(file), err)
		}
		if dir := filepath.Dir(file); !synced[dir] {
			synced[dir] = true
			if err := syncDir(dir); err != nil {
				return err
			}
		}
	}
	if len(files) > 0 { // a blob's folder (blobs/ab) may be new: its name too
		if err := syncDir(filepath.Join(c.dir, "blobs")); err != nil {
			return err
		}
	}
	if !c.namesSynced && (len(files) > 0 || c.pack.hasTaken()) {
		// the cache's own folders may be as new as this apply (OpenCache made them): once
		if err := syncDirs(c.dir, filepath.Dir(c.dir)); err != nil {
			return err
		}
		c.namesSynced = true
	}
	return c.pack.syncTaken()
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
