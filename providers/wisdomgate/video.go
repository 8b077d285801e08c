package wisdomgate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/genform/genform/providers"
)

// video: create a job (POST /v1/videos, multipart) unless job.ResumeID names one, report its
// id, poll GET /v1/videos/{id} until it ends, then download from meta_data.url or
// GET /v1/videos/{id}/content. Every step retries its own request; nothing here ever creates a
// second job.
func (p *Provider) video(ctx context.Context, req *providers.Request, job *providers.Job) (*providers.Result, error) {
	id := job.ResumeID
	var st *videoStatus
	if id == "" {
		report(job, providers.PhaseGenerating, -1, "")
		var err error
		if st, err = p.createVideo(ctx, req, job); err != nil {
			return nil, err
		}
		id = st.ID
	} else if !validID(id) {
		return nil, permanent(fmt.Sprintf("cannot resume video job %q: not a job id", id))
	}
	if st == nil || st.state() != videoCompleted || st.URL == "" {
		var err error
		if st, err = p.waitVideo(ctx, id, job); err != nil {
			return nil, err
		}
	}
	link := st.URL
	if link == "" {
		link = p.api("/v1/videos/" + id + "/content")
	}
	res, err := p.download(ctx, link, providers.Video, job)
	if err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) && (pe.Status == http.StatusNotFound || pe.Status == http.StatusGone) {
			return nil, &providers.Error{Class: providers.Expired, Status: pe.Status, Err: err,
				Message: fmt.Sprintf("video job %s is complete but its file is gone: %s", id, pe.Message)}
		}
		return nil, err
	}
	res.JobID = id
	res.Seconds = st.Seconds
	if res.Seconds == 0 {
		res.Seconds = float64(req.Seconds)
	}
	return res, nil
}

// createVideo sends the create request; the reply carries id (001) or task_id (000).
func (p *Provider) createVideo(ctx context.Context, req *providers.Request, job *providers.Job) (*videoStatus, error) {
	fields := []field{{name: "model", value: req.Model}, {name: "prompt", value: videoPrompt(req.Prompt, req.Shots)}}
	if secs := videoSeconds(req); secs != "" {
		fields = append(fields, field{name: "seconds", value: secs})
	}
	if req.Size != "" {
		fields = append(fields, field{name: "size", value: req.Size})
	}
	fields = append(fields, optionFields(req.Options)...)
	if req.Reference != nil {
		if err := checkFile(*req.Reference, 0); err != nil {
			return nil, err
		}
		fields = append(fields, field{name: "input_reference", file: req.Reference})
	}
	c, err := p.multipartCall(p.api("/v1/videos"), fields, true)
	if err != nil {
		return nil, err
	}
	var st *videoStatus
	err = p.do(ctx, c, job, func(resp *http.Response) error {
		b, err := readReply(resp.Body, 1<<20)
		if err != nil {
			return err
		}
		if st, err = parseVideo(b); err != nil {
			return permanent(p.redact(err.Error()))
		}
		if !validID(st.ID) {
			return permanent(fmt.Sprintf("the gateway returned an unusable job id %q", truncate(st.ID, 100)))
		}
		// the job id is the receipt of a paid create: recorded before anything else is done
		if job.Started != nil && st.state() != videoFailed {
			if err := job.Started(st.ID); err != nil {
				return &providers.Error{Class: providers.Permanent, Err: err,
					Message: fmt.Sprintf("recording video job %s: %v", st.ID, err)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if st.state() == videoFailed {
		return nil, p.videoFailed(st)
	}
	return st, nil
}

// waitVideo polls a job until it is completed or failed. It waits at most video_timeout
// (from the first poll of this apply): past it the job is left running, its id kept by the
// caller, and the error says the next apply resumes it. Progress that stands still for
// StallWarning is reported as PhaseStalled, once per stall.
func (p *Provider) waitVideo(ctx context.Context, id string, job *providers.Job) (*videoStatus, error) {
	start := p.clock.Now()
	w := &stallWatch{pct: -1, since: start}
	for {
		st, hint, err := p.pollVideo(ctx, id, job)
		if err != nil {
			return nil, err
		}
		switch st.state() {
		case videoCompleted:
			return st, nil
		case videoFailed:
			return nil, p.videoFailed(st)
		}
		now := p.clock.Now()
		if waited := now.Sub(start); waited >= p.videoTimeout {
			return nil, permanent(fmt.Sprintf("video job %s has not finished after %v (video_timeout; status %q, %d%%): it was left running and its id is kept, so the next apply resumes it without paying again; raise video_timeout to wait longer",
				id, p.videoTimeout, st.Status, max(st.Progress, 0)))
		}
		if w.stalled(st.Progress, now) {
			report(job, providers.PhaseStalled, st.Progress, fmt.Sprintf("no progress for %v at %d%%; video_timeout fails it at %s, and the next apply resumes it",
				now.Sub(w.since).Round(time.Second), max(st.Progress, 0), start.Add(p.videoTimeout).Local().Format("15:04:05")))
		} else if !w.warned {
			phase, msg := providers.PhaseRendering, st.Status
			switch st.Status {
			case "queued":
				phase, msg = providers.PhaseQueued, ""
			case "in_progress", "processing":
				msg = ""
			}
			report(job, phase, st.Progress, msg)
		}
		wait := p.pollInterval
		if hint > 0 {
			wait = min(max(hint, time.Second), time.Minute)
		}
		wait = min(wait, start.Add(p.videoTimeout).Sub(now)) // the last poll comes at the timeout
		if err := p.clock.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("waiting for video job %s: %w", id, err)
		}
	}
}

// stallWatch tells when a job's progress has stood still for StallWarning.
type stallWatch struct {
	pct    int
	since  time.Time // when pct was first seen
	warned bool      // this stall was reported
}

// stalled records a poll's progress and tells whether the stall is to be reported now.
func (w *stallWatch) stalled(pct int, now time.Time) bool {
	if pct != w.pct {
		w.pct, w.since, w.warned = pct, now, false
		return false
	}
	if w.warned || now.Sub(w.since) < StallWarning {
		return false
	}
	w.warned = true
	return true
}

// pollVideo reads a job's status once (with retries), and the poll interval it hints.
func (p *Provider) pollVideo(ctx context.Context, id string, job *providers.Job) (*videoStatus, time.Duration, error) {
	var st *videoStatus
	var hint time.Duration
	err := p.do(ctx, &call{method: http.MethodGet, url: p.api("/v1/videos/" + id)}, job, func(resp *http.Response) error {
		b, err := readReply(resp.Body, 1<<20)
		if err != nil {
			return err
		}
		if st, err = parseVideo(b); err != nil {
			return permanent(p.redact(err.Error()))
		}
		if ms, err := strconv.Atoi(resp.Header.Get("openai-poll-after-ms")); err == nil && ms > 0 {
			hint = time.Duration(ms) * time.Millisecond
		}
		return nil
	})
	if err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) && pe.Status == http.StatusNotFound {
			return nil, 0, &providers.Error{Class: providers.Expired, Status: pe.Status, Err: err,
				Message: fmt.Sprintf("video job %s is not known to the gateway (%s)", id, pe.Message)}
		}
		return nil, 0, err
	}
	return st, hint, nil
}

func (p *Provider) videoFailed(st *videoStatus) error {
	msg := st.Error
	if msg == "" {
		msg = "no reason given"
	}
	return permanent(p.redact(fmt.Sprintf("video job %s failed: %s", st.ID, msg)))
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:=-]{0,199}$`)

// validID accepts job ids that are safe to put in a URL path.
func validID(id string) bool { return idPattern.MatchString(id) && !strings.Contains(id, "..") }

// videoPrompt renders a storyboard into the documented format:
//
//	Shot 1:
//	duration: 7.5sec
//	Scene: The plane takes off.
//
// with shots separated by blank lines. A prompt given as well comes first, as a paragraph.
func videoPrompt(prompt string, shots []providers.Shot) string {
	if len(shots) == 0 {
		return prompt
	}
	var b strings.Builder
	if p := strings.TrimSpace(prompt); p != "" {
		b.WriteString(p)
		b.WriteString("\n\n")
	}
	for i, s := range shots {
		if i > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "Shot %d:\nduration: %ssec\nScene: %s", i+1,
			strconv.FormatFloat(s.Duration, 'f', -1, 64), strings.Join(strings.Fields(s.Scene), " "))
	}
	return b.String()
}

// videoSeconds is the seconds field: the request's, or else the shots' total when it is whole.
func videoSeconds(req *providers.Request) string {
	if req.Seconds > 0 {
		return strconv.Itoa(req.Seconds)
	}
	var total float64
	for _, s := range req.Shots {
		total += s.Duration
	}
	if total > 0 && total == math.Trunc(total) && total < 1e6 {
		return strconv.Itoa(int(total))
	}
	return ""
}
