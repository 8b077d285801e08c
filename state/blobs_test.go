package state

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A finished output enters the cache by rename, or across file systems by a checked copy;
// either way the file is gone and the blob is there.
func TestTake(t *testing.T) {
	for _, crossDevice := range []bool{false, true} {
		dir := t.TempDir()
		c, err := OpenCache(filepath.Join(dir, "cache"))
		if err != nil {
			t.Fatal(err)
		}
		if crossDevice {
			c.rename = func(string, string) error { return &os.LinkError{Op: "rename", Err: syscall.EXDEV} }
		}
		file := filepath.Join(dir, "out.png")
		data := []byte("paid bytes")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		if err := c.Take(file, sha); err != nil {
			t.Fatalf("cross device %v: %v", crossDevice, err)
		}
		if err := c.SyncBlob(sha); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Errorf("cross device %v: the file is still there (%v)", crossDevice, err)
		}
		if !c.verify(sha, int64(len(data))) {
			t.Errorf("cross device %v: the blob is not intact", crossDevice)
		}
	}
}

// A job can be a receipt of a download link alone; it survives the state file and the
// journal, and a job with neither id nor link is refused.
func TestJobURLRoundTrip(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
	hash := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	f := New()
	f.Jobs["image.poster"] = &Job{Addr: "image.poster", InputHash: hash, Provider: "wisdomgate", URL: "https://files.example/p.png", StartedAt: at}
	path := filepath.Join(dir, "genform.state.json")
	if _, err := Write(path, f, ""); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if j := got.Jobs["image.poster"]; j == nil || j.URL != "https://files.example/p.png" || j.JobID != "" {
		t.Fatalf("read back %+v", j)
	}
	jpath := filepath.Join(dir, "journal.jsonl")
	j, err := OpenJournal(jpath)
	if err != nil {
		t.Fatal(err)
	}
	n, err := j.Write(Entry{Job: got.Jobs["image.poster"]})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Sync(n); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Entry{Job: &Job{Addr: "image.x", InputHash: hash, Provider: "wisdomgate", StartedAt: at}}); err == nil {
		t.Error("a job with neither id nor link was journaled")
	}
	j.Close()
	entries, err := ReadJournal(jpath)
	if err != nil || len(entries) != 1 || entries[0].Job.URL != "https://files.example/p.png" {
		t.Fatalf("journal: %+v, %v", entries, err)
	}
}

// Temporary blobs a killed writer left are removed; blobs are not.
func TestRemoveTemp(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sha, err := c.PutBytes([]byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.Dir(), "blobs", "tmp-1"), []byte("cut"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := c.RemoveTemp(); n != 1 || !c.Has(sha) {
		t.Errorf("removed %d, blob kept %v", n, c.Has(sha))
	}
}
