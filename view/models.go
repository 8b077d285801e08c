package view

import "fmt"

// Models shows the model ids a gateway offers (genform models): one per line, or a JSON
// array.
type Models interface {
	List(ids []string)
}

// NewModels is the models view a command chose.
func NewModels(v *View, asJSON bool) Models {
	if asJSON {
		return modelsJSON{v}
	}
	return modelsText{v}
}

type modelsJSON struct{ v *View }

func (m modelsJSON) List(ids []string) {
	if ids == nil {
		ids = []string{}
	}
	m.v.JSON(ids)
}

type modelsText struct{ v *View }

func (m modelsText) List(ids []string) {
	for _, id := range ids {
		fmt.Fprintln(m.v.Stdout, id)
	}
}
