package main

// This file holds the work loop shared by genform runner and the apply that starts a run on
// the pg backend: claim ready instances, plan them again against the shared state, generate
// them with the engine, and commit each under its claim's lease.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/genform/genform/backend/pg"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/providers"
	"github.com/genform/genform/state"
)

// runWorker works on one run's tasks in this checkout.
type runWorker struct {
	c           *cli
	p           *project // configuration, providers and caches loaded
	be          *pg.Backend
	run         int64
	runner      string // host:pid
	parallelism int
	lease       time.Duration
	hook        engine.Hook
	tmp         string
	interrupt   <-chan struct{}

	sum engine.Summary // what this runner did, over all batches

	provs   map[string]providers.Provider // the project's, wrapped (runner_provider.go)
	closure *engine.Closure               // what a batch's plan covers, for readState
	mu      sync.Mutex
	held    map[string]pg.Claim // the current batch's claims by address
}

// runnerID names this process among a run's runners.
func runnerID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// loop claims and works on batches until the run has nothing left to hand out, it is
// stopped, or an interrupt. The error is fatal (the backend cannot be reached or written).
func (w *runWorker) loop(ctx context.Context) error {
	w.lease = runLease(w.lease, w.p.providers)
	w.provs = w.runProviders()
	w.closure = engine.NewClosure(w.p.cfg)
	for {
		select {
		case <-w.interrupt:
			return nil
		default:
		}
		claims, err := w.be.Claim(ctx, w.run, w.runner, w.batchSize(), w.lease)
		if errors.Is(err, pg.ErrRunStopped) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(claims) == 0 {
			s, err := w.be.Status(ctx, w.run)
			if err != nil {
				return err
			}
			if s.Left() == 0 {
				return nil
			}
			select { // others hold what is left, or it waits for them
			case <-w.interrupt:
				return nil
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		if err := w.batch(ctx, claims); err != nil {
			return err
		}
	}
}

// batch plans the claimed instances again against the shared state and generates them. An
// instance of this plan that is not claimed (an upstream another runner made) may only be
// restored or left as it is, never paid for here.
func (w *runWorker) batch(ctx context.Context, claims []pg.Claim) error {
	stopBeat := w.heartbeat(claims)
	defer stopBeat()
	byAddr := make(map[string]pg.Claim, len(claims))
	targets := make([]string, 0, len(claims))
	for _, cl := range claims {
		byAddr[cl.Addr] = cl
		targets = append(targets, cl.Addr)
	}
	w.mu.Lock()
	w.held = byAddr
	w.mu.Unlock()
	st, err := w.readState(ctx, targets)
	if err != nil {
		return err
	}
	w.p.refreshShared()
	plan, diags := engine.NewPlan(w.p.cfg, st, w.p.cache, engine.Options{Providers: w.provs, Stat: w.p.stat, Targets: targets,
		Shared: w.p.sharedCache()})
	if diags.HasErrors() || plan == nil {
		w.c.ui().Diagnostics(diags, w.p.cfg.Files)
		return w.failAll(ctx, claims, "the configuration does not plan in this checkout of runner "+w.runner)
	}
	for _, ch := range plan.Changes {
		if _, mine := byAddr[ch.Addr]; !mine && ch.Action.Paid() {
			_ = w.be.Release(ctx, claims)
			return fmt.Errorf("%s would have to be generated again in this checkout to work on %s (%s: %s): its output is neither here nor in a cache this runner reads", ch.Addr, targets[0], ch.Action, strings.Join(ch.Reasons, "; "))
		}
	}
	j := &runJournal{be: w.be, claims: byAddr, finished: map[string]bool{}, warn: func(msg string) { w.c.ui().Warnf("%s", msg) },
		cache: w.p.cache}
	if w.p.upload {
		j.shared = w.p.sharedCache()
	}
	hook := &outcomeHook{Hook: w.hook, outcomes: map[string]*engine.Outcome{}}
	sum, fatal := engine.Apply(ctx, plan, st, engine.ApplyOptions{
		Parallelism: w.parallelism, Hook: hook, Journal: j, Cache: w.p.cache, Stat: w.p.stat,
		TempDir: w.tmp, Interrupt: w.interrupt, Shared: w.p.sharedCache(), // the journal uploads, before each commit
	})
	if fatal != nil {
		return fatal
	}
	w.add(sum)
	planned := map[string]engine.Action{}
	for _, ch := range plan.Changes {
		planned[ch.Addr] = ch.Action
	}
	var unstarted []pg.Claim
	for _, cl := range claims {
		o := hook.outcomes[cl.Addr]
		var err error
		switch {
		case j.done(cl.Addr):
		case o == nil && planned[cl.Addr] != engine.NoOp && planned[cl.Addr] != "", o != nil && o.Status == engine.Interrupted:
			unstarted = append(unstarted, cl) // not started (Ctrl-C): another runner takes it
		case o == nil: // a no-op now: it already is as planned
			err = w.finish(ctx, cl, false, "")
		case o.Status == engine.Failed:
			err = w.finish(ctx, cl, true, o.Err.Error())
		case o.Status == engine.Skipped:
			err = w.finish(ctx, cl, true, "an upstream could not be placed in runner "+w.runner+"'s checkout: "+o.Reason)
		default: // done with nothing to record: it already was as planned
			err = w.finish(ctx, cl, false, "")
		}
		if err != nil {
			return err
		}
	}
	return w.be.Release(ctx, unstarted)
}

// readAllEnv, set to 1, makes runners read the whole state for each batch, as they did
// before readState: kept to measure against (pg_runner_measure_test.go).
const readAllEnv = "GENFORM_RUNNER_READ_ALL"

// readState reads the state a batch plans against: the records of the claimed instances and
// of everything they depend on, not the whole state (which would make each batch cost as
// much as the run). A configuration with moved blocks is read whole: a move's source may be
// any record.
func (w *runWorker) readState(ctx context.Context, targets []string) (*state.File, error) {
	if len(w.p.cfg.Moved) == 0 && os.Getenv(readAllEnv) != "1" {
		if addrs, diags := w.closure.Covered(targets); !diags.HasErrors() {
			return w.be.ReadAddrs(ctx, addrs)
		}
	}
	st, _, err := w.be.Read(ctx)
	return st, err
}

// outcomeHook passes events on and keeps each instance's outcome.
type outcomeHook struct {
	engine.Hook
	mu       sync.Mutex
	outcomes map[string]*engine.Outcome
}

func (h *outcomeHook) Finished(ch *engine.Change, o *engine.Outcome) {
	h.mu.Lock()
	h.outcomes[ch.Addr] = o
	h.mu.Unlock()
	h.Hook.Finished(ch, o)
}

func (w *runWorker) finish(ctx context.Context, cl pg.Claim, failed bool, msg string) error {
	err := w.be.Finish(ctx, cl, failed, msg)
	if errors.Is(err, pg.ErrLeaseLost) {
		w.c.ui().Warnf("%v", err)
		return nil
	}
	return err
}

func (w *runWorker) failAll(ctx context.Context, claims []pg.Claim, msg string) error {
	for _, cl := range claims {
		if err := w.finish(ctx, cl, true, msg); err != nil {
			return err
		}
	}
	return nil
}

// heartbeat renews the batch's leases every third of the lease until stopped.
func (w *runWorker) heartbeat(claims []pg.Claim) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(w.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), w.lease/3)
			_, _ = w.be.Renew(ctx, claims, w.lease) // a lost claim is refused at its commit
			cancel()
		}
	}()
	return func() { close(done); wg.Wait() }
}

// add counts a batch's summary into the runner's.
func (w *runWorker) add(s *engine.Summary) {
	w.sum.Generated += s.Generated
	w.sum.Restored += s.Restored
	w.sum.Moved += s.Moved
	w.sum.Deleted += s.Deleted
	w.sum.Failed += s.Failed
	w.sum.Skipped += s.Skipped
	w.sum.Interrupted += s.Interrupted
	w.sum.NotStarted += s.NotStarted
	w.sum.Cost += s.Cost
	w.sum.CostUnknown += s.CostUnknown
	w.sum.Failures = append(w.sum.Failures, s.Failures...)
}

// runJournal is the engine's journal on a run: an instance's video job id is recorded under
// its claim; its record (or its forgetting) is committed with the task's end and its
// dependents' release, in one transaction fenced by the claim. Upstreams restored into this
// checkout are not this runner's to record.
type runJournal struct {
	be     *pg.Backend
	claims map[string]pg.Claim
	warn   func(string)
	shared engine.Shared // nil: no shared cache, or this runner does not upload
	cache  *state.Cache

	mu       sync.Mutex
	finished map[string]bool
}

func entryAddr(e state.Entry) string {
	switch {
	case e.Record != nil:
		return e.Record.Addr
	case e.Job != nil:
		return e.Job.Addr
	case e.Forget != "":
		return e.Forget
	}
	return e.ForgetJob
}

func (j *runJournal) done(addr string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.finished[addr]
}

// Append implements engine.Journal.
func (j *runJournal) Append(e state.Entry) error {
	addr := entryAddr(e)
	cl, mine := j.claims[addr]
	if !mine {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	final := e.Record != nil || e.Forget != ""
	if e.Record != nil && j.shared != nil {
		// the result is in the shared cache before its record is committed, so a runner that
		// takes a dependent finds it there
		if err := j.shared.Upload(ctx, e.Record, j.cache); err != nil {
			j.warn(fmt.Sprintf("%s: uploading to the shared cache: %v; it stays in this checkout's cache (genform push sends it later)", addr, err))
		}
	}
	var err error
	if final {
		err = j.be.Finish(ctx, cl, false, "", e)
	} else {
		err = j.be.Record(ctx, cl, e)
	}
	if final && (err == nil || errors.Is(err, pg.ErrLeaseLost)) {
		j.mu.Lock()
		j.finished[addr] = true
		j.mu.Unlock()
	}
	if errors.Is(err, pg.ErrLeaseLost) {
		j.warn(err.Error())
		return nil
	}
	return err
}

// Write and Sync are Append in two steps, as the file journal offers them: a committed row is
// durable at once.
func (j *runJournal) Write(e state.Entry) (uint64, error) { return 0, j.Append(e) }
func (j *runJournal) Sync(uint64) error                   { return nil }

// SyncsBlobs implements engine.Journal: a committed row makes no local file durable, so
// apply syncs its blobs itself.
func (j *runJournal) SyncsBlobs(*state.Cache) bool { return false }

// batchSize is how many instances one claim takes: as many as there are slots, never more, so
// that no runner holds work it cannot start while another has free slots (a video may take an
// hour).
func (w *runWorker) batchSize() int { return w.parallelism }
