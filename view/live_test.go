package view

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/providers"
)

func TestETAText(t *testing.T) {
	for _, tc := range []struct {
		elapsed     time.Duration
		done, total int
		want        string
	}{
		{0, 0, 4, "ETA -"},                        // nothing finished yet: nothing to go by
		{10 * time.Second, 2, 4, "ETA 10s"},       // 5s each, two to go
		{9 * time.Second, 3, 4, "ETA 3s"},         // 3s each, one to go
		{90 * time.Second, 1, 3, "ETA 3m0s"},      // 90s each, two to go
		{12 * time.Second, 4, 4, "ETA 0s"},        // all done
		{1500 * time.Millisecond, 1, 2, "ETA 2s"}, // rounded to the second
	} {
		if got := etaText(tc.elapsed, tc.done, tc.total); got != tc.want {
			t.Errorf("etaText(%v, %d, %d) = %q, want %q", tc.elapsed, tc.done, tc.total, got, tc.want)
		}
	}
}

// lastFrame is what a terminal shows after out: mpb redraws its lines in place, moving the
// cursor up and clearing below; the text after the last clear is the final frame, plus the
// lines printed above the bars before it.
func lastFrame(out string) string {
	re := regexp.MustCompile(`\x1b\[[0-9]*[AJK]`)
	parts := re.Split(out, -1)
	return parts[len(parts)-1]
}

func change(addr string) *engine.Change {
	return &engine.Change{Addr: addr, Kind: "video", Model: "sora-2", Action: engine.Create}
}

// After Ctrl-C, an interrupted instance is not counted as finished: the bar does not show
// 4/4, it says one was interrupted, and no spinner line is left behind.
func TestLiveViewInterrupted(t *testing.T) {
	var out bytes.Buffer
	h := newTTYHook(&out, 4)
	var chs []*engine.Change
	for _, a := range []string{"video.a", "video.b", "video.c", "video.d"} {
		ch := change(a)
		chs = append(chs, ch)
		h.Started(ch)
	}
	h.Progress(chs[3], providers.Progress{Phase: providers.PhaseRendering, Percent: 40})
	for _, ch := range chs[:3] {
		h.Finished(ch, &engine.Outcome{Status: engine.Done, Action: engine.Create, Cost: providers.Price{Known: true, USD: 0.5}, Elapsed: time.Second})
	}
	h.Finished(chs[3], &engine.Outcome{Status: engine.Interrupted, Action: engine.Create, Err: errors.New("interrupted")})
	h.Close()
	frame := lastFrame(out.String())
	if !strings.Contains(frame, "apply 3/4") || strings.Contains(frame, "4/4") {
		t.Errorf("the overall bar after an interrupt:\n%q\nwant 3/4, not 4/4", frame)
	}
	if !strings.Contains(frame, "1 interrupted") || !strings.Contains(frame, "$1.50") {
		t.Errorf("the overall bar does not say what was interrupted and spent:\n%q", frame)
	}
	if strings.Contains(frame, "rendering") || strings.Contains(frame, "starting") {
		t.Errorf("a spinner line is left over:\n%q", frame)
	}
}

// An instance still running when the view closes (a second Ctrl-C) leaves no spinner line.
func TestLiveViewCloseDropsSpinners(t *testing.T) {
	var out bytes.Buffer
	h := newTTYHook(&out, 2)
	h.Started(change("video.a"))
	h.Started(change("video.b"))
	h.Finished(change("video.a"), &engine.Outcome{Status: engine.Done, Action: engine.Create, Cost: providers.Price{Known: true}})
	time.Sleep(200 * time.Millisecond) // one refresh, so the spinner was drawn
	h.Close()
	frame := lastFrame(out.String())
	if strings.Contains(frame, "video.b") {
		t.Errorf("the spinner of video.b is left over:\n%q", frame)
	}
	if !strings.Contains(out.String(), "video.b") {
		t.Errorf("the spinner of video.b was never drawn:\n%q", out.String())
	}
	if !strings.Contains(frame, "apply 1/2") {
		t.Errorf("the overall bar:\n%q", frame)
	}
}

// The spinner is at the start of its line, next to the address, not floating mid-line.
func TestLiveViewSpinnerAtLineStart(t *testing.T) {
	var out bytes.Buffer
	h := newTTYHook(&out, 1)
	h.Started(change("video.a"))
	time.Sleep(200 * time.Millisecond)
	h.Close()
	text := regexp.MustCompile(`\x1b\[[0-9]*[AJK]`).ReplaceAllString(out.String(), "\n")
	line := regexp.MustCompile(`(?m)^.*video\.a.*$`).FindString(text)
	if line == "" {
		t.Fatalf("no spinner line in\n%q", out.String())
	}
	// "  ⠋ video.a starting   0.2s": the spinner, then the address; nothing wide between
	if !regexp.MustCompile(`^ *\S video\.a `).MatchString(line) {
		t.Errorf("the spinner line is %q: want the spinner right before the address, at the start", line)
	}
}

// The last instance to finish leaves no spinner line when the view closes right after.
func TestLiveViewLastSpinnerGoes(t *testing.T) {
	var out bytes.Buffer
	h := newTTYHook(&out, 1)
	h.Started(change("video.a"))
	time.Sleep(200 * time.Millisecond)
	h.Finished(change("video.a"), &engine.Outcome{Status: engine.Done, Action: engine.Create, Cost: providers.Price{Known: true}})
	h.Close()
	frame := lastFrame(out.String())
	if strings.Contains(frame, "starting") {
		t.Errorf("the spinner line is left over:\n%q", frame)
	}
	if !strings.Contains(frame, "apply 1/1") {
		t.Errorf("the overall bar:\n%q", frame)
	}
}
