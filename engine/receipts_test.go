package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const oneImage = `
provider "fake" {}

image "hero" {
  model  = "m"
  prompt = "a hero"
  path   = "out/hero.png"
}
`

// A paid result whose placing fails keeps its receipt: the record is journaled before the
// file is placed, so the next plan restores it from the cache and nothing is paid again.
func TestPlaceFailureKeepsReceipt(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": oneImage, "out": "a file where the folder should be"})
	sum := p.apply(p.plan(Options{}), ApplyOptions{})
	if sum.Failed != 1 || p.fake.callsFor("a hero") != 1 || sum.Cost != 0.10 {
		t.Fatalf("summary %+v, calls %d: want one paid generation that failed to be placed", sum, p.fake.callsFor("a hero"))
	}
	rec := p.st.Records["image.hero"]
	if rec == nil || rec.Output == nil || !p.cache.Has(rec.Output.SHA256) {
		t.Fatalf("the paid result was not kept: record %+v", rec)
	}
	if err := os.Remove(filepath.Join(p.dir, "out")); err != nil {
		t.Fatal(err)
	}
	plan := p.plan(Options{})
	if ch := change(t, plan, "image.hero"); ch.Action != Restore {
		t.Fatalf("after a failed placing the plan says %s %v, want restore", ch.Action, ch.Reasons)
	}
	if sum := p.apply(plan, ApplyOptions{}); sum.Restored != 1 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if n := p.fake.callsFor("a hero"); n != 1 {
		t.Errorf("paid %d times, want 1", n)
	}
	if sha, err := hashFile(filepath.Join(p.dir, "out", "hero.png")); err != nil || sha != rec.Output.SHA256 {
		t.Errorf("out/hero.png: %v, sha %s, want %s", err, sha, rec.Output.SHA256)
	}
}

// Media a provider hands over in memory is packed into the cache (no file of its own), made
// durable before it is placed, and restored from the pack for free.
func TestInMemoryOutputIsPacked(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": oneImage, "out": "a file where the folder should be"})
	p.fake.inMemory = true
	if sum := p.apply(p.plan(Options{}), ApplyOptions{}); sum.Failed != 1 {
		t.Fatalf("summary %+v: want the placing to fail", sum)
	}
	rec := p.st.Records["image.hero"]
	if rec == nil || rec.Output == nil || !p.cache.Has(rec.Output.SHA256) {
		t.Fatalf("the paid result was not kept: record %+v", rec)
	}
	if _, err := os.Stat(filepath.Join(p.dir, ".genform", "cache", "pack")); err != nil {
		t.Fatalf("no pack: %v", err)
	}
	var files []string
	root := filepath.Join(p.dir, ".genform")
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, path)
		if err == nil && !d.IsDir() && (strings.HasPrefix(rel, "cache/blobs/") || strings.HasPrefix(rel, "tmp/")) {
			files = append(files, rel)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("files made for an output held in memory: %v", files)
	}
	os.Remove(filepath.Join(p.dir, "out"))
	if sum := p.apply(p.plan(Options{}), ApplyOptions{}); sum.Restored != 1 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if n := p.fake.callsFor("a hero"); n != 1 {
		t.Errorf("paid %d times, want 1", n)
	}
	if sha, err := hashFile(filepath.Join(p.dir, "out", "hero.png")); err != nil || sha != rec.Output.SHA256 {
		t.Errorf("out/hero.png: %v, sha %s, want %s", err, sha, rec.Output.SHA256)
	}
}

// Outputs are placed through a temporary file beside the target, so a provider's temporary
// folder on another file system does not fail a paid generation with EXDEV.
func TestPlaceAcrossFileSystems(t *testing.T) {
	other, err := os.MkdirTemp("/dev/shm", "genform-test-")
	if err != nil {
		t.Skip("no /dev/shm:", err)
	}
	defer os.RemoveAll(other)
	p := newProject(t, map[string]string{"main.gen.hcl": oneImage})
	var a, b syscall.Stat_t
	if syscall.Stat(other, &a) != nil || syscall.Stat(p.dir, &b) != nil || a.Dev == b.Dev {
		t.Skip("/dev/shm is on the same file system as the test's folder")
	}
	sum := p.apply(p.plan(Options{}), ApplyOptions{TempDir: other})
	if sum.Generated != 1 || sum.Failed != 0 {
		t.Fatalf("summary %+v, failures %v", sum, sum.Failures)
	}
	rec := p.st.Records["image.hero"]
	if sha, err := hashFile(filepath.Join(p.dir, "out", "hero.png")); err != nil || rec == nil || sha != rec.Output.SHA256 {
		t.Errorf("out/hero.png: %v", err)
	}
}

// A chat's file enters the cache like any output: change its prompt, apply, change it back,
// and it is restored without calling the provider.
func TestChatWithPathRevertRestores(t *testing.T) {
	chat := func(prompt string) map[string]string {
		return map[string]string{"main.gen.hcl": `
provider "fake" {}

chat "tagline" {
  model  = "m"
  prompt = "` + prompt + `"
  path   = "out/tagline.txt"
}
`}
	}
	p := newProject(t, chat("first"))
	p.apply(p.plan(Options{}), ApplyOptions{})
	p.write(chat("second"))
	p.apply(p.plan(Options{}), ApplyOptions{})
	p.write(chat("first"))
	plan := p.plan(Options{})
	if ch := change(t, plan, "chat.tagline"); ch.Action != Restore {
		t.Fatalf("reverting the prompt plans %s %v, want restore", ch.Action, ch.Reasons)
	}
	if sum := p.apply(plan, ApplyOptions{}); sum.Restored != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if n := p.fake.callsFor("first"); n != 1 {
		t.Errorf("the first prompt was paid %d times, want 1", n)
	}
	data, err := os.ReadFile(filepath.Join(p.dir, "out", "tagline.txt"))
	if err != nil || string(data) != "reply to first" {
		t.Errorf("out/tagline.txt = %q, %v", data, err)
	}
}

// Temporary files a killed apply left beside outputs are removed; other files are not.
func TestRemoveLeftovers(t *testing.T) {
	p := newProject(t, map[string]string{
		"main.gen.hcl":                oneImage,
		"out/.hero.png.tmp-1234":      "half a file",
		"out/.notes.txt.tmp-1":        "not an output of this project",
		"out/hero.png.tmp-9":          "not hidden: the user's",
		".genform/cache/blobs/tmp-77": "a blob cut short",
	})
	if n := RemoveLeftovers(p.plan(Options{}), p.cache); n != 2 {
		t.Errorf("removed %d files, want 2", n)
	}
	if _, err := os.Stat(filepath.Join(p.dir, ".genform", "cache", "blobs", "tmp-77")); err == nil {
		t.Error("the cache's temporary blob is still there")
	}
	for name, want := range map[string]bool{".hero.png.tmp-1234": false, ".notes.txt.tmp-1": true, "hero.png.tmp-9": true} {
		if _, err := os.Stat(filepath.Join(p.dir, "out", name)); (err == nil) != want {
			t.Errorf("out/%s: exists %v, want %v", name, err == nil, want)
		}
	}
}

// Settle waits for the complete replies still being written, at most the time given, and
// names the requests still out.
func TestLedgerSettle(t *testing.T) {
	var logged []string
	var mu sync.Mutex
	l := NewLedger(func(what, addr string) {
		mu.Lock()
		logged = append(logged, what+" "+addr)
		mu.Unlock()
	})
	l.sent("chat.a")
	l.sent("chat.b")
	l.sent("video.v")
	l.recorded("video.v") // its job id is journaled: kept, no longer at risk
	l.replied("chat.a", true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(20 * time.Millisecond)
		l.written("chat.a")
		l.durable("chat.a")
	}()
	s := l.Settle(time.Minute)
	if s.Unsaved != 0 || !slices.Equal(s.Kept, []string{"chat.a", "video.v"}) || !slices.Equal(s.InFlight, []string{"chat.b"}) {
		t.Fatalf("settlement %+v", s)
	}
	l.replied("chat.b", true) // complete, but never written: Settle gives up in time
	if s := l.Settle(10 * time.Millisecond); s.Unsaved != 1 || len(s.InFlight) != 0 {
		t.Fatalf("settlement %+v", s)
	}
	<-done
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(logged, "written chat.a") || !slices.Contains(logged, "durable chat.a") || !slices.Contains(logged, "written video.v") {
		t.Errorf("logged %v", logged)
	}
}

// A slot bounds the work at the gateway, not the bookkeeping: with one slot, the second
// instance's request starts while the first one's result is still being made durable (held
// here in the receipt log), and the first is reported done only after that.
func TestSlotFreedBeforeBookkeeping(t *testing.T) {
	p := newProject(t, map[string]string{"main.gen.hcl": `
provider "fake" {}

image "a" {
  model  = "m"
  prompt = "first"
  path   = "out/a.png"
}

image "b" {
  model  = "m"
  prompt = "second"
  path   = "out/b.png"
}
`})
	secondStarted := make(chan struct{})
	p.fake.started["second"] = secondStarted
	var once sync.Once
	held := make(chan bool, 1)
	ledger := NewLedger(func(what, addr string) {
		if what == "written" && addr == "image.a" {
			once.Do(func() {
				select {
				case <-secondStarted:
					held <- true
				case <-time.After(30 * time.Second): // a deadlock: the slot was not given back
					held <- false
				}
			})
		}
	})
	sum := p.apply(p.plan(Options{}), ApplyOptions{Parallelism: 1, Ledger: ledger})
	if sum.Generated != 2 {
		t.Fatalf("summary %+v", sum)
	}
	if !<-held {
		t.Fatal("the second request waited for the first one's bookkeeping: the slot was held through it")
	}
}
