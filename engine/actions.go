package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/genform/genform/asset"
	"github.com/genform/genform/providers"
	"github.com/genform/genform/state"
)

// generate calls the provider, makes its reply durable as a receipt, then puts the output in
// place. release frees the instance's slot: it bounds the work at the gateway, so it is
// called as soon as the provider returns, and the bookkeeping goes on outside it. amb counts
// the attempts that may have been charged without a result.
func (e *executor) generate(ctx context.Context, in *instance, ch *Change, release func(), amb *ambiguity) (*Outcome, error) {
	e.p.fillFiles(in.req.req)
	abs, err := e.outputPath(in.req.path)
	if err != nil {
		return &Outcome{Status: Failed, Action: ch.Action, Err: err}, nil
	}
	res, interrupted, fatal, err := e.call(ctx, in, ch, release, amb)
	switch {
	case fatal != nil:
		return nil, fatal
	case interrupted:
		return &Outcome{Status: Interrupted, Action: ch.Action, Err: errInterrupted}, nil
	case err != nil:
		if providers.ClassOf(err) == providers.Expired {
			err = fmt.Errorf("%w; run apply -replace '%s' to pay for a new one", err, ch.Addr)
		}
		return &Outcome{Status: Failed, Action: ch.Action, Err: err}, nil
	}
	rec := e.newRecord(in, ch, res)
	if ch.alreadyPaid() {
		e.opts.Ledger.replied(ch.Addr, true)
	}
	if err := e.receipt(in, ch, rec, res); err != nil {
		return nil, err // fatal: the journal or the cache cannot be written
	}
	e.upload(ctx, rec)
	cost := ch.Cost
	if ch.alreadyPaid() {
		cost = providers.Price{Known: true} // paid by the apply that started the job
	}
	if err := e.place(in, rec, res.Text, abs); err != nil {
		// paid and recorded: the next plan restores the output from the cache for free
		return &Outcome{Status: Failed, Action: ch.Action, Err: fmt.Errorf("%w (the result is kept: the next apply restores it without paying)", err), Cost: cost, Record: rec}, nil
	}
	e.placed(in, rec)
	e.moveOldOutput(ch)
	return &Outcome{Status: Done, Action: ch.Action, Record: rec, Cost: cost}, nil
}

// call sends an instance's request, or finishes the job or download an earlier apply paid
// for, journaling a job id or a download link the moment the provider has one. interrupted:
// Ctrl-C stopped a job whose id is recorded. fatal: a receipt could not be journaled.
func (e *executor) call(ctx context.Context, in *instance, ch *Change, release func(), amb *ambiguity) (res *providers.Result, interrupted bool, fatal, err error) {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var once sync.Once
	recorded := make(chan struct{}) // closed once a job id is durable
	job := &providers.Job{
		Addr:      ch.Addr,
		Dir:       e.opts.TempDir,
		ResumeID:  ch.ResumeJob,
		ResumeURL: ch.ResumeURL,
		Started: func(id string) error {
			if fatal = e.receiptJob(in, ch, id, ""); fatal != nil {
				return fatal
			}
			once.Do(func() { close(recorded) })
			return nil
		},
		Linked: func(url string) error {
			fatal = e.receiptJob(in, ch, "", url)
			return fatal
		},
		Progress:        func(p providers.Progress) { e.opts.Hook.Progress(ch, p) },
		PossiblyCharged: func() error { return e.possiblyCharged(ch, amb) },
	}
	if ch.ResumeJob != "" {
		once.Do(func() { close(recorded) })
	}
	if ch.adopted {
		// recorded for another address (renamed): journaled under this one first, so the
		// deletion of the old address, which forgets its jobs, cannot lose it
		if fatal = e.receiptJob(in, ch, ch.ResumeJob, ch.ResumeURL); fatal != nil {
			return nil, false, fatal, nil
		}
	}
	stopped := make(chan struct{})
	go func() {
		select {
		case <-recorded:
			select {
			case <-e.opts.Interrupt:
				close(stopped)
				cancel()
			case <-gctx.Done():
			}
		case <-gctx.Done():
		}
	}()

	paid := !ch.alreadyPaid()
	if paid {
		e.opts.Ledger.sent(ch.Addr)
	}
	res, err = in.provider.Generate(gctx, in.req.req, job)
	if paid {
		e.opts.Ledger.replied(ch.Addr, err == nil && fatal == nil)
	}
	release()
	if err != nil {
		select {
		case <-stopped:
			interrupted = true
		default:
		}
	}
	return res, interrupted, fatal, err
}

// newRecord is the record of a generation's result (its output is set by the receipt).
func (e *executor) newRecord(in *instance, ch *Change, res *providers.Result) *state.Record {
	rec := &state.Record{
		Addr: ch.Addr, Kind: ch.Kind, Provider: in.provType, Model: in.req.req.Model,
		InputHash: ch.InputHash, Request: ch.Request,
		Text: res.Text, JobID: res.JobID, RevisedPrompt: res.RevisedPrompt,
		GeneratedAt: e.opts.Now().UTC().Truncate(1e9),
	}
	if u := res.Usage; u != (providers.Usage{}) {
		rec.Usage = &state.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	}
	if ch.Cost.Known && !ch.alreadyPaid() {
		usd := ch.Cost.USD
		rec.Cost = &usd
	}
	return rec
}

// alreadyPaid reports whether a change finishes a generation an earlier apply paid for.
func (ch *Change) alreadyPaid() bool { return ch.ResumeJob != "" || ch.ResumeURL != "" }

// AlreadyPaid reports whether applying the change finishes a generation an earlier apply
// paid for (a recorded video job or download link) rather than paying for a new one.
func (ch *Change) AlreadyPaid() bool { return ch.alreadyPaid() }

func (e *executor) hasJob(addr string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.Jobs[addr] != nil
}

// place puts a recorded generation's output where its path says: a temporary file beside the
// target, renamed (so it works whatever file system the target is on), copied from the cache
// blob the receipt made durable. A chat's text enters the cache as well, so a revert or a
// rename restores it for free.
func (e *executor) place(in *instance, rec *state.Record, text, abs string) error {
	if rec.Output == nil {
		return nil
	}
	path := rec.Output.Path
	if e.opts.Cache == nil { // only a chat gets here without a cache
		if err := state.WriteFileAtomic(abs, []byte(text), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		e.wrote(path, abs, rec.Output.SHA256)
		return nil
	}
	if !e.opts.Cache.Has(rec.Output.SHA256) && asset.IsText(rec.Kind) { // the receipt could not cache it
		if _, err := e.opts.Cache.PutBytes([]byte(text)); err != nil {
			return fmt.Errorf("caching the text of %s: %w", rec.Addr, err)
		}
	}
	if err := e.opts.Cache.Place(rec.Output.SHA256, abs); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	e.wrote(path, abs, rec.Output.SHA256)
	return nil
}

// placed finishes an instance whose output is in place: downstream instances see its value.
func (e *executor) placed(in *instance, rec *state.Record) {
	e.p.known(in, rec)
}

// wrote tells the file hasher and the stat cache the hash of a file apply just wrote, so the
// next plan does not read it back.
func (e *executor) wrote(path, abs, sha string) {
	e.p.files.forget(path)
	if e.opts.Stat != nil {
		_ = e.opts.Stat.Remember(abs, sha) // only a cache: a miss means one read later
	}
}

// restore brings back an output from the cache (or from the file's previous path) without
// calling a provider.
func (e *executor) restore(ctx context.Context, in *instance, ch *Change) (*Outcome, error) {
	from := ch.From
	path := in.req.path
	rec := *from
	rec.Addr, rec.InputHash, rec.Request = ch.Addr, ch.InputHash, ch.Request
	rec.Model, rec.Provider, rec.Kind = ch.Model, in.provType, ch.Kind
	fail := func(err error) (*Outcome, error) {
		return &Outcome{Status: Failed, Action: Restore, Err: err}, nil
	}
	abs, err := e.outputPath(path)
	if err != nil {
		return fail(err)
	}
	switch {
	case path == "":
		rec.Output = nil
	case asset.IsText(ch.Kind):
		data := []byte(from.Text)
		if err := state.WriteFileAtomic(abs, data, 0o644); err != nil {
			return fail(fmt.Errorf("writing %s: %w", path, err))
		}
		rec.Output = &state.Output{Path: path, SHA256: sha256Hex(data), Size: int64(len(data)), MediaType: "text/plain; charset=utf-8"}
	case from.Output == nil:
		return fail(fmt.Errorf("the cached result has no output file"))
	default:
		sha := from.Output.SHA256
		old := e.movedFrom(ch, path)
		if !e.opts.Cache.Has(sha) && old != "" {
			if err := e.opts.Cache.PutKnown(old, sha); err != nil {
				return fail(fmt.Errorf("keeping %s: %w", ch.Before.Output.Path, err))
			}
		}
		if err := e.fetchShared(ctx, from.Output); err != nil {
			return fail(err)
		}
		if err := e.opts.Cache.Restore(sha, abs); err != nil {
			return fail(fmt.Errorf("restoring %s from the cache: %w", path, err))
		}
		out := *from.Output
		out.Path = path
		rec.Output = &out
		if old != "" {
			os.Remove(old) // moved: the cache keeps a copy
		}
	}
	if rec.Output != nil {
		e.wrote(path, abs, rec.Output.SHA256)
	}
	// a job left for this instance by an earlier apply is moot now: its result is in place
	if err := e.record(in, &rec, e.hasJob(ch.Addr)); err != nil {
		return nil, err
	}
	return &Outcome{Status: Done, Action: Restore, Record: &rec, Cost: providers.Price{Known: true}}, nil
}

// movedFrom returns the absolute previous path of an output that moved, when the file there
// is still the recorded one; "" otherwise.
func (e *executor) movedFrom(ch *Change, path string) string {
	b := ch.Before
	if b == nil || b.Output == nil || b.Output.Path == path || b.Output.SHA256 != ch.From.Output.SHA256 {
		return ""
	}
	old, err := e.outputPath(b.Output.Path)
	if err != nil {
		return ""
	}
	if sha, err := hashFile(old); err != nil || sha != b.Output.SHA256 {
		return ""
	}
	return old
}

// delete moves a no longer declared instance's output into the cache and forgets its record.
func (e *executor) delete(ch *Change) (*Outcome, error) {
	rec := ch.Before
	if rec.Output != nil && rec.Output.Path != "" {
		abs, err := e.outputPath(rec.Output.Path)
		if err == nil {
			if _, statErr := os.Stat(abs); statErr == nil {
				if _, err := e.opts.Cache.Stash(abs); err != nil {
					return &Outcome{Status: Failed, Action: Delete, Err: fmt.Errorf("moving %s into the cache: %w", rec.Output.Path, err)}, nil
				}
			}
		}
	}
	if err := e.opts.Journal.Append(state.Entry{Forget: ch.Addr, ForgetJob: ch.Addr}); err != nil {
		return nil, fmt.Errorf("recording the deletion of %s: %w", ch.Addr, err)
	}
	e.mu.Lock()
	delete(e.st.Records, ch.Addr)
	delete(e.st.Jobs, ch.Addr)
	e.mu.Unlock()
	return &Outcome{Status: Done, Action: Delete, Cost: providers.Price{Known: true}}, nil
}

// outputPath resolves a project-relative output path, refusing one that leaves the project
// folder, also through a symbolic link on the way.
func (e *executor) outputPath(rel string) (string, error) {
	return e.paths.inside(e.p.cfg.Dir, rel)
}

// InsideProject joins rel to dir and checks the result stays inside dir, following the
// symbolic links of the folders that exist on the way.
func InsideProject(dir, rel string) (string, error) {
	if rel == "" {
		return "", nil
	}
	if filepath.IsAbs(rel) || strings.HasPrefix(filepath.ToSlash(filepath.Clean(rel)), "../") || filepath.Clean(rel) == ".." {
		return "", fmt.Errorf("output path %s leaves the project folder", rel)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	abs := filepath.Join(root, filepath.FromSlash(rel))
	// the deepest folder on the way that exists, with its links resolved, must be inside root
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		real, err := filepath.EvalSymlinks(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if real != root && !strings.HasPrefix(real, root+string(filepath.Separator)) {
			return "", fmt.Errorf("output path %s leaves the project folder through a symbolic link", rel)
		}
		break
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return "", fmt.Errorf("output path %s is a symbolic link; genform writes only regular files", rel)
	}
	return abs, nil
}
