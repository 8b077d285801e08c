package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func openCache(t *testing.T) (*Cache, string) {
	t.Helper()
	dir := t.TempDir()
	c, err := OpenCache(filepath.Join(dir, ".genform", "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return c, dir
}

func TestCachePutRestore(t *testing.T) {
	c, dir := openCache(t)
	content := bytes.Repeat([]byte("pixels "), 100000)
	want := sha256Hex(content)
	src := filepath.Join(dir, "out", "hero.png")
	writeFile(t, src, content)

	sha, size, err := c.Put(src)
	if err != nil || sha != want || size != int64(len(content)) {
		t.Fatalf("Put = %s, %d, %v", sha, size, err)
	}
	if !c.Has(sha) || c.Has(hashOf('0')) || c.Has("not-a-hash") {
		t.Error("Has is wrong")
	}
	blob := filepath.Join(dir, ".genform", "cache", "blobs", sha[:2], sha)
	if fi, err := os.Stat(blob); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("blob %s: %v", blob, err)
	}

	// A copy, never a link: editing the output in place leaves the blob intact.
	f, _ := os.OpenFile(src, os.O_WRONLY, 0)
	f.WriteAt([]byte("EDITED"), 0)
	f.Close()
	if got, _ := os.ReadFile(blob); !bytes.Equal(got, content) {
		t.Fatal("editing the output changed the cached blob")
	}

	// Put of content already there does not copy again.
	if sha2, _, err := c.Put(src); err != nil || sha2 == sha {
		t.Fatalf("Put of edited file: %s, %v", sha2, err)
	}
	fi1, _ := os.Stat(blob)
	writeFile(t, src, content)
	if _, _, err := c.Put(src); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(blob); !os.SameFile(fi1, fi2) {
		t.Error("Put replaced a blob that was already there")
	}

	dst := filepath.Join(dir, "restored", "deep", "hero.png")
	if err := c.Restore(sha, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, content) {
		t.Error("restored content differs")
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o644 {
		t.Errorf("restored file mode %v", fi.Mode())
	}
	if err := c.Restore(hashOf('0'), dst); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Restore of a missing blob: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "restored", "deep", ".*"))
	blobTmps, _ := filepath.Glob(filepath.Join(dir, ".genform", "cache", "blobs", "tmp-*"))
	if len(leftovers)+len(blobTmps) > 0 {
		t.Errorf("temporary files left: %v %v", leftovers, blobTmps)
	}
}

func TestCachePutKnown(t *testing.T) {
	c, dir := openCache(t)
	src := filepath.Join(dir, "a.bin")
	writeFile(t, src, []byte("abc"))
	if err := c.PutKnown(src, hashOf('1')); err == nil || c.Has(hashOf('1')) {
		t.Fatalf("PutKnown with the wrong hash: %v", err)
	}
	sha := sha256Hex([]byte("abc"))
	if err := c.PutKnown(src, sha); err != nil || !c.Has(sha) {
		t.Fatalf("PutKnown: %v", err)
	}
	// Present: the file is not even opened.
	if err := c.PutKnown(filepath.Join(dir, "gone"), sha); err != nil {
		t.Errorf("PutKnown of a present blob read the file: %v", err)
	}
}

// corrupt rewrites a blob in place, as bit rot or a stray tool would.
func corrupt(t *testing.T, c *Cache, sha string, data []byte) {
	t.Helper()
	p := c.blobPath(sha)
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCacheCorruptBlob(t *testing.T) {
	content := []byte("a perfectly good image")
	for _, tc := range []struct {
		name string
		bad  []byte
	}{
		{"same size", []byte("a perfectly good imagE")},
		{"truncated", content[:5]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, dir := openCache(t)
			src := filepath.Join(dir, "x.png")
			writeFile(t, src, content)
			sha, _, _ := c.Put(src)
			rec := &Record{Addr: "image.x", Kind: "image", Provider: "offline", InputHash: hashOf('a'),
				Output: &Output{Path: "x.png", SHA256: sha, Size: int64(len(content))}}
			if err := c.Index(hashOf('a'), rec); err != nil {
				t.Fatal(err)
			}
			corrupt(t, c, sha, tc.bad)

			if _, ok := c.Lookup(hashOf('a')); ok {
				t.Error("Lookup offered a corrupt blob")
			}
			dst := filepath.Join(dir, "restored.png")
			err := c.Restore(sha, dst)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Restore of a corrupt blob: %v", err)
			}
			if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
				t.Error("Restore wrote a corrupt file")
			}
			if c.Has(sha) {
				t.Error("the corrupt blob is still offered")
			}
			// Putting the real content back heals the cache.
			if _, _, err := c.Put(src); err != nil || c.Restore(sha, dst) != nil {
				t.Errorf("cache did not heal: %v", err)
			}
		})
	}
}

func TestCacheIndexLookup(t *testing.T) {
	c, dir := openCache(t)
	if _, ok := c.Lookup(hashOf('9')); ok {
		t.Fatal("Lookup of an unknown input hash")
	}
	content := []byte("video bytes")
	src := filepath.Join(dir, "v.mp4")
	writeFile(t, src, content)
	sha, _, _ := c.Put(src)

	rec := sampleFile().Records["video.teaser"]
	rec.Output.SHA256, rec.Output.Size = sha, int64(len(content))
	if err := c.Index(rec.InputHash, rec); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Lookup(rec.InputHash)
	if !ok || !reflect.DeepEqual(got, rec) {
		t.Fatalf("Lookup = %+v, %v; want %+v", got, ok, rec)
	}

	chat := sampleFile().Records["chat.tagline"] // no output: no blob needed
	if err := c.Index(chat.InputHash, chat); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Lookup(chat.InputHash); !ok || got.Text != chat.Text {
		t.Errorf("chat Lookup = %+v, %v", got, ok)
	}

	orphan := sampleFile().Records[`image.hero["pixel art"]`] // blob never stored
	if err := c.Index(orphan.InputHash, orphan); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup(orphan.InputHash); ok {
		t.Error("Lookup offered a record whose blob is missing")
	}

	bad := *chat
	bad.InputHash = "x"
	if err := c.Index(hashOf('7'), &bad); err == nil {
		t.Error("Index took an invalid record")
	}
	if err := c.Index("../../etc", chat); err == nil {
		t.Error("Index took a path for a hash")
	}
	// a torn line (a crash mid-append) is not an entry, and the lines after it still are
	f, err := os.OpenFile(c.indexPath(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `{"input_hash": %q, "record": {`+"\n", hashOf('6'))
	f.Close()
	if _, ok := c.Lookup(hashOf('6')); ok {
		t.Error("Lookup read a broken index line")
	}
	if err := c.Index(hashOf('5'), chat); err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Lookup(hashOf('5')); !ok || r.Addr != chat.Addr {
		t.Errorf("a line after a broken one: %v %v", r, ok)
	}
	// a newer line for the same hash that is damaged after its input hash (written as Index
	// writes it) does not hide the older, whole one: a miss could mean paying again
	f, err = os.OpenFile(c.indexPath(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `{"input_hash":%q,"record":{"addr":`+"\n", hashOf('5'))
	f.Close()
	if r, ok := c.Lookup(hashOf('5')); !ok || r.Addr != chat.Addr {
		t.Errorf("a damaged newer line hid a whole one: %v %v", r, ok)
	}
	// another process's cache sees what this one indexed
	other, err := OpenCache(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := other.Lookup(hashOf('5')); !ok {
		t.Error("a second Cache on the same folder misses an indexed entry")
	}
}

func TestCacheStash(t *testing.T) {
	for _, tc := range []struct {
		name        string
		crossDevice bool
	}{
		{"rename", false},
		{"copy across devices", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, dir := openCache(t)
			if tc.crossDevice {
				c.rename = func(string, string) error {
					return &os.LinkError{Op: "rename", Err: syscall.EXDEV}
				}
			}
			content := []byte("an output being deleted")
			src := filepath.Join(dir, "out", "old.png")
			writeFile(t, src, content)
			fi, _ := os.Stat(src)

			sha, err := c.Stash(src)
			if err != nil || sha != sha256Hex(content) {
				t.Fatalf("Stash = %s, %v", sha, err)
			}
			if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
				t.Error("the stashed file is still there")
			}
			blob, err := os.Stat(c.blobPath(sha))
			if err != nil {
				t.Fatal(err)
			}
			if moved := os.SameFile(fi, blob); moved == tc.crossDevice {
				t.Errorf("blob is the same inode: %v; want %v", moved, !tc.crossDevice)
			}
			// It can come back.
			if err := c.Restore(sha, src); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(src); !bytes.Equal(got, content) {
				t.Error("restored content differs")
			}
			// Stashing content the cache already has just removes the file.
			if sha2, err := c.Stash(src); err != nil || sha2 != sha {
				t.Errorf("second Stash = %s, %v", sha2, err)
			}
			if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
				t.Error("the stashed file is still there")
			}
			if _, err := c.Stash(src); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stash of a missing file: %v", err)
			}
			tmps, _ := filepath.Glob(filepath.Join(dir, ".genform", "cache", "blobs", "tmp-*"))
			if len(tmps) > 0 {
				t.Errorf("temporary files left: %v", tmps)
			}
		})
	}
}
