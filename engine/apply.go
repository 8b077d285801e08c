package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
)

// ApplyOptions are what apply needs beyond the plan.
type ApplyOptions struct {
	Parallelism int  // instances at work at once; default 8
	Hook        Hook // nil: NopHook
	Journal     Journal
	Cache       *state.Cache
	Stat        *state.StatCache // told the hash of every file apply writes; may be nil
	TempDir     string           // for files being generated; on the project's file system
	// Interrupt is closed on the first Ctrl-C: nothing new starts, running requests finish,
	// and a video job that has its id recorded stops polling (the next apply resumes it).
	Interrupt <-chan struct{}
	Now       func() time.Time // default time.Now
	// Ledger, when not nil, follows the money of this apply for a second Ctrl-C (Settle).
	Ledger *Ledger
	// Shared is the shared output cache restores may fetch from; nil when there is none.
	// With Upload, each new result is sent to it once it is durable locally.
	Shared Shared
	Upload bool
}

// Journal records what apply does: *state.Journal on one machine, rows in PostgreSQL for a
// team. Append returns once the entry is durable; Write returns once it survives the death of
// the process, and Sync(n) once what Write n returned is durable. SyncsBlobs tells whether
// Sync also makes durable the blobs the cache took before line n (state.Journal.SyncsBlobs);
// a journal that is not a file says false, and apply syncs its blobs.
type Journal interface {
	Append(state.Entry) error
	Write(state.Entry) (uint64, error)
	Sync(n uint64) error
	SyncsBlobs(c *state.Cache) bool
}

// Summary is what an apply did.
type Summary struct {
	Generated, Restored, Deleted, Unchanged  int
	Moved                                    int // records renamed by moved blocks
	Failed, Skipped, Interrupted, NotStarted int
	Cost                                     float64 // of the generations whose price is known
	CostUnknown                              int     // generations whose price is not known
	Failures                                 []Failure
	// Ambiguous counts the paid attempts that got no complete reply and may have been
	// charged; AmbiguousCost is their estimated price, AmbiguousUnknown those unpriced.
	Ambiguous, AmbiguousUnknown int
	AmbiguousCost               float64
	// UploadFailures are results kept locally that could not be sent to the shared cache
	// (genform push sends them later): warnings, not failures.
	UploadFailures []Failure
}

func (s *Summary) addCost(p providers.Price) {
	if p.Known {
		s.Cost += p.USD
	} else {
		s.CostUnknown++
	}
}

// Failure is one instance that failed.
type Failure struct {
	Addr string
	Err  error
}

// Apply carries out a plan: every change in dependency order, at most Parallelism at once.
// A waiting instance holds no slot. A failed instance is reported and its dependents skipped;
// independent work goes on. Each finished instance is written into place and recorded in the
// journal (durably) before it is reported, and st is updated in memory: the caller writes it.
// The error is fatal only: the journal could not be written, or the plan is not one NewPlan
// made (ErrNotPlanned): a Plan built by hand, or read back from a saved plan, holds no way
// to evaluate its instances again and is refused before anything starts.
func Apply(ctx context.Context, plan *Plan, st *state.File, opts ApplyOptions) (*Summary, error) {
	if plan == nil || plan.planner == nil {
		return nil, ErrNotPlanned
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = 8
	}
	if opts.Hook == nil {
		opts.Hook = NopHook{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	for _, prov := range plan.planner.opts.Providers {
		if pool, ok := prov.(providers.Pooled); ok {
			pool.SetParallelism(opts.Parallelism)
		}
	}
	e := &executor{plan: plan, p: plan.planner, st: st, opts: opts}
	if opts.Cache != nil && opts.Journal != nil {
		// the journal's group commit makes blobs durable with its lines, where it can: no
		// fsync per blob
		e.syncsBlobs = opts.Journal.SyncsBlobs(opts.Cache)
	}
	if err := e.applyMoves(); err != nil {
		return &e.sum, err
	}
	return e.run(ctx)
}

type executor struct {
	plan *Plan
	p    *planner
	opts ApplyOptions

	mu  sync.Mutex // guards st, sum and planCost
	st  *state.File
	sum Summary
	// the plan's estimate, once an ambiguous attempt needed it against the budget
	planCost      float64
	planCostKnown bool

	syncsBlobs bool // the journal's sync makes the blobs taken before a line durable too
	paths      folderCheck
}

// apply does one node's work in a slot. Its error is fatal (state cannot be recorded);
// everything else is reported as the node's outcome.
func (e *executor) apply(ctx context.Context, n *node, release func()) error {
	ch := n.ch
	start := e.opts.Now()
	var o *Outcome
	var err error
	if ch.Action == Delete {
		e.opts.Hook.Started(ch)
		o, err = e.delete(ch)
	} else {
		o, err = e.instance(ctx, n.in, release)
	}
	if err != nil {
		n.status = Failed
		return err
	}
	o.Elapsed = e.opts.Now().Sub(start)
	n.status = o.Status
	e.finish(n.in.changeOr(ch), o)
	return nil
}

func (in *instance) changeOr(ch *Change) *Change {
	if in == nil || in.change == nil {
		return ch
	}
	return in.change
}

// instance plans an instance again when its input was not known at plan time, then carries
// out what it needs: nothing, a restore or a generation.
func (e *executor) instance(ctx context.Context, in *instance, release func()) (*Outcome, error) {
	ch := in.change
	replanned := ch.InputHash == "" || ch.Action == NoOp
	if replanned {
		scope := e.p.blocks.scope(in.si.Asset.Refs)
		ch = e.p.planInstance(in, scope)
		ch = e.shareOne(ctx, in)
	}
	// The hook hears of the instance only now, so it is told what will really be done: a
	// change planned as "regenerate" may turn out unchanged once its upstreams are known.
	e.opts.Hook.Started(ch)
	if replanned {
		if in.diags.HasErrors() || ch.InputHash == "" {
			err := diagError(in.diags)
			if err == nil {
				err = fmt.Errorf("its input is still not known after its upstreams finished")
			}
			return &Outcome{Status: Failed, Action: ch.Action, Err: err}, nil
		}
	}
	switch ch.Action {
	case NoOp:
		if ch.refresh {
			rec := *ch.Before
			rec.Request = ch.Request
			if err := e.record(in, &rec, false); err != nil {
				return nil, err
			}
		}
		return &Outcome{Status: Done, Action: NoOp}, nil
	case Restore:
		return e.restore(ctx, in, ch)
	}
	var amb ambiguity
	o, err := e.generate(ctx, in, ch, release, &amb)
	if o != nil && amb.attempts > 0 {
		o.Ambiguous, o.AmbiguousCost = amb.attempts, amb.cost()
	}
	return o, err
}

// finish reports an outcome and counts it.
func (e *executor) finish(ch *Change, o *Outcome) {
	e.count(o)
	if o.Status == Failed {
		e.failure(ch.Addr, o.Err)
	}
	e.opts.Hook.Finished(ch, o)
}

// diagError turns the error diagnostics of an instance's evaluation at apply time into one
// error (apply has no source snippets to show by then, only the messages).
func diagError(d hcl.Diagnostics) error {
	if !d.HasErrors() {
		return nil
	}
	return d.Errs()[0]
}

func (e *executor) count(o *Outcome) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &e.sum
	switch o.Status {
	case Failed:
		s.Failed++
		if o.Record != nil { // paid and kept, only not placed: the money is spent
			s.addCost(o.Cost)
		}
	case Skipped:
		s.Skipped++
	case Interrupted:
		s.Interrupted++
	case Done:
		switch o.Action {
		case Create, Regenerate:
			s.Generated++
			s.addCost(o.Cost)
		case Restore:
			s.Restored++
		case Delete:
			s.Deleted++
		default:
			s.Unchanged++
		}
	}
}

// record makes a finished instance durable: journal first (fsync), then the cache index and
// the in-memory state. Only after this is the instance reported done.
func (e *executor) record(in *instance, rec *state.Record, forgetJob bool) error {
	entry := state.Entry{Record: rec}
	if forgetJob {
		entry.ForgetJob = rec.Addr
	}
	if err := e.opts.Journal.Append(entry); err != nil {
		return fmt.Errorf("recording %s in the journal: %w", rec.Addr, err)
	}
	if e.opts.Cache != nil && rec.InputHash != "" {
		_ = e.opts.Cache.Index(rec.InputHash, rec) // the journal has it; the index is a shortcut
	}
	e.mu.Lock()
	e.st.Records[rec.Addr] = rec
	if forgetJob {
		delete(e.st.Jobs, rec.Addr)
	}
	e.mu.Unlock()
	e.p.known(in, rec)
	return nil
}

// failure wraps an instance error for the summary.
func (e *executor) failure(addr string, err error) {
	e.mu.Lock()
	e.sum.Failures = append(e.sum.Failures, Failure{Addr: addr, Err: err})
	e.mu.Unlock()
}

var errInterrupted = errors.New("interrupted")
