package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browserProject is a small offline project: a chat, two images from a for_each, an image
// with a hostile prompt and a GIF video.
const browserProject = `provider "offline" {}

locals {
  styles = toset(["watercolor", "pixel art"])
}

chat "tagline" {
  model  = "echo"
  prompt = "A tagline for Acme, the friendly rocket company"
}

image "hero" {
  for_each = local.styles
  model    = "painter"
  prompt   = "${chat.tagline.text}, a city skyline at dawn, ${each.value}"
  size     = "640x360"
  path     = "out/hero-${replace(each.key, " ", "-")}.png"
}

image "icon" {
  model  = "painter"
  prompt = "A round app icon <script>alert('icon')</script>"
  size   = "256x256"
  path   = "out/icon.png"
}

video "teaser" {
  model = "reel"
  size  = "320x180"
  shot {
    duration = 1
    scene    = "The logo fades in."
  }
  shot {
    duration = 1
    scene    = "Camera pans across the skyline."
  }
  path = "out/teaser.gif"
}
`

// findChromium returns a headless-capable Chromium, or skips the test loudly; under CI=true
// a missing Chromium fails the test instead.
func findChromium(t *testing.T) string {
	t.Helper()
	names := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless_shell"}
	if env := os.Getenv("GENFORM_CHROMIUM"); env != "" {
		names = []string{env}
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := "NO CHROMIUM: the gallery's browser test did not run. Install Debian's chromium package " +
		"(apt-get install -y chromium; .ci/run does this as root) or set GENFORM_CHROMIUM to a Chrome binary."
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " Under CI=true this is a failure, not a skip.")
	}
	t.Skip("SKIPPED: " + msg)
	return ""
}

// chromium runs a headless Chromium on the page with extra flags and returns its output.
func chromium(t *testing.T, bin string, page string, flags ...string) []byte {
	t.Helper()
	profile, err := os.MkdirTemp("", "genform-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--no-first-run", "--no-default-browser-check", "--mute-audio",
		"--hide-scrollbars", "--user-data-dir=" + profile, "--virtual-time-budget=5000",
	}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, page)...)
	cmd.Dir = profile
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// runCommand runs one genform command in dir and returns its stdout; it fails the test on a
// non-zero exit.
func runCommand(t *testing.T, dir string, cmd func(*cli, []string) int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), dir: dir}
	if code := cmd(c, args); code != 0 {
		t.Fatalf("%v exited %d:\n%s\n%s", args, code, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

func TestGalleryInBrowser(t *testing.T) {
	bin := findChromium(t)
	dir := filepath.Join(t.TempDir(), "quickstart") // the page's title
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(cfg string) {
		if err := os.WriteFile(filepath.Join(dir, "main.gen.hcl"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(browserProject)
	runCommand(t, dir, cmdApply, "-auto-approve")
	// A change to review: the heroes' shared prompt and the icon's prompt change (three
	// regenerates with prompt diffs) and the teaser goes (a delete: its GIF moves into the
	// cache). Plan it, apply it, and show what the plan did.
	cfg := strings.NewReplacer("skyline at dawn", "skyline at dusk", "A round app icon", "A square app icon").Replace(browserProject)
	write(cfg[:strings.Index(cfg, "video \"teaser\"")])
	plan := filepath.Join(dir, "review.plan")
	runCommand(t, dir, cmdPlan, "-out", plan)
	runCommand(t, dir, cmdApply, "-auto-approve")
	out := strings.TrimSpace(runCommand(t, dir, cmdGallery, "-plan", plan))
	index := out
	if !filepath.IsAbs(index) {
		wd, _ := os.Getwd()
		index = filepath.Join(wd, index)
	}
	if want := filepath.Join(dir, ".genform", "gallery", "index.html"); index != want {
		t.Fatalf("gallery printed %q, want the path of %s", out, want)
	}
	runCommand(t, dir, cmdGallery, "-plan", plan, "-changed", "-out", "review")
	fileURL := func(p string) string { return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String() }
	var viewport int // the page's height in a 900 pixel high window

	t.Run("selftest", func(t *testing.T) {
		dom := chromium(t, bin, fileURL(index)+"?selftest=1", "--dump-dom", "--window-size=1280,900")
		m := regexp.MustCompile(`(?s)<pre id="selftest">(.*?)</pre>`).FindSubmatch(dom)
		if m == nil {
			t.Fatalf("the page wrote no selftest result; its DOM:\n%s", dom)
		}
		var r struct {
			Cards, Images, Videos            int
			Broken                           []string
			Filter                           string
			HiddenByFilter, HiddenByNonsense int
			NoneShown                        bool
			SlashFocuses, EscapeClears       bool
			HiddenByKind, NonImagesShown     int
			Viewport                         int
			PageFill, ThumbWidth             float64
			ZoomOpens, ZoomActualSize        bool
			ZoomCloses                       bool
			Sliders                          int
			SliderShown, PairBack            bool
			SliderClip                       string
		}
		if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &r); err != nil {
			t.Fatalf("selftest result %s: %v", m[1], err)
		}
		t.Logf("selftest: %+v", r)
		viewport = r.Viewport
		// chat.tagline, image.hero x2, image.icon, video.teaser
		if r.Cards != 5 {
			t.Errorf("%d cards, want 5", r.Cards)
		}
		// the heroes and the icon before and after, the deleted teaser's GIF (from the cache)
		if r.Images != 7 || len(r.Broken) > 0 {
			t.Errorf("%d images, broken %v; want 7, all loaded", r.Images, r.Broken)
		}
		if r.HiddenByFilter != r.Cards-1 || r.HiddenByNonsense != r.Cards || !r.NoneShown {
			t.Errorf("the filter box hid %d cards for %q (want %d) and %d for nonsense (want %d, with the note %v)",
				r.HiddenByFilter, r.Filter, r.Cards-1, r.HiddenByNonsense, r.Cards, r.NoneShown)
		}
		if !r.SlashFocuses || !r.EscapeClears {
			t.Errorf("keyboard: / focuses the filter %v, Esc clears it %v", r.SlashFocuses, r.EscapeClears)
		}
		if r.HiddenByKind != 2 || r.NonImagesShown != 0 {
			t.Errorf("the kind filter hid %d cards (want the chat and the video), %d non-images still shown", r.HiddenByKind, r.NonImagesShown)
		}
		// the layout uses the window's width, and images are shown large, not as 230 px
		// thumbnails of 640 px images
		if r.PageFill < 0.9 || r.ThumbWidth < 300 {
			t.Errorf("the cards fill %.0f%% of the window and the largest image is %.0f px wide; want at least 90%% and 300 px", 100*r.PageFill, r.ThumbWidth)
		}
		if !r.ZoomOpens || !r.ZoomActualSize || !r.ZoomCloses {
			t.Errorf("zoom: opens on a click %v, shows the actual size on a second %v, closes on Esc %v", r.ZoomOpens, r.ZoomActualSize, r.ZoomCloses)
		}
		// the two heroes and the icon have an image before and after
		if r.Sliders != 3 || !r.SliderShown || !r.PairBack || !strings.Contains(r.SliderClip, "30%") {
			t.Errorf("compare: %d sliders (want 3), slider mode shown %v, back to side by side %v, clip %q", r.Sliders, r.SliderShown, r.PairBack, r.SliderClip)
		}
		if bytes.Contains(dom, []byte("<script>alert")) {
			t.Errorf("a hostile prompt became markup")
		}
	})

	// The screenshot (docs/gallery.png) is of the review a pull request gets: -changed.
	t.Run("screenshot", func(t *testing.T) {
		if viewport <= 0 || viewport > 900 {
			t.Fatalf("the selftest did not measure the viewport (%d)", viewport)
		}
		raw := filepath.Join(t.TempDir(), "raw.png")
		// Headless Chromium paints only the viewport, which is smaller than the window by
		// the browser's (invisible) frame: ask for a taller window and keep the viewport.
		chromium(t, bin, fileURL(filepath.Join(dir, "review", "index.html")), "--screenshot="+raw, fmt.Sprintf("--window-size=1280,%d", 900+900-viewport))
		img := decodePNG(t, raw)
		if b := img.Bounds(); b.Dx() != 1280 || b.Dy() < 900 {
			t.Fatalf("screenshot %v, want 1280 wide and at least 900 high", b)
		}
		shot := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(0, 0, 1280, 900))
		if n := colours(shot, 64); n < 64 {
			t.Errorf("the screenshot has %d colours: the images did not render", n)
		}
		if n := colours(shot.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(0, 800, 1280, 900)), 16); n < 16 {
			t.Errorf("the bottom of the screenshot has %d colours: it was not painted", n)
		}
		path := filepath.Join(t.TempDir(), "gallery.png")
		if env := os.Getenv("GENFORM_GALLERY_SCREENSHOT"); env != "" { // to update docs/gallery.png
			path = env
		}
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, shot); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d kB)", path, buf.Len()>>10)
	})
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	return img
}

// colours counts the distinct colours of img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}
