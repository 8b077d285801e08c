package wisdomgate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/providers/wisdomgate/gatetest"
)

func TestVideoConformance(t *testing.T) {
	tests := []struct {
		name      string
		idField   string
		running   string
		download  string
		wantID    string
		wantFiles int
		wantAuth  bool // the download went to the gateway host, with credentials
	}{
		{"id, in_progress, meta_data.url", "id", "in_progress", gatetest.DownloadMeta, "video_000001", 1, false},
		{"task_id, processing, /content", "task_id", "processing", gatetest.DownloadContent, "task-000001", 0, true},
		{"unknown status, /content redirects to another host", "id", "rendering_now", gatetest.DownloadRedirect, "video_000001", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, srv, clock := setup(t, gatetest.Options{
				Key: testKey, VideoIDField: tt.idField, VideoStatus: tt.running, VideoDownload: tt.download,
				VideoPolls: 4, VideoSize: 10000,
			}, `poll_interval = "15s"`)
			ref, refBytes := refFile(t, "hero.png", 16, 9)
			dir := t.TempDir()
			var started []string
			var progress []providers.Progress
			job := &providers.Job{
				Dir: dir,
				Started: func(id string) error {
					if n := srv.Calls(gatetest.VideosGet); n != 0 {
						t.Errorf("Started called after %d polls, want before polling", n)
					}
					started = append(started, id)
					return nil
				},
				Progress: func(pr providers.Progress) { progress = append(progress, pr) },
			}
			res, err := p.Generate(context.Background(), &providers.Request{
				Kind: providers.Video, Model: "sora-2", Size: "1280x720", Seconds: 8, Reference: &ref,
				Shots: []providers.Shot{
					{Duration: 4, Scene: "The logo fades in."},
					{Duration: 4, Scene: "Camera pans across\nthe skyline."},
				},
			}, job)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(started, []string{tt.wantID}) {
				t.Errorf("Started got %q, want [%s]", started, tt.wantID)
			}
			r := only(t, srv, gatetest.VideosCreate)
			if r.Path != "/v1/videos" || r.ContentType != "multipart/form-data" {
				t.Errorf("create %s (%s)", r.Path, r.ContentType)
			}
			wantAuth(t, r, true, false)
			wantJSON(t, r.Fields, `{
				"model": ["sora-2"],
				"prompt": ["Shot 1:\nduration: 4sec\nScene: The logo fades in.\n\nShot 2:\nduration: 4sec\nScene: Camera pans across the skyline."],
				"seconds": ["8"],
				"size": ["1280x720"]
			}`)
			wantJSON(t, r.Files, mustJSON(t, []gatetest.File{fileOf("input_reference", "hero.png", refBytes)}))
			if n := srv.Calls(gatetest.VideosGet); n != 4 {
				t.Errorf("polls = %d, want 4", n)
			}
			if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{15 * time.Second, 15 * time.Second, 15 * time.Second}) {
				t.Errorf("waits between polls = %v, want 3 x 15s", got)
			}
			for _, req := range srv.Requests() {
				if req.Endpoint == gatetest.VideosGet {
					wantAuth(t, req, true, false)
					if req.Path != "/v1/videos/"+tt.wantID {
						t.Errorf("poll path = %s", req.Path)
					}
				}
				if req.Endpoint == gatetest.VideosContent {
					wantAuth(t, req, true, false)
				}
			}
			if n := srv.Calls(gatetest.Files); n != tt.wantFiles {
				t.Errorf("files host calls = %d, want %d", n, tt.wantFiles)
			}
			if creds := srv.FileCredentials(); len(creds) != 0 {
				t.Errorf("the download host was sent credentials: %q", creds)
			}
			if res.MediaType != "video/mp4" || res.Size != 10000 || res.JobID != tt.wantID || res.Seconds != 8 {
				t.Errorf("result = %+v", res)
			}
			checkOutput(t, res, dir)
			var phases []providers.Phase
			for _, pr := range progress {
				if len(phases) == 0 || phases[len(phases)-1] != pr.Phase {
					phases = append(phases, pr.Phase)
				}
			}
			want := []providers.Phase{providers.PhaseGenerating, providers.PhaseQueued, providers.PhaseRendering, providers.PhaseDownloading}
			if !slices.Equal(phases, want) {
				t.Errorf("phases = %v, want %v", phases, want)
			}
			if srv.Paid("Shot 1:\nduration: 4sec\nScene: The logo fades in.\n\nShot 2:\nduration: 4sec\nScene: Camera pans across the skyline.") != 1 {
				t.Errorf("the job was not paid exactly once")
			}
		})
	}
}

func TestVideoFails(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{}, "")
	dir := t.TempDir()
	var started string
	_, err := p.Generate(context.Background(), &providers.Request{
		Kind: providers.Video, Model: "sora-2-pro", Prompt: "Something [fail]",
	}, &providers.Job{Dir: dir, Started: func(id string) error { started = id; return nil }})
	wantClass(t, err, providers.Permanent, "video job video_000001 failed: Your request was blocked by our moderation system.")
	if started != "video_000001" {
		t.Errorf("Started got %q", started)
	}
	if srv.Calls(gatetest.VideosContent)+srv.Calls(gatetest.Files) != 0 {
		t.Errorf("a failed video was downloaded")
	}
	noLeftovers(t, dir)
}

func TestVideoResume(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{VideoPolls: 3}, "")
	req := &providers.Request{Kind: providers.Video, Model: "veo-3.1", Prompt: "Waves", Seconds: 4}
	// The first apply records the id, then dies (Started's error stands for the crash).
	crash := errors.New("killed")
	var id string
	_, err := p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir(),
		Started: func(s string) error { id = s; return crash }})
	if !errors.Is(err, crash) {
		t.Fatalf("err = %v, want Started's error", err)
	}
	if srv.Calls(gatetest.VideosGet) != 0 {
		t.Errorf("polled after Started failed")
	}
	// The next apply resumes it: no second create.
	dir := t.TempDir()
	res, err := p.Generate(context.Background(), req, &providers.Job{Dir: dir, ResumeID: id,
		Started: func(string) error { t.Error("Started called for a resumed job"); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Calls(gatetest.VideosCreate); n != 1 {
		t.Errorf("creates = %d, want 1", n)
	}
	if srv.Paid("Waves") != 1 {
		t.Errorf("paid %d times, want 1", srv.Paid("Waves"))
	}
	if res.JobID != id {
		t.Errorf("JobID = %q, want %q", res.JobID, id)
	}
	checkOutput(t, res, dir)

	// A job the gateway no longer knows is Expired, and still not re-created.
	_, err = p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir(), ResumeID: "video_999999"})
	wantClass(t, err, providers.Expired, "video job video_999999 is not known to the gateway")
	_, err = p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir(), ResumeID: "../../admin"})
	wantClass(t, err, providers.Permanent, "not a job id")
	if n := srv.Calls(gatetest.VideosCreate); n != 1 {
		t.Errorf("creates = %d, want 1", n)
	}
}

// A failed poll or download retries the poll or download, never the create.
func TestVideoRetriesNeverRecreate(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{VideoDownload: gatetest.DownloadContent}, "max_retries = 3")
	srv.Script(gatetest.VideosGet, gatetest.Reply{Status: 502}, gatetest.Reply{Status: 429, RetryAfter: "2"})
	srv.Script(gatetest.VideosContent, gatetest.Reply{Status: 503}, gatetest.Reply{Status: 500})
	dir := t.TempDir()
	res, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Rain"},
		&providers.Job{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, res, dir)
	if n := srv.Calls(gatetest.VideosCreate); n != 1 {
		t.Errorf("creates = %d, want 1", n)
	}
	if n := srv.Calls(gatetest.VideosContent); n != 3 {
		t.Errorf("downloads = %d, want 3", n)
	}
}

func TestVideoCreateRetriedOnlyBeforeAnAnswer(t *testing.T) {
	p, srv, _ := setup(t, gatetest.Options{}, "max_retries = 2")
	// A 200 whose body is not a video object was paid for: it is not sent again.
	srv.Script(gatetest.VideosCreate, gatetest.Reply{Status: 200, Body: `{"object":"video"`})
	_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Fog"},
		&providers.Job{Dir: t.TempDir()})
	wantClass(t, err, providers.Permanent, "not the JSON expected")
	if n := srv.Calls(gatetest.VideosCreate); n != 1 {
		t.Errorf("creates = %d, want 1", n)
	}
}

func TestVideoDownloadChecks(t *testing.T) {
	t.Run("size cap", func(t *testing.T) {
		p, _, _ := setup(t, gatetest.Options{VideoSize: 5000}, "max_video_bytes = 4096")
		dir := t.TempDir()
		_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Big"},
			&providers.Job{Dir: dir})
		wantClass(t, err, providers.Permanent, "max_video_bytes cap of 4096 bytes")
		noLeftovers(t, dir)
	})
	t.Run("not a video", func(t *testing.T) {
		p, srv, _ := setup(t, gatetest.Options{VideoDownload: gatetest.DownloadContent}, "")
		srv.Script(gatetest.VideosContent, gatetest.Reply{Status: 200, Body: `{"status":"completed"}`})
		dir := t.TempDir()
		_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Odd"},
			&providers.Job{Dir: dir})
		wantClass(t, err, providers.Permanent, "the gateway sent text/plain where a video was expected")
		noLeftovers(t, dir)
	})
	t.Run("file: link refused", func(t *testing.T) {
		p, srv, _ := setup(t, gatetest.Options{}, "")
		srv.Script(gatetest.VideosGet, gatetest.Reply{Status: 200,
			Body: `{"id":"video_000001","status":"completed","meta_data":{"url":"file:///etc/passwd"}}`})
		_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Sly"},
			&providers.Job{Dir: t.TempDir()})
		wantClass(t, err, providers.Permanent, "only http(s) URLs are allowed")
	})
	t.Run("expired file", func(t *testing.T) {
		p, srv, _ := setup(t, gatetest.Options{VideoDownload: gatetest.DownloadContent}, "")
		srv.Script(gatetest.VideosContent, gatetest.Reply{Status: 404, Message: "Video expired."})
		_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Old"},
			&providers.Job{Dir: t.TempDir()})
		wantClass(t, err, providers.Expired, "its file is gone: Video expired.")
	})
}

func TestVideoPromptFormat(t *testing.T) {
	got := videoPrompt("", []providers.Shot{{Duration: 7.5, Scene: "The plane takes off."}, {Duration: 7.5, Scene: "The plane lands."}})
	want := "Shot 1:\nduration: 7.5sec\nScene: The plane takes off.\n\nShot 2:\nduration: 7.5sec\nScene: The plane lands."
	if got != want {
		t.Errorf("storyboard:\n%s\nwant (document 001):\n%s", got, want)
	}
	if s := videoSeconds(&providers.Request{Shots: []providers.Shot{{Duration: 7.5}, {Duration: 7.5}}}); s != "15" {
		t.Errorf("seconds from shots = %q, want 15", s)
	}
	if s := videoSeconds(&providers.Request{Shots: []providers.Shot{{Duration: 2.5}}}); s != "" {
		t.Errorf("seconds from a fractional total = %q, want none", s)
	}
	if got := videoPrompt("A city at dawn.", []providers.Shot{{Duration: 4, Scene: "Sunrise."}}); got != "A city at dawn.\n\nShot 1:\nduration: 4sec\nScene: Sunrise." {
		t.Errorf("prompt and shots: %q", got)
	}
}

// A job that is not done after video_timeout fails the instance, its id kept: the next apply
// resumes it instead of paying for a new one. Progress that stands still for 10 minutes is
// reported once as stalled. No test waits for real: the clock is fake.
func TestVideoTimeoutKeepsJob(t *testing.T) {
	p, srv, clock := setup(t, gatetest.Options{VideoPolls: 1 << 30}, `
		poll_interval = "1m"
		video_timeout = "30m"`)
	req := &providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Slow clouds"}
	var started string
	var stalls []providers.Progress
	_, err := p.Generate(context.Background(), req, &providers.Job{Dir: t.TempDir(),
		Started: func(id string) error { started = id; return nil },
		Progress: func(pr providers.Progress) {
			if pr.Phase == providers.PhaseStalled {
				stalls = append(stalls, pr)
			}
		}})
	wantClass(t, err, providers.Permanent, "video job video_000001 has not finished after 30m0s (video_timeout")
	wantClass(t, err, providers.Permanent, "its id is kept, so the next apply resumes it")
	if started != "video_000001" {
		t.Errorf("Started got %q", started)
	}
	// progress stays at 0% from the first poll: one warning, 10 minutes in
	if len(stalls) != 1 || !strings.Contains(stalls[0].Message, "no progress for 10m0s at 0%") {
		t.Errorf("stall reports %+v, want one after 10 minutes", stalls)
	}
	var waited time.Duration
	for _, d := range clock.Sleeps() {
		waited += d
	}
	if waited != 30*time.Minute || srv.Calls(gatetest.VideosGet) != 31 {
		t.Errorf("waited %v over %d polls, want 30m0s over 31", waited, srv.Calls(gatetest.VideosGet))
	}
	// the next apply resumes the job, which has finished meanwhile
	srv.Update(func(o *gatetest.Options) { o.VideoPolls = 1 })
	dir := t.TempDir()
	res, err := p.Generate(context.Background(), req, &providers.Job{Dir: dir, ResumeID: started})
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, res, dir)
	if n := srv.Calls(gatetest.VideosCreate); n != 1 {
		t.Errorf("creates = %d, want 1", n)
	}
}

// Progress that moves at least once in 10 minutes is not a stall; slower progress is, and
// each stall is reported once. The job renders 1% every 3 polls: at 3 minutes apart it moves
// every 9 minutes; at 5, each of its 99 steps is seen standing still for 10 minutes.
func TestVideoSlowProgress(t *testing.T) {
	for _, tt := range []struct {
		interval string
		stalls   int
	}{{"3m", 0}, {"5m", 99}} {
		t.Run(tt.interval, func(t *testing.T) {
			p, _, _ := setup(t, gatetest.Options{VideoPolls: 300}, `
				poll_interval = "`+tt.interval+`"
				video_timeout = "30h"`)
			stalls := 0
			_, err := p.Generate(context.Background(), &providers.Request{Kind: providers.Video, Model: "sora-2", Prompt: "Growing grass"},
				&providers.Job{Dir: t.TempDir(), Progress: func(pr providers.Progress) {
					if pr.Phase == providers.PhaseStalled {
						stalls++
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			if stalls != tt.stalls {
				t.Errorf("%d stall reports, want %d", stalls, tt.stalls)
			}
		})
	}
}
