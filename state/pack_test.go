package state

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// takeSmall packs data through TakeBytes and returns its sha256.
func takeSmall(t *testing.T, c *Cache, data []byte) string {
	t.Helper()
	sha := sha256Hex(data)
	if err := c.TakeBytes(data, sha); err != nil {
		t.Fatal(err)
	}
	return sha
}

func reopen(t *testing.T, c *Cache) *Cache {
	t.Helper()
	c2, err := OpenCache(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c2.Close() })
	return c2
}

func packSize(t *testing.T, c *Cache) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(c.Dir(), "pack"))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestPackEveryOperation(t *testing.T) {
	c, dir := openCache(t)
	data := []byte("\x89PNG small image bytes")
	sha := takeSmall(t, c, data)
	if _, err := os.Stat(c.blobPath(sha)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a small blob has a file of its own (%v)", err)
	}
	size := packSize(t, c)
	if size != int64(packHeadLen+len(data)+packTailLen) {
		t.Errorf("pack is %d bytes", size)
	}
	// the same bytes again, as bytes or as text: nothing appended
	if got, err := c.PutBytes(data); err != nil || got != sha || packSize(t, c) != size {
		t.Fatalf("PutBytes of a packed blob = %s, %v; pack %d bytes, was %d", got, err, packSize(t, c), size)
	}
	if err := c.SyncBlob(sha); err != nil {
		t.Fatal(err)
	}

	for name, cc := range map[string]*Cache{"writer": c, "another process": reopen(t, c)} {
		if !cc.Has(sha) || cc.Has(hashOf('0')) {
			t.Errorf("%s: Has is wrong", name)
		}
		for _, place := range []func(string, string) error{cc.Place, cc.Restore} {
			dst := filepath.Join(dir, "out", name, "a.png")
			if err := place(sha, dst); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
				t.Errorf("%s: placed %q", name, got)
			}
			os.Remove(dst)
		}
		f, n, err := cc.OpenBlob(sha)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%s: OpenBlob = %d, %v", name, n, err)
		}
		got, _ := io.ReadAll(f)
		if _, err := f.Seek(0, io.SeekStart); err != nil || !bytes.Equal(got, data) || f.Close() != nil {
			t.Errorf("%s: OpenBlob read %q (seek: %v)", name, got, err)
		}
		var listed []string
		if err := cc.Blobs(func(s string, n int64) error { listed = append(listed, fmt.Sprint(s, n)); return nil }); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint(sha, len(data)); len(listed) != 1 || listed[0] != want {
			t.Errorf("%s: Blobs = %v, want [%s]", name, listed, want)
		}
	}

	// Lookup verifies a packed output like a file
	rec := imageRecord("image.a", hashOf('1'), sha, int64(len(data)), time.Now())
	if err := c.Index(rec.InputHash, rec); err != nil {
		t.Fatal(err)
	}
	if _, ok := reopen(t, c).Lookup(rec.InputHash); !ok {
		t.Error("Lookup misses a packed output")
	}
	wrongSize := imageRecord("image.b", hashOf('2'), sha, int64(len(data))+1, time.Now())
	c.Index(wrongSize.InputHash, wrongSize)
	if _, ok := c.Lookup(wrongSize.InputHash); ok {
		t.Error("Lookup took a packed blob of another size")
	}

	// a large blob is a file of its own
	big := bytes.Repeat([]byte{7}, PackMax+1)
	bigSHA := takeSmall(t, c, big)
	if fi, err := os.Stat(c.blobPath(bigSHA)); err != nil || fi.Size() != int64(len(big)) {
		t.Errorf("a large blob: %v", err)
	}
	if packSize(t, c) != size {
		t.Error("a large blob went into the pack")
	}
	// bytes under a wrong sha256 (a provider's bug) are never placed as that blob
	if err := c.TakeBytes([]byte("other bytes"), hashOf('3')); err != nil {
		t.Fatal(err)
	}
	if err := reopen(t, c).Place(hashOf('3'), filepath.Join(dir, "wrong.png")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("placing bytes kept under a wrong sha256: %v", err)
	}
}

// A damaged packed blob is refused by every reader, and the next put writes it again.
func TestPackCorrupt(t *testing.T) {
	c, dir := openCache(t)
	data := []byte("a packed blob that will rot")
	sha := takeSmall(t, c, data)
	other := takeSmall(t, c, []byte("a neighbour"))
	f, err := os.OpenFile(filepath.Join(c.Dir(), "pack"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("R"), int64(packHeadLen+3))
	f.Close()
	c = reopen(t, c)
	dst := filepath.Join(dir, "out", "a.png")
	if err := c.Restore(sha, dst); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Restore of a rotten packed blob: %v", err)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("a rotten blob was placed")
	}
	// like a rotten file, which is removed, it is missing for this process from then on
	if _, _, err := c.OpenBlob(sha); !errors.Is(err, fs.ErrNotExist) || c.Has(sha) {
		t.Errorf("OpenBlob after a rotten packed blob was found: %v", err)
	}
	if _, _, err := reopen(t, c).OpenBlob(sha); !errors.Is(err, ErrCorrupt) {
		t.Errorf("OpenBlob of a rotten packed blob: %v", err)
	}
	rec := imageRecord("image.a", hashOf('1'), sha, int64(len(data)), time.Now())
	c.Index(rec.InputHash, rec)
	if _, ok := reopen(t, c).Lookup(rec.InputHash); ok {
		t.Error("Lookup took a rotten packed blob")
	}
	if err := c.Restore(other, dst); err != nil {
		t.Errorf("the neighbour of a rotten blob: %v", err)
	}
	// written again: another process finds the good copy, the last one
	takeSmall(t, c, data)
	if err := reopen(t, c).Restore(sha, dst); err != nil {
		t.Fatalf("after putting it again: %v", err)
	}
}

// A writer killed mid-record leaves a torn tail: readers skip it, the next writer cuts it.
func TestPackTornTail(t *testing.T) {
	c, _ := openCache(t)
	a := takeSmall(t, c, []byte("first"))
	good := packSize(t, c)
	torn := append(packHead(hashOf('9'), 1000, time.Now()), "only part of it"...)
	f, _ := os.OpenFile(filepath.Join(c.Dir(), "pack"), os.O_WRONLY|os.O_APPEND, 0)
	f.Write(torn)
	f.Close()

	r := reopen(t, c)
	if !r.Has(a) || r.Has(hashOf('9')) {
		t.Fatal("a reader took a torn record, or lost the one before")
	}
	b := takeSmall(t, r, []byte("second"))
	if want := good + int64(packHeadLen+len("second")+packTailLen); packSize(t, c) != want {
		t.Errorf("pack is %d bytes after the next write, want %d (the torn tail cut)", packSize(t, c), want)
	}
	r2 := reopen(t, c)
	for _, sha := range []string{a, b} {
		if _, _, err := r2.OpenBlob(sha); err != nil {
			t.Error(err)
		}
	}
}

// A damaged stretch in the middle of the pack (a power cut without a file system journal)
// costs only the records in it.
func TestPackDamagedMiddle(t *testing.T) {
	c, _ := openCache(t)
	a := takeSmall(t, c, []byte("before"))
	f, _ := os.OpenFile(filepath.Join(c.Dir(), "pack"), os.O_WRONLY|os.O_APPEND, 0)
	f.Write(bytes.Repeat([]byte{0}, 3000))
	f.Write(append(packHead(hashOf('8'), 5, time.Now()), "12345 wrong trailer\n"...))
	f.Close()
	c = reopen(t, c)
	b := takeSmall(t, c, []byte("after"))
	r := reopen(t, c)
	if !r.Has(a) || !r.Has(b) || r.Has(hashOf('8')) {
		t.Fatalf("Has before/after/damaged = %v/%v/%v", r.Has(a), r.Has(b), r.Has(hashOf('8')))
	}
	if _, _, err := r.OpenBlob(b); err != nil {
		t.Fatal(err)
	}
}

func TestPackRemoveAndCollect(t *testing.T) {
	c, dir := openCache(t)
	var shas []string
	for i := range 5 {
		shas = append(shas, takeSmall(t, c, fmt.Appendf(nil, "blob %d", i)))
	}
	before := packSize(t, c)
	reader := reopen(t, c) // holds the pack open across the rewrite
	if !reader.Has(shas[0]) {
		t.Fatal("reader misses a blob")
	}
	if err := c.RemoveBlob(shas[0]); err != nil {
		t.Fatal(err)
	}
	if c.Has(shas[0]) || reopen(t, c).Has(shas[0]) || packSize(t, c) >= before {
		t.Fatal("RemoveBlob left a packed blob")
	}
	if err := c.RemoveBlob(shas[0]); err != nil {
		t.Errorf("removing a missing blob: %v", err)
	}
	// a process that had the old pack open writes to the new one
	late := takeSmall(t, reader, []byte("written after the rewrite"))
	if !reopen(t, c).Has(late) {
		t.Fatal("a write after another process rewrote the pack was lost")
	}

	// gc: an old cut-off keeps everything packed lately, a future one drops the unkept
	keep := map[string]bool{shas[1]: true}
	if res, err := c.Collect(nil, keep, time.Now().Add(-time.Hour), false); err != nil || res.Blobs != 0 {
		t.Fatalf("Collect with recent blobs: %+v, %v", res, err)
	}
	res, err := c.Collect(nil, keep, time.Now().Add(time.Hour), true)
	if err != nil || res.Blobs != 4 || !c.Has(shas[2]) {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	res, err = c.Collect(nil, keep, time.Now().Add(time.Hour), false)
	if err != nil || res.Blobs != 4 || res.Bytes == 0 {
		t.Fatalf("Collect: %+v, %v", res, err)
	}
	r := reopen(t, c)
	for _, sha := range append(shas[2:], late) {
		if c.Has(sha) || r.Has(sha) {
			t.Errorf("blob %s survived gc", sha[:8])
		}
	}
	if err := r.Restore(shas[1], filepath.Join(dir, "kept.png")); err != nil {
		t.Errorf("the kept blob: %v", err)
	}
	if want := int64(packHeadLen + len("blob 1") + packTailLen); packSize(t, c) != want {
		t.Errorf("pack is %d bytes after gc, want %d", packSize(t, c), want)
	}
}

// Stash of a file whose content is packed keeps it (durably) and removes the file.
func TestPackStash(t *testing.T) {
	c, dir := openCache(t)
	data := []byte("stashed output")
	sha := takeSmall(t, c, data)
	file := filepath.Join(dir, "out", "old.png")
	writeFile(t, file, data)
	got, err := c.Stash(file)
	if err != nil || got != sha {
		t.Fatalf("Stash = %s, %v", got, err)
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the stashed file is still there")
	}
	if err := reopen(t, c).Restore(sha, file); err != nil {
		t.Fatal(err)
	}
}

func TestPackRemoveTemp(t *testing.T) {
	c, _ := openCache(t)
	takeSmall(t, c, []byte("x"))
	writeFile(t, filepath.Join(c.Dir(), "pack.tmp-123"), []byte("a rewrite cut short"))
	if n := c.RemoveTemp(); n != 1 {
		t.Errorf("RemoveTemp = %d", n)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), "pack")); err != nil {
		t.Error("RemoveTemp removed the pack")
	}
}

// Two processes write the pack at once while a third reads and a fourth removes blobs: every
// blob written and not removed is there, whole, for all.
func TestPackConcurrentProcesses(t *testing.T) {
	c, dir := openCache(t)
	const writers, each = 3, 40
	caches := []*Cache{c, reopen(t, c), reopen(t, c)}
	doomed := takeSmall(t, c, []byte("removed while others write"))
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+100)
	for w := range writers {
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each / 2 {
					data := fmt.Appendf(nil, "writer %d goroutine %d blob %d %s", w, g, i, bytes.Repeat([]byte{'x'}, i*97))
					if _, err := caches[w].PutBytes(data); err != nil {
						errs <- err
					}
				}
			}()
		}
	}
	reader := reopen(t, c)
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := reopen(t, c).RemoveBlob(doomed); err != nil {
			errs <- err
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 20 {
			sha := sha256Hex(fmt.Appendf(nil, "writer %d goroutine %d blob %d %s", 0, 0, 0, ""))
			if reader.Has(sha) {
				if err := reader.Place(sha, filepath.Join(dir, fmt.Sprint("r", i))); err != nil {
					errs <- err
				}
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	check := reopen(t, c)
	for w := range writers {
		for g := range 2 {
			for i := range each / 2 {
				data := fmt.Appendf(nil, "writer %d goroutine %d blob %d %s", w, g, i, bytes.Repeat([]byte{'x'}, i*97))
				f, n, err := check.OpenBlob(sha256Hex(data))
				if err != nil || n != int64(len(data)) {
					t.Fatalf("blob of writer %d/%d #%d: %d, %v", w, g, i, n, err)
				}
				f.Close()
			}
		}
	}
	if check.Has(doomed) {
		t.Error("the removed blob is back")
	}
}

// packHelperEnv makes the test binary a pack writer (TestPackHelperProcess): "dir id count".
const packHelperEnv = "GENFORM_PACK_HELPER"

// TestPackHelperProcess is not a test: run by TestPackSeparateProcesses as another process,
// it packs count blobs into the cache dir and prints each sha256 once it is written.
func TestPackHelperProcess(t *testing.T) {
	arg := os.Getenv(packHelperEnv)
	if arg == "" {
		t.Skip("only run as a helper process")
	}
	var dir string
	var id, count int
	if _, err := fmt.Sscan(arg, &dir, &id, &count); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range count {
		data := helperBlob(id, i)
		sha, err := c.PutBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(sha)
	}
}

func helperBlob(id, i int) []byte {
	return fmt.Appendf(bytes.Repeat([]byte{byte(i)}, 1000+(i*7919)%60000), "process %d blob %d", id, i)
}

// Separate processes append to one pack at once while one is killed mid-write (SIGKILL, as a
// crash): every blob a process reported written is there and whole, the torn tail of the
// killed one is cut by the next write, and the pack then reads clean to its end.
func TestPackSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	c, _ := openCache(t)
	const procs, count = 3, 150
	type run struct {
		cmd *exec.Cmd
		out bytes.Buffer
	}
	runs := make([]*run, procs)
	for id := range procs {
		r := &run{cmd: exec.Command(os.Args[0], "-test.run=^TestPackHelperProcess$", "-test.v=false")}
		r.cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d", packHelperEnv, c.Dir(), id, count))
		r.cmd.Stdout = &r.out
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs[id] = r
	}
	time.Sleep(30 * time.Millisecond) // let the victim write some
	runs[0].cmd.Process.Kill()        // SIGKILL on Unix
	for id, r := range runs {
		err := r.cmd.Wait()
		if id > 0 && err != nil {
			t.Fatalf("process %d: %v\n%s", id, err, r.out.String())
		}
	}
	check := reopen(t, c)
	for id, r := range runs {
		n := 0
		for _, line := range bytes.Fields(r.out.Bytes()) {
			sha := string(line)
			if !isSHA256(sha) {
				continue // the test binary's own PASS line
			}
			f, _, err := check.OpenBlob(sha)
			if err != nil {
				t.Fatalf("process %d reported blob %d written; it is not: %v", id, n, err)
			}
			f.Close()
			n++
		}
		if id > 0 && n != count {
			t.Errorf("process %d wrote %d blobs, want %d", id, n, count)
		}
		t.Logf("process %d: %d blobs", id, n)
	}
	extra := takeSmall(t, check, []byte("after the crash"))
	last := reopen(t, c)
	size, err := last.pack.refreshLocked()
	if err != nil || last.pack.end != size || !last.Has(extra) {
		t.Errorf("after the next write the pack reads to %d of %d bytes (%v)", last.pack.end, size, err)
	}
}
