package engine

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/genform/genform/providers"
	"github.com/genform/genform/state"
)

// Ledger follows the money of one apply: which paid requests are out at the gateway without
// a complete reply yet, which complete replies are being made durable, and which receipts
// are durable. The CLI's second Ctrl-C asks it to Settle before exiting. Safe for
// concurrent use.
type Ledger struct {
	mu      sync.Mutex
	changed sync.Cond
	out     map[string]bool // sent, no complete reply yet: may be charged without a result
	saving  int             // complete replies whose receipt is not yet durable
	kept    []string        // receipts made durable by this apply
	now     func() time.Time
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	l := &Ledger{out: map[string]bool{}, now: time.Now}
	l.changed.L = &l.mu
	return l
}

func (l *Ledger) sent(addr string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.out[addr] = true
	l.mu.Unlock()
}

// replied: the request of addr ended; complete tells whether a paid reply is now being made
// durable (saved must follow).
func (l *Ledger) replied(addr string, complete bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.out, addr)
	if complete {
		l.saving++
	}
	l.mu.Unlock()
}

// saved: a reply announced by replied(addr, true) is durable (ok) or could not be made so.
func (l *Ledger) saved(addr string, ok bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.saving--
	if ok {
		l.kept = append(l.kept, addr)
	}
	l.changed.Broadcast()
	l.mu.Unlock()
}

// Settlement is what a Settle found.
type Settlement struct {
	Kept     []string // receipts this apply made durable, sorted
	InFlight []string // requests sent without a complete reply: may be charged, sorted
	Unsaved  int      // complete replies still being made durable when the wait ended
}

// Settle waits at most d for the complete replies being made durable, then says what is kept
// and what may have been charged without a result. The apply goes on (the caller exits).
func (l *Ledger) Settle(d time.Duration) Settlement {
	deadline := l.now().Add(d)
	timer := time.AfterFunc(d, func() {
		l.mu.Lock()
		l.changed.Broadcast()
		l.mu.Unlock()
	})
	defer timer.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.saving > 0 && l.now().Before(deadline) {
		l.changed.Wait()
	}
	s := Settlement{Kept: slices.Clone(l.kept), Unsaved: l.saving}
	for addr := range l.out {
		s.InFlight = append(s.InFlight, addr)
	}
	slices.Sort(s.Kept)
	slices.Sort(s.InFlight)
	return s
}

// receiptJob journals what a paid generation has before its output: a video job id or a
// download link. Both let the next apply finish it without paying again.
func (e *executor) receiptJob(in *instance, ch *Change, id, url string) error {
	j := &state.Job{Addr: ch.Addr, InputHash: ch.InputHash, Provider: in.provType, JobID: id, URL: url, StartedAt: e.opts.Now().UTC()}
	e.mu.Lock()
	if old := e.st.Jobs[ch.Addr]; old != nil && old.InputHash == ch.InputHash {
		// a link for a job already recorded: keep both, so either resumes it
		if j.JobID == "" {
			j.JobID = old.JobID
		}
		if j.URL == "" {
			j.URL = old.URL
		}
	}
	e.mu.Unlock()
	if err := e.opts.Journal.Append(state.Entry{Job: j}); err != nil {
		what := "the job id"
		if id == "" {
			what = "the download link"
		}
		return fmt.Errorf("recording %s of %s: %w", what, ch.Addr, err)
	}
	e.mu.Lock()
	e.st.Jobs[ch.Addr] = j
	e.mu.Unlock()
	return nil
}

// receipt makes a complete paid reply durable before anything else is done with it: a file's
// bytes become a durable cache blob, then the record (with the chat's text) is journaled with
// one group-committed fsync. The output is put in place only after; should that fail, the
// record stays and the next plan restores the output from the cache for free.
func (e *executor) receipt(in *instance, ch *Change, rec *state.Record, res *providers.Result) error {
	path := in.req.path
	if rec.Kind == "chat" {
		if path != "" {
			data := []byte(res.Text)
			rec.Output = &state.Output{Path: path, SHA256: sha256Hex(data), Size: int64(len(data)), MediaType: "text/plain; charset=utf-8"}
		}
	} else {
		if res.File == "" {
			return fmt.Errorf("the provider returned no file")
		}
		if e.opts.Cache == nil {
			return fmt.Errorf("no cache to keep the output of %s in", ch.Addr)
		}
		if err := e.opts.Cache.Adopt(res.File, res.SHA256); err != nil {
			return fmt.Errorf("keeping the output of %s: %w", ch.Addr, err)
		}
		rec.Output = &state.Output{
			Path: path, SHA256: res.SHA256, Size: res.Size, MediaType: res.MediaType,
			Width: res.Width, Height: res.Height, Seconds: res.Seconds,
		}
	}
	forget := e.hasJob(ch.Addr)
	entry := state.Entry{Record: rec}
	if forget {
		entry.ForgetJob = rec.Addr
	}
	if err := e.opts.Journal.Append(entry); err != nil {
		return fmt.Errorf("recording %s in the journal: %w", rec.Addr, err)
	}
	e.mu.Lock()
	e.st.Records[rec.Addr] = rec
	if forget {
		delete(e.st.Jobs, rec.Addr)
	}
	e.mu.Unlock()
	return nil
}

// receipt finds what an earlier apply paid for this input and did not finish: a video job
// or a download link, recorded for this address or, after a rename, for another one.
func (p *planner) receipt(addr, hash string) *state.Job {
	if job := p.jobs[addr]; job != nil && job.InputHash == hash {
		return job
	}
	p.jobsOnce.Do(func() {
		p.jobsByHash = make(map[string]*state.Job, len(p.jobs))
		for _, a := range slices.Sorted(maps.Keys(p.jobs)) {
			if j := p.jobs[a]; p.jobsByHash[j.InputHash] == nil {
				p.jobsByHash[j.InputHash] = j
			}
		}
	})
	return p.jobsByHash[hash]
}

// adopt makes a change finish a receipt's generation instead of paying for a new one.
func (p *planner) adopt(ch *Change, job *state.Job) {
	ch.Cost = providers.Price{Known: true}
	ch.adopted = job.Addr != ch.Addr
	if job.JobID != "" && (ch.Kind == "video" || job.URL == "") {
		ch.ResumeJob = job.JobID
		ch.Reasons = append(ch.Reasons, fmt.Sprintf("resumes job %s (already paid)", job.JobID))
		return
	}
	ch.ResumeURL = job.URL
	ch.Reasons = append(ch.Reasons, "download again (already paid)")
}
