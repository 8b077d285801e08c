package engine

import (
	"errors"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/state"
)

// Action is what a plan does to one instance.
type Action string

// The actions of SPEC section 4.
const (
	NoOp       Action = "no-op"
	Create     Action = "create"
	Regenerate Action = "regenerate"
	Restore    Action = "restore"
	Delete     Action = "delete"
)

// Paid reports whether the action calls a provider (and may cost money).
func (a Action) Paid() bool { return a == Create || a == Regenerate }

// Change is the plan for one instance.
type Change struct {
	Addr     string
	Kind     string
	Provider string // provider address: "wisdomgate", "wisdomgate.fast", "offline"
	Model    string
	Action   Action
	// MovedFrom is the address this instance was recorded at before a moved block renamed it.
	MovedFrom string
	Reasons   []string   // why, in words: "prompt changed", "chat.tagline changes", "-replace"
	Diff      []AttrDiff // changed request attributes (regenerate and restore)

	// InputHash is the hash of the planned request; empty while it depends on an upstream
	// that will change.
	InputHash string
	// Request holds the resolved request fields as JSON values; an attribute that is not yet
	// known is absent and listed in Unknown.
	Request map[string]any
	Unknown []string
	// Path is the output path (project-relative), "" for a chat without one.
	Path string

	Before *state.Record // the recorded instance; nil for create
	// From is the cached result a restore copies from.
	From *state.Record
	// FromShared: From was found in the shared cache, not the local one.
	FromShared bool
	// ResumeJob is a video job id from an earlier, interrupted apply that this change polls
	// instead of paying for a new job.
	ResumeJob string
	// ResumeURL is a download link recorded by an earlier apply whose download failed or was
	// cut short: this change downloads it again instead of paying (never shown: it may be a
	// signed link).
	ResumeURL string
	adopted   bool // the job or link was recorded for another address (a renamed block)

	Cost providers.Price // estimated cost of a paid action; zero and known for free ones

	// refresh: a no-op whose recorded request names input files by paths that changed while
	// their content did not; apply records the request as it reads now
	refresh bool
}

// Charged reports whether applying the change may cost money: an action that calls a
// provider that bills (not the offline renderer), not resuming a job already paid for.
func (ch *Change) Charged() bool {
	return ch.Action.Paid() && ch.ResumeJob == "" && !ch.Cost.Free
}

// AttrDiff is one changed attribute: `~ prompt = "a" -> "b"`.
type AttrDiff struct {
	Name    string
	Before  any  // nil when the attribute was not set
	After   any  // nil when the attribute is not set
	Unknown bool // the new value is known only after apply
}

// Plan is the diff between configuration and state: one Change per declared or recorded
// instance, in dependency order. Only NewPlan makes a Plan that Apply accepts: it also holds
// what Apply needs to evaluate instances again. To show or save changes, use Changes.
type Plan struct {
	Changes Changes

	// What a saved plan must still match when it is applied.
	ConfigHash string
	Lineage    string
	Serial     uint64

	Targets []string
	Replace []string
	// Moves are the recorded instances moved blocks rename; apply records them first.
	Moves []Move

	planner *planner // what apply needs to evaluate instances again
}

// ErrNotPlanned is Apply's refusal of a Plan that NewPlan did not make.
var ErrNotPlanned = errors.New("engine.Apply: the plan was not made by engine.NewPlan")

// Counts is how many changes a plan has of each action.
type Counts struct {
	Create, Regenerate, Restore, Delete, NoOp int
	Move                                      int // renamed by a moved block, whatever else they do
}

// Changes are a plan's changes, in dependency order: plain data, which a view shows and a
// saved plan holds. Only a Plan made by NewPlan can be applied.
type Changes []*Change

// Counts counts the plan's changes by action.
func (p *Plan) Counts() Counts { return p.Changes.Counts() }

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool { return p.Changes.HasChanges() }

// Cost sums the estimated cost of the paid changes. unknown counts the paid changes whose
// price is not known; they are not in usd.
func (p *Plan) Cost() (usd float64, unknown int) { return p.Changes.Cost() }

// Counts counts the changes by action.
func (cs Changes) Counts() Counts {
	var c Counts
	for _, ch := range cs {
		if ch.MovedFrom != "" {
			c.Move++
		}
		switch ch.Action {
		case Create:
			c.Create++
		case Regenerate:
			c.Regenerate++
		case Restore:
			c.Restore++
		case Delete:
			c.Delete++
		default:
			c.NoOp++
		}
	}
	return c
}

// HasChanges reports whether any change does something.
func (cs Changes) HasChanges() bool {
	for _, ch := range cs {
		if ch.Action != NoOp || ch.MovedFrom != "" { // a move is a change, though free
			return true
		}
	}
	return false
}

// Cost sums the estimated cost of the paid changes; unknown counts those without a price.
func (cs Changes) Cost() (usd float64, unknown int) {
	for _, ch := range cs {
		if !ch.Action.Paid() {
			continue
		}
		if ch.Cost.Known {
			usd += ch.Cost.USD
		} else {
			unknown++
		}
	}
	return usd, unknown
}
