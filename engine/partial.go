package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// partialVersion names the format and the meaning of a PartialRecord.
const partialVersion = "genform-partial-v3"

// PartialRecord lets a plan whose configuration changed in a few blocks parse, evaluate and
// plan only those blocks, the blocks that read them (transitively) and what all of these
// read, and know every other instance unchanged (.genform/partial.gob). It is written after
// a whole plan that printed no diagnostic, and holds:
//
//   - Inputs: what a no-op record covers but the configuration files and the outputs (the
//     key, the environment, the state file, var files, every file the configuration or the
//     plan read); all of it must be the same, else the record is not used;
//   - per configuration file, its top-level pieces (schema.TopLevelPieces) by content
//     hash: which blocks each declares, or that it declares something other than assets
//     (those must all be there, unchanged);
//   - per asset block, the blocks it references, and whether the plan found every one of
//     its instances unchanged (Vouched), with each instance's address and output.
//
// Like the no-op record it is working data: without it, plan does the whole work.
type PartialRecord struct {
	Version    string
	Inputs     *NoopRecord
	Files      []PartialFile  // name order
	Assets     []PartialAsset // declaration order (a slice: gob decodes it faster than a map)
	OutputRefs []string       // the blocks output blocks reference

	rest *gob.Decoder // of a record read: decodes the rest (partialBody) once Inputs held
}

// The record is written as two gob values, so that a plan whose inputs changed (the first
// after an apply) reads only the first, small one.
type partialHead struct {
	Version string
	Inputs  *NoopRecord
}

type partialBody struct {
	Files      []PartialFile
	Assets     []PartialAsset
	OutputRefs []string
}

// PartialFile is one configuration file as the recorded plan read it.
type PartialFile struct {
	Name   string
	SHA    string // of the whole file
	Pieces []PartialPiece
	Blank  []string // hashes of pieces that declared nothing (blank lines, comments)
}

// PartialPiece is one top-level piece that declares something.
type PartialPiece struct {
	SHA        string // sha256 of the piece's bytes (raw)
	Start, End int
	Other      bool     // declares something other than assets (variable, locals, provider, ...)
	Assets     []string // the asset blocks it declares, in order
}

// PartialAsset is one asset block as the recorded plan planned it.
type PartialAsset struct {
	Addr    string
	Refs    []string // the blocks it references, as blockOrder follows them
	Vouched bool     // every instance was a no-op, not moved
	Insts   []PartialInst
}

// PartialInst is one instance of a vouched block: its address and its output as planned.
type PartialInst struct {
	Addr   string // "" when it is the block's (no count or for_each)
	Path   string // project-relative; "" for a chat without one
	Size   int64
	SHA256 []byte // raw
}

func pieceSHA(b []byte) string {
	s := sha256.Sum256(b)
	return string(s[:])
}

// NewPartialRecord makes the partial record of a whole plan (made by NewPlan, without
// -target or -replace) that printed no diagnostic; the arguments are NewNoopRecord's. ok is
// false when the configuration is one the record cannot stand for: a JSON file, moved
// blocks, a shared cache or backend, a top-level argument, a file its pieces do not cut
// cleanly, or inputs that changed while they were read.
func NewPartialRecord(key string, cfg *schema.Config, plan *Plan, stateSHA string, envNames []string, getenv func(string) (string, bool)) (*PartialRecord, bool) {
	p := plan.planner
	if p == nil || len(plan.Targets) > 0 || len(plan.Replace) > 0 || len(plan.Moves) > 0 || len(cfg.Moved) > 0 ||
		cfg.Cache != nil || cfg.Settings.Backend != nil {
		return nil, false
	}
	inputs, ok := planInputs(key, cfg, plan, stateSHA, envNames, getenv)
	if !ok {
		return nil, false
	}
	return newPartial(cfg, inputs, func(a *schema.Asset, addr string) (PartialInst, bool, bool) {
		in := p.insts[addr]
		if in == nil || in.change == nil {
			return PartialInst{}, false, false
		}
		ch := in.change
		if ch.Action != NoOp || ch.MovedFrom != "" || ch.refresh || in.invalid {
			return PartialInst{}, false, true
		}
		if ch.Path != "" && (ch.Before == nil || ch.Before.Output == nil) {
			return PartialInst{}, false, false
		}
		pi, ok := partialInst(addr, a, ch.Path, ch.Before)
		return pi, ok, ok
	})
}

// partialInst is the record of the instance addr of a whose output is rec's, at path.
// ok is false when rec does not hold an output at path.
func partialInst(addr string, a *schema.Asset, path string, rec *state.Record) (PartialInst, bool) {
	pi := PartialInst{Addr: addr, Path: path}
	if addr == a.Addr() {
		pi.Addr = ""
	}
	if path == "" {
		return pi, true
	}
	if rec == nil || rec.Output == nil || rec.Output.Path != path {
		return pi, false
	}
	sha, err := hex.DecodeString(rec.Output.SHA256)
	if err != nil {
		return pi, false
	}
	pi.Size, pi.SHA256 = rec.Output.Size, sha
	return pi, true
}

// newPartial makes a partial record of the configuration cfg from the record of what its
// plan read and from inst, which says of each instance of every asset block its record,
// whether it is known unchanged (vouched), and ok false when no record can be made at all.
func newPartial(cfg *schema.Config, inputs *NoopRecord, inst func(a *schema.Asset, addr string) (pi PartialInst, vouched, ok bool)) (*PartialRecord, bool) {
	r := &PartialRecord{Version: partialVersion, Inputs: inputs, Assets: make([]PartialAsset, 0, len(cfg.Assets))}
	names := make([]string, 0, len(cfg.Files))
	for name := range cfg.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pf, ok := recordFile(name, cfg.Files[name].Bytes, cfg.Files[name].Body)
		if !ok {
			return nil, false
		}
		r.Files = append(r.Files, pf)
	}
	for _, a := range cfg.Assets {
		pa := PartialAsset{Addr: a.Addr(), Refs: assetRefs(a), Vouched: true}
		for _, si := range a.Instances {
			pi, vouched, ok := inst(a, si.Addr)
			if !ok {
				return nil, false
			}
			if !vouched {
				pa.Vouched = false
				pa.Insts = nil
				break
			}
			pa.Insts = append(pa.Insts, pi)
		}
		for _, in := range pa.Insts {
			delete(inputs.Paths, in.Path) // its contents are checked, which says it is a file
		}
		r.Assets = append(r.Assets, pa)
	}
	for _, o := range cfg.Outputs {
		for _, ref := range o.Refs {
			r.OutputRefs = append(r.OutputRefs, ref.Kind+"."+ref.Name)
		}
	}
	return r, true
}

// assetRefs are the blocks a references, as blockOrder follows them.
func assetRefs(a *schema.Asset) []string {
	out := make([]string, 0, len(a.Refs))
	for _, r := range a.Refs {
		out = append(out, r.Kind+"."+r.Name)
	}
	return out
}

// recordFile cuts a parsed configuration file into its top-level pieces and says what each
// declares. ok is false for a file the record cannot stand for.
func recordFile(name string, src []byte, body any) (PartialFile, bool) {
	pf := PartialFile{Name: name, SHA: sha256Hex(src)}
	b, ok := body.(*hclsyntax.Body)
	if !ok || !strings.HasSuffix(name, schema.SuffixHCL) || len(b.Attributes) > 0 {
		return pf, false
	}
	starts, ok := schema.TopLevelPieces(src)
	if !ok {
		return pf, false
	}
	pieces := make([]PartialPiece, len(starts))
	for i, s := range starts {
		end := len(src)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		pieces[i] = PartialPiece{Start: s, End: end}
	}
	declares := make([]bool, len(pieces))
	for _, blk := range b.Blocks {
		at := blk.Range().Start.Byte
		i := sort.SearchInts(starts, at+1) - 1
		if i < 0 || blk.Range().End.Byte > pieces[i].End {
			return pf, false // a block across pieces: the cut is not one the record can use
		}
		declares[i] = true
		if asset.Known(blk.Type) && len(blk.Labels) == 1 {
			pieces[i].Assets = append(pieces[i].Assets, blk.Type+"."+blk.Labels[0])
		} else {
			pieces[i].Other = true
		}
	}
	seen := map[string]bool{}
	blank := map[string]bool{}
	for i := range pieces {
		sha := pieceSHA(src[pieces[i].Start:pieces[i].End])
		if !declares[i] {
			if !blank[sha] {
				blank[sha] = true
				pf.Blank = append(pf.Blank, sha)
			}
			continue
		}
		if seen[sha] {
			return pf, false // two pieces alike would be one declaration twice
		}
		seen[sha] = true
		pieces[i].SHA = sha
		pf.Pieces = append(pf.Pieces, pieces[i])
	}
	for _, sha := range pf.Blank {
		if seen[sha] {
			return pf, false
		}
	}
	return pf, true
}

// WritePartialRecord writes r to path atomically, without waiting for the disk: a record a
// power cut damaged does not read back, and the next plan is a whole one.
func WritePartialRecord(path string, r *PartialRecord) error {
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	if err := enc.Encode(partialHead{Version: r.Version, Inputs: r.Inputs}); err != nil {
		return err
	}
	if err := enc.Encode(partialBody{Files: r.Files, Assets: r.Assets, OutputRefs: r.OutputRefs}); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return state.WriteRecordAtomic(path, buf.Bytes(), 0o644)
}

// ReadPartialRecord reads the record at path, but for what Select reads once the inputs
// held; nil when there is none or it cannot be read.
func ReadPartialRecord(path string) *PartialRecord {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	dec := gob.NewDecoder(bytes.NewReader(b))
	var h partialHead
	if err := dec.Decode(&h); err != nil || h.Version != partialVersion || h.Inputs == nil {
		return nil
	}
	return &PartialRecord{Version: h.Version, Inputs: h.Inputs, rest: dec}
}

// readRest reads the rest of a record read from a file; false when it cannot be read.
func (r *PartialRecord) readRest() bool {
	if r.rest == nil {
		return true // made in memory
	}
	var b partialBody
	if err := r.rest.Decode(&b); err != nil {
		return false
	}
	r.rest = nil
	r.Files, r.Assets, r.OutputRefs = b.Files, b.Assets, b.OutputRefs
	return true
}

// StateHolds reports whether the state file is still the one the record was made with.
func (r *PartialRecord) StateHolds(dir string, stat *state.StatCache) bool {
	return r.Inputs.stateHolds(dir, stat)
}
