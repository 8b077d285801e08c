package engine

import (
	"container/heap"

	"github.com/zclconf/go-cty/cty"
)

// node is one unit of the apply graph: an instance or delete change, or a barrier that is done
// when every instance of a block is (what a reference to the whole block waits for).
type node struct {
	ch      *Change   // nil for a barrier
	in      *instance // nil for a delete or a barrier
	waiting int       // upstream nodes not yet finished
	downs   []*node
	failed  string // the address of a failed or skipped upstream, once one is
	status  Status
	height  int // the longest chain of nodes waiting on this one: the critical path goes first
	seq     int // plan order, for ties
}

// heights sets each node's height: 1 + the largest height among the nodes that wait for it.
// Starting the tallest ready node first keeps a long chain from queueing behind hundreds of
// independent instances (a list scheduler along the critical path).
func heights(nodes []*node) {
	var visit func(n *node) int
	visit = func(n *node) int {
		if n.height > 0 { // visited: every height is at least 1
			return n.height
		}
		h := 0
		for _, d := range n.downs {
			h = max(h, visit(d))
		}
		n.height = h + 1
		return n.height
	}
	for i, n := range nodes {
		n.seq = i
		visit(n)
	}
}

// readyQueue holds the nodes whose upstreams are done, tallest first, then in plan order.
type readyQueue struct{ h []*node }

func (q *readyQueue) Len() int { return len(q.h) }
func (q *readyQueue) Less(i, j int) bool {
	a, b := q.h[i], q.h[j]
	if a.height != b.height {
		return a.height > b.height
	}
	return a.seq < b.seq
}
func (q *readyQueue) Swap(i, j int) { q.h[i], q.h[j] = q.h[j], q.h[i] }
func (q *readyQueue) Push(x any)    { q.h = append(q.h, x.(*node)) }
func (q *readyQueue) Pop() any {
	n := q.h[len(q.h)-1]
	q.h = q.h[:len(q.h)-1]
	return n
}
func (q *readyQueue) push(n *node) { heap.Push(q, n) }
func (q *readyQueue) pop() *node   { return heap.Pop(q).(*node) }
func (q *readyQueue) peek() *node  { return q.h[0] }

func (e *executor) graph() []*node {
	var nodes []*node
	byAddr := map[string]*node{}
	byBlock := map[string][]*node{}
	for _, ch := range e.plan.Changes {
		n := &node{ch: ch}
		if ch.Action != Delete {
			n.in = e.p.insts[ch.Addr]
			byBlock[n.in.si.Asset.Addr()] = append(byBlock[n.in.si.Asset.Addr()], n)
		}
		byAddr[ch.Addr] = n
		nodes = append(nodes, n)
	}
	barriers := map[string]*node{}
	barrier := func(block string) *node {
		if b := barriers[block]; b != nil {
			return b
		}
		b := &node{}
		for _, up := range byBlock[block] {
			up.downs = append(up.downs, b)
			b.waiting++
		}
		barriers[block] = b
		nodes = append(nodes, b)
		return b
	}
	// A delete moves the file at its recorded path into the cache: an instance that writes
	// that same path (a renamed block) waits for it, or its new file would be moved away.
	// Deletes wait for nothing, so these edges make no cycle.
	freed := map[string]*node{}
	for _, n := range nodes {
		if n.ch.Action == Delete && n.ch.Path != "" {
			freed[n.ch.Path] = n
		}
	}
	for _, n := range nodes {
		if n.in == nil {
			continue
		}
		if d := freed[n.ch.Path]; d != nil && n.ch.Path != "" {
			d.downs = append(d.downs, n)
			n.waiting++
		}
		seen := map[*node]bool{}
		for _, r := range n.in.si.Asset.Refs {
			var up *node
			if r.Key == cty.NilVal {
				up = barrier(r.Kind + "." + r.Name)
			} else {
				up = byAddr[r.Addr()]
			}
			if up == nil || up == n || seen[up] {
				continue // not in this plan: its value is final
			}
			seen[up] = true
			up.downs = append(up.downs, n)
			n.waiting++
		}
	}
	return nodes
}
