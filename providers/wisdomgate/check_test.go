package wisdomgate

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/providers"
)

func newChecker(t *testing.T) *Provider {
	t.Helper()
	p, diags := build(t, "", nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// Every value the table lists is accepted for its model.
func TestCheckAcceptsEveryEnumeratedValue(t *testing.T) {
	p := newChecker(t)
	for name, m := range models {
		base := providers.Request{Kind: m.kind, Model: name, Prompt: "x"}
		var reqs []providers.Request
		add := func(set func(*providers.Request, string), vals []string) {
			for _, v := range vals {
				r := base
				set(&r, v)
				reqs = append(reqs, r)
			}
		}
		add(func(r *providers.Request, v string) { r.AspectRatio = v }, m.aspectRatios)
		add(func(r *providers.Request, v string) { r.Resolution = v }, m.resolutions)
		add(func(r *providers.Request, v string) { r.Size = v }, m.sizes)
		add(func(r *providers.Request, v string) { r.Quality = v }, m.qualities)
		add(func(r *providers.Request, v string) { r.Style = v }, m.styles)
		add(func(r *providers.Request, v string) { r.Background = v }, m.backgrounds)
		add(func(r *providers.Request, v string) { r.OutputFormat = v }, m.formats)
		for _, s := range m.seconds {
			r := base
			r.Seconds = s
			reqs = append(reqs, r)
		}
		reqs = append(reqs, base)
		for _, r := range reqs {
			t.Run(fmt.Sprintf("%s/%s", name, describe(r)), func(t *testing.T) {
				for _, pr := range p.Check(&r) {
					if !pr.Warning || !strings.Contains(pr.Summary, "shut down") {
						t.Errorf("problem: %+v", pr)
					}
				}
			})
		}
	}
}

func describe(r providers.Request) string {
	for _, v := range []string{r.AspectRatio, r.Resolution, r.Size, r.Quality, r.Style, r.Background, r.OutputFormat} {
		if v != "" {
			return v
		}
	}
	if r.Seconds > 0 {
		return fmt.Sprintf("%ds", r.Seconds)
	}
	return "defaults"
}

func TestCheckProblems(t *testing.T) {
	refs := func(n int) []providers.File { return make([]providers.File, n) }
	tests := []struct {
		name    string
		req     providers.Request
		field   string
		warning bool
		summary string
		detail  string // a part of the detail
	}{
		{"lower-case K", providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Resolution: "4k"},
			"resolution", false, `Unsupported resolution "4k"`, `Did you mean "4K"? gemini-3-pro-image-preview takes resolution "1K", "2K" or "4K".`},
		{"4K on flash", providers.Request{Kind: providers.Image, Model: "gemini-2.5-flash-image", Resolution: "4K"},
			"resolution", false, `Unsupported resolution "4K"`, `gemini-2.5-flash-image takes resolution "1K" or "2K".`},
		{"aspect ratio typo", providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", AspectRatio: "16;9"},
			"aspect_ratio", false, `Unsupported aspect_ratio "16;9"`, `Did you mean "16:9"?`},
		{"aspect ratio far off", providers.Request{Kind: providers.Image, Model: "grok-4-image", AspectRatio: "wide"},
			"aspect_ratio", false, `Unsupported aspect_ratio "wide"`, `grok-4-image takes aspect_ratio "1:1", "2:3"`},
		{"size case", providers.Request{Kind: providers.Image, Model: "gpt-image-1", Size: "1024X1024"},
			"size", false, `Unsupported size "1024X1024"`, `Did you mean "1024x1024"?`},
		{"dall-e-3 size", providers.Request{Kind: providers.Image, Model: "dall-e-3", Size: "1536x1024"},
			"size", false, `Unsupported size "1536x1024"`, `dall-e-3 takes size "1024x1024", "1792x1024" or "1024x1792".`},
		{"gpt-image-2 free size off the grid", providers.Request{Kind: providers.Image, Model: "gpt-image-2", Size: "2000x1000"},
			"size", false, `Unsupported size "2000x1000"`, `gpt-image-2 takes size`},
		{"gpt-image-2 free size too thin", providers.Request{Kind: providers.Image, Model: "gpt-image-2", Size: "3840x1024"},
			"size", false, `Unsupported size "3840x1024"`, ``},
		{"quality case", providers.Request{Kind: providers.Image, Model: "gpt-image-1", Quality: "HIGH"},
			"quality", false, `Unsupported quality "HIGH"`, `Did you mean "high"?`},
		{"dall-e-3 quality", providers.Request{Kind: providers.Image, Model: "dall-e-3", Quality: "high"},
			"quality", false, `Unsupported quality "high"`, `dall-e-3 takes quality "standard" or "hd".`},
		{"background typo", providers.Request{Kind: providers.Image, Model: "gpt-image-2", Background: "transparant"},
			"background", false, `Unsupported background "transparant"`, `Did you mean "transparent"?`},
		{"output format case", providers.Request{Kind: providers.Image, Model: "gpt-image-1", OutputFormat: "PNG"},
			"output_format", false, `Unsupported output_format "PNG"`, `Did you mean "png"?`},
		{"style typo", providers.Request{Kind: providers.Image, Model: "dall-e-3", Style: "Vivid"},
			"style", false, `Unsupported style "Vivid"`, `Did you mean "vivid"?`},
		{"style on a model without", providers.Request{Kind: providers.Image, Model: "gpt-image-1", Style: "vivid"},
			"style", false, `gpt-image-1 does not take style`, ``},
		{"background on dall-e", providers.Request{Kind: providers.Image, Model: "dall-e-2", Background: "transparent"},
			"background", false, `dall-e-2 does not take background`, ``},
		{"aspect ratio on the images API", providers.Request{Kind: providers.Image, Model: "gpt-image-1", AspectRatio: "16:9"},
			"aspect_ratio", false, `gpt-image-1 does not take aspect_ratio`, `Use size`},
		{"size on Gemini", providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Size: "1024x1024"},
			"size", false, `gemini-3-pro-image-preview does not take size`, `Use aspect_ratio and resolution.`},
		{"too many Gemini references", providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", References: refs(15)},
			"references", false, `Too many references for gemini-3-pro-image-preview`, `at most 14`},
		{"dall-e-3 cannot edit", providers.Request{Kind: providers.Image, Model: "dall-e-3", References: refs(1)},
			"references", false, `dall-e-3 cannot edit images`, ``},
		{"mask without an image", providers.Request{Kind: providers.Image, Model: "gpt-image-1", Mask: &providers.File{Name: "m.png"}},
			"mask", false, `A mask needs an image to edit`, ``},
		{"prompt too long", providers.Request{Kind: providers.Image, Model: "dall-e-3", Prompt: strings.Repeat("a", 4001)},
			"prompt", false, `Prompt too long for dall-e-3`, `at most 4000`},
		{"unknown model", providers.Request{Kind: providers.Image, Model: "gpt-image1"},
			"model", false, `Unknown model "gpt-image1"`, `Did you mean "gpt-image-1"? wisdomgate does not know the model "gpt-image1".`},
		{"unknown model: how to declare it", providers.Request{Kind: providers.Image, Model: "gemini-3-pro-imge-preview"},
			"model", false, `Unknown model "gemini-3-pro-imge-preview"`, `extra_models = ["gemini-3-pro-imge-preview"], and give its price for budgets: prices = { "gemini-3-pro-imge-preview" = 0.10 }.`},
		{"chat model in an image block", providers.Request{Kind: providers.Image, Model: "deepseek-v3"},
			"model", false, `"deepseek-v3" is a chat model`, `An image block needs an image model, such as`},
		{"image model in a video block", providers.Request{Kind: providers.Video, Model: "gpt-image-1"},
			"model", false, `"gpt-image-1" is an image model`, `A video block needs a video model`},
		{"video seconds outside the documents", providers.Request{Kind: providers.Video, Model: "veo-3.1", Seconds: 7},
			"seconds", true, `Undocumented seconds 7 for veo-3.1`, `Did you mean 8? veo-3.1 is documented with 4, 8 or 12 seconds`},
		{"video size case", providers.Request{Kind: providers.Video, Model: "veo-3.1", Size: "1280X720"},
			"size", false, `Unsupported size "1280X720"`, `Did you mean "1280x720"?`},
		{"video size outside the documents", providers.Request{Kind: providers.Video, Model: "veo-3.1", Size: "1920x1080"},
			"size", true, `Undocumented size "1920x1080" for veo-3.1`, `is sent as written`},
		{"shot without duration", providers.Request{Kind: providers.Video, Model: "veo-3.1", Shots: []providers.Shot{{Scene: "x"}}},
			"shot", false, `Shot 1 has no duration`, ``},
		{"shots and seconds disagree", providers.Request{Kind: providers.Video, Model: "veo-3.1", Seconds: 8, Shots: []providers.Shot{{Duration: 3, Scene: "x"}}},
			"seconds", true, `Shots do not add up to seconds`, `The shots last 3s in all but seconds is 8.`},
		{"resolution on a video", providers.Request{Kind: providers.Video, Model: "veo-3.1", Resolution: "4K"},
			"resolution", false, `veo-3.1 does not take resolution`, ``},
	}
	p := newChecker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := p.Check(&tt.req)
			i := slices.IndexFunc(probs, func(pr providers.Problem) bool { return pr.Summary == tt.summary })
			if i < 0 {
				t.Fatalf("no problem %q among %+v", tt.summary, probs)
			}
			pr := probs[i]
			if pr.Field != tt.field || pr.Warning != tt.warning || !strings.Contains(pr.Detail, tt.detail) {
				t.Errorf("problem = %+v, want field %q warning %v detail containing %q", pr, tt.field, tt.warning, tt.detail)
			}
		})
	}
}

func TestCheckFreeSizes(t *testing.T) {
	p := newChecker(t)
	for _, size := range []string{"2048x1152", "3840x2160", "1024x3072", "16x16", "auto"} {
		if probs := p.Check(&providers.Request{Kind: providers.Image, Model: "gpt-image-2", Size: size}); len(probs) != 0 {
			t.Errorf("size %s: %+v", size, probs)
		}
	}
	if probs := p.Check(&providers.Request{Kind: providers.Image, Model: "gpt-image-1", Size: "2048x1152"}); len(probs) != 1 {
		t.Errorf("gpt-image-1 with a free size: %+v, want one problem", probs)
	}
}

func TestPrice(t *testing.T) {
	p := newChecker(t)
	tests := []struct {
		req  providers.Request
		want providers.Price
	}{
		{providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview"}, providers.Price{USD: 0.10, Known: true}},
		{providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Resolution: "1K"}, providers.Price{USD: 0.10, Known: true}},
		{providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Resolution: "2K"}, providers.Price{USD: 0.13, Known: true}},
		{providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Resolution: "4K"}, providers.Price{USD: 0.24, Known: true}},
		{providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Resolution: "4k"}, providers.Price{}},
		{providers.Request{Kind: providers.Chat, Model: "deepseek-r1"}, providers.Price{USD: 0, Known: true}},
		{providers.Request{Kind: providers.Chat, Model: "deepseek-v3"}, providers.Price{USD: 0, Known: true}},
		{providers.Request{Kind: providers.Chat, Model: "wisdom-ai-gpt5"}, providers.Price{}},
		{providers.Request{Kind: providers.Image, Model: "gpt-image-1", Quality: "high"}, providers.Price{}},
		{providers.Request{Kind: providers.Video, Model: "sora-2-pro", Seconds: 25}, providers.Price{}},
		{providers.Request{Kind: providers.Image, Model: "not-in-the-table"}, providers.Price{}},
		{providers.Request{Kind: providers.Image, Model: "deepseek-v3"}, providers.Price{}},
	}
	for _, tt := range tests {
		t.Run(tt.req.Model+"/"+tt.req.Resolution, func(t *testing.T) {
			if got := p.Price(&tt.req); got != tt.want {
				t.Errorf("Price = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	p, diags := build(t, `model_endpoints = { "my-image" = "gemini", "grok-4-image" = "images" }`, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tests := []struct {
		kind  providers.Kind
		model string
		want  endpoint
	}{
		{providers.Chat, "deepseek-v3", viaChat},
		{providers.Chat, "some-new-llm", viaChat},
		{providers.Image, "gemini-3-pro-image-preview", viaGemini},
		{providers.Image, "gemini-4-image", viaGemini},
		{providers.Image, "gpt-image-3", viaImages},
		{providers.Image, "dall-e-2", viaImages},
		{providers.Image, "flux-pro", viaChat},
		{providers.Image, "my-image", viaGemini},
		{providers.Image, "grok-4-image", viaImages},
		{providers.Video, "sora-3", viaVideos},
	}
	for _, tt := range tests {
		if got := p.endpointFor(tt.kind, tt.model); got != tt.want {
			t.Errorf("endpointFor(%s, %s) = %s, want %s", tt.kind, tt.model, got, tt.want)
		}
	}
}

// The sora-2 warning speaks of its shutdown in the future before the date, in the past after.
func TestCheckShutdownTense(t *testing.T) {
	for _, tc := range []struct {
		now             string
		summary, detail string
	}{
		{"2026-09-23T23:59:59Z", "sora-2 is announced to shut down on 2026-09-24", "Plan a move to another model."},
		{"2026-09-24T00:00:00Z", "sora-2 was shut down on 2026-09-24", "Move to another model."},
		{"2027-01-01T12:00:00Z", "sora-2 was shut down on 2026-09-24", "the gateway may no longer serve it"},
	} {
		t.Run(tc.now, func(t *testing.T) {
			p := newChecker(t)
			now, _ := time.Parse(time.RFC3339, tc.now)
			p.SetClock(providers.NewFakeClock(now))
			probs := p.Check(&providers.Request{Kind: providers.Video, Model: "sora-2"})
			i := slices.IndexFunc(probs, func(pr providers.Problem) bool { return pr.Field == "model" })
			if i < 0 {
				t.Fatalf("no model warning among %+v", probs)
			}
			if pr := probs[i]; pr.Summary != tc.summary || !pr.Warning || !strings.Contains(pr.Detail, tc.detail) {
				t.Errorf("problem = %+v, want a warning %q with %q", pr, tc.summary, tc.detail)
			}
		})
	}
}

// A model the table does not know is accepted when the provider block declares it
// (extra_models, model_endpoints or prices), and prices gives any model its price.
func TestCheckDeclaredModels(t *testing.T) {
	p, diags := build(t, `
extra_models    = ["house-image"]
model_endpoints = { "routed-image" = "images" }
prices          = { "priced-image" = 0.12, "gpt-image-1" = 0.05 }
`, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, tc := range []struct {
		model string
		price providers.Price
	}{
		{"house-image", providers.Price{}},
		{"routed-image", providers.Price{}},
		{"priced-image", providers.Price{USD: 0.12, Known: true}},
		{"gpt-image-1", providers.Price{USD: 0.05, Known: true}},
	} {
		req := &providers.Request{Kind: providers.Image, Model: tc.model}
		for _, pr := range p.Check(req) {
			if pr.Field == "model" {
				t.Errorf("%s: %+v, want no model problem", tc.model, pr)
			}
		}
		if got := p.Price(req); got != tc.price {
			t.Errorf("Price(%s) = %+v, want %+v", tc.model, got, tc.price)
		}
	}
	for _, src := range []string{`extra_models = "x"`, `prices = { x = "cheap" }`, `prices = { x = -1 }`} {
		if _, diags := build(t, src, nil); !diags.HasErrors() {
			t.Errorf("%s: no error", src)
		}
	}
}
