package offline

import (
	"bytes"
	"context"
	"image/color"
	"image/gif"
	"os"
	"testing"

	"github.com/genform/genform/providers"
)

func TestVideo(t *testing.T) {
	tests := []struct {
		name    string
		req     providers.Request
		w, h    int
		frames  []int // frames per shot
		seconds float64
	}{
		{name: "prompt only", req: providers.Request{Prompt: "A calm sea", Size: "160x90"},
			w: 160, h: 90, frames: []int{12}, seconds: 4},
		{name: "seconds", req: providers.Request{Prompt: "A calm sea", Size: "96x96", Seconds: 8},
			w: 96, h: 96, frames: []int{12}, seconds: 8},
		{name: "shots", req: providers.Request{Prompt: "Teaser", Size: "128x72",
			Shots: []providers.Shot{{Duration: 1, Scene: "One"}, {Duration: 2, Scene: "Two"}, {Duration: 3, Scene: "Three"}}},
			w: 128, h: 72, frames: []int{2, 4, 6}, seconds: 6},
		{name: "shots scaled to seconds", req: providers.Request{Size: "128x72", Seconds: 10,
			Shots: []providers.Shot{{Duration: 4, Scene: "The logo fades in."}, {Duration: 4, Scene: "A pan."}}},
			w: 128, h: 72, frames: []int{6, 6}, seconds: 10},
		{name: "uneven shots", req: providers.Request{Size: "64x64",
			Shots: []providers.Shot{{Duration: 0.5, Scene: "a"}, {Duration: 7, Scene: "b"}, {Duration: 0.5, Scene: "c"}}},
			w: 64, h: 64, frames: []int{1, 10, 1}, seconds: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.Kind, req.Model, req.OutputPath = providers.Video, "sora-2", "out/teaser.gif"
			var reports []providers.Progress
			job := &providers.Job{Dir: t.TempDir(), Progress: func(p providers.Progress) { reports = append(reports, p) }}
			res, err := (&Provider{}).Generate(context.Background(), &req, job)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(res.File)
			if err != nil {
				t.Fatal(err)
			}
			g, err := gif.DecodeAll(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			total := 0
			for _, n := range tt.frames {
				total += n
			}
			if len(g.Image) != total {
				t.Fatalf("%d frames, want %d", len(g.Image), total)
			}
			if g.Config.Width != tt.w || g.Config.Height != tt.h || res.Width != tt.w || res.Height != tt.h {
				t.Errorf("size %dx%d (result %dx%d), want %dx%d", g.Config.Width, g.Config.Height, res.Width, res.Height, tt.w, tt.h)
			}
			delay := 0
			for _, d := range g.Delay {
				delay += d
			}
			if want := int(tt.seconds * 100); delay != want || res.Seconds != tt.seconds {
				t.Errorf("delays sum to %d/100 s and Seconds = %v, want %v s", delay, res.Seconds, tt.seconds)
			}
			if res.MediaType != "image/gif" {
				t.Errorf("media type %q", res.MediaType)
			}
			// Frames move: the first and last frame differ.
			if bytes.Equal(g.Image[0].Pix, g.Image[len(g.Image)-1].Pix) {
				t.Error("the first and last frames are the same")
			}
			// Progress: generating, then rendering once per frame up to 100%.
			if len(reports) != 1+total || reports[0].Phase != providers.PhaseGenerating {
				t.Fatalf("progress %+v, want generating then %d rendering reports", reports, total)
			}
			for i, r := range reports[1:] {
				if r.Phase != providers.PhaseRendering || r.Percent != (i+1)*100/total {
					t.Errorf("report %d = %+v, want rendering %d%%", i+1, r, (i+1)*100/total)
				}
			}
		})
	}
}

func TestTakes(t *testing.T) {
	shots := make([]providers.Shot, 15)
	for i := range shots {
		shots[i] = providers.Shot{Duration: 1, Scene: "s"}
	}
	list, secs := takes(&providers.Request{Kind: providers.Video, Shots: shots})
	if len(list) != 15 || secs != 15 {
		t.Fatalf("%d takes, %v s; want 15, 15", len(list), secs)
	}
	for i, tk := range list {
		if tk.frames != 1 {
			t.Errorf("take %d has %d frames, want 1 (more shots than frames: one each)", i, tk.frames)
		}
	}
}

func TestVideoReferenceTints(t *testing.T) {
	red := writePNG(t, "red.png", color.RGBA{220, 30, 30, 255}, 8, 8)
	base := providers.Request{Kind: providers.Video, Prompt: "A calm sea", Size: "64x36", OutputPath: "v.gif"}
	with := base
	with.Reference = &red
	r1, _ := generate(t, &Provider{}, &base)
	r2, _ := generate(t, &Provider{}, &with)
	if r1.SHA256 == r2.SHA256 {
		t.Error("the reference did not change the video")
	}
}
