package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func chatRecord(addr string, n int) *Record {
	return &Record{
		Addr: addr, Kind: "chat", Provider: "offline", InputHash: fmt.Sprintf("%064x", n),
		Text: fmt.Sprintf("reply %d <&>", n), GeneratedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".genform", "journal.jsonl")
	if entries, err := ReadJournal(path); entries != nil || err != nil {
		t.Fatalf("missing journal: %v, %v; want nil, nil", entries, err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Record: sampleFile().Records[`image.hero["pixel art"]`]},
		{Job: sampleFile().Jobs["video.trailer"]},
		{Record: sampleFile().Records["video.teaser"], ForgetJob: "video.teaser"},
		{Forget: "chat.old"},
	}
	for _, e := range want {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%#v\nwant\n%#v", got, want)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != len(want) {
		t.Errorf("%d lines for %d entries", n, len(want))
	}
}

func TestJournalRefusesBadEntries(t *testing.T) {
	j, err := OpenJournal(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	bad := chatRecord("chat.a", 1)
	bad.InputHash = "nope"
	for _, e := range []Entry{{}, {Record: bad}, {Job: &Job{Addr: "video.v", InputHash: hashOf('1'), Provider: "p"}}} {
		if err := j.Append(e); err == nil {
			t.Errorf("Append(%+v) took an entry the journal could not read back", e)
		}
	}
	if err := j.Append(Entry{Forget: "chat.a"}); err != nil {
		t.Errorf("a refused entry broke the journal: %v", err)
	}
}

func TestJournalConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := j.Append(Entry{Record: chatRecord(fmt.Sprintf("chat.w%d[%d]", w, i), w*1000+i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Entry{Forget: "x.y"}); err == nil {
		t.Error("Append after Close succeeded")
	}
	entries, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != writers*each {
		t.Fatalf("%d entries, want %d", len(entries), writers*each)
	}
	next := make([]int, writers) // each writer's lines appear whole and in its order
	for _, e := range entries {
		var w, i int
		if _, err := fmt.Sscanf(e.Record.Addr, "chat.w%d[%d]", &w, &i); err != nil {
			t.Fatal(err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: entry %d after %d", w, i, next[w]-1)
		}
		next[w]++
	}
}

func TestJournalTornLastLine(t *testing.T) {
	line := func(n int) string {
		b, err := encodeEntry(Entry{Record: chatRecord(fmt.Sprintf("chat.c%d", n), n)})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	whole := line(1) + line(2)
	third := line(3)
	for _, tc := range []struct {
		name    string
		data    string
		want    int    // entries read
		wantErr string // ReadJournal error
		after   int    // entries after OpenJournal repairs it and one more is appended
	}{
		{"whole", whole, 2, "", 3},
		{"torn mid-line", whole + third[:40], 2, "", 3},
		{"torn before the newline", whole + strings.TrimSuffix(third, "\n"), 3, "", 4},
		{"torn with trailing blank", whole + third[:40] + " \t", 2, "", 3},
		{"whole last line that is no entry", whole + "garbage\n", 0, "journal.jsonl:3:1: not valid JSON", 0},
		{"bad line in the middle", line(1) + third[:40] + "\n" + line(2), 0, "journal.jsonl:2:", 0},
		{"whole line that breaks an invariant", whole + strings.Replace(third, `"kind":"chat"`, `"kind":"image"`, 1), 0, "journal.jsonl:3: record chat.c3 kind", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			os.WriteFile(path, []byte(tc.data), 0o644)
			entries, err := ReadJournal(path)
			if tc.wantErr != "" {
				var se *Error
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want an *Error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(entries) != tc.want {
				t.Fatalf("%d entries, %v; want %d", len(entries), err, tc.want)
			}
			j, err := OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Append(Entry{Forget: "chat.c1"}); err != nil {
				t.Fatal(err)
			}
			j.Close()
			entries, err = ReadJournal(path)
			if err != nil || len(entries) != tc.after {
				t.Fatalf("after repair and append: %d entries, %v; want %d", len(entries), err, tc.after)
			}
			if entries[len(entries)-1].Forget != "chat.c1" {
				t.Error("the appended entry is not last")
			}
		})
	}
}

// Folding a journal into a state gives what applying each change to the state would.
func TestJournalFold(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "genform.state.json")
	journalPath := filepath.Join(dir, ".genform", "journal.jsonl")
	st := sampleFile()
	if _, err := Write(statePath, st, ""); err != nil {
		t.Fatal(err)
	}
	j, _ := OpenJournal(journalPath)
	for _, e := range []Entry{
		{Record: chatRecord("chat.tagline", 7)},
		{Forget: "image.icon[0]"},
		{Job: &Job{Addr: "video.new", InputHash: hashOf('4'), Provider: "wisdomgate", JobID: "task_9"}},
		{ForgetJob: "video.trailer"},
	} {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()

	st, err := Read(statePath)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ReadJournal(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	st.Apply(entries)
	if changed, err := Write(statePath, st, ""); err != nil || !changed {
		t.Fatalf("Write = %v, %v", changed, err)
	}
	back, _ := Read(statePath)
	if back.Records["chat.tagline"].Text != "reply 7 <&>" || back.Records["image.icon[0]"] != nil ||
		back.Jobs["video.new"] == nil || back.Jobs["video.trailer"] != nil {
		t.Errorf("folded state: %+v %+v", back.Records, back.Jobs)
	}
	// Folding the same journal again (a crash before it was removed) changes nothing.
	st.Apply(entries)
	if changed, err := Write(statePath, st, ""); err != nil || changed {
		t.Errorf("folding twice: Write = %v, %v; want false", changed, err)
	}
}

// A line that is no entry is skipped and named, wherever it is, except a torn last line (no
// newline); OpenJournal never cuts a whole line away, so the damage stays for the user to see.
func TestJournalLenientKeepsBadLines(t *testing.T) {
	b, err := encodeEntry(Entry{Record: chatRecord("chat.c1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	data := "garbage\n" + string(b) + "{}\n"
	os.WriteFile(path, []byte(data), 0o644)
	entries, bad, err := ReadJournalLenient(path)
	if err != nil || len(entries) != 1 || len(bad) != 2 {
		t.Fatalf("%d entries, %d bad, %v; want 1, 2", len(entries), len(bad), err)
	}
	if bad[0].Line != 1 || bad[1].Line != 3 || bad[0].Path != path {
		t.Errorf("bad lines %v, %v; want %s lines 1 and 3", bad[0], bad[1], path)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if got, _ := os.ReadFile(path); string(got) != data {
		t.Errorf("OpenJournal changed the journal:\n%s\nwant\n%s", got, data)
	}
}

// Own holds only while the file is exactly what this Journal wrote into an empty file: a
// line someone else added, or lines that were there before, make folding read it back.
func TestJournalOwn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if !j.Own() {
		t.Fatal("a new, empty journal is not its own")
	}
	for _, addr := range []string{"chat.a", "chat.b"} {
		if err := j.Append(Entry{Forget: addr}); err != nil {
			t.Fatal(err)
		}
	}
	if !j.Own() {
		t.Fatal("a journal holding only its own lines is not its own")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("not an entry\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if j.Own() {
		t.Fatal("a journal with a foreign line is its own")
	}
	j.Close()

	again, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.Own() {
		t.Fatal("a journal opened on earlier lines is its own")
	}
}

// TestJournalSyncsTakenBlobs: a journal that syncs a cache's blobs makes each blob the cache
// took before a line durable by the time that line's Sync returns (the pack synced past it,
// each blob file synced), and syncs nothing it need not.
func TestJournalSyncsTakenBlobs(t *testing.T) {
	c, dir := openCache(t)
	j, err := OpenJournal(filepath.Join(dir, ".genform", "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if !j.SyncsBlobs(c) {
		t.Fatal("a file journal does not sync the cache's blobs")
	}
	line := 0
	appendLine := func() {
		t.Helper()
		line++
		if err := j.Append(Entry{Record: chatRecord(fmt.Sprintf("chat.c%d", line), line)}); err != nil {
			t.Fatal(err)
		}
	}
	pending := func() []string {
		c.takenMu.Lock()
		defer c.takenMu.Unlock()
		return slices.Clone(c.takenFiles)
	}

	appendLine() // nothing taken: the journal alone
	if c.namesSynced || c.pack.f != nil {
		t.Errorf("a line that took no blob synced the cache's folders (%v) or opened the pack", c.namesSynced)
	}
	small := []byte("a small image")
	if err := c.TakeBytes(small, sha256Hex(small)); err != nil {
		t.Fatal(err)
	}
	if c.pack.taken == 0 || c.pack.synced >= c.pack.taken {
		t.Fatalf("pack taken %d, synced %d: the taken blob is not waiting for a sync", c.pack.taken, c.pack.synced)
	}
	appendLine()
	if c.pack.synced < c.pack.taken || !c.pack.dirSynced || !c.namesSynced {
		t.Errorf("after the line's sync: pack synced to %d (its name: %v, the cache's folders: %v), the taken blob ends at %d", c.pack.synced, c.pack.dirSynced, c.namesSynced, c.pack.taken)
	}

	// a chat's copy of its text is not a receipt: its line syncs the journal alone
	synced := c.pack.synced
	if _, err := c.PutBytes([]byte("a chat's text")); err != nil {
		t.Fatal(err)
	}
	appendLine()
	if c.pack.synced != synced {
		t.Errorf("the pack was synced (%d to %d) for a blob no receipt took", synced, c.pack.synced)
	}

	// blob files: each is synced (with its folder) by the next line's sync
	file := filepath.Join(dir, "out.png")
	data := []byte("a large image, in a file of its own")
	writeFile(t, file, data)
	if err := c.Take(file, sha256Hex(data)); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, PackMax+1)
	if err := c.TakeBytes(big, sha256Hex(big)); err != nil {
		t.Fatal(err)
	}
	want := []string{c.blobPath(sha256Hex(data)), c.blobPath(sha256Hex(big))}
	if got := pending(); !slices.Equal(got, want) {
		t.Fatalf("blob files waiting for a sync: %q, want %q", got, want)
	}
	appendLine()
	if got := pending(); len(got) != 0 {
		t.Errorf("after the line's sync, still waiting: %q", got)
	}
	// taking a blob the cache has (its copy may be as new) syncs that copy again
	writeFile(t, file, data)
	if err := c.Take(file, sha256Hex(data)); err != nil {
		t.Fatal(err)
	}
	if got := pending(); !slices.Equal(got, want[:1]) || c.pack.taken != c.pack.end {
		t.Errorf("a blob taken again: waiting %q, pack taken %d of %d; want %q and all of it", got, c.pack.taken, c.pack.end, want[:1])
	}
	appendLine()
	if got := pending(); len(got) != 0 || c.pack.synced != c.pack.end {
		t.Errorf("after the line's sync: waiting %q, pack synced %d of %d", got, c.pack.synced, c.pack.end)
	}
}

// TestCacheUntrackedTakes: with no journal to sync them, taken blob files are not listed (the
// list would grow for nothing: apply syncs each blob itself).
func TestCacheUntrackedTakes(t *testing.T) {
	c, _ := openCache(t)
	big := make([]byte, PackMax+1)
	if err := c.TakeBytes(big, sha256Hex(big)); err != nil {
		t.Fatal(err)
	}
	if len(c.takenFiles) != 0 {
		t.Errorf("listed %q with no journal to sync them", c.takenFiles)
	}
}

// TestJournalSyncsTakenBlobsConcurrently: receipts from many goroutines share group commits;
// when each one's Append returns, its blob is no longer waiting for a sync (run with -race).
func TestJournalSyncsTakenBlobsConcurrently(t *testing.T) {
	c, dir := openCache(t)
	j, err := OpenJournal(filepath.Join(dir, ".genform", "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	j.SyncsBlobs(c)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				n := g*100 + i
				data := []byte(fmt.Sprintf("output %d", n))
				sha := sha256Hex(data)
				var blobFile string
				if i%3 == 0 { // a file of its own
					file := filepath.Join(dir, fmt.Sprintf("out-%d", n))
					if err := os.WriteFile(file, data, 0o644); err != nil {
						errs <- err
						return
					}
					if err := c.Take(file, sha); err != nil {
						errs <- err
						return
					}
					blobFile = c.blobPath(sha)
				} else if err := c.TakeBytes(data, sha); err != nil {
					errs <- err
					return
				}
				if err := j.Append(Entry{Record: chatRecord(fmt.Sprintf("chat.c%d", n), n)}); err != nil {
					errs <- err
					return
				}
				c.takenMu.Lock()
				waiting := slices.Contains(c.takenFiles, blobFile)
				c.takenMu.Unlock()
				c.pack.mu.Lock()
				e, packed := c.pack.at[sha]
				unsynced := packed && c.pack.synced < e.off+e.size
				c.pack.mu.Unlock()
				if waiting || unsynced {
					errs <- fmt.Errorf("blob %d waits for a sync after its line's Append (file %v, pack %v)", n, waiting, unsynced)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
