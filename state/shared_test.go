package state

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func imageRecord(addr, hash, sha string, size int64, at time.Time) *Record {
	return &Record{
		Addr: addr, Kind: "image", Provider: "offline", Model: "m", InputHash: hash,
		Request:     map[string]any{"prompt": addr},
		Output:      &Output{Path: "out/" + addr + ".png", SHA256: sha, Size: size, MediaType: "image/png"},
		GeneratedAt: at,
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	r := imageRecord("image.a", hashOf('a'), hashOf('b'), 3, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	data, err := MarshalRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalRecord(data)
	if err != nil || got.Addr != r.Addr || got.InputHash != r.InputHash || *got.Output != *r.Output || !got.GeneratedAt.Equal(r.GeneratedAt) {
		t.Fatalf("%+v, %v", got, err)
	}
	if _, err := UnmarshalRecord(bytes.Replace(data, []byte(`"kind"`), []byte(`"secret":1,"kind"`), 1)); err == nil {
		t.Fatal("an unknown field was accepted")
	}
	if _, err := MarshalRecord(&Record{Addr: "image.a", Kind: "image", InputHash: "short"}); err == nil {
		t.Fatal("a bad record was encoded")
	}
}

func TestPutReaderChecks(t *testing.T) {
	c, _ := openCache(t)
	data := []byte("the bytes")
	sha := sha256Hex(data)
	if err := c.PutReader(bytes.NewReader(data[:4]), sha, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a cut stream: %v, want ErrCorrupt", err)
	}
	if err := c.PutReader(bytes.NewReader(append(data, 'x')), sha, int64(len(data))+1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a longer stream: %v, want ErrCorrupt", err)
	}
	if c.Has(sha) {
		t.Fatal("a refused stream left a blob")
	}
	if err := c.PutReader(bytes.NewReader(data), sha, int64(len(data))+1); err != nil || !c.Has(sha) {
		t.Fatalf("the right bytes: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(c.dir, "blobs", "tmp-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// Collect keeps what the state references and what is recent, drops the rest, entries with
// their blobs.
func TestCollect(t *testing.T) {
	c, dir := openCache(t)
	old := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	put := func(name string) (string, int64) {
		p := filepath.Join(dir, name)
		writeFile(t, p, []byte("content of "+name))
		sha, size, err := c.Put(p)
		if err != nil {
			t.Fatal(err)
		}
		return sha, size
	}
	shaRef, sizeRef := put("referenced")
	shaOld, sizeOld := put("old")
	shaNew, sizeNew := put("new")
	refRec := imageRecord("image.ref", hashOf('1'), shaRef, sizeRef, old)
	oldRec := imageRecord("image.old", hashOf('2'), shaOld, sizeOld, old)
	newRec := imageRecord("image.new", hashOf('3'), shaNew, sizeNew, time.Now().UTC().Truncate(time.Second))
	for _, r := range []*Record{refRec, oldRec, newRec} {
		if err := c.Index(r.InputHash, r); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Now().Add(-time.Hour)
	keepHashes := map[string]bool{refRec.InputHash: true}
	keepBlobs := map[string]bool{shaRef: true}

	// the blobs were all written just now: a dry run keeps them, drops only the old entry
	res, err := c.Collect(keepHashes, keepBlobs, since, true)
	if err != nil || res.Entries != 1 || res.Blobs != 0 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if _, ok := c.Lookup(oldRec.InputHash); !ok {
		t.Fatal("a dry run removed an entry")
	}
	// with everything older than the cut-off, the old entry goes, then its blob
	res, err = c.Collect(keepHashes, keepBlobs, time.Now().Add(time.Hour), false)
	if err != nil || res.Entries != 2 || res.Blobs != 2 {
		t.Fatalf("%+v, %v (want the old and the new entry and their blobs gone)", res, err)
	}
	if _, ok := c.Lookup(refRec.InputHash); !ok || !c.Has(shaRef) {
		t.Fatal("the referenced entry or blob went")
	}
	if _, ok := c.Lookup(oldRec.InputHash); ok || c.Has(shaOld) {
		t.Fatal("the unreferenced entry or blob stayed")
	}
	// the index takes appends again after the rewrite
	if err := c.Index(oldRec.InputHash, oldRec); err != nil {
		t.Fatal(err)
	}
}
