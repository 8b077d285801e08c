package engine

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

func (e *executor) run(ctx context.Context) (*Summary, error) {
	nodes := e.graph()
	// No limit on the group: a slot bounds the work at the gateway (running, below), and an
	// instance whose reply is in goes on making it durable after giving its slot back.
	g, gctx := errgroup.WithContext(ctx)
	finished := make(chan *node, len(nodes))
	freed := make(chan struct{}, len(nodes))
	heights(nodes)
	ready := &readyQueue{}
	for _, n := range nodes {
		if n.waiting == 0 {
			ready.push(n)
		}
	}
	interrupt := e.opts.Interrupt
	stopped := false
	// running: nodes holding a slot; busy: nodes started and not finished (a node gives its
	// slot back before it finishes when its bookkeeping is all that is left)
	running, busy, remaining := 0, 0, len(nodes)

	// complete settles a finished node and releases what waited for it.
	complete := func(n *node) {
		remaining--
		for _, d := range n.downs {
			if n.status != Done && d.failed == "" {
				d.failed = n.failed
				if n.ch != nil {
					d.failed = n.ch.Addr
				}
			}
			d.waiting--
			if d.waiting == 0 {
				ready.push(d)
			}
		}
	}
	for remaining > 0 {
		// An interrupt wins over a finished node that arrived with it: nothing starts after it.
		select {
		case <-interrupt:
			stopped, interrupt = true, nil
		default:
		}
		// Settle or start ready nodes while a slot is free. Checking the slot count here, not
		// blocking in g.Go, keeps the loop free to hear an interrupt.
		for ready.Len() > 0 && !stopped && gctx.Err() == nil {
			n := ready.peek()
			work := e.needsSlot(n)
			if work && running >= e.opts.Parallelism {
				break
			}
			ready.pop()
			if !work {
				e.settle(n)
				complete(n)
				continue
			}
			running++
			busy++
			g.Go(func() error {
				var once sync.Once
				release := func() { once.Do(func() { freed <- struct{}{} }) }
				err := e.apply(gctx, n, release)
				release()
				finished <- n
				return err
			})
		}
		if busy == 0 && (stopped || gctx.Err() != nil || ready.Len() == 0) {
			break
		}
		select {
		case <-freed:
			running--
		case n := <-finished:
			busy--
			complete(n)
		case <-interrupt:
			stopped, interrupt = true, nil
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
	}
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
