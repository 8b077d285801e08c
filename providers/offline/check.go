package offline

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/genform/genform/providers"
)

// Size limits. Images go up to 4K; videos are several frames each, so they stay smaller.
const (
	minSide      = 16
	maxImageSide = 4096
	maxVideoSide = 1920

	defaultImageSide = 1024
	defaultVideoW    = 640
	defaultVideoH    = 360
)

// resolutions maps Gemini's image_size values to the long side in pixels.
var resolutions = map[string]int{"1K": 1024, "2K": 2048, "4K": 4096}

// Check reports what the offline renderer cannot do with req. Any model name is accepted.
func (p *Provider) Check(req *providers.Request) []providers.Problem {
	var probs []providers.Problem
	switch req.Kind {
	case providers.Chat:
		// Every prompt has a reply.
	case providers.Image:
		probs = append(probs, checkImagePath(req.OutputPath)...)
		_, _, more := imageSize(req)
		probs = append(probs, more...)
		if req.Background == "transparent" && req.OutputPath != "" && imageExt(req.OutputPath) != ".png" {
			probs = append(probs, providers.Problem{
				Warning: true,
				Field:   "background",
				Summary: "Transparent background needs a PNG",
				Detail:  fmt.Sprintf("The offline provider paints a transparent background only into .png files; %q will have an opaque one. End the path in .png to keep the transparency.", req.OutputPath),
			})
		}
	case providers.Video:
		if req.OutputPath != "" && imageExt(req.OutputPath) != ".gif" {
			probs = append(probs, providers.Problem{
				Field:   "path",
				Summary: fmt.Sprintf("Unsupported video format %q", extOf(req.OutputPath)),
				Detail:  fmt.Sprintf("The offline provider renders video as GIF: use a path ending in .gif, such as %q.", swapExt(req.OutputPath, ".gif")),
			})
		}
		_, _, more := videoSize(req)
		probs = append(probs, more...)
		if req.Seconds < 0 {
			probs = append(probs, providers.Problem{
				Field:   "seconds",
				Summary: fmt.Sprintf("Negative seconds %d", req.Seconds),
				Detail:  "seconds is the video length: give a positive number, or leave it out for the sum of the shots' durations.",
			})
		}
		for i, s := range req.Shots {
			if s.Duration <= 0 {
				probs = append(probs, providers.Problem{
					Field:   "shot",
					Summary: fmt.Sprintf("Shot %d has no duration", i+1),
					Detail:  "Each shot needs a positive duration in seconds, such as duration = 4.",
				})
			}
		}
	default:
		probs = append(probs, providers.Problem{
			Summary: fmt.Sprintf("Unsupported asset kind %q", req.Kind),
			Detail:  "The offline provider renders chat, image and video assets.",
		})
	}
	return probs
}

// checkImagePath refuses image formats the offline renderer cannot write.
func checkImagePath(p string) []providers.Problem {
	if p == "" {
		return nil
	}
	switch ext := imageExt(p); ext {
	case ".png", ".jpg", ".gif":
		return nil
	case ".webp":
		return []providers.Problem{{
			Field:   "path",
			Summary: "The offline provider cannot write WebP",
			Detail:  fmt.Sprintf("Go's standard library and golang.org/x/image read WebP but cannot write it. Use a path ending in .png, .jpg or .gif with the offline provider, such as %q.", swapExt(p, ".png")),
		}}
	default:
		return []providers.Problem{{
			Field:   "path",
			Summary: fmt.Sprintf("Unsupported image format %q", extOf(p)),
			Detail:  fmt.Sprintf("The offline provider writes images as .png, .jpg (or .jpeg) and .gif: use a path such as %q.", swapExt(p, ".png")),
		}}
	}
}

// extOf is p's extension as written, or "no extension".
func extOf(p string) string {
	if e := path.Ext(p); e != "" {
		return e
	}
	return "no extension"
}

// imageExt is p's lower-cased extension, with .jpeg folded into .jpg.
func imageExt(p string) string {
	e := strings.ToLower(path.Ext(p))
	if e == ".jpeg" {
		return ".jpg"
	}
	return e
}

// swapExt replaces p's extension with ext.
func swapExt(p, ext string) string {
	return strings.TrimSuffix(p, path.Ext(p)) + ext
}

// imageSize is the pixel size of an image request: Size if set, else Resolution and
// AspectRatio, else 1024x1024. Problems name the field at fault.
func imageSize(req *providers.Request) (w, h int, probs []providers.Problem) {
	if req.Size != "" {
		w, h, pr := parseSize(req.Size, maxImageSide)
		if pr != nil {
			return defaultImageSide, defaultImageSide, []providers.Problem{*pr}
		}
		return w, h, nil
	}
	long := defaultImageSide
	if req.Resolution != "" {
		l, ok := resolutions[req.Resolution]
		if !ok {
			pr := providers.Problem{
				Field:   "resolution",
				Summary: fmt.Sprintf("Unsupported resolution %q", req.Resolution),
				Detail:  `resolution is one of "1K", "2K" or "4K" (the long side is 1024, 2048 or 4096 pixels).`,
			}
			if _, ok := resolutions[strings.ToUpper(req.Resolution)]; ok {
				pr.Detail = fmt.Sprintf("Did you mean %q? ", strings.ToUpper(req.Resolution)) + pr.Detail
			}
			probs = append(probs, pr)
		} else {
			long = l
		}
	}
	w, h = long, long
	if req.AspectRatio != "" {
		a, b, ok := parseRatio(req.AspectRatio)
		if !ok {
			probs = append(probs, providers.Problem{
				Field:   "aspect_ratio",
				Summary: fmt.Sprintf("Invalid aspect ratio %q", req.AspectRatio),
				Detail:  `aspect_ratio is width:height in whole numbers, such as "16:9", "1:1" or "9:16", with neither side more than 8 times the other.`,
			})
		} else if a >= b {
			h = (long*b + a/2) / a
		} else {
			w = (long*a + b/2) / b
		}
	}
	return w, h, probs
}

// videoSize is the frame size of a video request: Size, or 640x360.
func videoSize(req *providers.Request) (w, h int, probs []providers.Problem) {
	if req.Size == "" {
		return defaultVideoW, defaultVideoH, nil
	}
	w, h, pr := parseSize(req.Size, maxVideoSide)
	if pr != nil {
		return defaultVideoW, defaultVideoH, []providers.Problem{*pr}
	}
	return w, h, nil
}

// parseSize reads "WIDTHxHEIGHT" with both sides in [minSide, max].
func parseSize(s string, max int) (w, h int, pr *providers.Problem) {
	ws, hs, ok := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, &providers.Problem{
			Field:   "size",
			Summary: fmt.Sprintf("Invalid size %q", s),
			Detail:  `size is WIDTHxHEIGHT in pixels, such as "1024x1024" or "1280x720".`,
		}
	}
	if w < minSide || h < minSide || w > max || h > max {
		return 0, 0, &providers.Problem{
			Field:   "size",
			Summary: fmt.Sprintf("Size %q out of range", s),
			Detail:  fmt.Sprintf("The offline provider renders each side from %d to %d pixels here: choose a size within that range.", minSide, max),
		}
	}
	return w, h, nil
}

// parseRatio reads "A:B" with whole positive numbers no more than 8 to 1 apart.
func parseRatio(s string) (a, b int, ok bool) {
	as, bs, ok := strings.Cut(s, ":")
	a, err1 := strconv.Atoi(as)
	b, err2 := strconv.Atoi(bs)
	if !ok || err1 != nil || err2 != nil || a <= 0 || b <= 0 || a > 8*b || b > 8*a || a > 1000 || b > 1000 {
		return 0, 0, false
	}
	return a, b, true
}
