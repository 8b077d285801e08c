package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"
	"unicode/utf8"
)

// encodeStd is the state file written with encoding/json: the reference the hand-written
// encoder must match byte for byte.
func encodeStd(f *File) (head, tail []byte, err error) {
	if err := checkFile(f, true); err != nil {
		return nil, nil, err
	}
	records := make(map[string]*diskRecord, len(f.Records))
	for addr, r := range f.Records {
		records[addr] = recordToDisk(r)
	}
	jobs := make(map[string]*diskJob, len(f.Jobs))
	for addr, j := range f.Jobs {
		jobs[addr] = jobToDisk(j)
	}
	var b bytes.Buffer
	b.Grow(512 * (len(records) + 1))
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	put := func(key string, v any) error {
		b.WriteString("  \"" + key + "\": ")
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encoding state %s: %w", key, err)
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteString(",\n")
		return nil
	}
	b.WriteString("{\n")
	for _, kv := range []struct {
		key string
		v   any
	}{{"jobs", jobs}, {"lineage", f.Lineage}, {"records", records}} {
		if err := put(kv.key, kv.v); err != nil {
			return nil, nil, err
		}
	}
	b.WriteString("  \"serial\": ")
	tail = []byte(",\n  \"version\": " + strconv.Itoa(Version) + "\n}\n")
	return b.Bytes(), tail, nil
}

// marshalStd is Marshal through encodeStd.
func marshalStd(f *File) ([]byte, error) {
	head, tail, err := encodeStd(f)
	if err != nil {
		return nil, err
	}
	return assemble(head, f.Serial, tail), nil
}

func TestEncoderMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", "quote \" back\\slash", "<html> & 'x'", "tab\tnl\ncr\r\b\f\x00\x1f\x7f",
		"\u2028\u2029", "bad \xff\xfe utf8", "emoji 🎨 «ü»", string([]byte{0xed, 0xa0, 0x80})}
	vals := []any{nil, true, false, 0.0, -0.0, 1.0, 0.7, 1e-7, 1e21, 123456789.0, 1e20, -2.5e-300,
		float32(0.1), int(-3), int64(1 << 60), int32(7), uint64(1 << 63), []any{}, []any(nil),
		map[string]any{}, map[string]any(nil), []any{1.0, "a", []any{map[string]any{"z": nil, "a": []any{}}}},
		json.Number("12.50"), []string{"x", "<y>"}, map[string]int{"b": 1, "a": 2}, struct{ A int }{1}}
	f := sampleFile()
	r := f.Records["chat.tagline"]
	req := map[string]any{}
	for i, s := range strs {
		req[s] = s
		req[fmt.Sprintf("v%02d", i)] = s
	}
	for i, v := range vals {
		req[fmt.Sprintf("x%02d", i)] = v
	}
	req["nested"] = map[string]any{"list": vals}
	r.Request = req
	r.Text = strs[3] + strs[4] + strs[6]
	r.Output = &Output{Path: "a/b.txt", SHA256: hashOf('c'), Seconds: 1e-9, Size: math.MaxInt64}
	r.Cost = ptr(1e21)
	got, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := marshalStd(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("hand-written encoding differs from encoding/json:\n%s\n---\n%s", got, want)
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), func() {}} {
		r.Request = map[string]any{"x": bad}
		if _, err := Marshal(f); err == nil {
			t.Errorf("Marshal of %T succeeded", bad)
		}
	}
	for _, s := range strs {
		q := quoteJSON(s)
		var back string
		if err := json.Unmarshal(q, &back); err != nil || (utf8.ValidString(s) && back != s) {
			t.Errorf("quoteJSON(%q) = %s", s, q)
		}
	}
}
