package gallery

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/planfile"
	"github.com/genform/genform/state"
)

// galleryFixture is a project folder with outputs on disk, in the cache and in the state.
type galleryFixture struct {
	t     testing.TB
	dir   string
	st    *state.File
	cache *state.Cache
}

func newGalleryFixture(t testing.TB) *galleryFixture {
	t.Helper()
	dir := t.TempDir()
	cache, err := state.OpenCache(filepath.Join(dir, ".genform", "cache"))
	if err != nil {
		t.Fatal(err)
	}
	st := state.New()
	st.Serial = 3
	return &galleryFixture{t: t, dir: dir, st: st, cache: cache}
}

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func pngOf(t testing.TB, c color.Color, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// file writes data at the project-relative path rel and caches it; it returns the sha256.
func (f *galleryFixture) file(rel string, data []byte) string {
	f.t.Helper()
	abs := filepath.Join(f.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(abs, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	sha := shaHex(data)
	if err := f.cache.PutKnown(abs, sha); err != nil {
		f.t.Fatal(err)
	}
	return sha
}

var galleryTime = time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)

// image records an image instance whose output is a PNG of one colour.
func (f *galleryFixture) image(addr, rel, prompt string, c color.Color) *state.Record {
	data := pngOf(f.t, c, 32, 18)
	cost := 0.04
	r := &state.Record{
		Addr: addr, Kind: "image", Provider: "offline", Model: "painter", InputHash: shaHex([]byte(addr + prompt)),
		Request: map[string]any{"prompt": prompt, "size": "32x18"},
		Output:  &state.Output{Path: rel, SHA256: f.file(rel, data), Size: int64(len(data)), MediaType: "image/png", Width: 32, Height: 18},
		Cost:    &cost, GeneratedAt: galleryTime,
	}
	f.st.Records[addr] = r
	return r
}

func (f *galleryFixture) chat(addr, prompt, text string) *state.Record {
	r := &state.Record{
		Addr: addr, Kind: "chat", Provider: "offline", Model: "echo", InputHash: shaHex([]byte(addr + prompt)),
		Request: map[string]any{"prompt": prompt}, Text: text, GeneratedAt: galleryTime.Add(time.Hour),
	}
	f.st.Records[addr] = r
	if err := f.cache.Index(r.InputHash, r); err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *galleryFixture) render(plan *planfile.File, moved bool, opts Options) (page, out string) {
	f.t.Helper()
	index, err := Write(Input{Dir: f.dir, State: f.st, Cache: f.cache, Plan: plan, Moved: moved}, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := os.ReadFile(index)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b), filepath.Dir(index)
}

var cardStart = regexp.MustCompile(`<article class="card[^"]*" data-kind="([^"]*)" data-action="([^"]*)" data-status="([^"]*)"[^>]*>\s*<header><code class="addr">([^<]*)</code>`)

// galleryCards maps each card's address to its HTML.
func galleryCards(t *testing.T, page string) map[string]string {
	t.Helper()
	cards := map[string]string{}
	locs := cardStart.FindAllStringSubmatchIndex(page, -1)
	for i, loc := range locs {
		end := len(page)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		addr := html.UnescapeString(page[loc[8]:loc[9]])
		if _, dup := cards[addr]; dup {
			t.Errorf("two cards for %s", addr)
		}
		cards[addr] = page[loc[0]:end]
	}
	return cards
}

var srcAttr = regexp.MustCompile(`<(?:img|video)\b[^>]*\ssrc="([^"]*)"`)

// mediaSrcs lists the media a card's HTML shows, in order.
func mediaSrcs(card string) []string {
	var out []string
	for _, m := range srcAttr.FindAllStringSubmatch(card, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestGalleryShowsEveryInstance(t *testing.T) {
	f := newGalleryFixture(t)
	f.chat("chat.tagline", "A tagline for Acme", "Acme: made with care.")
	dawn := f.image(`image.hero["dawn"]`, "out/hero-dawn.png", "a skyline at dawn", color.RGBA{240, 160, 60, 255})
	f.image(`image.hero["dusk"]`, "out/hero-dusk.png", "a skyline at dusk", color.RGBA{60, 60, 160, 255})
	for i, c := range []color.RGBA{{200, 0, 0, 255}, {0, 200, 0, 255}, {0, 0, 200, 255}} {
		f.image("image.tile["+string(rune('0'+i))+"]", "out/tile-"+string(rune('0'+i))+".png", "tile", c)
	}
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	f.st.Records["video.teaser"] = &state.Record{
		Addr: "video.teaser", Kind: "video", Provider: "offline", Model: "reel", InputHash: shaHex([]byte("teaser")),
		Request:     map[string]any{"prompt": "The logo fades in."},
		Output:      &state.Output{Path: "out/teaser.gif", SHA256: f.file("out/teaser.gif", gif), Size: int64(len(gif)), MediaType: "image/gif", Width: 1, Height: 1, Seconds: 8},
		GeneratedAt: galleryTime.Add(2 * time.Hour),
	}
	mp4 := []byte("\x00\x00\x00\x18ftypmp42 not really a movie")
	f.st.Records["video.clip"] = &state.Record{
		Addr: "video.clip", Kind: "video", Provider: "wisdomgate", Model: "sora-2", InputHash: shaHex([]byte("clip")),
		Request:     map[string]any{"prompt": "A clip."},
		Output:      &state.Output{Path: "out/clip.mp4", SHA256: f.file("out/clip.mp4", mp4), Size: int64(len(mp4)), MediaType: "video/mp4", Seconds: 4},
		GeneratedAt: galleryTime,
	}

	page, out := f.render(nil, false, Options{})
	cards := galleryCards(t, page)
	if len(cards) != len(f.st.Records) {
		t.Errorf("%d cards, want one per instance (%d)", len(cards), len(f.st.Records))
	}
	for addr, r := range f.st.Records {
		card, ok := cards[addr]
		if !ok {
			t.Errorf("no card for %s", addr)
			continue
		}
		t.Run(addr, func(t *testing.T) {
			if r.Kind == "chat" {
				if !strings.Contains(card, `<pre class="text">`+r.Text+`</pre>`) {
					t.Errorf("the reply is not shown:\n%s", card)
				}
				return
			}
			srcs := mediaSrcs(card)
			want := "media/" + r.Output.SHA256 + filepath.Ext(r.Output.Path)
			if len(srcs) != 1 || srcs[0] != want {
				t.Fatalf("media %v, want [%s]", srcs, want)
			}
			data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(want)))
			if err != nil || shaHex(data) != r.Output.SHA256 {
				t.Errorf("the copy beside the page is not the output (err %v)", err)
			}
			for _, fact := range []string{r.Model, shortSHA(r.Output.SHA256), r.Output.Path, promptOf(r.Request)} {
				if !strings.Contains(card, html.EscapeString(fact)) {
					t.Errorf("the card does not say %q", fact)
				}
			}
		})
	}
	if !strings.Contains(cards["video.clip"], `<video src="media/`) || !strings.Contains(cards["video.clip"], " controls") {
		t.Errorf("an mp4 is not a <video controls>:\n%s", cards["video.clip"])
	}
	if !strings.Contains(cards["video.teaser"], `<img src="media/`) {
		t.Errorf("a GIF video is not an <img>:\n%s", cards["video.teaser"])
	}
	if !strings.Contains(cards[dawn.Addr], `width="32" height="18"`) || !strings.Contains(cards[dawn.Addr], "32×18") {
		t.Errorf("the image's resolution is not shown:\n%s", cards[dawn.Addr])
	}
	// grouped by block, numeric indexes in numeric order
	order := regexp.MustCompile(`<h2>([^<]*) <span class="n">(\d+)</span>`).FindAllStringSubmatch(page, -1)
	var blocks []string
	for _, m := range order {
		blocks = append(blocks, m[1]+"="+m[2])
	}
	if got := strings.Join(blocks, " "); got != "chat.tagline=1 image.hero=2 image.tile=3 video.clip=1 video.teaser=1" {
		t.Errorf("groups %s", got)
	}
	for _, want := range []string{
		"<b>8</b> instances", "<b>1</b> chat", "<b>5</b> image", "<b>2</b> video",
		"recorded cost <b>$0.20 + 3 of unknown cost</b>", // 5 images at $0.04; the chat and videos unknown
		"last apply <b>2026-05-06 09:08 UTC</b>",
	} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("the header does not say %q", want)
		}
	}
}

func TestGalleryEscapesWhatItEmbeds(t *testing.T) {
	f := newGalleryFixture(t)
	hostile := `<script>alert("prompt")</script> & <img src=x onerror=alert(1)>`
	f.chat("chat.evil", hostile, `</pre><script>alert("reply")</script>`)
	f.image(`image.x["\"><script>alert(1)</script>"]`, "out/x.png", hostile, color.Black)
	page, _ := f.render(nil, false, Options{})
	if n := strings.Count(strings.ToLower(page), "<script"); n != 1 {
		t.Errorf("%d <script> tags, want only the page's own", n)
	}
	if n := strings.Count(page, "<img"); n != 1 {
		t.Errorf("%d <img> tags, want only the image's own: a hostile one is markup", n)
	}
	for _, want := range []string{
		`&lt;script&gt;alert(&#34;prompt&#34;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;`,
		`&lt;/pre&gt;&lt;script&gt;alert(&#34;reply&#34;)&lt;/script&gt;`,
		`image.x[&#34;\&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34;]`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %s as text", want)
		}
	}
	if cards := galleryCards(t, page); len(cards) != 2 {
		t.Errorf("%d cards, want 2", len(cards))
	}
}

// urlAttr finds every attribute that can load or link something.
var urlAttr = regexp.MustCompile(`(?i)\s(src|href|poster|srcset|action|formaction|data|xlink:href)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)

func TestGalleryLinksAreRelative(t *testing.T) {
	f := newGalleryFixture(t)
	f.image("image.a", "out/a.png", "see https://example.com/x.png and //cdn.example/y.js", color.White)
	f.image("image.b", "out/sub/b.PNG", "b", color.Black)
	f.chat("chat.c", "c", "visit http://example.com")
	page, out := f.render(nil, false, Options{})
	links := urlAttr.FindAllStringSubmatch(page, -1)
	if len(links) < 4 {
		t.Fatalf("only %d links found: the pattern is broken", len(links))
	}
	valid := regexp.MustCompile(`^media/[0-9a-f]{64}\.[a-z0-9]+$`)
	for _, l := range links {
		v := strings.Trim(l[2], `"'`)
		if !valid.MatchString(v) {
			t.Errorf("%s=%q is not a relative link to a copied file", l[1], v)
			continue
		}
		if _, err := os.Stat(filepath.Join(out, v)); err != nil {
			t.Errorf("%s=%q: %v", l[1], v, err)
		}
	}
	style := page[strings.Index(page, "<style>"):strings.Index(page, "</style>")]
	if strings.Contains(style, "url(") || strings.Contains(style, "@import") {
		t.Errorf("the style loads something")
	}
	script := page[strings.Index(page, "<script>"):strings.Index(page, "</script>")]
	if regexp.MustCompile(`https?:|fetch\(|XMLHttpRequest|import\(`).MatchString(script) {
		t.Errorf("the script reaches the network")
	}
}

func TestGalleryMediaSources(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *galleryFixture, r *state.Record)
		shown bool
	}{
		{"file on disk", func(f *galleryFixture, r *state.Record) {}, true},
		{"only in the cache", func(f *galleryFixture, r *state.Record) {
			os.Remove(filepath.Join(f.dir, "out", "a.png"))
		}, true},
		{"changed on disk, cached", func(f *galleryFixture, r *state.Record) {
			os.WriteFile(filepath.Join(f.dir, "out", "a.png"), []byte("edited"), 0o644)
		}, true},
		{"changed on disk, not cached", func(f *galleryFixture, r *state.Record) {
			os.RemoveAll(filepath.Join(f.dir, ".genform", "cache"))
			os.WriteFile(filepath.Join(f.dir, "out", "a.png"), []byte("edited"), 0o644)
		}, false},
		{"gone", func(f *galleryFixture, r *state.Record) {
			os.RemoveAll(filepath.Join(f.dir, ".genform", "cache"))
			os.Remove(filepath.Join(f.dir, "out", "a.png"))
		}, false},
		{"path leaves the project", func(f *galleryFixture, r *state.Record) {
			outside := filepath.Join(filepath.Dir(f.dir), "outside-"+filepath.Base(f.dir)+".png")
			data := []byte("a file outside the project")
			os.WriteFile(outside, data, 0o644)
			t.Cleanup(func() { os.Remove(outside) })
			os.RemoveAll(filepath.Join(f.dir, ".genform", "cache"))
			r.Output.Path, r.Output.SHA256 = "../"+filepath.Base(outside), shaHex(data)
		}, false},
		{"not a sha256", func(f *galleryFixture, r *state.Record) {
			r.Output.SHA256 = "../../etc/passwd"
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newGalleryFixture(t)
			r := f.image("image.a", "out/a.png", "a", color.White)
			tt.setup(f, r)
			page, out := f.render(nil, false, Options{})
			srcs := mediaSrcs(page)
			if shown := len(srcs) == 1; shown != tt.shown {
				t.Fatalf("shown %v (%v), want %v", shown, srcs, tt.shown)
			}
			if !tt.shown {
				if !strings.Contains(page, "the file is gone") {
					t.Errorf("the card does not say the file is gone")
				}
				if entries, _ := os.ReadDir(filepath.Join(out, "media")); len(entries) != 0 {
					t.Errorf("media holds %d files", len(entries))
				}
				return
			}
			data, err := os.ReadFile(filepath.Join(out, srcs[0]))
			if err != nil || shaHex(data) != r.Output.SHA256 {
				t.Errorf("the copy is not the recorded output (err %v)", err)
			}
		})
	}
}

func TestGalleryOutFolder(t *testing.T) {
	f := newGalleryFixture(t)
	r := f.image("image.a", "out/a.png", "a", color.White)
	// a stale copy from an earlier run goes; a file genform did not name stays
	media := filepath.Join(f.dir, "review", "media")
	os.MkdirAll(media, 0o755)
	stale := filepath.Join(media, strings.Repeat("0", 64)+".png")
	mine := filepath.Join(media, "notes.txt")
	os.WriteFile(stale, []byte("old"), 0o644)
	os.WriteFile(mine, []byte("mine"), 0o644)
	if _, err := Write(Input{Dir: f.dir, State: f.st, Cache: f.cache}, Options{Out: "review"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("the stale copy is still there")
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a file genform did not write was removed")
	}
	if _, err := os.Stat(filepath.Join(media, r.Output.SHA256+".png")); err != nil {
		t.Errorf("the output was not copied: %v", err)
	}
	// a second run over its own page is fine; a folder with someone else's index.html is not
	if _, err := Write(Input{Dir: f.dir, State: f.st, Cache: f.cache}, Options{Out: "review"}); err != nil {
		t.Errorf("writing over its own page: %v", err)
	}
	os.MkdirAll(filepath.Join(f.dir, "site"), 0o755)
	os.WriteFile(filepath.Join(f.dir, "site", "index.html"), []byte("<h1>my site</h1>"), 0o644)
	_, err := Write(Input{Dir: f.dir, State: f.st, Cache: f.cache}, Options{Out: "site"})
	if err == nil || !strings.Contains(err.Error(), "was not written by genform gallery") {
		t.Errorf("overwrote another index.html (err %v)", err)
	}
}

func TestGalleryEmpty(t *testing.T) {
	f := newGalleryFixture(t)
	page, _ := f.render(nil, false, Options{})
	if !strings.Contains(page, "Nothing has been generated yet") || !strings.Contains(page, "last apply <b>never</b>") {
		t.Errorf("an empty project's page does not say so")
	}
}

// BenchmarkGallery renders the page of 1000 images whose copies are already beside it (a
// second run), and of 1000 instances whose copies must be made.
func BenchmarkGallery(b *testing.B) {
	f := newGalleryFixture(b)
	for i := 0; i < 1000; i++ {
		f.image(fmt.Sprintf("image.many[%d]", i), fmt.Sprintf("out/many-%d.png", i), fmt.Sprintf("picture number %d", i), color.RGBA{uint8(i), uint8(i >> 8), 7, 255})
	}
	in := Input{Dir: f.dir, State: f.st, Cache: f.cache}
	if _, err := Write(in, Options{}); err != nil {
		b.Fatal(err)
	}
	b.Run("copies present", func(b *testing.B) {
		for b.Loop() {
			if _, err := Write(in, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copying", func(b *testing.B) {
		for b.Loop() {
			os.RemoveAll(filepath.Join(f.dir, ".genform", "gallery"))
			if _, err := Write(in, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
