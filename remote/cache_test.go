package remote_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/genform/genform/remote"
	"github.com/genform/genform/remote/dir"
	"github.com/genform/genform/remote/remotetest"
	"github.com/genform/genform/remote/s3"
	"github.com/genform/genform/state"
)

// result makes a local cache holding one output and the record that names it.
func result(t *testing.T, local *state.Cache, name string, data []byte) *state.Record {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sha, size, err := local.Put(f)
	if err != nil {
		t.Fatal(err)
	}
	return &state.Record{
		Addr: "image." + name, Kind: "image", Provider: "offline", Model: "m",
		InputHash:   remotetest.Sum([]byte("input of " + name)),
		Request:     map[string]any{"prompt": name},
		Output:      &state.Output{Path: "out/" + name + ".png", SHA256: sha, Size: size, MediaType: "image/png"},
		GeneratedAt: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
	}
}

func openLocal(t *testing.T) *state.Cache {
	t.Helper()
	c, err := state.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func s3Cache(t *testing.T) (*remotetest.S3Server, func() *remote.Cache) {
	srv := remotetest.NewS3Server(t)
	return srv, func() *remote.Cache {
		st, err := s3.Open(s3.Config{Bucket: remotetest.Bucket, Prefix: "team/", Endpoint: srv.URL, Region: "us-east-1"})
		if err != nil {
			t.Fatal(err)
		}
		return remote.New(st)
	}
}

func TestUploadLookupFetch(t *testing.T) {
	ctx := context.Background()
	_, fresh := s3Cache(t)
	a := openLocal(t)
	recs := []*state.Record{result(t, a, "one", []byte("first output")), result(t, a, "two", []byte("second output"))}
	chat := &state.Record{Addr: "chat.c", Kind: "chat", Provider: "offline", Model: "m", Text: "hello",
		InputHash: remotetest.Sum([]byte("chat")), GeneratedAt: time.Unix(0, 0).UTC()}
	up := fresh()
	for _, r := range append(recs, chat) {
		if err := up.Upload(ctx, r, a); err != nil {
			t.Fatal(err)
		}
	}
	// another machine: a new Cache, an empty local cache
	b := openLocal(t)
	down := fresh()
	missing := remotetest.Sum([]byte("never uploaded"))
	got, err := down.Lookup(ctx, []string{recs[0].InputHash, recs[1].InputHash, chat.InputHash, missing}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[missing] != nil || got[chat.InputHash].Text != "hello" {
		t.Fatalf("lookup: %v", got)
	}
	for _, r := range recs {
		o := got[r.InputHash].Output
		if o == nil || o.SHA256 != r.Output.SHA256 {
			t.Fatalf("lookup of %s: %+v", r.Addr, got[r.InputHash])
		}
		if err := down.Fetch(ctx, o.SHA256, o.Size, b); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(t.TempDir(), "restored")
		if err := b.Restore(o.SHA256, dst); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFetchFaults(t *testing.T) {
	ctx := context.Background()
	srv, fresh := s3Cache(t)
	a := openLocal(t)
	data := bytes.Repeat([]byte("media "), 10000)
	rec := result(t, a, "one", data)
	if err := fresh().Upload(ctx, rec, a); err != nil {
		t.Fatal(err)
	}
	o := rec.Output
	t.Run("a truncated GET is tried again", func(t *testing.T) {
		b := openLocal(t)
		srv.Inject("GET", remotetest.TruncateGet)
		if err := fresh().Fetch(ctx, o.SHA256, o.Size, b); err != nil {
			t.Fatal(err)
		}
		if !b.Has(o.SHA256) {
			t.Fatal("not fetched")
		}
	})
	t.Run("bytes that do not match are never kept", func(t *testing.T) {
		b := openLocal(t)
		srv.Inject("GET", remotetest.CorruptGet, remotetest.CorruptGet, remotetest.CorruptGet)
		err := fresh().Fetch(ctx, o.SHA256, o.Size, b)
		if !errors.Is(err, state.ErrCorrupt) {
			t.Fatalf("fetch of a corrupt blob: %v, want ErrCorrupt", err)
		}
		if b.Has(o.SHA256) {
			t.Fatal("a corrupt blob entered the local cache")
		}
	})
	t.Run("500s then success", func(t *testing.T) {
		b := openLocal(t)
		srv.Inject("GET", remotetest.Fail500, remotetest.Fail500)
		if err := fresh().Fetch(ctx, o.SHA256, o.Size, b); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUploadCutOffLeavesNoEntry(t *testing.T) {
	ctx := context.Background()
	srv, fresh := s3Cache(t)
	a := openLocal(t)
	rec := result(t, a, "one", bytes.Repeat([]byte("z"), 50000))
	srv.Inject("PUT", remotetest.CutPut, remotetest.CutPut, remotetest.CutPut, remotetest.CutPut)
	if err := fresh().Upload(ctx, rec, a); err == nil {
		t.Fatal("an upload cut off on every attempt succeeded")
	}
	got, err := fresh().Lookup(ctx, []string{rec.InputHash}, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("after a failed upload the remote has %v (%v)", got, err)
	}
	if ok, _ := fresh().HasBlob(ctx, rec.Output.SHA256, rec.Output.Size); ok {
		t.Fatal("half a blob is visible")
	}
	// push later: now it goes through
	if err := fresh().Upload(ctx, rec, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := fresh().Lookup(ctx, []string{rec.InputHash}, nil); len(got) != 1 {
		t.Fatal("not found after the second upload")
	}
}

func TestEntryWithoutBlobIsAMiss(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	st, err := dir.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	a := openLocal(t)
	rec := result(t, a, "one", []byte("data"))
	if err := remote.New(st).Upload(ctx, rec, a); err != nil {
		t.Fatal(err)
	}
	sha := rec.Output.SHA256
	if err := os.Remove(filepath.Join(root, "cas", sha[:2], sha)); err != nil {
		t.Fatal(err)
	}
	got, err := remote.New(st).Lookup(ctx, []string{rec.InputHash}, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("an entry whose blob is gone was found: %v %v", got, err)
	}
}

func TestUnreachable(t *testing.T) {
	st, err := s3.Open(s3.Config{Bucket: "b", Endpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := remote.New(st).Lookup(ctx, []string{remotetest.Sum(nil)}, nil); err == nil {
		t.Fatal("lookup against a closed port: no error")
	}
}

// Two machines upload to one shared folder at once, the same results and different ones.
func TestDirConcurrentUploads(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	st, err := dir.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	a := openLocal(t)
	var recs []*state.Record
	for i := range 40 {
		recs = append(recs, result(t, a, fmt.Sprint("r", i), bytes.Repeat([]byte{byte(i)}, 1000+i)))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(recs))
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := remote.New(st)
			for _, r := range recs {
				errs <- c.Upload(ctx, r, a)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var hashes []string
	for _, r := range recs {
		hashes = append(hashes, r.InputHash)
	}
	got, err := remote.New(st).Lookup(ctx, hashes, nil)
	if err != nil || len(got) != len(recs) {
		t.Fatalf("found %d of %d (%v)", len(got), len(recs), err)
	}
	leftovers, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %d", len(leftovers))
	}
}

// A record the caller has (the state's) needs only the listing: no entry is read for it.
func TestLookupKnownReadsNoEntry(t *testing.T) {
	ctx := context.Background()
	srv, fresh := s3Cache(t)
	a := openLocal(t)
	var recs []*state.Record
	var hashes []string
	known := map[string]*state.Record{}
	for i := range 5 {
		r := result(t, a, fmt.Sprint("k", i), []byte(fmt.Sprint("output ", i)))
		if err := fresh().Upload(ctx, r, a); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
		hashes = append(hashes, r.InputHash)
		known[r.InputHash] = r
	}
	before := srv.Requests("GET")
	got, err := fresh().Lookup(ctx, hashes, known)
	if err != nil || len(got) != 5 {
		t.Fatalf("found %d of 5 (%v)", len(got), err)
	}
	if n := srv.Requests("GET") - before; n != 2 {
		t.Fatalf("%d GETs, want the 2 listings only", n)
	}
	// without the records, each entry is read
	before = srv.Requests("GET")
	if got, _ := fresh().Lookup(ctx, hashes, nil); len(got) != 5 {
		t.Fatal("not found without known records")
	}
	if n := srv.Requests("GET") - before; n != 7 {
		t.Fatalf("%d GETs, want 2 listings and 5 entries", n)
	}
}

// A packed blob (a small output kept without a file of its own) is pushed and pulled like a
// file; a rotten one is never pushed.
func TestUploadPackedBlob(t *testing.T) {
	ctx := context.Background()
	st, err := dir.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := openLocal(t)
	data := []byte("a small output, packed")
	rec := result(t, openLocal(t), "packed", data) // only for the record
	if err := a.TakeBytes(data, rec.Output.SHA256); err != nil {
		t.Fatal(err)
	}
	if err := remote.New(st).Upload(ctx, rec, a); err != nil {
		t.Fatal(err)
	}
	b := openLocal(t)
	if err := remote.New(st).Fetch(ctx, rec.Output.SHA256, rec.Output.Size, b); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "restored")
	if err := b.Restore(rec.Output.SHA256, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Errorf("pulled %q", got)
	}

	// rot in the pack: the upload is refused, nothing reaches the shared cache
	rotten := []byte("another small output")
	rec2 := result(t, openLocal(t), "rotten", rotten)
	c := openLocal(t)
	if err := c.TakeBytes(rotten, rec2.Output.SHA256); err != nil {
		t.Fatal(err)
	}
	c.Close()
	pack := filepath.Join(c.Dir(), "pack")
	raw, _ := os.ReadFile(pack)
	os.WriteFile(pack, bytes.Replace(raw, rotten, []byte("ANOTHER small output"), 1), 0o644)
	if err := remote.New(st).Upload(ctx, rec2, c); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("upload of a rotten packed blob: %v", err)
	}
	if ok, _ := remote.New(st).HasBlob(ctx, rec2.Output.SHA256, rec2.Output.Size); ok {
		t.Error("a rotten blob reached the shared cache")
	}
}
