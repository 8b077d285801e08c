package gallery

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/engine"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/state"
	"github.com/genform/genform/textdiff"
	"github.com/genform/genform/view"
)

// The gallery page's model: what the template renders, built from the state and a plan.

type galleryPage struct {
	Title     string
	Total     int
	Kinds     []kindCount
	Cost      string // recorded cost; unknown costs said, never counted as zero
	LastApply string
	Plan      *planView
	Groups    []*galleryGroup
	Hidden    int    // unchanged instances left out by -changed
	Empty     string // what the page says when it has no card
}

type kindCount struct {
	Kind string
	N    int
}

type planView struct {
	Summary string
	Status  string
}

type galleryGroup struct {
	Block string
	Cards []*galleryCard
}

type galleryCard struct {
	Addr, Kind string
	Action     string // the plan's action; "" when unchanged or without a plan
	Status     string // of a change: done, pending, failed or unfinished
	Badge      string
	Reasons    []string
	Error      string
	Facts      []galleryFact
	Prompt     string
	Diff       []textdiff.Span // the prompt's changes, word by word; nil when it did not change
	PromptNote string
	Changes    []string      // other changed attributes
	Media      *galleryMedia // an unchanged instance
	Before     *galleryMedia // a changed one
	After      *galleryMedia
	Search     string // what the filter box matches, lower case
}

type galleryFact struct{ Name, Value, Title string }

type galleryMedia struct {
	Label         string // before, after, or "" for an unchanged instance
	Type          string // img, video, text, file or none
	Src           string // media/<sha256><ext>
	Text          string // a chat's reply
	Note          string
	Alt           string
	Width, Height int
}

// galleryBuilder turns the state and the plan into the page, copying media on the way.
type galleryBuilder struct {
	in    Input
	opts  Options
	store *mediaStore
}

func (b *galleryBuilder) page() (*galleryPage, error) {
	st := b.in.State
	pg := &galleryPage{Title: "genform gallery: " + filepath.Base(b.in.Dir), Total: len(st.Records)}
	kinds := map[string]int{}
	var usd float64
	var unknown int
	var last time.Time
	for _, r := range st.Records {
		kinds[r.Kind]++
		if r.Cost != nil {
			usd += *r.Cost
		} else {
			unknown++
		}
		if r.GeneratedAt.After(last) {
			last = r.GeneratedAt
		}
	}
	for k, n := range kinds {
		pg.Kinds = append(pg.Kinds, kindCount{k, n})
	}
	slices.SortFunc(pg.Kinds, func(a, b kindCount) int { return cmp.Compare(a.Kind, b.Kind) })
	pg.Cost, pg.LastApply = view.CostText(usd, unknown), "never"
	if !last.IsZero() {
		pg.LastApply = last.UTC().Format("2006-01-02 15:04 UTC")
	}

	changes := map[string]*planfile.Change{}
	if pl := b.in.Plan; pl != nil {
		pg.Plan = planSummary(pl, b.in.Moved)
		for i := range pl.Changes {
			changes[pl.Changes[i].Address] = &pl.Changes[i]
		}
	}
	addrs := make([]string, 0, len(st.Records)+len(changes))
	for a := range st.Records {
		addrs = append(addrs, a)
	}
	for a, ch := range changes {
		// a no-op with no record (forgotten with state rm since) has nothing to show
		if st.Records[a] == nil && ch.Action != engine.NoOp {
			addrs = append(addrs, a)
		}
	}
	slices.SortFunc(addrs, asset.CompareAddrs)
	groups := map[string]*galleryGroup{}
	for _, addr := range addrs {
		ch := changes[addr]
		if ch != nil && ch.Action == engine.NoOp {
			ch = nil
		}
		if b.opts.Changed && ch == nil {
			pg.Hidden++
			continue
		}
		card, err := b.card(addr, st.Records[addr], ch)
		if err != nil {
			return nil, err
		}
		block := asset.Block(addr)
		g := groups[block]
		if g == nil {
			g = &galleryGroup{Block: block}
			groups[block] = g
			pg.Groups = append(pg.Groups, g)
		}
		g.Cards = append(g.Cards, card)
	}
	switch {
	case len(addrs) == 0:
		pg.Empty = "Nothing has been generated yet, and there is no plan to show. Run genform apply, or pass -plan PLANFILE."
	case len(pg.Groups) == 0:
		pg.Empty = "The plan changes nothing."
	}
	return pg, nil
}

func planSummary(pl *planfile.File, moved bool) *planView {
	n := map[engine.Action]int{}
	var usd float64
	var unknown, moves int
	for _, ch := range pl.Changes {
		n[ch.Action]++
		if ch.Moved != "" {
			moves++
		}
		if ch.Paid && ch.Cost == nil {
			unknown++
		} else if ch.Paid {
			usd += *ch.Cost
		}
	}
	v := &planView{
		Summary: fmt.Sprintf("Plan: %d to create, %d to regenerate, %d to restore, %s%d to delete. Estimated cost: %s.",
			n[engine.Create], n[engine.Regenerate], n[engine.Restore], view.MovesText(moves, "to move"), n[engine.Delete],
			view.CostText(usd, unknown)),
		Status: "not applied yet",
	}
	if moved {
		v.Status = "applied"
	}
	return v
}

var actionBadges = map[engine.Action][3]string{ // action: done, pending, unfinished
	engine.Create:     {"created", "to create", "not created"},
	engine.Regenerate: {"regenerated", "to regenerate", "not regenerated"},
	engine.Restore:    {"restored", "to restore", "not restored"},
	engine.Delete:     {"deleted", "to delete", "not deleted"},
}

// card describes one instance: rec is its record (nil when not generated), ch its change
// (nil when unchanged or without a plan).
func (b *galleryBuilder) card(addr string, rec *state.Record, ch *planfile.Change) (*galleryCard, error) {
	c := &galleryCard{Addr: addr}
	var err error
	if ch == nil {
		c.Kind, c.Prompt, c.Facts = rec.Kind, promptOf(rec.Request), recordFacts(rec)
		c.Media, err = b.recordMedia("", rec)
		c.Search = searchText(c, rec.Model, rec.Output)
		return c, err
	}
	badges, known := actionBadges[ch.Action]
	if !known {
		return nil, fmt.Errorf("%s: the plan has an unknown action %q", addr, ch.Action)
	}
	c.Kind, c.Action, c.Reasons = ch.Kind, string(ch.Action), ch.Reasons
	done := applied(ch, rec, b.in.Moved)
	if done && rec != nil {
		c.Facts = recordFacts(rec)
	} else {
		c.Facts = changeFacts(ch)
	}
	if c.Before, err = b.side("before", ch.Kind, ch.Before, rec); err != nil {
		return nil, err
	}
	failure, failed := b.opts.Failed[addr]
	switch {
	case done:
		c.Status, c.Badge = "done", badges[0]
		if ch.Action == engine.Delete {
			c.After = &galleryMedia{Label: "after", Type: "none", Note: "deleted: its file is in the cache, and comes back if it is declared again"}
		} else if c.After, err = b.recordMedia("after", rec); err != nil {
			return nil, err
		}
	case failed:
		c.Status, c.Badge, c.Error = "failed", "failed", failure
		c.After = &galleryMedia{Label: "after", Type: "none", Note: "failed: nothing new was made"}
	case b.in.Moved:
		c.Status, c.Badge = "unfinished", badges[2]
		c.After = &galleryMedia{Label: "after", Type: "none", Note: "not done: the apply failed, skipped or was interrupted before this instance"}
	case ch.Action == engine.Restore:
		c.Status, c.Badge = "pending", badges[1]
		if c.After, err = b.side("after", ch.Kind, ch.After, rec); err != nil {
			return nil, err
		}
		c.After.Note = "will be restored from the cache (free)"
	case ch.Action == engine.Delete:
		c.Status, c.Badge = "pending", badges[1]
		c.After = &galleryMedia{Label: "after", Type: "none", Note: "will be deleted (its file moves into the cache)"}
	default:
		c.Status, c.Badge = "pending", badges[1]
		c.After = &galleryMedia{Label: "after", Type: "none", Note: "not generated yet"}
	}
	b.prompt(c, ch, rec, done)
	c.Changes = attrChanges(ch, rec, done)
	var out *state.Output
	if rec != nil {
		out = rec.Output
	}
	c.Search = searchText(c, ch.Model, out)
	return c, nil
}

// applied reports whether the state already holds what the change makes.
func applied(ch *planfile.Change, rec *state.Record, moved bool) bool {
	if ch.Action == engine.Delete {
		return rec == nil
	}
	if rec == nil || ch.After != nil && ch.After.InputHash != "" && rec.InputHash != ch.After.InputHash {
		return false
	}
	if b := ch.Before; b != nil && !moved && rec.InputHash == b.InputHash && outputSHA(rec) == b.SHA256 {
		return false // still the record the plan was made against
	}
	return true
}

// prompt fills in the card's prompt, and its diff when the change alters it.
func (b *galleryBuilder) prompt(c *galleryCard, ch *planfile.Change, rec *state.Record, done bool) {
	var before, after string
	if ch.Before != nil {
		before = promptOf(ch.Before.Request)
	}
	switch {
	case ch.Action == engine.Delete:
		c.Prompt = before
		return
	case done:
		after = promptOf(rec.Request)
	case ch.After != nil && slices.Contains(ch.After.Unknown, "prompt"):
		c.Prompt, c.PromptNote = before, "The new prompt is known after apply: it uses a value that changes."
		return
	case ch.After != nil:
		after = promptOf(ch.After.Request)
	}
	c.Prompt = after
	if ch.Before != nil && before != after {
		c.Diff = textdiff.Words(before, after)
	}
}

// side shows one side of a change from the plan's description of it.
func (b *galleryBuilder) side(label, kind string, s *planfile.Side, rec *state.Record) (*galleryMedia, error) {
	m := &galleryMedia{Label: label, Type: "none"}
	if s == nil {
		m.Note = "nothing: the instance is new"
		return m, nil
	}
	if asset.IsText(kind) {
		return b.chatText(m, s.InputHash, rec), nil
	}
	return m, b.fill(m, s.SHA256, mediaExt(s.Path, ""), s.Path)
}

// recordMedia shows what a record holds.
func (b *galleryBuilder) recordMedia(label string, rec *state.Record) (*galleryMedia, error) {
	m := &galleryMedia{Label: label, Type: "none", Alt: rec.Addr}
	if asset.IsText(rec.Kind) {
		m.Type, m.Text = "text", rec.Text
		return m, nil
	}
	o := rec.Output
	if o == nil {
		m.Note = "no output file recorded"
		return m, nil
	}
	m.Width, m.Height = o.Width, o.Height
	return m, b.fill(m, o.SHA256, mediaExt(o.Path, o.MediaType), o.Path)
}

// chatText finds a chat's reply for an input hash: in the record, else in the cache.
func (b *galleryBuilder) chatText(m *galleryMedia, inputHash string, rec *state.Record) *galleryMedia {
	if rec != nil && rec.InputHash == inputHash {
		m.Type, m.Text = "text", rec.Text
	} else if b.in.Cache != nil && inputHash != "" {
		if r, ok := b.in.Cache.Lookup(inputHash); ok {
			m.Type, m.Text = "text", r.Text
		}
	}
	if m.Type == "none" {
		m.Note = "the reply is no longer in the cache"
	}
	return m
}

// fill copies the media with this sha256 beside the page and points m at it.
func (b *galleryBuilder) fill(m *galleryMedia, sha, ext, rel string) error {
	src, err := b.store.get(sha, ext, rel)
	if err != nil {
		return err
	}
	if src == "" {
		m.Note = "the file is gone: neither on disk nor in the cache"
		return nil
	}
	m.Src, m.Type = src, mediaType(ext)
	return nil
}

func recordFacts(r *state.Record) []galleryFact {
	facts := []galleryFact{{Name: "model", Value: modelText(r.Model, r.Provider)}}
	if o := r.Output; o != nil {
		var size []string
		if o.Width > 0 {
			size = append(size, fmt.Sprintf("%d×%d", o.Width, o.Height))
		}
		if o.Seconds > 0 {
			size = append(size, strconv.FormatFloat(o.Seconds, 'f', -1, 64)+" s")
		}
		size = append(size, view.ByteSize(o.Size))
		facts = append(facts, galleryFact{Name: "size", Value: strings.Join(size, ", "), Title: o.MediaType})
	}
	cost := "unknown"
	if r.Cost != nil {
		cost = fmt.Sprintf("$%.2f", *r.Cost)
	}
	facts = append(facts, galleryFact{Name: "cost", Value: cost})
	if !r.GeneratedAt.IsZero() {
		facts = append(facts, galleryFact{Name: "generated", Value: r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")})
	}
	if o := r.Output; o != nil {
		facts = append(facts, galleryFact{Name: "path", Value: o.Path},
			galleryFact{Name: "sha256", Value: shortSHA(o.SHA256), Title: o.SHA256})
	}
	return facts
}

// changeFacts describes an instance that is not generated (yet) from its planned request.
func changeFacts(ch *planfile.Change) []galleryFact {
	facts := []galleryFact{{Name: "model", Value: modelText(ch.Model, ch.Provider)}}
	side := ch.After
	if side == nil {
		side = ch.Before
	}
	if side != nil {
		var req []string
		for _, k := range []string{"size", "resolution", "aspect_ratio", "seconds"} {
			if v, ok := side.Request[k]; ok {
				req = append(req, fmt.Sprint(v))
			}
		}
		if len(req) > 0 {
			facts = append(facts, galleryFact{Name: "requested", Value: strings.Join(req, ", ")})
		}
	}
	cost := "free"
	switch {
	case ch.Paid && ch.Cost == nil:
		cost = "unknown"
	case ch.Paid:
		cost = fmt.Sprintf("$%.2f (estimated)", *ch.Cost)
	}
	facts = append(facts, galleryFact{Name: "cost", Value: cost})
	if side != nil && side.Path != "" {
		facts = append(facts, galleryFact{Name: "path", Value: side.Path})
	}
	return facts
}

func modelText(model, provider string) string {
	if provider == "" {
		return model
	}
	return model + " via " + provider
}

func searchText(c *galleryCard, model string, o *state.Output) string {
	parts := []string{c.Addr, c.Kind, model, c.Action, c.Badge, c.Prompt}
	if o != nil {
		parts = append(parts, o.Path, o.SHA256)
	}
	return strings.ToLower(strings.Join(parts, " "))
}

// attrChanges lists the changed attributes other than the prompt: after the apply with the
// values it recorded (never "known after apply" any more), and a storyboard shot by shot.
func attrChanges(ch *planfile.Change, rec *state.Record, done bool) []string {
	var out []string
	for _, d := range ch.Diff {
		if d.Name == "prompt" || ch.Action == engine.Create || ch.Action == engine.Delete {
			continue
		}
		after, unknown := d.After, d.Unknown
		if unknown && done && rec != nil {
			after, unknown = rec.Request[d.Name], false
		}
		switch {
		case unknown:
			out = append(out, fmt.Sprintf("%s: %s -> (known after apply)", d.Name, view.ValueText(d.Before)))
		case view.IsObjectList(d.Before) || view.IsObjectList(after):
			b, _ := d.Before.([]any)
			a, _ := after.([]any)
			for _, l := range view.ListDiff(d.Name, b, a) {
				out = append(out, string(l.Op)+" "+l.Text)
			}
		default:
			out = append(out, fmt.Sprintf("%s: %s -> %s", d.Name, view.ValueText(d.Before), view.ValueText(after)))
		}
	}
	return out
}

// promptOf is the request's prompt, or a video's storyboard as readable lines when it has
// no prompt of its own.
func promptOf(req map[string]any) string {
	if s, _ := req["prompt"].(string); s != "" {
		return s
	}
	return view.ShotsText(req["shots"])
}

func outputSHA(r *state.Record) string {
	if r.Output == nil {
		return ""
	}
	return r.Output.SHA256
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
