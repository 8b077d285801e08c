package engine

import (
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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
	value    cty.Value     // known value, or cty.NilVal while it is known only after apply; guarded by blocks.mu
	rec      *state.Record // with recPath: the record value is built from when first asked (see currentValue); guarded by blocks.mu
	recPath  string
	partial  cty.Value       // while value is cty.NilVal: what is known of it before apply (path, model), or cty.NilVal; guarded by blocks.mu
	invalid  bool            // evaluation failed: not planned
	diags    hcl.Diagnostics // of the latest planning of this instance
}

func (in *instance) valueOrUnknown() cty.Value {
	switch {
	case in.currentValue() != cty.NilVal:
		return in.value
	case in.partial != cty.NilVal:
		return in.partial
	}
	return cty.UnknownVal(schema.InstanceType(in.si.Asset.Kind))
}

// currentValue is the instance's known value, built from its record on first use (most
// instances are never referenced); cty.NilVal while it is known only after apply. Called
// with blocks.mu held.
func (in *instance) currentValue() cty.Value {
	if in.value == cty.NilVal && in.rec != nil {
		in.value = recordValue(in.si.Asset.Kind, in.recPath, in.rec)
		in.rec = nil
	}
	return in.value
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
	byAsset := p.index()
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
	plan.Changes = p.planLevels(order, byAsset, targets)
	p.checkOutputRefs()
	p.diags = append(p.diags, p.duplicatePaths()...)
	plan.Changes = append(plan.Changes, p.deletes(targets)...)
	markMoved(plan)
	diags = append(diags, p.diags...)
	diags = append(diags, p.budget(plan)...)
	return plan, diags
}

// index makes an instance of every instance of the configuration and declares every block,
// and returns the instances by block.
func (p *planner) index() map[*schema.Asset][]*instance {
	byAsset := map[*schema.Asset][]*instance{}
	for _, si := range p.cfg.Instances {
		in := &instance{si: si}
		p.insts[si.Addr] = in
		byAsset[si.Asset] = append(byAsset[si.Asset], in)
		p.blocks.add(in)
	}
	for _, a := range p.cfg.Assets {
		p.blocks.declare(a)
	}
	return byAsset
}

// planLevels plans the instances -target keeps, one level of blocks at a time (a level's
// blocks read only the levels before it), and returns their changes in dependency order. An
// instance -target leaves out keeps its recorded value for the blocks that read it.
func (p *planner) planLevels(order []*schema.Asset, byAsset map[*schema.Asset][]*instance, targets map[string]bool) []*Change {
	planned := make(map[*schema.Asset][]*instance, len(order))
	for _, level := range blockLevels(order) {
		var work []planItem
		var levelInsts []*instance
		for _, a := range level {
			var todo []*instance
			for _, in := range byAsset[a] {
				if targets != nil && !targets[in.si.Addr] {
					if rec := p.records[in.si.Addr]; rec != nil {
						p.blocks.setRecord(in, recordPath(rec), rec)
					}
					continue
				}
				todo = append(todo, in)
			}
			planned[a] = todo
			levelInsts = append(levelInsts, todo...)
			scope := p.blocks.scope(a.Refs)
			for _, in := range todo {
				work = append(work, planItem{in, scope})
			}
		}
		p.planAll(work)
		p.shareBlock(levelInsts) // one lookup for the level, before the blocks that read it
	}
	var changes []*Change
	for _, a := range order {
		for _, in := range planned[a] {
			p.diags = append(p.diags, in.diags...)
			p.order = append(p.order, in)
			changes = append(changes, in.change)
		}
	}
	return changes
}

// deletes are the changes of the recorded addresses no longer declared (those -target names,
// when it is given), in address order.
func (p *planner) deletes(targets map[string]bool) []*Change {
	var changes []*Change
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
		changes = append(changes, ch)
	}
	return changes
}

// planItem is one instance to plan and the values of the blocks it references.
type planItem struct {
	in    *instance
	scope map[string]map[string]cty.Value
}

// planBatch is how many instances a worker takes at once.
const planBatch = 64

// planAll plans independent instances (of the blocks of one level) on every core, each
// worker taking a batch at a time.
func (p *planner) planAll(work []planItem) {
	workers := min(runtime.GOMAXPROCS(0), (len(work)+planBatch-1)/planBatch)
	if workers <= 1 {
		for _, w := range work {
			w.in.change = p.planInstance(w.in, w.scope)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				end := int(next.Add(planBatch))
				start := end - planBatch
				if start >= len(work) {
					return
				}
				for _, w := range work[start:min(end, len(work))] {
					w.in.change = p.planInstance(w.in, w.scope)
				}
			}
		})
	}
	wg.Wait()
}

// planInstance evaluates one instance and decides its action. Apply calls it again for an
// instance whose input was not known at plan time, once its upstreams are done.
func (p *planner) planInstance(in *instance, scope map[string]map[string]cty.Value) *Change {
	ch, req := p.evaluate(in, scope)
	if req == nil {
		return ch
	}
	files, upstream := p.hashFiles(in, req)
	rec := p.records[in.si.Addr]
	if len(upstream) > 0 || !req.known() {
		p.check(in, req)
		p.planUnknown(in, rec, upstream)
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
		p.willGenerate(in)
	case rec != nil && p.unchanged(in, rec, hash, files):
		ch.InputHash = rec.InputHash
		p.checkOutput(in, rec)
		// the same input under other names (an input file that moved, same content): apply
		// records the request as it reads now, so a later diff does not show the old path
		ch.refresh = ch.Action == NoOp && rec.InputHash == hash && !sameJSON(rec.Request, req.fields)
	default:
		p.planChanged(in, rec, hash)
	}
	return ch
}

// evaluate starts the instance's change: its provider and its request, evaluated in scope.
// The request is nil when the instance cannot be planned (its change then says so).
func (p *planner) evaluate(in *instance, scope map[string]map[string]cty.Value) (*Change, *request) {
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
		return ch, nil
	}
	in.req = req
	ch.Model, ch.Path, ch.Request = req.req.Model, req.path, req.fields
	ch.Unknown = append(ch.Unknown, req.unknown...)
	return ch, req
}

// planUnknown decides for an instance whose input is known only after apply (an upstream
// changes, or a file it reads will be generated): it is generated.
func (p *planner) planUnknown(in *instance, rec *state.Record, upstream []string) {
	ch, req := in.change, in.req
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
	p.willGenerate(in)
}

// planChanged decides for an instance whose input hash is new: a restore when the cache holds
// the output for it, a resume when a receipt says it was paid for, otherwise a generation.
func (p *planner) planChanged(in *instance, rec *state.Record, hash string) {
	ch, req := in.change, in.req
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
		return
	}
	if job := p.receipt(in.si.Addr, hash); job != nil {
		p.adopt(ch, job)
		p.pending(in)
		return
	}
	p.willGenerate(in)
}

// willGenerate prices an instance that apply will generate and records that its output is
// known only after apply.
func (p *planner) willGenerate(in *instance) {
	in.change.Cost = in.provider.Price(in.req.req)
	p.pending(in)
}

func (p *planner) lookup(hash string) (*state.Record, bool) {
	if p.cache == nil {
		return nil, false
	}
	return p.cache.Lookup(hash)
}

// known records the value downstream blocks see of an instance whose output is known now.
func (p *planner) known(in *instance, rec *state.Record) {
	p.blocks.setRecord(in, in.req.path, rec)
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
