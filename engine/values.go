package engine

import (
	"sync"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/zclconf/go-cty/cty"
)

// outputValues says how each instance attribute of asset's table is read from a record: the
// one place a new output attribute needs a line.
var outputValues = map[string]func(path string, rec *state.Record) cty.Value{
	"path":  func(path string, _ *state.Record) cty.Value { return cty.StringVal(path) },
	"model": func(_ string, rec *state.Record) cty.Value { return cty.StringVal(rec.Model) },
	"sha256": func(_ string, rec *state.Record) cty.Value {
		switch {
		case rec.Output != nil:
			return cty.StringVal(rec.Output.SHA256)
		case asset.IsText(rec.Kind):
			return cty.StringVal(sha256Hex([]byte(rec.Text)))
		}
		return cty.StringVal("")
	},
	"text": func(_ string, rec *state.Record) cty.Value { return cty.StringVal(rec.Text) },
	"mime_type": func(_ string, rec *state.Record) cty.Value {
		if rec.Output == nil {
			return cty.StringVal("")
		}
		return cty.StringVal(rec.Output.MediaType)
	},
	"width": func(_ string, rec *state.Record) cty.Value {
		if rec.Output == nil {
			return cty.NumberIntVal(0)
		}
		return cty.NumberIntVal(int64(rec.Output.Width))
	},
	"height": func(_ string, rec *state.Record) cty.Value {
		if rec.Output == nil {
			return cty.NumberIntVal(0)
		}
		return cty.NumberIntVal(int64(rec.Output.Height))
	},
	"seconds": func(_ string, rec *state.Record) cty.Value {
		if rec.Output == nil {
			return cty.NumberFloatVal(0)
		}
		return cty.NumberFloatVal(rec.Output.Seconds)
	},
}

// recordValue is the value other blocks see of an instance recorded in rec, whose output
// lives at path (the configured path, which a restore may have moved it to).
func recordValue(kind, path string, rec *state.Record) cty.Value {
	spec, _ := asset.Lookup(kind)
	attrs := make(map[string]cty.Value, len(spec.Outputs))
	for name := range spec.Outputs {
		attrs[name] = outputValues[name](path, rec)
	}
	v := cty.ObjectVal(attrs)
	conv, err := convertTo(v, schema.InstanceType(kind))
	if err != nil {
		panic("engine: instance value does not fit its type: " + err.Error())
	}
	return conv
}

// blocks assembles the values blocks present to expressions: a block's value is its
// instance's object, a list of them (count) or a map of them by key (for_each). A block's
// value is rebuilt only after one of its instances changed, so evaluating N instances that
// reference the same block costs O(N), not O(N^2).
type blocks struct {
	mu     sync.Mutex
	byAddr map[string]*blockValues
}

type blockValues struct {
	asset   *schema.Asset
	insts   []*instance
	current cty.Value // cty.NilVal when stale
}

func newBlocks() *blocks { return &blocks{byAddr: map[string]*blockValues{}} }

func (b *blocks) add(inst *instance) {
	addr := inst.si.Asset.Addr()
	bv := b.byAddr[addr]
	if bv == nil {
		bv = &blockValues{asset: inst.si.Asset}
		b.byAddr[addr] = bv
	}
	bv.insts = append(bv.insts, inst)
}

// declare makes sure a block with no instances (count = 0) still has a value.
func (b *blocks) declare(a *schema.Asset) {
	if b.byAddr[a.Addr()] == nil {
		b.byAddr[a.Addr()] = &blockValues{asset: a}
	}
}

// set records the value others see of inst (cty.NilVal: known only after apply) and marks its
// block's value stale.
func (b *blocks) set(inst *instance, v cty.Value) {
	b.mu.Lock()
	inst.value, inst.partial = v, cty.NilVal
	b.byAddr[inst.si.Asset.Addr()].current = cty.NilVal
	b.mu.Unlock()
}

// setPending records that inst's value is known only after apply, except what its
// configuration fixes already: its path and model, which a reference may read at plan time
// (reference = image.poster.path is a static path, not "known after apply").
func (b *blocks) setPending(inst *instance, path, model string) {
	ty := schema.InstanceType(inst.si.Asset.Kind)
	attrs := make(map[string]cty.Value, len(ty.AttributeTypes()))
	for name, t := range ty.AttributeTypes() {
		attrs[name] = cty.UnknownVal(t)
	}
	if path != "" || inst.si.Asset.Kind == "chat" {
		attrs["path"] = cty.StringVal(path)
	}
	if model != "" {
		attrs["model"] = cty.StringVal(model)
	}
	b.mu.Lock()
	inst.value = cty.NilVal
	inst.partial = cty.ObjectVal(attrs)
	b.byAddr[inst.si.Asset.Addr()].current = cty.NilVal
	b.mu.Unlock()
}

// known reports whether an instance's value is known.
func (b *blocks) known(in *instance) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return in.value != cty.NilVal
}

// scope builds the assets argument of schema.Config.Eval for the blocks refs name.
func (b *blocks) scope(refs []schema.Ref) map[string]map[string]cty.Value {
	if len(refs) == 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]map[string]cty.Value{}
	for _, r := range refs {
		bv := b.byAddr[r.Kind+"."+r.Name]
		if bv == nil {
			continue // schema reported the undeclared reference
		}
		if out[r.Kind] == nil {
			out[r.Kind] = map[string]cty.Value{}
		}
		if bv.current == cty.NilVal {
			bv.current = bv.build()
		}
		out[r.Kind][r.Name] = bv.current
	}
	return out
}

func (bv *blockValues) build() cty.Value {
	a := bv.asset
	ty := schema.InstanceType(a.Kind)
	switch {
	case a.Count != nil:
		if len(bv.insts) == 0 {
			return cty.ListValEmpty(ty)
		}
		vals := make([]cty.Value, len(bv.insts))
		for i, in := range bv.insts {
			vals[i] = in.valueOrUnknown()
		}
		return cty.ListVal(vals)
	case a.ForEach != nil:
		if len(bv.insts) == 0 {
			return cty.MapValEmpty(ty)
		}
		vals := make(map[string]cty.Value, len(bv.insts))
		for _, in := range bv.insts {
			vals[in.si.Key.AsString()] = in.valueOrUnknown()
		}
		return cty.MapVal(vals)
	}
	if len(bv.insts) == 0 {
		return cty.UnknownVal(ty)
	}
	return bv.insts[0].valueOrUnknown()
}
