package engine

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/providers"
	"github.com/genform/genform/schema"
	"github.com/genform/genform/state"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Options are what a plan needs beyond configuration and state.
type Options struct {
	// Providers by provider address ("wisdomgate", "wisdomgate.fast", "offline"); see
	// NewProviders.
	Providers map[string]providers.Provider
	// Stat hashes input and output files without re-reading unchanged ones; nil reads them.
	Stat *state.StatCache
	// Targets limits the plan to these addresses and what they depend on.
	Targets []string
	// Replace forces these addresses to be generated again even when nothing changed.
	Replace []string
	// Shared is the shared output cache behind the local one; nil when there is none.
	Shared Shared
}

// instance is one planned instance: its configuration, its change and the value other blocks
// see of it.
type instance struct {
	si       *schema.Instance
	change   *Change
	provider providers.Provider
	provType string
	req      *request
	value    cty.Value       // known value, or cty.NilVal while it is known only after apply; guarded by blocks.mu
	partial  cty.Value       // while value is cty.NilVal: what is known of it before apply (path, model), or cty.NilVal; guarded by blocks.mu
	invalid  bool            // evaluation failed: not planned
	diags    hcl.Diagnostics // of the latest planning of this instance
}

func (in *instance) valueOrUnknown() cty.Value {
	switch {
	case in.value != cty.NilVal:
		return in.value
	case in.partial != cty.NilVal:
		return in.partial
	}
	return cty.UnknownVal(schema.InstanceType(in.si.Asset.Kind))
}

type planner struct {
	cfg *schema.Config
	// records and jobs are the state as planned against; apply changes the state, not these,
	// so instances planned again at apply time compare with what was there before
	records map[string]*state.Record
	jobs    map[string]*state.Job
	// jobsByHash finds a receipt by input hash whatever address recorded it; built once
	jobsByHash map[string]*state.Job
	jobsOnce   sync.Once
	cache      *state.Cache
	opts       Options
	files      *fileHasher
	blocks     *blocks
	insts      map[string]*instance
	order      []*instance // dependency order
	// paths of outputs this plan knows: path -> sha256 for known ones, "" for outputs that
	// will be generated (unknown until apply).
	outputs map[string]string
	mu      sync.Mutex // guards outputs: apply plans instances again concurrently
	diags   hcl.Diagnostics
	replace func(*schema.Instance) bool
}

// NewPlan compares the configuration with the state and says, for every instance, what apply
// would do and why. It reads files (through opts.Stat) but never the network, and writes
// nothing.
func NewPlan(cfg *schema.Config, st *state.File, cache *state.Cache, opts Options) (*Plan, hcl.Diagnostics) {
	p := &planner{
		cfg:     cfg,
		records: maps.Clone(st.Records),
		jobs:    maps.Clone(st.Jobs),
		cache:   cache,
		opts:    opts,
		files:   newFileHasher(cfg.Dir, opts.Stat),
		blocks:  newBlocks(),
		insts:   make(map[string]*instance, len(cfg.Instances)),
		outputs: map[string]string{},
	}
	order, diags := blockOrder(cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	moves, mdiags := resolveMoves(cfg.Moved, p.records, p.jobs)
	diags = append(diags, mdiags...)
	byAsset := map[*schema.Asset][]*instance{}
	for _, si := range cfg.Instances {
		in := &instance{si: si}
		p.insts[si.Addr] = in
		byAsset[si.Asset] = append(byAsset[si.Asset], in)
		p.blocks.add(in)
	}
	for _, a := range cfg.Assets {
		p.blocks.declare(a)
	}
	targets, tdiags := p.targetSet(opts.Targets)
	diags = append(diags, tdiags...)
	replace, rdiags := p.matcher(opts.Replace, "-replace")
	p.replace = replace
	diags = append(diags, rdiags...)
	if diags.HasErrors() {
		return nil, diags
	}

	plan := &Plan{
		ConfigHash: ConfigHash(cfg),
		Lineage:    st.Lineage,
		Serial:     st.Serial,
		Targets:    opts.Targets,
		Replace:    opts.Replace,
		Moves:      moves,
		planner:    p,
	}
	for _, a := range order {
		var todo []*instance
		for _, in := range byAsset[a] {
			if targets != nil && !targets[in.si.Addr] {
				if rec := p.records[in.si.Addr]; rec != nil {
					p.blocks.set(in, recordValue(a.Kind, recordPath(rec), rec))
				}
				continue
			}
			todo = append(todo, in)
		}
		p.planBlock(todo, p.blocks.scope(a.Refs))
		p.shareBlock(todo)
		for _, in := range todo {
			p.diags = append(p.diags, in.diags...)
			p.order = append(p.order, in)
			plan.Changes = append(plan.Changes, in.change)
		}
	}
	p.checkOutputRefs()
	p.diags = append(p.diags, p.duplicatePaths()...)
	for _, addr := range slices.Sorted(maps.Keys(p.records)) {
		if p.insts[addr] != nil {
			continue
		}
		if targets != nil && !p.deleteTargeted(addr) {
			continue
		}
		rec := p.records[addr]
		ch := &Change{
			Addr: addr, Kind: rec.Kind, Provider: rec.Provider, Model: rec.Model,
			Action: Delete, Reasons: []string{"no longer declared"},
			InputHash: rec.InputHash, Request: rec.Request, Path: recordPath(rec),
			Before: rec, Cost: providers.Price{Known: true},
		}
		plan.Changes = append(plan.Changes, ch)
	}
	markMoved(plan)
	diags = append(diags, p.diags...)
	diags = append(diags, p.budget(plan)...)
	return plan, diags
}

// planBlock plans the instances of one block, on every core: they are independent of each
// other (a block cannot reference itself), and share the values of the blocks before.
func (p *planner) planBlock(insts []*instance, scope map[string]map[string]cty.Value) {
	workers := min(runtime.GOMAXPROCS(0), len(insts)/64+1)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(insts); i += workers {
				insts[i].change = p.planInstance(insts[i], scope)
			}
		}()
	}
	wg.Wait()
}

// planInstance evaluates one instance and decides its action. Apply calls it again for an
// instance whose input was not known at plan time, once its upstreams are done.
func (p *planner) planInstance(in *instance, scope map[string]map[string]cty.Value) *Change {
	a := in.si.Asset
	ch := &Change{Addr: in.si.Addr, Kind: a.Kind, Cost: providers.Price{Known: true}}
	in.change = ch
	in.diags = nil

	provAddr, prov, pdiags := p.provider(a)
	in.report(pdiags)
	ch.Provider = provAddr
	in.provider = prov
	in.provType = strings.SplitN(provAddr, ".", 2)[0]

	res, diags := p.cfg.Eval(in.si, scope)
	in.report(diags)
	var req *request
	if !diags.HasErrors() {
		req = newRequest(a.Kind, res)
		diags = infiniteDiags(in.si, req.infinite)
		in.report(diags)
	}
	if diags.HasErrors() || prov == nil {
		ch.Action = NoOp
		ch.Reasons = []string{"not planned: see the errors"}
		in.invalid = true
		return ch
	}
	in.req = req
	ch.Model, ch.Path, ch.Request = req.req.Model, req.path, req.fields
	ch.Unknown = append(ch.Unknown, req.unknown...)

	files, upstream := p.hashFiles(in, req)
	rec := p.records[in.si.Addr]
	if len(upstream) > 0 || !req.known() {
		p.check(in, req)
		ch.Action = Create
		ch.Diff = diffRequest(rec, req, in.provType)
		if rec != nil {
			ch.Action = Regenerate
			ch.Before = rec
			// its own changes first (a new provider, model or prompt), then the upstreams
			if own := knownDiffNames(ch.Diff); own != "" {
				ch.Reasons = append(ch.Reasons, "input changed: "+own)
			}
			ch.Reasons = append(ch.Reasons, p.upstreamReasons(in, upstream)...)
		}
		ch.Diff = append(ch.Diff, pathDiff(rec, req)...)
		ch.Cost = prov.Price(req.req)
		p.pending(in)
		return ch
	}
	p.check(in, req)
	hash := inputHash(p.hashInput(in, req.req.Model, req.fields, files))
	ch.InputHash = hash
	ch.Before = rec

	switch {
	case p.replace != nil && p.replace(in.si):
		ch.Action = Regenerate
		if rec == nil {
			ch.Action = Create
		}
		ch.Reasons = append(ch.Reasons, "-replace")
	case rec != nil && p.unchanged(in, rec, hash, files):
		ch.InputHash = rec.InputHash
		p.checkOutput(in, rec)
		// the same input under other names (an input file that moved, same content): apply
		// records the request as it reads now, so a later diff does not show the old path
		ch.refresh = ch.Action == NoOp && rec.InputHash == hash && !sameJSON(rec.Request, req.fields)
		return ch
	default:
		ch.Diff = diffRequest(rec, req, in.provType)
		if rec == nil {
			ch.Action = Create
		} else {
			ch.Action = Regenerate
			if len(ch.Diff) > 0 {
				ch.Reasons = append(ch.Reasons, "input changed: "+diffNames(ch.Diff))
			} else {
				ch.Reasons = append(ch.Reasons, "input changed: a file it reads")
			}
			ch.Diff = append(ch.Diff, pathDiff(rec, req)...)
		}
		if cached, ok := p.lookup(hash); ok {
			ch.Action = Restore
			ch.From = cached
			ch.Reasons = append(ch.Reasons, "the output for this input is in the cache")
			p.known(in, cached)
			return ch
		}
		if job := p.receipt(in.si.Addr, hash); job != nil {
			p.adopt(ch, job)
			p.pending(in)
			return ch
		}
	}
	ch.Cost = prov.Price(req.req)
	p.pending(in)
	return ch
}

// unchanged reports whether rec still answers the request: the same input hash, or a hash
// that differs only in attributes lifecycle.ignore_changes names.
func (p *planner) unchanged(in *instance, rec *state.Record, hash string, files map[string]string) bool {
	a := in.si.Asset
	if rec.InputHash == hash || a.IgnoreAll {
		return true
	}
	if len(a.IgnoreChanges) == 0 {
		return false
	}
	fields := make(map[string]any, len(in.req.fields))
	for k, v := range in.req.fields {
		fields[k] = v
	}
	model := in.req.req.Model
	for _, name := range a.IgnoreChanges {
		switch name {
		case "model":
			model = rec.Model
			continue
		case "shot":
			name = "shots" // the blocks are written shot, recorded as the list shots
		}
		if old, ok := rec.Request[name]; ok {
			fields[name] = old
		} else {
			delete(fields, name)
		}
	}
	return inputHash(p.hashInput(in, model, fields, files)) == rec.InputHash
}

// checkOutput decides between no-op and restore or regenerate for an instance whose input
// is unchanged, by looking at its output file (stat first, content only when stat differs).
func (p *planner) checkOutput(in *instance, rec *state.Record) {
	ch := in.change
	ch.Action = NoOp
	want := in.req.path
	if want == "" && rec.Output == nil {
		p.known(in, rec)
		return
	}
	reason := ""
	switch {
	case rec.Output == nil || rec.Output.Path != want:
		reason = "output path changed"
		if rec.Output != nil && want != "" {
			reason = fmt.Sprintf("output path changed from %s", rec.Output.Path)
		}
		if want == "" {
			p.known(in, rec) // chat whose path was removed: the text stays in state
			return
		}
	default:
		switch p.outputStatus(rec.Output) {
		case outputMissing:
			reason = "output file missing"
		case outputModified:
			reason = "output file changed on disk"
		}
	}
	if reason == "" {
		p.known(in, rec)
		return
	}
	ch.Reasons = append(ch.Reasons, reason)
	if p.restorable(rec) {
		ch.Action = Restore
		ch.From = rec
		p.known(in, rec)
		return
	}
	ch.Action = Regenerate
	ch.Reasons = append(ch.Reasons, noCopyReason)
	ch.Cost = in.provider.Price(in.req.req)
	p.pending(in)
}

type outputStatus int

const (
	outputOK outputStatus = iota
	outputMissing
	outputModified
)

func (p *planner) outputStatus(o *state.Output) outputStatus {
	abs := filepath.Join(p.cfg.Dir, filepath.FromSlash(o.Path))
	if p.opts.Stat != nil {
		// one stat: the stat cache knows the hash of a file that did not change since
		size, unchanged, sha, err := p.opts.Stat.Stat(abs)
		switch {
		case err != nil:
			return outputMissing
		case size != o.Size:
			return outputModified
		case unchanged && sha == o.SHA256:
			return outputOK
		case unchanged:
			return outputModified
		}
	} else if fi, err := os.Stat(abs); err != nil || !fi.Mode().IsRegular() {
		return outputMissing
	} else if fi.Size() != o.Size {
		return outputModified
	}
	sha, err := p.files.hash(o.Path)
	if err != nil {
		return outputMissing
	}
	if sha != o.SHA256 {
		return outputModified
	}
	return outputOK
}

// restorable reports whether rec's output can be brought back without generating.
func (p *planner) restorable(rec *state.Record) bool {
	if asset.IsText(rec.Kind) {
		return true // the text is in the record
	}
	if rec.Output == nil {
		return false
	}
	// the recorded file still in place (a moved block that also changed the path) is copied
	// into the cache by the restore
	return p.cache != nil && (p.cache.Has(rec.Output.SHA256) || p.outputStatus(rec.Output) == outputOK)
}

func (p *planner) lookup(hash string) (*state.Record, bool) {
	if p.cache == nil {
		return nil, false
	}
	return p.cache.Lookup(hash)
}

// known records the value downstream blocks see of an instance whose output is known now.
func (p *planner) known(in *instance, rec *state.Record) {
	p.blocks.set(in, recordValue(in.si.Asset.Kind, in.req.path, rec))
	if in.req.path != "" && rec.Output != nil {
		p.mu.Lock()
		p.outputs[in.req.path] = rec.Output.SHA256
		p.mu.Unlock()
	}
}

// pending records that an instance's output is known only after apply.
func (p *planner) pending(in *instance) {
	if in.req != nil && !slices.Contains(in.req.unknown, "path") {
		p.blocks.setPending(in, in.req.path, in.req.req.Model)
	} else {
		p.blocks.set(in, cty.NilVal)
	}
	if in.req != nil && in.req.path != "" {
		p.mu.Lock()
		p.outputs[in.req.path] = ""
		p.mu.Unlock()
	}
}

// output returns what the plan knows of an output path: its hash, or "" with ok when it will
// be generated.
func (p *planner) output(path string) (sha string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sha, ok = p.outputs[path]
	return sha, ok
}

// report collects the diagnostics of the instance's latest planning.
func (in *instance) report(d hcl.Diagnostics) {
	in.diags = append(in.diags, d...)
}

// upstreamReasons names what makes an instance's input unknown until apply: the changing
// instance a reference names, or its block when several of the instances it may mean change
// (image.hero[each.key] cannot say which one it reads, and listing them all would make
// every downstream instance's reasons as long as the upstream block).
func (p *planner) upstreamReasons(in *instance, files []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range in.si.Asset.Refs {
		what := ""
		for _, up := range p.refInstances(r) {
			if up.change == nil || p.blocks.known(up) {
				continue
			}
			if what != "" {
				what = r.Kind + "." + r.Name
				break
			}
			what = up.si.Addr
		}
		if what != "" && !seen[what] {
			seen[what] = true
			out = append(out, what+" changes")
		}
	}
	for _, f := range files {
		if !p.writtenBy(in, f, seen) {
			out = append(out, f+" will be generated")
		}
	}
	if len(out) == 0 {
		out = append(out, "an upstream value is known only after apply")
	}
	return out
}

// writtenBy reports whether f is the output of an upstream of in already named in seen.
func (p *planner) writtenBy(in *instance, f string, seen map[string]bool) bool {
	for _, r := range in.si.Asset.Refs {
		for _, up := range p.refInstances(r) {
			if up.req != nil && up.req.path == f && (seen[up.si.Addr] || seen[r.Kind+"."+r.Name]) {
				return true
			}
		}
	}
	return false
}

// refInstances lists the instances a reference names.
func (p *planner) refInstances(r schema.Ref) []*instance {
	bv := p.blocks.byAddr[r.Kind+"."+r.Name]
	if bv == nil {
		return nil
	}
	if r.Key == cty.NilVal {
		return bv.insts
	}
	if in := p.insts[r.Addr()]; in != nil {
		return []*instance{in}
	}
	return nil
}

// deleteTargeted reports whether a recorded address that is no longer declared is named by
// -target (the instance or its block).
func (p *planner) deleteTargeted(addr string) bool {
	for _, t := range p.opts.Targets {
		if t == addr || strings.HasPrefix(addr, t+"[") {
			return true
		}
	}
	return false
}

func recordPath(rec *state.Record) string {
	if rec.Output == nil {
		return ""
	}
	return rec.Output.Path
}
