package engine

import (
	"testing"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/state"
)

// Every instance attribute of asset's table is read from a record.
func TestOutputValuesCoverAssetKinds(t *testing.T) {
	for _, k := range asset.Kinds() {
		spec, _ := asset.Lookup(string(k))
		for name := range spec.Outputs {
			if outputValues[name] == nil {
				t.Errorf("%s instances have %s, which no outputValues row reads", k, name)
			}
		}
		// and the value fits the declared type, with and without an output file
		recordValue(string(k), "out/x", &state.Record{Kind: string(k)})
		recordValue(string(k), "out/x", &state.Record{Kind: string(k), Output: &state.Output{SHA256: "ab"}})
	}
}
