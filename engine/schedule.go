package engine

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// run walks the apply graph: ready nodes start tallest first while a slot is free, each
// finished node releases the nodes that waited for it, and an interrupt starts nothing more.
func (e *executor) run(ctx context.Context) (*Summary, error) {
	nodes := e.graph()
	// No limit on the group: a slot bounds the work at the gateway (running, below), and an
	// instance whose reply is in goes on making it durable after giving its slot back.
	g, gctx := errgroup.WithContext(ctx)
	w := &walk{
		e: e, g: g, ctx: gctx,
		finished:  make(chan *node, len(nodes)),
		freed:     make(chan struct{}, len(nodes)),
		ready:     &readyQueue{},
		interrupt: e.opts.Interrupt,
		remaining: len(nodes),
	}
	heights(nodes)
	for _, n := range nodes {
		if n.waiting == 0 {
			w.ready.push(n)
		}
	}
	for w.remaining > 0 {
		// An interrupt wins over a finished node that arrived with it: nothing starts after it.
		select {
		case <-w.interrupt:
			w.stop()
		default:
		}
		w.startReady()
		if w.busy == 0 && (w.stopped || gctx.Err() != nil || w.ready.Len() == 0) {
			break
		}
		select {
		case <-w.freed:
			w.running--
		case n := <-w.finished:
			w.busy--
			w.complete(n)
		case <-w.interrupt:
			w.stop()
		}
	}
	err := g.Wait()
	for _, n := range nodes {
		if n.ch != nil && n.status == "" {
			e.sum.NotStarted++
		}
	}
	return &e.sum, err
}

// walk is one run of the executor loop over the apply graph.
type walk struct {
	e        *executor
	g        *errgroup.Group
	ctx      context.Context // the group's: done once a node's error is fatal
	finished chan *node
	freed    chan struct{} // a node gave its slot back
	ready    *readyQueue
	// interrupt is nil once heard; stopped says it was
	interrupt <-chan struct{}
	stopped   bool
	// running: nodes holding a slot; busy: nodes started and not finished (a node gives its
	// slot back before it finishes when its bookkeeping is all that is left)
	running, busy, remaining int
}

// stop records an interrupt: nothing new starts.
func (w *walk) stop() {
	w.stopped, w.interrupt = true, nil
}

// startReady settles or starts ready nodes while a slot is free. Checking the slot count
// here, not blocking in g.Go, keeps the loop free to hear an interrupt.
func (w *walk) startReady() {
	e := w.e
	for w.ready.Len() > 0 && !w.stopped && w.ctx.Err() == nil {
		n := w.ready.peek()
		work := e.needsSlot(n)
		if work && w.running >= e.opts.Parallelism {
			break
		}
		w.ready.pop()
		if !work {
			e.settle(n)
			w.complete(n)
			continue
		}
		w.running++
		w.busy++
		w.g.Go(func() error {
			var once sync.Once
			release := func() { once.Do(func() { w.freed <- struct{}{} }) }
			err := e.apply(w.ctx, n, release)
			release()
			w.finished <- n
			return err
		})
	}
}

// complete settles a finished node and releases what waited for it.
func (w *walk) complete(n *node) {
	w.remaining--
	for _, d := range n.downs {
		if n.status != Done && d.failed == "" {
			d.failed = n.failed
			if n.ch != nil {
				d.failed = n.ch.Addr
			}
		}
		d.waiting--
		if d.waiting == 0 {
			w.ready.push(d)
		}
	}
}

// settle finishes a ready node that needs no slot: a barrier, an instance whose upstream
// failed (skipped), one that failed to evaluate, or a no-op.
func (e *executor) settle(n *node) {
	switch {
	case n.ch == nil: // barrier
		n.status = Done
		if n.failed != "" {
			n.status = Skipped
		}
	case n.failed != "":
		n.status = Skipped
		e.finish(n.ch, &Outcome{Status: Skipped, Action: n.ch.Action, Reason: n.failed})
	case n.in != nil && n.in.invalid:
		n.status = Failed
		e.finish(n.ch, &Outcome{Status: Failed, Action: NoOp, Err: diagError(n.in.diags)})
	default: // a no-op
		n.status = Done
		e.count(&Outcome{Status: Done, Action: NoOp})
		if h, ok := e.opts.Hook.(settledHook); ok {
			h.Settled(n.ch)
		}
	}
}

// settledHook is a Hook that also hears of the no-ops apply settles without a slot, which
// Hook.Finished is not told of (ApplyWatch).
type settledHook interface {
	Settled(ch *Change)
}

// needsSlot reports whether a ready node does work in a slot, rather than being settled at
// once (no-ops, barriers, instances that failed to evaluate).
func (e *executor) needsSlot(n *node) bool {
	switch {
	case n.ch == nil, n.failed != "", n.in != nil && n.in.invalid:
		return false
	case n.ch.Action == NoOp && n.ch.InputHash != "" && !n.ch.refresh:
		return false
	}
	return true
}
