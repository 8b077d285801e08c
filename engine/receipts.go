package engine

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/genform/genform/asset"
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
	saving  int             // complete replies whose receipt is not yet written
	kept    map[string]bool // receipts made durable by this apply
	now     func() time.Time
	onKept  func(what, addr string)
}

// NewLedger returns an empty ledger. onKept, when not nil, is called each time a receipt is
// written (what is "written": it survives the death of the process) and again once it is
// durable ("durable": it survives a power cut): the CLI logs them with GENFORM_LOG=debug.
func NewLedger(onKept func(what, addr string)) *Ledger {
	l := &Ledger{out: map[string]bool{}, kept: map[string]bool{}, now: time.Now, onKept: onKept}
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

// written: a reply announced by replied(addr, true) is written to the journal: the death of
// the process cannot lose it any more (durable follows, once it is synced).
func (l *Ledger) written(addr string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.saving--
	l.kept[addr] = true
	l.changed.Broadcast()
	l.mu.Unlock()
	l.log("written", addr)
}

// unsaved: a reply announced by replied(addr, true) could not be written.
func (l *Ledger) unsaved() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.saving--
	l.changed.Broadcast()
	l.mu.Unlock()
}

// durable: the receipt of addr is synced: a power cut cannot lose it any more.
func (l *Ledger) durable(addr string) {
	if l != nil {
		l.log("durable", addr)
	}
}

func (l *Ledger) log(what, addr string) {
	if l.onKept != nil {
		l.onKept(what, addr)
	}
}

// recorded: the request of addr got a receipt that lets the next apply finish it without
// paying (a video job id, a download link), though its output is still to come.
func (l *Ledger) recorded(addr string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.out, addr)
	l.kept[addr] = true
	l.mu.Unlock()
	l.log("written", addr)
}

// Settlement is what a Settle found.
type Settlement struct {
	Kept     []string // receipts this apply made durable, sorted
	InFlight []string // requests sent without a complete reply: may be charged, sorted
	Unsaved  int      // complete replies still being made durable when the wait ended
}

// Settle waits at most d for the complete replies being written, then says what is kept
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
	s := Settlement{Kept: slices.Collect(maps.Keys(l.kept)), Unsaved: l.saving}
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
	what := "the job id"
	if id == "" {
		what = "the download link"
	}
	line, err := e.opts.Journal.Write(state.Entry{Job: j})
	if err != nil {
		return fmt.Errorf("recording %s of %s: %w", what, ch.Addr, err)
	}
	e.opts.Ledger.recorded(ch.Addr) // safe from a kill from here on
	if err := e.opts.Journal.Sync(line); err != nil {
		return fmt.Errorf("recording %s of %s: %w", what, ch.Addr, err)
	}
	e.opts.Ledger.durable(ch.Addr)
	e.mu.Lock()
	e.st.Jobs[ch.Addr] = j
	e.mu.Unlock()
	return nil
}

// receipt makes a complete paid reply durable before anything else is done with it. First,
// at once: a file's bytes are renamed into the cache as a blob (bytes held in memory are
// appended to the cache's pack) and the record (with a chat's
// text) is written to the journal, which the death of the process can no longer undo. Then,
// for a power cut: the blob and the journal are synced (the journal's fsync group-committed
// with other instances'). The output is put in place only after; should that fail, the record
// stays and the next plan restores the output from the cache for free.
func (e *executor) receipt(in *instance, ch *Change, rec *state.Record, res *providers.Result) error {
	line, err := e.writeReceipt(in, ch, rec, res)
	if err != nil {
		e.opts.Ledger.unsaved()
		return err
	}
	e.opts.Ledger.written(ch.Addr)
	// The receipt is safe from a kill: let the loop start the next request in the slot this
	// instance gave back before this goroutine waits in a sync. (A goroutine made ready by
	// the slot's release would otherwise wait for this one's processor, held through a
	// long system call until the runtime takes it back, up to milliseconds later.)
	runtime.Gosched()
	if !asset.IsText(rec.Kind) && !e.syncsBlobs {
		if err := e.opts.Cache.SyncBlob(rec.Output.SHA256); err != nil {
			return fmt.Errorf("keeping the output of %s: %w", ch.Addr, err)
		}
	}
	if err := e.opts.Journal.Sync(line); err != nil {
		return fmt.Errorf("recording %s in the journal: %w", rec.Addr, err)
	}
	e.opts.Ledger.durable(ch.Addr)
	e.mu.Lock()
	e.st.Records[rec.Addr] = rec
	delete(e.st.Jobs, rec.Addr) // the journal line forgot it too, if there was one
	e.mu.Unlock()
	e.index(rec, res.Text)
	return nil
}

// index tells the cache which result this input hash has (a shortcut: the journal holds the
// record), so a renamed block or a reverted change finds it even when its placing fails. A
// chat's text enters the cache as a blob first (the record holds the text, so no sync).
func (e *executor) index(rec *state.Record, text string) {
	if e.opts.Cache == nil || rec.InputHash == "" {
		return
	}
	if asset.IsText(rec.Kind) && rec.Output != nil {
		if _, err := e.opts.Cache.PutBytes([]byte(text)); err != nil {
			return // no index line that would fail verification
		}
	}
	_ = e.opts.Cache.Index(rec.InputHash, rec)
}

// writeReceipt is the first, immediate half of receipt: the blob renamed into the cache, the
// record written to the journal. It returns the journal line to sync.
func (e *executor) writeReceipt(in *instance, ch *Change, rec *state.Record, res *providers.Result) (uint64, error) {
	path := in.req.path
	if asset.IsText(rec.Kind) {
		if path != "" {
			data := []byte(res.Text)
			rec.Output = &state.Output{Path: path, SHA256: sha256Hex(data), Size: int64(len(data)), MediaType: "text/plain; charset=utf-8"}
		}
	} else {
		if res.File == "" && res.Data == nil {
			return 0, fmt.Errorf("the provider returned no file")
		}
		if e.opts.Cache == nil {
			return 0, fmt.Errorf("no cache to keep the output of %s in", ch.Addr)
		}
		take := func() error { return e.opts.Cache.Take(res.File, res.SHA256) }
		if res.File == "" { // in memory: packed, when small (no file created for it)
			take = func() error { return e.opts.Cache.TakeBytes(res.Data, res.SHA256) }
		}
		if err := take(); err != nil {
			return 0, fmt.Errorf("keeping the output of %s: %w", ch.Addr, err)
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
	line, err := e.opts.Journal.Write(entry)
	if err != nil {
		return 0, fmt.Errorf("recording %s in the journal: %w", rec.Addr, err)
	}
	return line, nil
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
