package offline

import (
	"strings"
	"testing"

	"github.com/genform/genform/providers"
)

func TestCheck(t *testing.T) {
	type want struct {
		field   string
		warning bool
		text    string // in Summary or Detail
	}
	tests := []struct {
		name string
		req  providers.Request
		want []want
	}{
		{name: "chat", req: providers.Request{Kind: providers.Chat, Model: "whatever-model", Prompt: "hi"}},
		{name: "image png", req: providers.Request{Kind: providers.Image, Model: "gemini-3-pro-image-preview", Resolution: "2K", AspectRatio: "16:9", OutputPath: "out/a.png"}},
		{name: "image jpeg", req: providers.Request{Kind: providers.Image, OutputPath: "out/a.JPEG"}},
		{name: "image gif", req: providers.Request{Kind: providers.Image, OutputPath: "out/a.gif"}},
		{name: "image without path", req: providers.Request{Kind: providers.Image}},
		{name: "image webp", req: providers.Request{Kind: providers.Image, OutputPath: "out/a.webp"},
			want: []want{{field: "path", text: `cannot write WebP`}}},
		{name: "image bmp", req: providers.Request{Kind: providers.Image, OutputPath: "out/a.bmp"},
			want: []want{{field: "path", text: `"out/a.png"`}}},
		{name: "image without extension", req: providers.Request{Kind: providers.Image, OutputPath: "out/a"},
			want: []want{{field: "path", text: "no extension"}}},
		{name: "resolution case", req: providers.Request{Kind: providers.Image, Resolution: "4k"},
			want: []want{{field: "resolution", text: `Did you mean "4K"?`}}},
		{name: "resolution unknown", req: providers.Request{Kind: providers.Image, Resolution: "8K"},
			want: []want{{field: "resolution", text: `"1K", "2K" or "4K"`}}},
		{name: "aspect ratio", req: providers.Request{Kind: providers.Image, AspectRatio: "16/9"},
			want: []want{{field: "aspect_ratio", text: `"16/9"`}}},
		{name: "aspect ratio extreme", req: providers.Request{Kind: providers.Image, AspectRatio: "20:1"},
			want: []want{{field: "aspect_ratio", text: "8 times"}}},
		{name: "size malformed", req: providers.Request{Kind: providers.Image, Size: "big"},
			want: []want{{field: "size", text: "WIDTHxHEIGHT"}}},
		{name: "size too large", req: providers.Request{Kind: providers.Image, Size: "8192x8192"},
			want: []want{{field: "size", text: "4096"}}},
		{name: "size too small", req: providers.Request{Kind: providers.Image, Size: "8x8"},
			want: []want{{field: "size", text: "16"}}},
		{name: "transparent jpeg", req: providers.Request{Kind: providers.Image, Background: "transparent", OutputPath: "a.jpg"},
			want: []want{{field: "background", warning: true, text: ".png"}}},
		{name: "video gif", req: providers.Request{Kind: providers.Video, Model: "sora-2", Seconds: 8, Size: "1280x720", OutputPath: "out/t.gif",
			Shots: []providers.Shot{{Duration: 4, Scene: "a"}}}},
		{name: "video mp4", req: providers.Request{Kind: providers.Video, OutputPath: "out/teaser.mp4"},
			want: []want{{field: "path", text: `renders video as GIF: use a path ending in .gif, such as "out/teaser.gif"`}}},
		{name: "video size", req: providers.Request{Kind: providers.Video, Size: "3840x2160", OutputPath: "t.gif"},
			want: []want{{field: "size", text: "1920"}}},
		{name: "video seconds", req: providers.Request{Kind: providers.Video, Seconds: -2, OutputPath: "t.gif"},
			want: []want{{field: "seconds", text: "positive"}}},
		{name: "video shot", req: providers.Request{Kind: providers.Video, OutputPath: "t.gif", Shots: []providers.Shot{{Duration: 2}, {Duration: 0}}},
			want: []want{{field: "shot", text: "Shot 2"}}},
		{name: "unknown kind", req: providers.Request{Kind: "audio"},
			want: []want{{field: "", text: `"audio"`}}},
	}
	p := &Provider{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Check(&tt.req)
			if len(got) != len(tt.want) {
				t.Fatalf("Check = %+v, want %d problems", got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Field != w.field || g.Warning != w.warning {
					t.Errorf("problem %d: field %q warning %v, want %q %v", i, g.Field, g.Warning, w.field, w.warning)
				}
				if !strings.Contains(g.Summary+" "+g.Detail, w.text) {
					t.Errorf("problem %d: %q / %q does not mention %q", i, g.Summary, g.Detail, w.text)
				}
				if g.Summary == "" || g.Detail == "" {
					t.Errorf("problem %d lacks a summary or a detail: %+v", i, g)
				}
			}
		})
	}
}
