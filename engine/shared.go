package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
)

// Shared is a shared output cache behind the local .genform/cache (SPEC section 7): an action
// cache of records by input hash over a content-addressed store of output blobs. remote.Cache
// implements it; main wires it. Implementations are safe for concurrent use and bound every
// request with a timeout.
type Shared interface {
	// Lookup returns the records held for these input hashes, each only when its output blob
	// is held too. known holds records the caller has for some of the hashes (the state's):
	// for those only the blob need be looked for. An error means the shared cache could not
	// be read at all.
	Lookup(ctx context.Context, inputHashes []string, known map[string]*state.Record) (map[string]*state.Record, error)
	// Fetch brings blob sha (size bytes) into the local cache, verified by its sha256.
	Fetch(ctx context.Context, sha string, size int64, into *state.Cache) error
	// Upload sends a result: its output blob from the local cache first, then its entry.
	Upload(ctx context.Context, rec *state.Record, from *state.Cache) error
	// String names the shared cache for messages.
	String() string
}

// SharedReason is the reason of a change restored from the shared cache.
const SharedReason = "the output for this input is in the shared cache"

// noCopyReason is the reason of a regeneration whose output is in no cache.
const noCopyReason = "no copy in the cache"

// sharedTimeout bounds the lookups of one block: a shared cache that does not answer (a
// firewall that drops packets) costs a plan at most this, then one warning.
const sharedTimeout = time.Minute

// shareBlock looks up in the shared cache, in one batch, every instance of a block the plan
// would pay for, and turns each one found into a free restore. An unreachable shared cache is
// one warning; the plan goes on as if it were empty.
func (p *planner) shareBlock(insts []*instance) {
	if p.opts.Shared == nil {
		return
	}
	var hashes []string
	known := map[string]*state.Record{}
	for _, in := range insts {
		if !sharable(in) {
			continue
		}
		ch := in.change
		hashes = append(hashes, ch.InputHash)
		if ch.Before != nil && ch.Before.InputHash == ch.InputHash {
			known[ch.InputHash] = ch.Before // a recorded output gone from disk
		}
	}
	if len(hashes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	found, err := p.opts.Shared.Lookup(ctx, hashes, known)
	if err != nil {
		p.diags = append(p.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Shared cache unreachable",
			Detail: fmt.Sprintf("genform could not read the shared cache %s, so this plan counts on the local cache only: %v",
				p.opts.Shared, err),
		})
		p.opts.Shared = nil
		return
	}
	for _, in := range insts {
		if rec := found[in.change.InputHash]; rec != nil && sharable(in) {
			p.restoreShared(in, rec)
		}
	}
}

// sharable reports whether an instance would be generated with a known input: what the
// shared cache may hold. A resumed video job is left to finish (it is paid already).
func sharable(in *instance) bool {
	ch := in.change
	return ch != nil && !in.invalid && ch.Action.Paid() && ch.InputHash != "" && ch.ResumeJob == "" && in.req != nil
}

// restoreShared makes a planned generation a restore from the shared cache.
func (p *planner) restoreShared(in *instance, rec *state.Record) {
	ch := in.change
	if in.req.path != "" && in.si.Asset.Kind != "chat" && rec.Output == nil {
		return // the entry has no file to place
	}
	ch.Action = Restore
	ch.From = rec
	ch.FromShared = true
	ch.Cost = providers.Price{Known: true}
	ch.Reasons = slices.DeleteFunc(ch.Reasons, func(r string) bool { return r == noCopyReason })
	ch.Reasons = append(ch.Reasons, SharedReason)
	p.known(in, rec)
}

// Pullable counts the recorded outputs that are missing or changed on disk and that the
// local or shared cache holds: what `genform pull` brings back for free.
func (cs Changes) Pullable() int {
	n := 0
	for _, ch := range cs {
		if ch.Action == Restore && ch.Before != nil && ch.Before.InputHash == ch.InputHash &&
			slices.ContainsFunc(ch.Reasons, func(r string) bool { return strings.HasPrefix(r, "output file ") }) {
			n++
		}
	}
	return n
}

// Unrecoverable counts the recorded outputs that are missing or changed on disk and in no
// cache, with what generating them again costs.
func (cs Changes) Unrecoverable() (n int, cost providers.Price) {
	cost = providers.Price{Known: true}
	for _, ch := range cs {
		if ch.Action.Paid() && slices.Contains(ch.Reasons, noCopyReason) {
			n++
			cost.USD += ch.Cost.USD
			cost.Known = cost.Known && ch.Cost.Known
		}
	}
	return n, cost
}

// shareOne looks up in the shared cache an instance planned again during apply, whose input
// was not known at plan time; a miss or an unreachable shared cache leaves the change as is.
func (e *executor) shareOne(ctx context.Context, in *instance) *Change {
	if e.opts.Shared == nil || !sharable(in) {
		return in.change
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	found, err := e.opts.Shared.Lookup(ctx, []string{in.change.InputHash}, nil)
	if rec := found[in.change.InputHash]; err == nil && rec != nil {
		e.p.restoreShared(in, rec)
	}
	return in.change
}

// fetchShared brings a restore's blob from the shared cache into the local one when only the
// shared cache has it.
func (e *executor) fetchShared(ctx context.Context, o *state.Output) error {
	if e.opts.Shared == nil || e.opts.Cache.Has(o.SHA256) {
		return nil
	}
	return e.opts.Shared.Fetch(ctx, o.SHA256, o.Size, e.opts.Cache)
}

// upload sends a result that is durable locally to the shared cache. A failure is a warning:
// the result stays local and genform push sends it later.
func (e *executor) upload(ctx context.Context, rec *state.Record) {
	if e.opts.Shared == nil || !e.opts.Upload || e.opts.Cache == nil {
		return
	}
	if err := e.opts.Shared.Upload(ctx, rec, e.opts.Cache); err != nil {
		e.mu.Lock()
		e.sum.UploadFailures = append(e.sum.UploadFailures, Failure{Addr: rec.Addr, Err: err})
		e.mu.Unlock()
	}
}
