package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countOpens makes s count the files it reads.
func countOpens(s *StatCache) *atomic.Int64 {
	var n atomic.Int64
	s.open = func(name string) (*os.File, error) {
		n.Add(1)
		return os.Open(name)
	}
	return &n
}

// writeOld writes a file whose mtime is safely in the past (not "racy").
func writeOld(t *testing.T, path string, data []byte, mtime time.Time) {
	t.Helper()
	writeFile(t, path, data)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestStatCacheHit(t *testing.T) {
	dir := t.TempDir()
	cachePath := filepath.Join(dir, ".genform", "stat.cache")
	ref := filepath.Join(dir, "refs", "logo.png")
	past := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	writeOld(t, ref, []byte("logo v1"), past)

	s, err := OpenStatCache(cachePath)
	if err != nil {
		t.Fatal(err)
	}
	reads := countOpens(s)
	if _, unchanged, _, err := s.Stat(ref); err != nil || unchanged {
		t.Fatalf("Stat of a file never hashed: unchanged %v, %v", unchanged, err)
	}
	sha, size, err := s.Hash(ref)
	if err != nil || sha != sha256Hex([]byte("logo v1")) || size != 7 || reads.Load() != 1 {
		t.Fatalf("Hash = %s, %d, %v after %d reads", sha, size, err, reads.Load())
	}
	if _, _, err := s.Hash(ref); err != nil || reads.Load() != 1 {
		t.Errorf("second Hash read the file again (%d reads, %v)", reads.Load(), err)
	}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}

	// A new process: the saved cache answers without reading.
	s2, _ := OpenStatCache(cachePath)
	reads2 := countOpens(s2)
	if size, unchanged, got, err := s2.Stat(ref); err != nil || !unchanged || got != sha || size != 7 {
		t.Errorf("Stat after reload = %d, %v, %s, %v", size, unchanged, got, err)
	}
	if got, _, err := s2.Hash(ref); err != nil || got != sha || reads2.Load() != 0 {
		t.Errorf("Hash after reload = %s, %v after %d reads", got, err, reads2.Load())
	}
	fi, _ := os.Stat(cachePath)
	if err := s2.Save(); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(cachePath); !os.SameFile(fi, fi2) {
		t.Error("Save rewrote an unchanged cache")
	}

	// Rewriting the file in place with the same size and mtime: stat cannot tell (that is the
	// deal), which proves the answer came from the cache, not from reading.
	ino := func() uint64 { fi, _ := os.Stat(ref); i, _ := sysStat(fi); return i }
	before := ino()
	f, _ := os.OpenFile(ref, os.O_WRONLY, 0)
	f.WriteAt([]byte("LOGO"), 0)
	f.Close()
	os.Chtimes(ref, past, past)
	if ino() != before {
		t.Fatal("rewrite in place changed the inode")
	}
	if _, ctime := sysStat(mustStat(t, ref)); ctime == 0 {
		if got, _, _ := s2.Hash(ref); got != sha || reads2.Load() != 0 {
			t.Errorf("same stat: Hash = %s after %d reads; want the cached hash, no read", got, reads2.Load())
		}
	} else if got, _, _ := s2.Hash(ref); got == sha || reads2.Load() != 1 {
		// Where the change time is known, it gives the rewrite away.
		t.Errorf("rewrite with the same mtime: Hash = %s after %d reads; want a rehash", got, reads2.Load())
	}
}

func mustStat(t *testing.T, path string) fs.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func TestStatCacheChanges(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, path string)
		gone   bool
	}{
		{"mtime", func(t *testing.T, p string) { os.Chtimes(p, past, past.Add(time.Second)) }, false},
		{"size", func(t *testing.T, p string) { writeOld(t, p, []byte("content v22"), past) }, false},
		{"inode", func(t *testing.T, p string) {
			tmp := p + ".new"
			writeOld(t, tmp, []byte("content v2"), past)
			os.Rename(tmp, p)
		}, false},
		{"removed", func(t *testing.T, p string) { os.Remove(p) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "in.txt")
			writeOld(t, path, []byte("content v1"), past)
			s, _ := OpenStatCache(filepath.Join(dir, "stat.cache"))
			reads := countOpens(s)
			if _, _, err := s.Hash(path); err != nil {
				t.Fatal(err)
			}
			s.Save()
			tc.change(t, path)

			size, unchanged, _, err := s.Stat(path)
			if tc.gone {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Stat of a removed file: %v", err)
				}
				if _, _, err := s.Hash(path); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Hash of a removed file: %v", err)
				}
				if !s.dirty {
					t.Error("the entry of a removed file is kept")
				}
				return
			}
			if err != nil || unchanged {
				t.Fatalf("Stat after a %s change: unchanged %v, %v", tc.name, unchanged, err)
			}
			data, _ := os.ReadFile(path)
			if size != int64(len(data)) {
				t.Errorf("size %d, want %d", size, len(data))
			}
			sha, _, err := s.Hash(path)
			if err != nil || sha != sha256Hex(data) || reads.Load() != 2 {
				t.Errorf("Hash after change = %s, %v after %d reads", sha, err, reads.Load())
			}
		})
	}
}

// A file hashed while its mtime is still "now" could be rewritten within the same clock tick
// without its stat changing: such a hash is used but not remembered.
func TestStatCacheRacyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fresh.txt")
	writeFile(t, path, []byte("just written"))
	s, _ := OpenStatCache(filepath.Join(dir, "stat.cache"))
	reads := countOpens(s)
	s.Hash(path)
	if _, unchanged, _, _ := s.Stat(path); unchanged {
		t.Error("a racy hash was remembered")
	}
	s.Hash(path)
	if reads.Load() != 2 {
		t.Errorf("%d reads, want 2", reads.Load())
	}
	// Later (as the next plan would see it), the hash is remembered.
	s.now = func() time.Time { return time.Now().Add(time.Minute) }
	s.Hash(path)
	s.Hash(path)
	if reads.Load() != 3 {
		t.Errorf("%d reads, want 3", reads.Load())
	}
	// Remember trusts the caller, who just wrote the file.
	other := filepath.Join(dir, "out.png")
	writeFile(t, other, []byte("output"))
	if err := s.Remember(other, sha256Hex([]byte("output"))); err != nil {
		t.Fatal(err)
	}
	if _, unchanged, sha, _ := s.Stat(other); !unchanged || sha != sha256Hex([]byte("output")) {
		t.Error("Remember was not remembered")
	}
	if err := s.Remember(other, "nope"); err == nil {
		t.Error("Remember took a bad hash")
	}
}

func TestStatCacheUnreadable(t *testing.T) {
	dir := t.TempDir()
	cachePath := filepath.Join(dir, "stat.cache")
	writeFile(t, cachePath, []byte("{not json"))
	s, err := OpenStatCache(cachePath)
	if err != nil || len(s.entries) != 0 {
		t.Fatalf("OpenStatCache of a broken file = %v entries, %v", len(s.entries), err)
	}
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStatCache(cachePath); err != nil {
		t.Error(err)
	}
	if _, _, err := s.Hash(dir); err == nil {
		t.Error("Hash of a folder")
	}
}

func TestStatCacheConcurrent(t *testing.T) {
	dir := t.TempDir()
	past := time.Now().Add(-time.Hour)
	var paths []string
	for i := range 20 {
		p := filepath.Join(dir, "f", string(rune('a'+i)))
		writeOld(t, p, []byte{byte(i)}, past)
		paths = append(paths, p)
	}
	s, _ := OpenStatCache(filepath.Join(dir, "stat.cache"))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, p := range paths {
				sha, _, err := s.Hash(p)
				if err != nil || sha != sha256Hex([]byte{byte(i)}) {
					t.Errorf("Hash(%s) = %s, %v", p, sha, err)
				}
				s.Stat(p)
			}
			s.Save()
		}()
	}
	wg.Wait()
}

// A 1 GiB reference is read once; every later run only stats it.
func TestStatCacheLargeFileHashedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 1 GiB")
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "refs", "big.bin")
	os.MkdirAll(filepath.Dir(big), 0o755)
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	past := time.Now().Add(-time.Hour)
	os.Chtimes(big, past, past)

	cachePath := filepath.Join(dir, "stat.cache")
	s, _ := OpenStatCache(cachePath)
	reads := countOpens(s)
	start := time.Now()
	sha, size, err := s.Hash(big)
	first := time.Since(start)
	if err != nil || size != 1<<30 || reads.Load() != 1 {
		t.Fatalf("Hash = %s, %d, %v", sha, size, err)
	}
	s.Save()

	for run := range 3 { // three more "plans", each a fresh process
		s, _ := OpenStatCache(cachePath)
		reads := countOpens(s)
		start := time.Now()
		got, _, err := s.Hash(big)
		took := time.Since(start)
		if err != nil || got != sha || reads.Load() != 0 {
			t.Fatalf("run %d: Hash = %s, %v after %d reads", run, got, err, reads.Load())
		}
		if run == 0 {
			t.Logf("1 GiB: first hash %v, from the stat cache %v", first, took)
		}
	}
}

func TestStatCacheDropsGoneFiles(t *testing.T) {
	dir := t.TempDir()
	past := time.Now().Add(-time.Hour)
	keep, gone := filepath.Join(dir, "keep.txt"), filepath.Join(dir, "gone.txt")
	writeOld(t, keep, []byte("k"), past)
	writeOld(t, gone, []byte("g"), past)
	cachePath := filepath.Join(dir, "stat.cache")
	s, _ := OpenStatCache(cachePath)
	s.Hash(keep)
	s.Hash(gone)
	s.Save()

	os.Remove(gone)
	s2, _ := OpenStatCache(cachePath) // a run that asks about neither
	if err := s2.Save(); err != nil {
		t.Fatal(err)
	}
	s3, _ := OpenStatCache(cachePath)
	if _, ok := s3.entries[filepath.Clean(gone)]; ok {
		t.Error("the entry of a deleted file survived Save")
	}
	if _, ok := s3.entries[filepath.Clean(keep)]; !ok {
		t.Error("the entry of a file not asked about was dropped")
	}
}

// The cache file round-trips every entry, paths with spaces included; a file cut short or
// of another format is an empty cache; a path holding a newline is not kept.
func TestStatCacheFileFormat(t *testing.T) {
	dir := t.TempDir()
	past := time.Now().Add(-time.Hour)
	names := []string{"a.txt", "with space.png", "ünï/cödé.txt"}
	for _, n := range names {
		writeOld(t, filepath.Join(dir, n), []byte(n), past)
	}
	cachePath := filepath.Join(dir, "stat.cache")
	s, _ := OpenStatCache(cachePath)
	for _, n := range names {
		s.Hash(filepath.Join(dir, n))
	}
	s.put(filepath.Join(dir, "new\nline"), statEntry{SHA256: sha256Hex(nil)})
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	s2, _ := OpenStatCache(cachePath)
	if len(s2.entries) != len(names) {
		t.Fatalf("%d entries read back, want %d", len(s2.entries), len(names))
	}
	for k, e := range s.entries {
		if s2.entries[k] != e {
			t.Errorf("%s: read back %+v, want %+v", k, s2.entries[k], e)
		}
	}
	data, _ := os.ReadFile(cachePath)
	for _, bad := range [][]byte{data[:len(data)-5], []byte(`{"entries":{},"version":1}`), []byte(statHeader + "1 2 3 4 nothex /x\n")} {
		writeFile(t, cachePath, bad)
		s3, _ := OpenStatCache(cachePath)
		if len(s3.entries) != 0 {
			t.Errorf("%q read as %d entries", bad, len(s3.entries))
		}
	}
}
