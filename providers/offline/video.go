package offline

import (
	"context"
	"fmt"
	"image"
	"image/gif"
	"io"
	"strconv"

	"github.com/genform/genform/providers"
)

const (
	videoFrames    = 12 // frames of a video, unless it has more shots than that
	defaultSeconds = 4  // the length of a video that sets neither seconds nor shots
)

// take is one shot as rendered: its caption, frames and length.
type take struct {
	scene   string
	frames  int
	seconds float64
}

// takes splits a video into its shots, sharing the frames among them in proportion to their
// durations (at least one frame each) and scaling their durations to the video's length.
// A video of more shots than videoFrames gets one frame per shot.
func takes(req *providers.Request) (list []take, seconds float64) {
	shots := req.Shots
	if len(shots) == 0 {
		shots = []providers.Shot{{Duration: defaultSeconds, Scene: req.Prompt}}
	}
	var sum float64
	for _, s := range shots {
		sum += s.Duration
	}
	seconds = sum
	if req.Seconds > 0 {
		seconds = float64(req.Seconds)
	} else if len(req.Shots) == 0 {
		seconds = defaultSeconds
	}
	total := max(videoFrames, len(shots))
	// Largest remainder over durations in whole milliseconds: exact integer arithmetic, so
	// the split is the same on every machine.
	millis := make([]int, len(shots))
	sumMillis := 0
	for i, s := range shots {
		millis[i] = int(float64(s.Duration*1000) + 0.5) // the conversion forbids a fused multiply-add
		sumMillis += millis[i]
	}
	sumMillis = max(sumMillis, 1)
	list = make([]take, len(shots))
	rems := make([]int, len(shots))
	given := 0
	for i, s := range shots {
		n := millis[i] * total / sumMillis
		rems[i] = millis[i] * total % sumMillis
		if n == 0 { // every shot shows at least once
			n, rems[i] = 1, -1
		}
		list[i] = take{scene: s.Scene, frames: n, seconds: s.Duration * seconds / max(sum, 1e-9)}
		given += n
	}
	for ; given < total; given++ { // largest remainders first
		best := 0
		for i := range rems {
			if rems[i] > rems[best] {
				best = i
			}
		}
		list[best].frames++
		rems[best] = -1
	}
	for ; given > total; given-- { // the minimum of one frame overshot: trim the longest
		most := 0
		for i := range list {
			if list[i].frames > list[most].frames {
				most = i
			}
		}
		list[most].frames--
	}
	return list, seconds
}

// renderVideo paints req's frames into an animated GIF in job.Dir, reporting each frame.
func renderVideo(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	w, h, _ := videoSize(req)
	var refs []providers.File
	if req.Reference != nil {
		refs = append(refs, *req.Reference)
	}
	t, err := tintOf(refs)
	if err != nil {
		return nil, err
	}
	parts := []string{req.Prompt}
	for _, s := range req.Shots {
		parts = append(parts, strconv.FormatFloat(s.Duration, 'g', -1, 64), s.Scene)
	}
	seed := seedOf(parts...)
	list, seconds := takes(req)
	total := 0
	for _, tk := range list {
		total += tk.frames
	}
	anim := &gif.GIF{Config: image.Config{ColorModel: gifPalette, Width: w, Height: h}}
	frame := 0
	c := newCanvas(w, h) // reused: each frame's sky repaints every pixel
	for i, tk := range list {
		// Each shot is its own variation of the scene: the same seed turned a little.
		shotTint := t
		shotTint.hue += i * 35
		sc := newScene(seed, shotTint)
		// Delays in hundredths of a second, spread so the shot lasts its length exactly.
		cs := int(float64(tk.seconds*100) + 0.5)
		for k := range tk.frames {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("offline: %w", err)
			}
			sc.paint(c, frame*1000/max(total-1, 1), false)
			sc.caption(c, tk.scene, 3)
			bar := max(h/90, 2)
			c.rect(image.Rect(0, h-bar, w*(frame+1)/total, h), rgb{250, 248, 240}.with(200))
			anim.Image = append(anim.Image, quantize(c.img))
			anim.Delay = append(anim.Delay, cs*(k+1)/tk.frames-cs*k/tk.frames)
			anim.Disposal = append(anim.Disposal, gif.DisposalNone)
			frame++
			report(job, providers.Progress{Phase: providers.PhaseRendering, Percent: frame * 100 / total})
		}
	}
	var dir string
	if job != nil {
		dir = job.Dir
	}
	out, err := writeOutput(dir, ".gif", func(wr io.Writer) error { return gif.EncodeAll(wr, anim) })
	if err != nil {
		return nil, err
	}
	return &providers.Result{
		File:      out.path,
		MediaType: "image/gif",
		SHA256:    out.sha256,
		Size:      out.size,
		Width:     w,
		Height:    h,
		Seconds:   seconds,
	}, nil
}
