package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/zclconf/go-cty/cty"
)

// hashVersion names the canonical encoding of an input hash. Changing what goes into the
// hash, or how, means a new version: every recorded hash then differs, visibly.
const hashVersion = "genform-input-v1"

// hashInput is everything an input hash covers. It is encoded as JSON with sorted keys
// (encoding/json sorts map keys), which is canonical for these value types.
type hashInput struct {
	Kind     string            `json:"kind"`
	Provider string            `json:"provider"` // the provider type, never credentials or URLs
	Model    string            `json:"model"`
	Key      any               `json:"key"`     // the instance key: each.key or count.index, nil for none
	Format   string            `json:"format"`  // the output path's extension: it picks the file format
	Request  map[string]any    `json:"request"` // resolved request fields, file names replaced by content hashes
	Files    map[string]string `json:"files"`   // files read while evaluating: name -> sha256
}

// inputHash is the hex sha256 of the canonical encoding of in.
func inputHash(in *hashInput) string {
	b, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("engine: encoding an input hash: %v", err)) // only JSON values go in
	}
	h := sha256.New()
	h.Write([]byte(hashVersion))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// jsonValue converts a known cty value into a JSON value: string, int64 (whole numbers),
// float64, bool, nil, []any, map[string]any. It reports false when v is not wholly known.
func jsonValue(v cty.Value) (any, bool) {
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		return nil, false
	}
	if v.IsNull() {
		return nil, true
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), true
	case t == cty.Number:
		return jsonNumber(v.AsBigFloat()), true
	case t == cty.Bool:
		return v.True(), true
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := make([]any, 0, v.LengthInt())
		known := true
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			j, ok := jsonValue(e)
			known = known && ok
			out = append(out, j)
		}
		return out, known
	case t.IsMapType() || t.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		known := true
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			j, ok := jsonValue(e)
			known = known && ok
			out[k.AsString()] = j
		}
		return out, known
	}
	return nil, false // capsule and dynamic-typed values carry nothing we can hash
}

// jsonNumber gives whole numbers as int64 and everything else as float64, so 8 and 8.0
// hash alike and the state file shows `8`, not `8.0`.
func jsonNumber(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	x, _ := f.Float64()
	return x
}

// sameJSON reports whether two JSON values are equal, comparing numbers by value (a value
// read back from a state file is float64 where a fresh one may be int64).
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string, bool:
		return a == b
	case int64, float64, int, json.Number:
		fx, okx := number(x)
		fy, oky := number(b)
		return okx && oky && fx == fy
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
