package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
)

// fakeProvider is an in-memory provider: it makes a small file from the prompt, counts its
// calls, and can be slowed, failed or held per prompt.
type fakeProvider struct {
	latency time.Duration
	price   providers.Price

	mu      sync.Mutex
	calls   map[string]int           // by prompt
	fail    map[string]error         // by prompt
	hold    map[string]chan struct{} // by prompt: Generate waits until it is closed
	started map[string]chan struct{} // by prompt: closed when Generate starts
	order   []string                 // prompts in the order generations finished
	jobs    int                      // async jobs created
	resumed []string                 // job ids resumed

	running, maxRunning atomic.Int64
	async               bool // act like a video gateway: report a job id, then "render"
	inMemory            bool // hand media over as bytes (Result.Data), not as a file
}

func newFake() *fakeProvider {
	return &fakeProvider{
		price:   providers.Price{USD: 0.10, Known: true},
		calls:   map[string]int{},
		fail:    map[string]error{},
		hold:    map[string]chan struct{}{},
		started: map[string]chan struct{}{},
	}
}

func (f *fakeProvider) Check(*providers.Request) []providers.Problem { return nil }
func (f *fakeProvider) Price(*providers.Request) providers.Price     { return f.price }

func (f *fakeProvider) Generate(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		m := f.maxRunning.Load()
		if n <= m || f.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	f.calls[req.Prompt]++
	fail, hold, started := f.fail[req.Prompt], f.hold[req.Prompt], f.started[req.Prompt]
	delete(f.started, req.Prompt)
	f.mu.Unlock()
	if started != nil {
		close(started)
	}
	if f.async {
		id := job.ResumeID
		if id == "" {
			f.mu.Lock()
			f.jobs++
			id = fmt.Sprintf("job-%d", f.jobs)
			f.mu.Unlock()
			if err := job.Started(id); err != nil {
				return nil, err
			}
		} else {
			f.mu.Lock()
			f.resumed = append(f.resumed, id)
			f.mu.Unlock()
		}
	}
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.latency > 0 {
		select {
		case <-time.After(f.latency):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		return nil, fail
	}
	f.mu.Lock()
	f.order = append(f.order, req.Prompt)
	f.mu.Unlock()
	if req.Kind == providers.Chat {
		return &providers.Result{Text: "reply to " + req.Prompt, MediaType: "text/plain"}, nil
	}
	data := []byte("media for " + req.Prompt + " format " + req.OutputPath)
	for _, r := range req.References {
		data = append(data, r.SHA256...)
	}
	sum := sha256.Sum256(data)
	if f.inMemory {
		return &providers.Result{Data: data, MediaType: "image/png", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Width: 8, Height: 8}, nil
	}
	tmp, err := os.CreateTemp(job.Dir, "fake-*")
	if err != nil {
		return nil, err
	}
	defer tmp.Close()
	if _, err := tmp.Write(data); err != nil {
		return nil, err
	}
	return &providers.Result{File: tmp.Name(), MediaType: "image/png", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Width: 8, Height: 8}, nil
}

func (f *fakeProvider) callsFor(prompt string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[prompt]
}

func (f *fakeProvider) totalCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// testProject is a project folder with a fake provider, planned and applied in-process.
type testProject struct {
	t     testing.TB
	dir   string
	fake  *fakeProvider
	st    *state.File
	cache *state.Cache
	stat  *state.StatCache
}

func newProject(t testing.TB, files map[string]string) *testProject {
	t.Helper()
	dir := t.TempDir()
	p := &testProject{t: t, dir: dir, fake: newFake(), st: state.New()}
	p.write(files)
	var err error
	if p.cache, err = state.OpenCache(dir + "/.genform/cache"); err != nil {
		t.Fatal(err)
	}
	if p.stat, err = state.OpenStatCache(dir + "/.genform/stat.cache"); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testProject) write(files map[string]string) {
	p.t.Helper()
	for name, body := range files {
		path := p.dir + "/" + name
		if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
			p.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i]
		}
	}
	return "."
}

func (p *testProject) load() *schema.Config {
	p.t.Helper()
	cfg, diags := schema.Load(p.dir, schema.LoadOptions{ProviderTypes: []string{"fake"}})
	if diags.HasErrors() {
		p.t.Fatalf("load: %v", diags)
	}
	return cfg
}

func (p *testProject) plan(opts Options) *Plan {
	p.t.Helper()
	plan, diags := p.tryPlan(opts)
	if diags.HasErrors() {
		p.t.Fatalf("plan: %v", diags)
	}
	return plan
}

func (p *testProject) tryPlan(opts Options) (*Plan, hcl.Diagnostics) {
	cfg := p.load()
	if opts.Providers == nil {
		opts.Providers = map[string]providers.Provider{"fake": p.fake}
	}
	opts.Stat = p.stat
	return NewPlan(cfg, p.st, p.cache, opts)
}

// apply applies a plan with a journal, then folds it the way the CLI does.
func (p *testProject) apply(plan *Plan, opts ApplyOptions) *Summary {
	p.t.Helper()
	jpath := p.dir + "/.genform/journal.jsonl"
	j, err := state.OpenJournal(jpath)
	if err != nil {
		p.t.Fatal(err)
	}
	opts.Journal, opts.Cache, opts.Stat = j, p.cache, p.stat
	if opts.TempDir == "" {
		opts.TempDir = p.dir + "/.genform/tmp"
	}
	if err := os.MkdirAll(opts.TempDir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	before := &state.File{Records: cloneMap(p.st.Records), Jobs: cloneMap(p.st.Jobs)}
	sum, err := Apply(context.Background(), plan, p.st, opts)
	if err != nil {
		p.t.Fatalf("apply: %v", err)
	}
	if err := j.Close(); err != nil {
		p.t.Fatal(err)
	}
	// the journal alone must bring the old state to what apply has in memory: that is what
	// the next run sees after a crash
	entries, err := state.ReadJournal(jpath)
	if err != nil {
		p.t.Fatal(err)
	}
	before.Apply(entries)
	if len(before.Records) != len(p.st.Records) {
		p.t.Fatalf("journal folds to %d records, apply has %d", len(before.Records), len(p.st.Records))
	}
	for addr, r := range p.st.Records {
		if b := before.Records[addr]; b == nil || b.InputHash != r.InputHash {
			p.t.Fatalf("journal and apply disagree on %s", addr)
		}
	}
	if err := os.Remove(jpath); err != nil {
		p.t.Fatal(err)
	}
	return sum
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// actions maps each planned address to its action.
func actions(plan *Plan) map[string]Action {
	out := map[string]Action{}
	for _, ch := range plan.Changes {
		out[ch.Addr] = ch.Action
	}
	return out
}

func change(t testing.TB, plan *Plan, addr string) *Change {
	t.Helper()
	for _, ch := range plan.Changes {
		if ch.Addr == addr {
			return ch
		}
	}
	t.Fatalf("no change for %s in plan", addr)
	return nil
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func openCache(dir string) (*state.Cache, error) { return state.OpenCache(dir + "/.genform/cache") }
