package view

import (
	"fmt"
	"maps"
	"slices"

	"github.com/genform/genform/state"
)

// State shows the state (genform show): as text, a block per recorded instance and the
// recorded cost; as JSON, the state file's own form (without a lineage while written is false:
// no state has been written yet, so there is none).
type State interface {
	State(st *state.File, written bool) error
}

// NewState is the state view a command chose.
func NewState(v *View, asJSON bool) State {
	if asJSON {
		return stateJSON{v}
	}
	return stateText{v}
}

type stateJSON struct{ v *View }

func (s stateJSON) State(st *state.File, written bool) error {
	marshal := state.Marshal
	if !written {
		marshal = state.MarshalUnwritten
	}
	b, err := marshal(st)
	if err != nil {
		return err
	}
	_, err = s.v.Stdout.Write(b)
	return err
}

type stateText struct{ v *View }

func (s stateText) State(st *state.File, _ bool) error {
	w := s.v.Stdout
	if len(st.Records) == 0 {
		fmt.Fprintln(w, "The state is empty: nothing has been generated yet.")
		return nil
	}
	var total float64
	unknown := 0
	for _, addr := range slices.Sorted(maps.Keys(st.Records)) {
		r := st.Records[addr]
		s.v.Record(r)
		fmt.Fprintln(w)
		if r.Cost != nil {
			total += *r.Cost
		} else {
			unknown++
		}
	}
	fmt.Fprintf(w, "%d instances, recorded cost %s.\n", len(st.Records), CostText(total, unknown))
	return nil
}

// Record shows one recorded instance (show, state show).
func (v *View) Record(r *state.Record) {
	w := v.Stdout
	fmt.Fprintf(w, "# %s\n", r.Addr)
	row := func(k string, v any) { fmt.Fprintf(w, "  %-14s = %v\n", k, v) }
	row("kind", r.Kind)
	row("provider", r.Provider)
	row("model", r.Model)
	if o := r.Output; o != nil {
		row("path", o.Path)
		row("sha256", o.SHA256)
		row("size", ByteSize(o.Size))
		row("media_type", o.MediaType)
		if o.Width > 0 {
			row("dimensions", fmt.Sprintf("%dx%d", o.Width, o.Height))
		}
		if o.Seconds > 0 {
			row("seconds", o.Seconds)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Request)) {
		row(k, ValueText(r.Request[k]))
	}
	if r.Text != "" {
		row("text", ValueText(r.Text))
	}
	if r.RevisedPrompt != "" {
		row("revised_prompt", ValueText(r.RevisedPrompt))
	}
	if r.Cost != nil {
		row("cost", fmt.Sprintf("$%.2f", *r.Cost))
	} else {
		row("cost", "unknown")
	}
	if r.JobID != "" {
		row("job_id", r.JobID)
	}
	row("input_hash", r.InputHash)
	row("generated_at", r.GeneratedAt.Format("2006-01-02 15:04:05 MST"))
}
