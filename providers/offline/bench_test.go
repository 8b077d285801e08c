package offline

import (
	"context"
	"os"
	"testing"

	"github.com/genform/genform/providers"
)

func BenchmarkImage(b *testing.B) {
	for _, bc := range []struct{ name, res, ratio string }{{"1K", "1K", "1:1"}, {"2K", "2K", "16:9"}} {
		b.Run(bc.name, func(b *testing.B) {
			p := &Provider{}
			req := &providers.Request{Kind: providers.Image, Prompt: "A lighthouse on a cliff at dusk, watercolor",
				Resolution: bc.res, AspectRatio: bc.ratio, OutputPath: "out/hero.png"}
			job := &providers.Job{Dir: b.TempDir()}
			b.ReportAllocs()
			for b.Loop() {
				res, err := p.Generate(context.Background(), req, job)
				if err != nil {
					b.Fatal(err)
				}
				os.Remove(res.File)
			}
		})
	}
}

func BenchmarkPaint(b *testing.B) {
	seed := seedOf("A lighthouse on a cliff at dusk, watercolor")
	b.ReportAllocs()
	for b.Loop() {
		paintImage(seed, tint{}, "A lighthouse on a cliff at dusk, watercolor", 1024, 1024, false)
	}
}

func BenchmarkVideo(b *testing.B) {
	p := &Provider{}
	req := &providers.Request{Kind: providers.Video, Prompt: "Teaser", OutputPath: "t.gif",
		Shots: []providers.Shot{{Duration: 4, Scene: "The logo fades in."}, {Duration: 4, Scene: "A pan across the skyline."}}}
	job := &providers.Job{Dir: b.TempDir()}
	b.ReportAllocs()
	for b.Loop() {
		res, err := p.Generate(context.Background(), req, job)
		if err != nil {
			b.Fatal(err)
		}
		os.Remove(res.File)
	}
}
