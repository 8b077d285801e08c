package planfile

import (
	"github.com/genform/genform/engine"
	"github.com/genform/genform/providers"
)

// Change is one instance's change as a saved plan (and plan -json) holds it.
type Change struct {
	Address  string        `json:"address"`
	Kind     string        `json:"kind"`
	Provider string        `json:"provider,omitempty"`
	Model    string        `json:"model,omitempty"`
	Action   engine.Action `json:"action"`
	Reasons  []string      `json:"reasons,omitempty"`
	Paid     bool          `json:"paid"`
	Cost     *float64      `json:"cost_usd"` // null: unknown
	Diff     []AttrDiff    `json:"diff,omitempty"`
	Before   *Side         `json:"before"`
	After    *Side         `json:"after"`
	Resume   string        `json:"resume_job,omitempty"`
	Moved    string        `json:"moved_from,omitempty"` // the address a moved block renamed it from
	// Shared: a restore from the shared cache rather than the local one.
	Shared bool `json:"from_shared_cache,omitempty"`
}

// Side is what an instance is before or after its change.
type Side struct {
	InputHash string         `json:"input_hash,omitempty"`
	Path      string         `json:"path,omitempty"`
	SHA256    string         `json:"sha256,omitempty"`
	Request   map[string]any `json:"request,omitempty"`
	Unknown   []string       `json:"unknown,omitempty"`
}

// AttrDiff is one changed request attribute.
type AttrDiff struct {
	Name    string `json:"name"`
	Before  any    `json:"before"`
	After   any    `json:"after"`
	Unknown bool   `json:"unknown,omitempty"`
}

// FromEngine is the saved form of a planned change.
func FromEngine(ch *engine.Change) Change {
	j := Change{
		Address: ch.Addr, Kind: ch.Kind, Provider: ch.Provider, Model: ch.Model,
		Action: ch.Action, Reasons: ch.Reasons, Paid: ch.Charged(), Resume: ch.ResumeJob,
		Moved:  ch.MovedFrom,
		Shared: ch.FromShared,
	}
	if ch.Cost.Known {
		usd := ch.Cost.USD
		if !ch.Action.Paid() {
			usd = 0
		}
		j.Cost = &usd
	}
	for _, d := range ch.Diff {
		j.Diff = append(j.Diff, AttrDiff{Name: d.Name, Before: d.Before, After: d.After, Unknown: d.Unknown})
	}
	if b := ch.Before; b != nil {
		j.Before = &Side{InputHash: b.InputHash, Request: b.Request}
		if b.Output != nil {
			j.Before.Path, j.Before.SHA256 = b.Output.Path, b.Output.SHA256
		}
	}
	if ch.Action != engine.Delete {
		j.After = &Side{InputHash: ch.InputHash, Path: ch.Path, Request: ch.Request, Unknown: ch.Unknown}
		if ch.From != nil && ch.From.Output != nil {
			j.After.SHA256 = ch.From.Output.SHA256
		}
	}
	return j
}

// Engine rebuilds the change as the engine describes it, for showing a saved plan. It is
// not something apply can run: apply plans again and compares (Check).
func (j Change) Engine() *engine.Change {
	ch := &engine.Change{
		Addr: j.Address, Kind: j.Kind, Provider: j.Provider, Model: j.Model,
		Action: j.Action, Reasons: j.Reasons, ResumeJob: j.Resume,
		MovedFrom:  j.Moved,
		FromShared: j.Shared,
	}
	if j.Cost != nil {
		ch.Cost = providers.Price{USD: *j.Cost, Known: true}
	}
	for _, d := range j.Diff {
		ch.Diff = append(ch.Diff, engine.AttrDiff{Name: d.Name, Before: d.Before, After: d.After, Unknown: d.Unknown})
	}
	if a := j.After; a != nil {
		ch.InputHash, ch.Path, ch.Request, ch.Unknown = a.InputHash, a.Path, a.Request, a.Unknown
	}
	return ch
}

// InputHash is the input hash the change was planned with: the new one, or for a delete the
// recorded one.
func (j Change) InputHash() string {
	switch {
	case j.After != nil:
		return j.After.InputHash
	case j.Before != nil:
		return j.Before.InputHash
	}
	return ""
}
