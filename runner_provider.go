package main

// This file holds what a runner puts around each provider: before a request is sent, the
// instance's claim is renewed for a lease that outlasts the request's timeout (or the request
// is not sent: another runner may hold the instance), and the provider's limits are taken
// from the run's rows, shared by all its runners.

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/genform/genform/backend/pg"
	"github.com/genform/genform/providers"
)

// runLease is the lease a run's claims are taken and renewed for: the backend's, raised so
// that between two heartbeats (every third of the lease) what is left of it still covers the
// longest request timeout of the providers, with a second to spare for the renewal itself.
func runLease(base time.Duration, provs map[string]providers.Provider) time.Duration {
	lease := base
	for _, p := range provs {
		if t, ok := p.(providers.Timed); ok {
			lease = max(lease, t.RequestTimeout()*3/2+time.Second)
		}
	}
	return lease
}

// runProviders wraps each of the project's providers for w.
func (w *runWorker) runProviders() map[string]providers.Provider {
	out := make(map[string]providers.Provider, len(w.p.providers))
	for name, p := range w.p.providers {
		rp := &runProvider{Provider: p, w: w, name: name}
		if l, ok := p.(providers.Limited); ok {
			rp.limits.Concurrency, rp.limits.RequestsPerMinute = l.Limits()
		}
		out[name] = rp
	}
	return out
}

// runProvider is a provider as a runner uses it: a request starts only under a claim renewed
// for the run's lease, and within the provider's limits counted over the whole run (each
// process keeps its own limiter too, which the run's limits never loosen).
type runProvider struct {
	providers.Provider
	w      *runWorker
	name   string // the provider's address, which names its limits in the run
	limits pg.Limits
	pooled atomic.Int64 // the parallelism last passed on
}

// SetParallelism passes the engine's parallelism on to a pooled provider when it changes: the
// engine sets it for every batch, and a pooled provider opens new connections each time.
func (rp *runProvider) SetParallelism(n int) {
	if p, ok := rp.Provider.(providers.Pooled); ok && rp.pooled.Swap(int64(n)) != int64(n) {
		p.SetParallelism(n)
	}
}

// Generate implements providers.Provider. A concurrency slot is held for the whole
// generation (a video's polling included) and given back when it ends.
func (rp *runProvider) Generate(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	cl, ok := rp.w.claimOf(job.Addr)
	if !ok { // never: the engine sends requests only for the batch's claimed instances
		return nil, &providers.Error{Class: providers.Permanent, Message: fmt.Sprintf("%s is not claimed by runner %s: nothing was sent", job.Addr, rp.w.runner)}
	}
	told := false
	for {
		slot, wait, err := rp.w.be.Admit(ctx, cl, rp.name, rp.limits, rp.w.lease)
		if errors.Is(err, pg.ErrLeaseLost) {
			return nil, &providers.Error{Class: providers.Permanent, Message: fmt.Sprintf("%s (run %d) is no longer held by runner %s; nothing was sent", cl.Addr, cl.Run, rp.w.runner), Err: err}
		}
		if err != nil {
			return nil, &providers.Error{Class: providers.Permanent, Message: "renewing the claim before the request: nothing was sent", Err: err}
		}
		if wait == 0 {
			defer rp.free(slot)
			break
		}
		if !told && job.Progress != nil {
			told = true
			job.Progress(providers.Progress{Phase: providers.PhaseQueued, Percent: -1,
				Message: fmt.Sprintf("waiting for provider %s's concurrency or requests_per_minute, shared by the run's runners", rp.name)})
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	return rp.Provider.Generate(ctx, req, job)
}

// free gives a slot back; one that cannot be lapses with its claim.
func (rp *runProvider) free(s pg.Slot) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rp.w.be.Free(ctx, s); err != nil {
		rp.w.c.ui().Warnf("giving back a slot of %s: %v (it lapses with its claim)", rp.name, err)
	}
}

// claimOf returns the claim this runner holds on addr in its current batch.
func (w *runWorker) claimOf(addr string) (pg.Claim, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cl, ok := w.held[addr]
	return cl, ok
}
