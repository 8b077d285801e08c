package gallery

import (
	"html"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/planfile"
	"github.com/genform/genform/state"
)

// planFixture is a project with four instances and a saved plan that changes all of them
// but one: a prompt edit, a new instance, a restore from the cache and a deletion.
type planFixture struct {
	*galleryFixture
	plan                     *planfile.File
	dawn, dusk, icon, teaser *state.Record
	newDawn, oldIcon         []byte
	cachedIcon               *state.Record
}

func newPlanFixture(t *testing.T) *planFixture {
	f := &planFixture{galleryFixture: newGalleryFixture(t)}
	f.dawn = f.image(`image.hero["dawn"]`, "out/hero-dawn.png", "a watercolor skyline at dawn, soft light", color.RGBA{240, 160, 60, 255})
	f.dusk = f.image(`image.hero["dusk"]`, "out/hero-dusk.png", "a skyline at dusk", color.RGBA{60, 60, 160, 255})
	f.teaser = f.image("image.teaser", "out/teaser.png", "old teaser", color.RGBA{90, 90, 90, 255})
	// The icon's earlier version is in the cache: the plan restores it.
	f.oldIcon = pngOf(t, color.RGBA{0, 128, 128, 255}, 16, 16)
	f.cachedIcon = &state.Record{Addr: "image.icon", Kind: "image", Provider: "offline", Model: "painter",
		InputHash: shaHex([]byte("icon v1")), Request: map[string]any{"prompt": "a round icon"},
		Output:      &state.Output{Path: "out/icon.png", SHA256: f.file(".genform/tmp/icon-v1.png", f.oldIcon), Size: int64(len(f.oldIcon)), MediaType: "image/png", Width: 16, Height: 16},
		GeneratedAt: galleryTime.Add(-time.Hour)}
	if err := f.cache.Index(f.cachedIcon.InputHash, f.cachedIcon); err != nil {
		t.Fatal(err)
	}
	f.icon = f.image("image.icon", "out/icon.png", "a square icon", color.RGBA{200, 0, 200, 255})
	f.newDawn = pngOf(t, color.RGBA{255, 220, 120, 255}, 32, 18)
	cost := 0.04
	side := func(r *state.Record) *planfile.Side {
		return &planfile.Side{InputHash: r.InputHash, Path: r.Output.Path, SHA256: r.Output.SHA256, Request: r.Request}
	}
	f.plan = &planfile.File{Lineage: f.st.Lineage, Serial: f.st.Serial, Changes: []planfile.Change{
		{Address: f.dawn.Addr, Kind: "image", Model: "painter", Provider: "offline", Action: "regenerate", Paid: true, Cost: &cost,
			Reasons: []string{"prompt changed"},
			Diff:    []planfile.AttrDiff{{Name: "prompt", Before: f.dawn.Request["prompt"], After: "a pixel-art skyline at dawn, soft light"}},
			Before:  side(f.dawn),
			After:   &planfile.Side{InputHash: shaHex([]byte("dawn v2")), Path: "out/hero-dawn.png", Request: map[string]any{"prompt": "a pixel-art skyline at dawn, soft light"}}},
		{Address: f.dusk.Addr, Kind: "image", Action: "no-op", Before: side(f.dusk), After: side(f.dusk)},
		{Address: "image.new", Kind: "image", Model: "painter", Provider: "offline", Action: "create", Paid: true,
			Reasons: []string{"not in the state"},
			After:   &planfile.Side{InputHash: shaHex([]byte("new")), Path: "out/new.png", Request: map[string]any{"prompt": "a new image", "size": "64x64"}}},
		{Address: f.icon.Addr, Kind: "image", Model: "painter", Provider: "offline", Action: "restore",
			Reasons: []string{"prompt changed", "its output for this input is in the cache"},
			Diff:    []planfile.AttrDiff{{Name: "prompt", Before: "a square icon", After: "a round icon"}},
			Before:  side(f.icon), After: side(f.cachedIcon)},
		{Address: f.teaser.Addr, Kind: "image", Model: "painter", Provider: "offline", Action: "delete",
			Reasons: []string{"no longer declared"}, Before: side(f.teaser)},
	}}
	f.plan.Changes[3].After.InputHash = f.cachedIcon.InputHash
	return f
}

// apply makes the state what applying the plan gives, except for the instances in failed.
func (f *planFixture) apply(failed ...string) {
	skip := map[string]bool{}
	for _, a := range failed {
		skip[a] = true
	}
	if !skip[f.dawn.Addr] {
		r := *f.dawn
		r.InputHash, r.Request = f.plan.Changes[0].After.InputHash, f.plan.Changes[0].After.Request
		out := *r.Output
		out.SHA256 = f.file(out.Path, f.newDawn)
		r.Output, r.GeneratedAt = &out, galleryTime.Add(24*time.Hour)
		f.st.Records[r.Addr] = &r
	}
	if !skip["image.new"] {
		f.image("image.new", "out/new.png", "a new image", color.RGBA{10, 200, 10, 255}).InputHash = f.plan.Changes[2].After.InputHash
	}
	if !skip[f.icon.Addr] {
		r := *f.cachedIcon
		f.file("out/icon.png", f.oldIcon)
		f.st.Records[r.Addr] = &r
	}
	if !skip[f.teaser.Addr] {
		delete(f.st.Records, f.teaser.Addr)
		os.Remove(filepath.Join(f.dir, "out", "teaser.png"))
	}
	f.st.Serial++
}

// figures splits a changed card into its before and after figures.
func figures(t *testing.T, card string) (before, after string) {
	t.Helper()
	parts := strings.Split(card, "<figure ")
	if len(parts) != 3 {
		t.Fatalf("%d figures, want before and after:\n%s", len(parts)-1, card)
	}
	if !strings.Contains(parts[1], "<figcaption>before</figcaption>") || !strings.Contains(parts[2], "<figcaption>after</figcaption>") {
		t.Fatalf("the figures are not before then after:\n%s", card)
	}
	return parts[1], strings.SplitN(parts[2], "</figure>", 2)[0]
}

func TestGalleryPlanBeforeAndAfter(t *testing.T) {
	media := func(sha, ext string) []string { return []string{"media/" + sha + ext} }
	tests := []struct {
		name     string
		applied  bool
		failed   []string
		addr     string
		status   string
		badge    string
		before   []string // media srcs
		after    []string
		afterSay string
	}{
		{name: "regenerate before apply", addr: `image.hero["dawn"]`, status: "pending", badge: "to regenerate",
			before: []string{"dawn"}, afterSay: "not generated yet"},
		{name: "create before apply", addr: "image.new", status: "pending", badge: "to create",
			afterSay: "not generated yet"},
		{name: "restore before apply shows the cached result", addr: "image.icon", status: "pending", badge: "to restore",
			before: []string{"icon"}, after: []string{"cached icon"}, afterSay: "will be restored from the cache"},
		{name: "delete before apply", addr: "image.teaser", status: "pending", badge: "to delete",
			before: []string{"teaser"}, afterSay: "will be deleted"},
		{name: "regenerated", applied: true, addr: `image.hero["dawn"]`, status: "done", badge: "regenerated",
			before: []string{"dawn"}, after: []string{"new dawn"}},
		{name: "created", applied: true, addr: "image.new", status: "done", badge: "created", after: []string{"new"}},
		{name: "restored", applied: true, addr: "image.icon", status: "done", badge: "restored",
			before: []string{"icon"}, after: []string{"cached icon"}},
		{name: "deleted", applied: true, addr: "image.teaser", status: "done", badge: "deleted",
			before: []string{"teaser"}, afterSay: "deleted: its file is in the cache"},
		{name: "failed", applied: true, failed: []string{`image.hero["dawn"]`}, addr: `image.hero["dawn"]`, status: "failed", badge: "failed",
			before: []string{"dawn"}, afterSay: "failed: nothing new was made"},
		{name: "unfinished", applied: true, failed: []string{"image.new"}, addr: "image.new", status: "unfinished", badge: "not created",
			afterSay: "not done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPlanFixture(t)
			shas := map[string]string{"dawn": f.dawn.Output.SHA256, "icon": f.icon.Output.SHA256, "teaser": f.teaser.Output.SHA256,
				"cached icon": f.cachedIcon.Output.SHA256, "new dawn": shaHex(f.newDawn)}
			opts := Options{}
			if tt.applied {
				f.apply(tt.failed...)
				if r := f.st.Records["image.new"]; r != nil {
					shas["new"] = r.Output.SHA256
				}
				if tt.status == "failed" {
					opts.Failed = map[string]string{tt.addr: "the gateway said: 500 <oops>"}
				}
			}
			page, out := f.render(f.plan, tt.applied, opts)
			card := galleryCards(t, page)[tt.addr]
			if card == "" {
				t.Fatalf("no card for %s", tt.addr)
			}
			if !strings.Contains(card, `data-status="`+tt.status+`"`) || !strings.Contains(card, `<span class="badge">`+tt.badge+`</span>`) {
				t.Errorf("not marked %s / %q:\n%s", tt.status, tt.badge, card)
			}
			before, after := figures(t, card)
			for side, want := range map[string][]string{"before": tt.before, "after": tt.after} {
				fig := map[string]string{"before": before, "after": after}[side]
				var wantSrcs []string
				for _, name := range want {
					wantSrcs = append(wantSrcs, media(shas[name], ".png")...)
				}
				if got := mediaSrcs(fig); strings.Join(got, " ") != strings.Join(wantSrcs, " ") {
					t.Errorf("%s shows %v, want %v", side, got, wantSrcs)
				}
				for _, src := range wantSrcs {
					data, err := os.ReadFile(filepath.Join(out, src))
					if err != nil || "media/"+shaHex(data)+".png" != src {
						t.Errorf("%s: %s is not the right file (err %v)", side, src, err)
					}
				}
			}
			if tt.afterSay != "" && !strings.Contains(after, tt.afterSay) {
				t.Errorf("after does not say %q:\n%s", tt.afterSay, after)
			}
			if tt.status == "failed" && !strings.Contains(card, `<p class="error">the gateway said: 500 &lt;oops&gt;</p>`) {
				t.Errorf("the failure is not shown:\n%s", card)
			}
		})
	}
}

func TestGalleryPromptDiff(t *testing.T) {
	f := newPlanFixture(t)
	page, _ := f.render(f.plan, false, Options{})
	cards := galleryCards(t, page)
	for addr, want := range map[string]string{
		`image.hero["dawn"]`: `<div class="prompt diff" title="prompt: deleted words struck out, new words underlined">a <del>watercolor</del><ins>pixel-art</ins> skyline at dawn, soft light</div>`,
		"image.icon":         `a <del>square</del><ins>round</ins> icon</div>`,
	} {
		if !strings.Contains(cards[addr], want) {
			t.Errorf("%s: no diff %s in\n%s", addr, want, cards[addr])
		}
	}
	if !strings.Contains(cards[`image.hero["dawn"]`], "because prompt changed") {
		t.Errorf("the reason is not shown")
	}
	if strings.Contains(cards[`image.hero["dusk"]`], "<del>") || strings.Contains(cards[`image.hero["dusk"]`], "<figcaption>") {
		t.Errorf("an unchanged instance shows a change:\n%s", cards[`image.hero["dusk"]`])
	}
	if !strings.Contains(html.UnescapeString(page), "Plan: 1 to create, 1 to regenerate, 1 to restore, 1 to delete. Estimated cost: $0.04 + 1 of unknown cost.") {
		t.Errorf("the plan summary is missing")
	}
}

func TestGalleryChangedOnly(t *testing.T) {
	f := newPlanFixture(t)
	page, _ := f.render(f.plan, false, Options{Changed: true})
	cards := galleryCards(t, page)
	if len(cards) != 4 || cards[`image.hero["dusk"]`] != "" {
		t.Errorf("cards %d, want the 4 changed ones", len(cards))
	}
	if !strings.Contains(page, "1 unchanged instance is left out") {
		t.Errorf("the page does not say what -changed left out")
	}
}

func TestStateMoved(t *testing.T) {
	st := state.New()
	st.Serial = 4
	tests := []struct {
		name   string
		pl     planfile.File
		exists bool
		want   bool
	}{
		{"same state", planfile.File{Lineage: st.Lineage, Serial: 4}, true, false},
		{"written since", planfile.File{Lineage: st.Lineage, Serial: 3}, true, true},
		{"another lineage", planfile.File{Lineage: "other", Serial: 4}, true, true},
		{"planned without a state, still none", planfile.File{}, false, false},
		{"planned without a state, applied", planfile.File{}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Moved(st, tt.exists, &tt.pl); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// An unchanged instance forgotten with state rm after the plan was saved has no card: there
// is neither a record nor a change to show (it used to crash the page).
func TestGalleryNoOpWithoutRecord(t *testing.T) {
	f := newPlanFixture(t)
	delete(f.st.Records, f.dusk.Addr)
	page, _ := f.render(f.plan, false, Options{})
	cards := galleryCards(t, page)
	if _, ok := cards[f.dusk.Addr]; ok || len(cards) != 4 {
		t.Errorf("cards %d, want the 4 changed ones and none for the forgotten %s", len(cards), f.dusk.Addr)
	}
}

func TestGalleryPlanCountsMoves(t *testing.T) {
	f := newPlanFixture(t)
	f.plan.Changes[0].Moved = "image.old"
	page, _ := f.render(f.plan, false, Options{})
	if !strings.Contains(html.UnescapeString(page), "Plan: 1 to create, 1 to regenerate, 1 to restore, 1 to move, 1 to delete.") {
		t.Errorf("the plan summary does not count the move")
	}
}
