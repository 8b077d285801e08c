package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"sync"
	"testing"

	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
)

// memShared is a shared cache in memory: what remote.Cache does, without a store.
type memShared struct {
	mu      sync.Mutex
	records map[string]*state.Record
	blobs   map[string][]byte
	lookups int // calls of Lookup (batches)
	down    bool
}

func newMemShared() *memShared {
	return &memShared{records: map[string]*state.Record{}, blobs: map[string][]byte{}}
}

var errDown = errors.New("connection refused")

func (m *memShared) String() string { return "mem" }

func (m *memShared) Lookup(_ context.Context, hashes []string, _ map[string]*state.Record) (map[string]*state.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups++
	if m.down {
		return nil, errDown
	}
	out := map[string]*state.Record{}
	for _, h := range hashes {
		if r := m.records[h]; r != nil {
			out[h] = r
		}
	}
	return out, nil
}

func (m *memShared) Fetch(_ context.Context, sha string, size int64, into *state.Cache) error {
	m.mu.Lock()
	data, ok := m.blobs[sha]
	m.mu.Unlock()
	if !ok {
		return os.ErrNotExist
	}
	return into.PutReader(bytes.NewReader(data), sha, size+1)
}

func (m *memShared) Upload(_ context.Context, rec *state.Record, from *state.Cache) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	if o := rec.Output; o != nil {
		f, _, err := from.OpenBlob(o.SHA256)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
		m.blobs[o.SHA256] = data
	}
	m.records[rec.InputHash] = rec
	return nil
}

func TestSharedCacheScenario(t *testing.T) {
	shared := newMemShared()
	a := newProject(t, map[string]string{"main.gen.hcl": chain})
	sum := a.apply(a.plan(Options{Shared: shared}), ApplyOptions{Shared: shared, Upload: true})
	if sum.Generated != 5 || len(sum.UploadFailures) != 0 {
		t.Fatalf("A: %+v", sum)
	}
	if len(shared.records) != 5 {
		t.Fatalf("A uploaded %d results, want 5", len(shared.records))
	}

	// B: a fresh clone with A's state and configuration, no outputs, an empty .genform
	b := newProject(t, map[string]string{"main.gen.hcl": chain})
	b.st.Records = maps.Clone(a.st.Records)
	plan := b.plan(Options{Shared: shared})
	for _, ch := range plan.Changes {
		if ch.Addr == "chat.tagline" {
			if ch.Action != NoOp { // no file: its text is in the record
				t.Fatalf("B plans %s: %s", ch.Addr, ch.Action)
			}
			continue
		}
		if ch.Action != Restore || !contains(ch.Reasons, SharedReason) {
			t.Fatalf("B plans %s: %s %v", ch.Addr, ch.Action, ch.Reasons)
		}
	}
	if n := plan.Changes.Pullable(); n != 4 {
		t.Errorf("pullable %d, want 4", n)
	}
	if usd, unknown := plan.Cost(); usd != 0 || unknown != 0 {
		t.Errorf("B's plan costs %v + %d unknown", usd, unknown)
	}
	sum = b.apply(plan, ApplyOptions{Shared: shared})
	if sum.Restored != 4 || b.fake.totalCalls() != 0 {
		t.Fatalf("B: %+v, %d provider calls", sum, b.fake.totalCalls())
	}
	for _, rec := range a.st.Records {
		if rec.Output == nil {
			continue
		}
		wa, _ := os.ReadFile(a.dir + "/" + rec.Output.Path)
		wb, err := os.ReadFile(b.dir + "/" + rec.Output.Path)
		if err != nil || !bytes.Equal(wa, wb) {
			t.Fatalf("%s differs on B (%v)", rec.Output.Path, err)
		}
	}

	// C: a fresh clone without any state: the chat's text from the shared cache makes the
	// downstream inputs known, so every block is found, one batch per block
	c := newProject(t, map[string]string{"main.gen.hcl": chain})
	before := shared.lookups
	plan = c.plan(Options{Shared: shared})
	for _, ch := range plan.Changes {
		if ch.Action != Restore {
			t.Fatalf("C plans %s: %s %v", ch.Addr, ch.Action, ch.Reasons)
		}
	}
	if n := shared.lookups - before; n > 4 {
		t.Errorf("%d lookups for 4 blocks: not batched", n)
	}
}

func TestSharedRevertIsFree(t *testing.T) {
	shared := newMemShared()
	v1 := map[string]string{"main.gen.hcl": `provider "fake" {}
image "a" {
  model  = "m"
  prompt = "one"
  path   = "out/a.png"
}
`}
	v2 := map[string]string{"main.gen.hcl": `provider "fake" {}
image "a" {
  model  = "m"
  prompt = "two"
  path   = "out/a.png"
}
`}
	a := newProject(t, v1)
	a.apply(a.plan(Options{}), ApplyOptions{Shared: shared, Upload: true})
	a.write(v2)
	a.apply(a.plan(Options{}), ApplyOptions{Shared: shared, Upload: true})

	// B knows only version two; going back to one is free
	b := newProject(t, v2)
	b.st.Records = maps.Clone(a.st.Records)
	b.apply(b.plan(Options{Shared: shared}), ApplyOptions{Shared: shared})
	b.write(v1)
	plan := b.plan(Options{Shared: shared})
	if ch := change(t, plan, "image.a"); ch.Action != Restore || !ch.FromShared {
		t.Fatalf("revert on B: %s %v", ch.Action, ch.Reasons)
	}
	b.apply(plan, ApplyOptions{Shared: shared})
	if b.fake.totalCalls() != 0 {
		t.Fatalf("B paid %d times", b.fake.totalCalls())
	}
}

func TestSharedUnreachable(t *testing.T) {
	shared := newMemShared()
	shared.down = true
	p := newProject(t, map[string]string{"main.gen.hcl": chain})
	plan, diags := p.tryPlan(Options{Shared: shared})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	warnings := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning && d.Summary == "Shared cache unreachable" {
			warnings++
		}
	}
	if warnings != 1 || shared.lookups != 1 {
		t.Fatalf("%d warnings after %d lookups, want one of each", warnings, shared.lookups)
	}
	if c := plan.Counts(); c.Create != 5 {
		t.Fatalf("counts %+v", c)
	}
	// apply goes on; the uploads fail as warnings and the results stay local
	sum := p.apply(plan, ApplyOptions{Shared: shared, Upload: true})
	if sum.Generated != 5 || sum.Failed != 0 || len(sum.UploadFailures) != 5 {
		t.Fatalf("%+v", sum)
	}
	if p2 := p.plan(Options{}); p2.HasChanges() {
		t.Fatal("the results were not kept")
	}
}

func TestUnrecoverableNamesTheCost(t *testing.T) {
	p := applied(t, map[string]string{"main.gen.hcl": chain})
	// outputs gone and the local cache wiped: a clone with state but nothing else
	q := newProject(t, map[string]string{"main.gen.hcl": chain})
	q.st.Records = maps.Clone(p.st.Records)
	q.fake.price.Known, q.fake.price.USD = true, 0.5
	plan := q.plan(Options{Shared: newMemShared()})
	n, cost := plan.Changes.Unrecoverable()
	// the chat's text is in its record; the video's input changes with the image it reads
	if n != 3 || !cost.Known || cost.USD != 1.5 {
		t.Fatalf("unrecoverable %d at %+v", n, cost)
	}
	if plan.Changes.Pullable() != 0 {
		t.Fatal("pullable from an empty shared cache")
	}
}
