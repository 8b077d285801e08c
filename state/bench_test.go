package state

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bigState is a state of n image records of realistic size (a 200-character prompt, the
// usual request fields, an output).
func bigState(n int) *File {
	f := New()
	at := time.Date(2025, 3, 4, 10, 4, 5, 0, time.UTC)
	prompt := strings.Repeat("a watercolor skyline at dawn, ", 7)
	for i := range n {
		addr := fmt.Sprintf("image.tile[%d]", i)
		f.Records[addr] = &Record{
			Addr: addr, Kind: "image", Provider: "wisdomgate", Model: "gemini-3-pro-image-preview",
			InputHash: fmt.Sprintf("%064x", i),
			Request: map[string]any{
				"prompt": fmt.Sprintf("%s variant %d", prompt, i), "aspect_ratio": "16:9", "resolution": "2K",
			},
			Output: &Output{Path: fmt.Sprintf("out/tile-%05d.png", i), SHA256: fmt.Sprintf("%064x", i+1),
				Size: 1234567, MediaType: "image/png", Width: 2048, Height: 1152},
			Cost: ptr(0.134), JobID: fmt.Sprintf("resp_%d", i), GeneratedAt: at,
		}
	}
	return f
}

func BenchmarkMarshal10k(b *testing.B) {
	f := bigState(10000)
	var size int
	for b.Loop() {
		data, err := Marshal(f)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size)/(1<<20), "MiB")
}

// BenchmarkWrite10k writes a changed 10,000-record state: encode, read and check the old file,
// back it up, write, fsync, rename, fsync the folder.
func BenchmarkWrite10k(b *testing.B) {
	dir := b.TempDir()
	path, backup := filepath.Join(dir, "genform.state.json"), filepath.Join(dir, ".genform", "state.backup.json")
	f := bigState(10000)
	if _, err := Write(path, f, backup); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		f.Records["image.tile[0]"].JobID = fmt.Sprintf("resp_%d", i)
		if changed, err := Write(path, f, backup); err != nil || !changed {
			b.Fatal(changed, err)
		}
	}
}

// BenchmarkWriteNoop10k is the Write at the end of a no-op apply.
func BenchmarkWriteNoop10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "genform.state.json")
	f := bigState(10000)
	if _, err := Write(path, f, ""); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if changed, err := Write(path, f, ""); err != nil || changed {
			b.Fatal(changed, err)
		}
	}
}

func BenchmarkRead10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "genform.state.json")
	if _, err := Write(path, bigState(10000), ""); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		f, err := Read(path)
		if err != nil || len(f.Records) != 10000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkJournalAppend is one durable (fsync) record append, one writer at a time.
func BenchmarkJournalAppend(b *testing.B) {
	j, err := OpenJournal(filepath.Join(b.TempDir(), "journal.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	rec := bigState(1).Records["image.tile[0]"]
	for b.Loop() {
		if err := j.Append(Entry{Record: rec}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJournalAppendParallel is the same with 32 appenders, as an apply with
// -parallelism 32 does: they share fsyncs.
func BenchmarkJournalAppendParallel(b *testing.B) {
	j, err := OpenJournal(filepath.Join(b.TempDir(), "journal.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	rec := bigState(1).Records["image.tile[0]"]
	b.SetParallelism(16) // x GOMAXPROCS goroutines
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := j.Append(Entry{Record: rec}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkReadJournal10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "journal.jsonl")
	j, _ := OpenJournal(path)
	for _, r := range bigState(10000).Records {
		line, _ := encodeEntry(Entry{Record: r})
		j.f.Write(line) // no fsync: setting up
	}
	j.Close()
	for b.Loop() {
		entries, err := ReadJournal(path)
		if err != nil || len(entries) != 10000 {
			b.Fatal(len(entries), err)
		}
	}
}

// statFiles makes n small files with an old mtime and a stat cache that knows them all.
func statFiles(b *testing.B, n int) (paths []string, cachePath string) {
	dir := b.TempDir()
	past := time.Now().Add(-time.Hour)
	for i := range n {
		p := filepath.Join(dir, "out", fmt.Sprintf("%02d", i%100), fmt.Sprintf("f%05d.png", i))
		if i%100 == 0 || i < 100 {
			os.MkdirAll(filepath.Dir(p), 0o755)
		}
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			b.Fatal(err)
		}
		os.Chtimes(p, past, past)
		paths = append(paths, p)
	}
	cachePath = filepath.Join(dir, ".genform", "stat.cache")
	s, _ := OpenStatCache(cachePath)
	for _, p := range paths {
		if _, _, err := s.Hash(p); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Save(); err != nil {
		b.Fatal(err)
	}
	return paths, cachePath
}

// BenchmarkStatCacheStat10k: one op is a Stat of each of 10,000 files (a no-op plan's drift
// check), all unchanged.
func BenchmarkStatCacheStat10k(b *testing.B) {
	paths, cachePath := statFiles(b, 10000)
	s, _ := OpenStatCache(cachePath)
	for b.Loop() {
		for _, p := range paths {
			if _, unchanged, _, err := s.Stat(p); err != nil || !unchanged {
				b.Fatal(p, err)
			}
		}
	}
}

// BenchmarkOpenStatCache10k is loading a stat cache of 10,000 entries.
func BenchmarkOpenStatCache10k(b *testing.B) {
	_, cachePath := statFiles(b, 10000)
	for b.Loop() {
		s, _ := OpenStatCache(cachePath)
		if len(s.entries) != 10000 {
			b.Fatal(len(s.entries))
		}
	}
}

// BenchmarkStatCacheHash1GiB is Hash of a 1 GiB (sparse) file the cache already knows.
func BenchmarkStatCacheHash1GiB(b *testing.B) {
	dir := b.TempDir()
	big := filepath.Join(dir, "big.bin")
	f, _ := os.Create(big)
	f.Truncate(1 << 30)
	f.Close()
	past := time.Now().Add(-time.Hour)
	os.Chtimes(big, past, past)
	s, _ := OpenStatCache(filepath.Join(dir, "stat.cache"))
	if _, _, err := s.Hash(big); err != nil {
		b.Fatal(err)
	}
	reads := countOpens(s)
	for b.Loop() {
		if _, _, err := s.Hash(big); err != nil {
			b.Fatal(err)
		}
	}
	if reads.Load() != 0 {
		b.Fatalf("%d reads after the first hash", reads.Load())
	}
}

// BenchmarkPackVsFiles: keeping a blob of each size in the pack (an append) against a file of
// its own (a create and a rename, as before the pack), without fsync, then placing it as an
// output (the output's own create either way). PackMax is where the file stops costing more.
func BenchmarkPackVsFiles(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20} {
		data := make([]byte, size)
		for _, packed := range []bool{true, false} {
			name := fmt.Sprintf("%dKiB/file", size>>10)
			if packed {
				name = fmt.Sprintf("%dKiB/pack", size>>10)
			}
			b.Run(name, func(b *testing.B) {
				dir := b.TempDir()
				c, err := OpenCache(filepath.Join(dir, "cache"))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				b.SetBytes(int64(size))
				for i := range b.N {
					binary.BigEndian.PutUint64(data, uint64(i)) // a new blob each time
					sum := sha256.Sum256(data)
					sha := hex.EncodeToString(sum[:])
					if packed {
						err = c.pack.put(sha, data, true)
					} else {
						err = writeAtomic(c.blobPath(sha), data, 0o444, false)
					}
					if err == nil {
						err = c.Place(sha, filepath.Join(dir, "out", fmt.Sprint(i)))
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
