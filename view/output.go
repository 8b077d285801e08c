package view

import (
	"fmt"
	"maps"
	"slices"
)

// OutputValue is one output's value as genform output shows it.
type OutputValue struct {
	Value     any  `json:"value"`
	Sensitive bool `json:"sensitive"`
	Known     bool `json:"known"`
}

// Outputs shows output values (genform output).
type Outputs interface {
	// One shows a single output, as a script reads it.
	One(o OutputValue)
	// All shows every output by name.
	All(all map[string]OutputValue)
}

// NewOutputs is the outputs view a command chose.
func NewOutputs(v *View, asJSON bool) Outputs {
	if asJSON {
		return outputsJSON{v}
	}
	return outputsText{v}
}

type outputsJSON struct{ v *View }

func (o outputsJSON) One(x OutputValue)              { o.v.JSON(x.Value) }
func (o outputsJSON) All(all map[string]OutputValue) { o.v.JSON(all) }

type outputsText struct{ v *View }

func (o outputsText) One(x OutputValue) {
	switch s, ok := x.Value.(string); {
	case !x.Known:
		fmt.Fprintln(o.v.Stdout, "(known after apply)")
	case ok:
		fmt.Fprintln(o.v.Stdout, s)
	default:
		o.v.JSON(x.Value)
	}
}

func (o outputsText) All(all map[string]OutputValue) {
	if len(all) == 0 {
		fmt.Fprintln(o.v.Stdout, "No outputs are declared.")
		return
	}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		x := all[name]
		v := "(known after apply)"
		switch {
		case x.Sensitive:
			v = "(sensitive)"
		case x.Known:
			v = JSONText(x.Value)
		}
		fmt.Fprintf(o.v.Stdout, "%s = %s\n", name, v)
	}
}
