package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Move is one recorded instance that a moved block gives a new address. Apply records it
// before anything else; nothing is generated for it.
type Move struct {
	From, To string
}

// mover finds where moved blocks send a recorded address.
type mover struct {
	byFrom map[string]*schema.Moved
	limit  int
}

func newMover(moved []*schema.Moved) *mover {
	m := &mover{byFrom: make(map[string]*schema.Moved, len(moved)), limit: len(moved) + 1}
	for _, mv := range moved {
		m.byFrom[mv.From.Addr()] = mv
	}
	return m
}

// step returns where one moved block sends addr, and the block; "" when none applies.
func (m *mover) step(addr string) (string, *schema.Moved) {
	if mv := m.byFrom[addr]; mv != nil {
		return mv.To.Addr(), mv
	}
	i := strings.IndexByte(addr, '[')
	if i < 0 {
		return "", nil
	}
	// a block move keeps the instance key: image.hero["a"] -> image.poster["a"]
	if mv := m.byFrom[addr[:i]]; mv != nil && mv.From.Key == cty.NilVal && mv.To.Key == cty.NilVal {
		return mv.To.Addr() + addr[i:], mv
	}
	return "", nil
}

// follow applies moved blocks to addr until none applies (a chain a -> b -> c ends at c;
// schema refuses cycles, and limit bounds the walk anyway).
func (m *mover) follow(addr string) (string, *schema.Moved) {
	var first *schema.Moved
	for i := 0; i < m.limit; i++ {
		next, mv := m.step(addr)
		if mv == nil {
			break
		}
		if first == nil {
			first = mv
		}
		addr = next
	}
	return addr, first
}

// MoveRecords is what genform state mv does: it moves the records and jobs st holds at from
// (a block or an instance address) to to, in place, and returns the moves. A move onto a
// recorded address, or of nothing, is refused and st is left as it was.
func MoveRecords(st *state.File, from, to schema.Ref) ([]Move, error) {
	if from.Kind != to.Kind {
		return nil, fmt.Errorf("%s is %s and %s %s: state mv renames within one kind", from.Addr(), asset.WithArticle(from.Kind), to.Addr(), asset.WithArticle(to.Kind))
	}
	if from.Addr() == to.Addr() {
		return nil, fmt.Errorf("%s and %s are the same address", from.Addr(), to.Addr())
	}
	records, jobs := maps.Clone(st.Records), maps.Clone(st.Jobs)
	moves, diags := resolveMoves([]*schema.Moved{{From: from, To: to}}, records, jobs)
	if len(diags) > 0 {
		return nil, fmt.Errorf("%s", strings.Replace(diags[0].Detail, "The plan deletes", "Nothing was moved; a plan would delete", 1))
	}
	if len(moves) == 0 {
		if from.Key == cty.NilVal && to.Key != cty.NilVal {
			if keyed := blockInstances(st.Records, from.Addr()); len(keyed) > 0 {
				return nil, fmt.Errorf("%s is recorded as %d instances (%s), not as one: move one of them to %s, or the whole block to another block address; nothing was moved",
					from.Addr(), len(keyed), strings.Join(keyed, ", "), to.Addr())
			}
		}
		return nil, fmt.Errorf("%s is not in the state; nothing was moved. Run 'genform state list' to see the addresses", from.Addr())
	}
	st.Records, st.Jobs = records, jobs
	return moves, nil
}

// resolveMoves gives the recorded instances and jobs the addresses the moved blocks say, in
// records and jobs (the planner's copies). A move onto an address that is already recorded
// is skipped with a warning: the old record is then planned as a delete, its file kept.
func resolveMoves(moved []*schema.Moved, records map[string]*state.Record, jobs map[string]*state.Job) ([]Move, hcl.Diagnostics) {
	if len(moved) == 0 {
		return nil, nil
	}
	m := newMover(moved)
	addrs := slices.Sorted(maps.Keys(records))
	for a := range jobs {
		if records[a] == nil {
			addrs = append(addrs, a)
		}
	}
	slices.Sort(addrs)
	dest := map[string]string{}
	var moves []Move
	var diags hcl.Diagnostics
	for _, a := range addrs {
		to, mv := m.follow(a)
		if mv == nil {
			continue
		}
		// a chain ends where no block applies, so a record at to stays where it is
		if _, taken := records[to]; taken {
			diags = append(diags, movedCollision(mv, a, to, "is already recorded"))
			continue
		}
		if prev := dest[to]; prev != "" {
			diags = append(diags, movedCollision(mv, a, to, "also receives "+prev))
			continue
		}
		dest[to] = a
		moves = append(moves, Move{From: a, To: to})
	}
	// no destination is the source of another move, so the moves can be made one by one
	for _, mv := range moves {
		if rec := records[mv.From]; rec != nil {
			r := *rec
			r.Addr = mv.To
			records[mv.To] = &r
			delete(records, mv.From)
		}
		if job := jobs[mv.From]; job != nil {
			j := *job
			j.Addr = mv.To
			jobs[mv.To] = &j
			delete(jobs, mv.From)
		}
	}
	return moves, diags
}

func movedCollision(mv *schema.Moved, from, to, why string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Moved object collides with another",
		Detail: fmt.Sprintf("%s was not moved to %s, which %s. The plan deletes %s (its file is kept in the cache). "+
			"Run genform state rm %s first if the recorded %s should go instead.", from, to, why, from, to, to),
		Subject: mv.DeclRange.Ptr(),
	}
}

// applyMoves records the plan's moves in the journal and the state before any other work:
// a move needs no provider, and a no-op instance that moved must be found at its new address.
func (e *executor) applyMoves() error {
	for _, mv := range e.plan.Moves {
		entry := state.Entry{Forget: mv.From, ForgetJob: mv.From}
		if rec := e.st.Records[mv.From]; rec != nil {
			r := *rec
			r.Addr = mv.To
			entry.Record = &r
		}
		if job := e.st.Jobs[mv.From]; job != nil {
			j := *job
			j.Addr = mv.To
			entry.Job = &j
		}
		if entry.Record == nil && entry.Job == nil {
			continue
		}
		if err := e.opts.Journal.Append(entry); err != nil {
			return fmt.Errorf("recording the move of %s to %s: %w", mv.From, mv.To, err)
		}
		e.st.Apply([]state.Entry{entry})
		if entry.Record != nil {
			e.sum.Moved++
		}
	}
	return nil
}

// ApplyMoves records only the plan's moves, as Apply does before anything else, for a caller
// that hands the plan's other changes to others (a run of the pg backend, whose runners plan
// their instances at their new addresses then). It returns how many records moved.
func ApplyMoves(plan *Plan, st *state.File, journal Journal) (int, error) {
	if plan == nil || plan.planner == nil {
		return 0, ErrNotPlanned
	}
	e := &executor{plan: plan, p: plan.planner, st: st, opts: ApplyOptions{Journal: journal}}
	err := e.applyMoves()
	return e.sum.Moved, err
}

// markMoved tells each change that moved where it was recorded before.
func markMoved(plan *Plan) {
	if len(plan.Moves) == 0 {
		return
	}
	from := make(map[string]string, len(plan.Moves))
	for _, mv := range plan.Moves {
		from[mv.To] = mv.From
	}
	for _, ch := range plan.Changes {
		ch.MovedFrom = from[ch.Addr]
	}
}

// blockInstances lists the recorded instances of the block addressed block, sorted.
func blockInstances(records map[string]*state.Record, block string) []string {
	var out []string
	for a := range records {
		if asset.InBlock(a, block) && a != block {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, asset.CompareAddrs)
	return out
}
