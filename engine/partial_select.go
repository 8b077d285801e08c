package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Selection is what a partial record says of the configuration as it is now: the pieces to
// load (Files, for schema.LoadOptions.Select) and what Merge needs to make the whole plan's
// changes from the plan of those pieces.
type Selection struct {
	Files map[string]schema.SelectedFile

	changed  map[string]bool   // blocks to plan again: new or edited, not vouched, and every block reading one
	decl     []declared        // every block declared now, in declaration order
	vouched  map[string]bool   // instance addresses known unchanged, not loaded
	outPaths map[string]bool   // their output paths
	read     map[string]string // files the recorded configuration and plan read
}

// piece is one top-level piece of a configuration file as it is now.
type piece struct {
	rng    schema.PieceRange
	rec    *PartialPiece // the recorded piece of the same bytes; nil when new
	assets []string      // of a new piece
	refs   map[string][]string
}

// Select checks everything the record rests on but the configuration's asset pieces and
// says which pieces to load. sources are the folder's configuration files now, by name.
// ok is false when the record cannot vouch for the plan: a whole plan is needed.
func (r *PartialRecord) Select(dir, key, journal string, sources map[string][]byte, stat *state.StatCache, getenv func(string) (string, bool)) (*Selection, bool) {
	if r == nil || !r.Inputs.inputsHold(dir, key, journal, stat, getenv) || !r.readRest() {
		return nil, false
	}
	recorded := make(map[string]*PartialFile, len(r.Files))
	for i := range r.Files {
		recorded[r.Files[i].Name] = &r.Files[i]
	}
	pieces := map[string][]piece{}
	consumed := map[*PartialPiece]bool{}
	for name, src := range sources {
		ps, ok := filePieces(name, src, recorded[name], consumed)
		if !ok {
			return nil, false
		}
		pieces[name] = ps
	}
	n := len(r.Assets)
	s := &Selection{Files: map[string]schema.SelectedFile{}, changed: map[string]bool{},
		vouched: make(map[string]bool, n), outPaths: make(map[string]bool, n), read: r.Inputs.Files,
		decl: make([]declared, 0, n)}
	// seeds: the blocks of pieces gone or edited
	for _, f := range r.Files {
		for i := range f.Pieces {
			if pp := &f.Pieces[i]; !consumed[pp] {
				if pp.Other {
					return nil, false // a variable, provider, locals, ... changed: plan it all
				}
				for _, a := range pp.Assets {
					s.changed[a] = true
				}
			}
		}
	}
	assets := make(map[string]*PartialAsset, n)
	for i := range r.Assets {
		assets[r.Assets[i].Addr] = &r.Assets[i]
	}
	refs, ok := s.declare(sources, pieces, assets)
	if !ok {
		return nil, false
	}
	s.closeOver(refs)
	load := s.upstreams(refs, r.OutputRefs)
	for name, src := range sources {
		sel := schema.SelectedFile{Src: src}
		for _, pc := range pieces[name] {
			if pc.rec != nil && pc.rec.Other || pc.wanted(load) {
				sel.Pieces = append(sel.Pieces, pc.rng)
			}
		}
		s.Files[name] = sel
	}
	return s, s.vouch(dir, load, assets, stat)
}

// declare lists every block declared now in declaration order, with what it references
// (as recorded, or as a new piece's over-approximation), and marks changed the new blocks
// and those the record does not vouch for. ok is false for a block declared twice or one
// the record does not know.
func (s *Selection) declare(sources map[string][]byte, pieces map[string][]piece, assets map[string]*PartialAsset) (map[string][]string, bool) {
	refs := make(map[string][]string, len(assets)) // of every block declared now
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		for i := range pieces[name] {
			pc := &pieces[name][i]
			list, isNew := pc.assets, pc.rec == nil
			if !isNew {
				list = pc.rec.Assets
			}
			for _, a := range list {
				if _, twice := refs[a]; twice {
					return nil, false // declared twice: the whole plan says so
				}
				pa := assets[a]
				switch {
				case isNew:
					refs[a] = pc.refs[a]
					s.changed[a] = true
				case pa == nil:
					return nil, false
				default:
					refs[a] = pa.Refs
					if !pa.Vouched {
						s.changed[a] = true
					}
				}
				s.decl = append(s.decl, declared{addr: a, refs: refs[a], isNew: isNew})
			}
		}
	}
	return refs, true
}

// vouch takes every instance of the blocks not loaded as unchanged, and checks their
// outputs; false when one is not as recorded.
func (s *Selection) vouch(dir string, load map[string]bool, assets map[string]*PartialAsset, stat *state.StatCache) bool {
	var outs []PartialInst
	for _, d := range s.decl {
		if load[d.addr] {
			continue
		}
		for _, in := range assets[d.addr].Insts {
			if in.Addr == "" {
				in.Addr = d.addr
			}
			s.vouched[in.Addr] = true
			if in.Path != "" {
				s.outPaths[in.Path] = true
				outs = append(outs, in)
			}
		}
	}
	return outputsHold(dir, outs, stat)
}

// outputsHold checks the outputs of the instances known unchanged, on every core (each
// check is a stat, mostly).
func outputsHold(dir string, outs []PartialInst, stat *state.StatCache) bool {
	var next atomic.Int64
	var bad atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(outs)/planBatch+1) {
		wg.Go(func() {
			for !bad.Load() {
				end := int(next.Add(planBatch))
				start := end - planBatch
				if start >= len(outs) {
					return
				}
				for _, in := range outs[start:min(end, len(outs))] {
					if !outputHolds(dir, in, stat) {
						bad.Store(true)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return !bad.Load()
}

// Vouched reports whether the instance address is one the record knows unchanged, which
// the plan of the pieces does not plan.
func (s *Selection) Vouched(addr string) bool { return s.vouched[addr] }

// wanted reports whether the piece declares a block to load.
func (pc *piece) wanted(load map[string]bool) bool {
	list := pc.assets
	if pc.rec != nil {
		list = pc.rec.Assets
	}
	for _, a := range list {
		if load[a] {
			return true
		}
	}
	return false
}

// closeOver adds to changed every block that reads a changed one, transitively.
func (s *Selection) closeOver(refs map[string][]string) {
	readers := map[string][]string{}
	for a, rs := range refs {
		for _, up := range rs {
			readers[up] = append(readers[up], a)
		}
	}
	queue := slices.Collect(maps.Keys(s.changed))
	for len(queue) > 0 {
		a := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, d := range readers[a] {
			if !s.changed[d] {
				s.changed[d] = true
				queue = append(queue, d)
			}
		}
	}
}

// upstreams are the blocks to load: the changed ones and everything they and the output
// blocks read, transitively.
func (s *Selection) upstreams(refs map[string][]string, outputRefs []string) map[string]bool {
	load := map[string]bool{}
	var queue []string
	add := func(a string) {
		if _, declared := refs[a]; declared && !load[a] {
			load[a] = true
			queue = append(queue, a)
		}
	}
	for a := range s.changed {
		add(a)
	}
	for _, a := range outputRefs {
		add(a)
	}
	for len(queue) > 0 {
		a := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, up := range refs[a] {
			add(up)
		}
	}
	return load
}

// outputHolds checks one output file as plan does: one stat when the stat cache knows it.
func outputHolds(dir string, in PartialInst, stat *state.StatCache) bool {
	if stat == nil {
		return false
	}
	abs := filepath.Join(dir, filepath.FromSlash(in.Path))
	size, unchanged, sha, err := stat.Stat(abs)
	switch {
	case err != nil || size != in.Size:
		return false
	case unchanged:
		return sameSHA(sha, in.SHA256)
	}
	got, _, err := stat.Hash(abs)
	return err == nil && sameSHA(got, in.SHA256)
}

// sameSHA reports whether the hex digest and the raw one are the same.
func sameSHA(hexSHA string, raw []byte) bool {
	b, err := hex.DecodeString(hexSHA)
	return err == nil && len(raw) == sha256.Size && string(b) == string(raw)
}

// filePieces cuts a configuration file into its pieces and finds each one in the recorded
// file (marking it consumed); a new piece is parsed to learn the blocks it declares and
// what they may reference. ok is false when the file is not one a partial plan can read.
func filePieces(name string, src []byte, rec *PartialFile, consumed map[*PartialPiece]bool) ([]piece, bool) {
	if !strings.HasSuffix(name, schema.SuffixHCL) {
		return nil, false
	}
	var ps []piece
	if rec != nil && rec.SHA == sha256Hex(src) {
		for i := range rec.Pieces {
			pp := &rec.Pieces[i]
			consumed[pp] = true
			ps = append(ps, piece{rng: schema.PieceRange{Start: pp.Start, End: pp.End}, rec: pp})
		}
		return ps, true
	}
	starts, ok := schema.TopLevelPieces(src)
	if !ok {
		return nil, false
	}
	bySHA := map[string]*PartialPiece{}
	blank := map[string]bool{}
	if rec != nil {
		for i := range rec.Pieces {
			bySHA[rec.Pieces[i].SHA] = &rec.Pieces[i]
		}
		for _, b := range rec.Blank {
			blank[b] = true
		}
	}
	for i, start := range starts {
		end := len(src)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		sha := pieceSHA(src[start:end])
		if blank[sha] {
			continue
		}
		pc := piece{rng: schema.PieceRange{Start: start, End: end}}
		if pp := bySHA[sha]; pp != nil && !consumed[pp] {
			consumed[pp] = true
			pc.rec = pp
		} else if !newPiece(&pc, src[start:end]) {
			return nil, false
		} else if len(pc.assets) == 0 {
			continue // declares nothing
		}
		ps = append(ps, pc)
	}
	return ps, true
}

// newPiece parses a piece not in the record: it must parse cleanly and declare only asset
// blocks. refs over-approximates what each block references: every kind.name traversal.
func newPiece(pc *piece, src []byte) bool {
	f, diags := hclsyntax.ParseConfig(src, "piece", hcl.InitialPos)
	if diags != nil || f == nil {
		return false
	}
	body := f.Body.(*hclsyntax.Body)
	if len(body.Attributes) > 0 {
		return false
	}
	pc.refs = map[string][]string{}
	for _, b := range body.Blocks {
		if !asset.Known(b.Type) || len(b.Labels) != 1 {
			return false
		}
		addr := b.Type + "." + b.Labels[0]
		pc.assets = append(pc.assets, addr)
		var refs []string
		hclsyntax.VisitAll(b.Body, func(n hclsyntax.Node) hcl.Diagnostics {
			if t, ok := n.(*hclsyntax.ScopeTraversalExpr); ok && len(t.Traversal) > 1 && asset.Known(t.Traversal.RootName()) {
				if step, ok := t.Traversal[1].(hcl.TraverseAttr); ok {
					refs = append(refs, t.Traversal.RootName()+"."+step.Name)
				}
			}
			return nil
		})
		pc.refs[addr] = refs
	}
	return true
}

// Merge makes the whole plan's changes from the plan of the selected pieces: the changes
// of the changed blocks, in the order the whole configuration gives them, then the deletes
// of recorded instances declared nowhere. ok is false when the plan of the pieces shows
// something the record did not foresee (a loaded block that is not a no-op, an output path
// or input file shared with a block not loaded): a whole plan is needed.
func (s *Selection) Merge(cfg *schema.Config, plan *Plan) (Changes, bool) {
	p := plan.planner
	if p == nil || len(plan.Moves) > 0 {
		return nil, false
	}
	byAddr := map[string]*schema.Asset{}
	for _, a := range cfg.Assets {
		byAddr[a.Addr()] = a
	}
	index := s.order(byAddr)
	if index == nil {
		return nil, false
	}
	var kept Changes
	for _, in := range p.order {
		ch, a := in.change, in.si.Asset.Addr()
		switch {
		case s.vouched[ch.Addr] || s.outPaths[ch.Path] || s.read[ch.Path] != "":
			return nil, false
		case in.req != nil && slices.ContainsFunc(in.req.files, func(f string) bool { return s.outPaths[f] }):
			return nil, false
		case s.changed[a]:
			kept = append(kept, ch)
		case ch.Action != NoOp || ch.MovedFrom != "":
			return nil, false
		}
	}
	slices.SortStableFunc(kept, func(x, y *Change) int {
		return index[p.insts[x.Addr].si.Asset.Addr()] - index[p.insts[y.Addr].si.Asset.Addr()]
	})
	for _, ch := range plan.Changes {
		if ch.Action == Delete && !s.vouched[ch.Addr] {
			kept = append(kept, ch)
		}
	}
	return kept, true
}

// order is the position of every block in the whole configuration's dependency order
// (blockOrder's), from the recorded references of the blocks not loaded and the loaded
// ones' own; nil when a new block was not loaded.
func (s *Selection) order(byAddr map[string]*schema.Asset) map[string]int {
	decl := make([]declared, len(s.decl))
	for i, d := range s.decl {
		decl[i] = d
		if a := byAddr[d.addr]; a != nil {
			decl[i].refs = assetRefs(a)
		} else if d.isNew {
			return nil
		}
	}
	index := make(map[string]int, len(decl))
	for i, at := range dependencyOrder(decl, func(int) {}) {
		index[decl[at].addr] = i
	}
	return index
}
