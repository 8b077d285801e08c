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

// generate calls the provider and records what it made.
func (e *executor) generate(ctx context.Context, in *instance, ch *Change) (*Outcome, error) {
	req := in.req.req
	e.p.fillFiles(req)
	abs, err := e.outputPath(in.req.path)
	if err != nil {
		return &Outcome{Status: Failed, Action: ch.Action, Err: err}, nil
	}

	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once     sync.Once
		recorded = make(chan struct{}) // closed once a job id is durable
		fatal    error
	)
	job := &providers.Job{
		Dir:      e.opts.TempDir,
		ResumeID: ch.ResumeJob,
		Started: func(id string) error {
			j := &state.Job{Addr: ch.Addr, InputHash: ch.InputHash, Provider: in.provType, JobID: id, StartedAt: e.opts.Now().UTC()}
			if err := e.opts.Journal.Append(state.Entry{Job: j}); err != nil {
				fatal = fmt.Errorf("recording the job id of %s: %w", ch.Addr, err)
				return fatal
			}
			e.mu.Lock()
			e.st.Jobs[ch.Addr] = j
			e.mu.Unlock()
			once.Do(func() { close(recorded) })
			return nil
		},
		Progress: func(p providers.Progress) { e.opts.Hook.Progress(ch, p) },
	}
	if ch.ResumeJob != "" {
		once.Do(func() { close(recorded) })
	}
	interrupted := make(chan struct{})
	go func() {
		select {
		case <-recorded:
			select {
			case <-e.opts.Interrupt:
				close(interrupted)
				cancel()
			case <-gctx.Done():
			}
		case <-gctx.Done():
		}
	}()

	res, err := in.provider.Generate(gctx, req, job)
	if fatal != nil {
		return nil, fatal
	}
	if err != nil {
		select {
		case <-interrupted:
			return &Outcome{Status: Interrupted, Action: ch.Action, Err: errInterrupted}, nil
		default:
		}
		if providers.ClassOf(err) == providers.Expired {
			err = fmt.Errorf("%w; run apply -replace '%s' to pay for a new one", err, ch.Addr)
		}
		return &Outcome{Status: Failed, Action: ch.Action, Err: err}, nil
	}

	rec := &state.Record{
		Addr: ch.Addr, Kind: ch.Kind, Provider: in.provType, Model: req.Model,
		InputHash: ch.InputHash, Request: ch.Request,
		Text: res.Text, JobID: res.JobID, RevisedPrompt: res.RevisedPrompt,
		GeneratedAt: e.opts.Now().UTC().Truncate(1e9),
	}
	if u := res.Usage; u != (providers.Usage{}) {
		rec.Usage = &state.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	}
	if ch.Cost.Known && ch.ResumeJob == "" {
		usd := ch.Cost.USD
		rec.Cost = &usd
	}
	if err := e.place(in, rec, res, abs); err != nil {
		e.keep(rec)
		return &Outcome{Status: Failed, Action: ch.Action, Err: err}, nil
	}
	if err := e.record(in, rec, e.hasJob(ch.Addr)); err != nil {
		return nil, err
	}
	cost := ch.Cost
	if ch.ResumeJob != "" {
		cost = providers.Price{Known: true} // paid by the apply that started the job
	}
	return &Outcome{Status: Done, Action: ch.Action, Record: rec, Cost: cost}, nil
}

// keep indexes a paid result that could not be put in place, so the next plan restores it
// from the cache (the chat text is in the record, the file's blob in the cache) instead of
// paying for it again.
func (e *executor) keep(rec *state.Record) {
	switch {
	case e.opts.Cache == nil:
		return
	case rec.Output == nil && !asset.IsText(rec.Kind), rec.Output != nil && !e.opts.Cache.Has(rec.Output.SHA256):
		return // the file is not in the cache: nothing to find again
	}
	_ = e.opts.Cache.Index(rec.InputHash, rec) // best effort: the apply reports the failure
}

func (e *executor) hasJob(addr string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.Jobs[addr] != nil
}

// place puts a generation's output where its path says, atomically, keeping a copy in the
// cache so a later delete or revert costs nothing.
func (e *executor) place(in *instance, rec *state.Record, res *providers.Result, abs string) error {
	path := in.req.path
	if asset.IsText(rec.Kind) {
		if path == "" {
			return nil
		}
		data := []byte(res.Text)
		if err := state.WriteFileAtomic(abs, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		rec.Output = &state.Output{Path: path, SHA256: sha256Hex(data), Size: int64(len(data)), MediaType: "text/plain; charset=utf-8"}
		e.wrote(path, abs, rec.Output.SHA256)
		return nil
	}
	if res.File == "" {
		return fmt.Errorf("the provider returned no file")
	}
	defer os.Remove(res.File) // gone after the rename; left behind only on failure
	if e.opts.Cache != nil {
		if err := e.opts.Cache.PutKnown(res.File, res.SHA256); err != nil {
			return fmt.Errorf("caching the output of %s: %w", rec.Addr, err)
		}
	}
	rec.Output = &state.Output{
		Path: path, SHA256: res.SHA256, Size: res.Size, MediaType: res.MediaType,
		Width: res.Width, Height: res.Height, Seconds: res.Seconds,
	}
	if err := state.RenameIntoPlace(res.File, abs); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	e.wrote(path, abs, res.SHA256)
	return nil
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
func (e *executor) restore(in *instance, ch *Change) (*Outcome, error) {
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
	return InsideProject(e.p.cfg.Dir, rel)
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
