package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/genform/genform/engine"
)

// colours, used only on a terminal without NO_COLOR.
type palette struct{ green, yellow, cyan, red, bold, dim, reset string }

func colors(on bool) palette {
	if !on {
		return palette{}
	}
	return palette{green: "\x1b[32m", yellow: "\x1b[33m", cyan: "\x1b[36m", red: "\x1b[31m", bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m"}
}

// renderPlan prints a plan the way a Terraform user expects: one block per change with its
// reasons and attribute diff, then the summary line.
func renderPlan(w io.Writer, plan *engine.Plan, color bool) {
	pal := colors(color)
	if !plan.HasChanges() {
		fmt.Fprintln(w, "No changes. Everything is up to date.")
		return
	}
	fmt.Fprintln(w, "genform will perform these actions:")
	for _, ch := range plan.Changes {
		if ch.Action == engine.NoOp {
			continue
		}
		fmt.Fprintln(w)
		renderChange(w, ch, pal)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, pal.bold+summaryLine(plan)+pal.reset)
}

func summaryLine(plan *engine.Plan) string {
	n := plan.Counts()
	return fmt.Sprintf("Plan: %d to create, %d to regenerate, %d to restore, %d to delete. Estimated cost: %s.",
		n.Create, n.Regenerate, n.Restore, n.Delete, costText(plan.Cost()))
}

// costText renders a total whose unpriced part is said, never counted as zero.
func costText(usd float64, unknown int) string {
	s := fmt.Sprintf("$%.2f", usd)
	if unknown > 0 {
		s += fmt.Sprintf(" + %d of unknown cost", unknown)
	}
	return s
}

func priceText(ch *engine.Change) string {
	switch {
	case ch.Action == engine.Delete && ch.Path != "":
		return "free; its file moves into the cache"
	case !ch.Action.Paid():
		return "free"
	case ch.AlreadyPaid():
		return "already paid"
	case !ch.Cost.Known:
		return "paid, cost unknown"
	case ch.Cost.USD == 0:
		return "no charge"
	}
	return fmt.Sprintf("paid, $%.2f", ch.Cost.USD)
}

var actionWords = map[engine.Action]struct{ sym, verb string }{
	engine.Create:     {"+", "created"},
	engine.Regenerate: {"~", "regenerated"},
	engine.Restore:    {"<", "restored from the cache"},
	engine.Delete:     {"-", "deleted"},
}

func renderChange(w io.Writer, ch *engine.Change, pal palette) {
	aw := actionWords[ch.Action]
	col := map[engine.Action]string{engine.Create: pal.green, engine.Regenerate: pal.yellow, engine.Restore: pal.cyan, engine.Delete: pal.red}[ch.Action]
	fmt.Fprintf(w, "  %s# %s will be %s (%s)%s\n", pal.bold, ch.Addr, aw.verb, priceText(ch), pal.reset)
	for _, r := range ch.Reasons {
		fmt.Fprintf(w, "  %s#   because %s%s\n", pal.dim, r, pal.reset)
	}
	fmt.Fprintf(w, "  %s%s%s %s", col, aw.sym, pal.reset, ch.Addr)
	if ch.Model != "" {
		fmt.Fprintf(w, " (%s", ch.Model)
		if ch.Provider != "" {
			fmt.Fprintf(w, " via %s", ch.Provider)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	switch ch.Action {
	case engine.Create:
		renderFields(w, ch, col+"+"+pal.reset)
	case engine.Regenerate, engine.Restore:
		for _, d := range ch.Diff {
			renderDiff(w, d, pal)
		}
	}
	if ch.Path != "" && ch.Action != engine.Delete {
		fmt.Fprintf(w, "      -> %s\n", ch.Path)
	}
}

// renderFields lists a new instance's request, aligned.
func renderFields(w io.Writer, ch *engine.Change, sym string) {
	names := make([]string, 0, len(ch.Request)+len(ch.Unknown))
	for k := range ch.Request {
		names = append(names, k)
	}
	names = append(names, ch.Unknown...)
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	unknown := map[string]bool{}
	for _, u := range ch.Unknown {
		unknown[u] = true
	}
	for _, n := range names {
		v := "(known after apply)"
		if !unknown[n] {
			v = valueText(ch.Request[n])
		}
		fmt.Fprintf(w, "      %s %-*s = %s\n", sym, width, n, v)
	}
}

// renderDiff shows one changed attribute; long strings show only what changed.
func renderDiff(w io.Writer, d engine.AttrDiff, pal palette) {
	switch {
	case d.Unknown:
		fmt.Fprintf(w, "      %s~%s %s = %s -> (known after apply)\n", pal.yellow, pal.reset, d.Name, valueText(d.Before))
	case d.Before == nil:
		fmt.Fprintf(w, "      %s+%s %s = %s\n", pal.green, pal.reset, d.Name, valueText(d.After))
	case d.After == nil:
		fmt.Fprintf(w, "      %s-%s %s = %s\n", pal.red, pal.reset, d.Name, valueText(d.Before))
	default:
		b, bok := d.Before.(string)
		a, aok := d.After.(string)
		if bok && aok && (len(a) > 60 || len(b) > 60 || strings.Contains(a+b, "\n")) {
			fmt.Fprintf(w, "      %s~%s %s:\n", pal.yellow, pal.reset, d.Name)
			for _, line := range textDiff(b, a) {
				c := ""
				switch line[0] {
				case '-':
					c = pal.red
				case '+':
					c = pal.green
				}
				fmt.Fprintf(w, "          %s%s%s\n", c, line, pal.reset)
			}
			return
		}
		fmt.Fprintf(w, "      %s~%s %s = %s -> %s\n", pal.yellow, pal.reset, d.Name, valueText(d.Before), valueText(d.After))
	}
}

// valueText renders a JSON value in HCL-ish syntax, shortening anything huge (a data: URI or
// base64 in options never floods the terminal).
func valueText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		cut := 120
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // never split a character
		}
		s = s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// textDiff is a word-level diff of two prompts, as lines: the changed stretch of words with a
// little context on each side, "- before" then "+ after". Multi-line text is compared by line.
func textDiff(before, after string) []string {
	if strings.Contains(before+after, "\n") {
		return lineDiff(strings.Split(before, "\n"), strings.Split(after, "\n"))
	}
	b, a := strings.Fields(before), strings.Fields(after)
	pre := 0
	for pre < len(b) && pre < len(a) && b[pre] == a[pre] {
		pre++
	}
	suf := 0
	for suf < len(b)-pre && suf < len(a)-pre && b[len(b)-1-suf] == a[len(a)-1-suf] {
		suf++
	}
	const ctx = 4
	from := max(0, pre-ctx)
	clip := func(words []string) string {
		end := min(len(words), len(words)-suf+ctx)
		s := strings.Join(words[from:end], " ")
		if from > 0 {
			s = "…" + s
		}
		if end < len(words) {
			s += "…"
		}
		return s
	}
	return []string{"- " + clip(b), "+ " + clip(a)}
}

// lineDiff shows the changed lines of two texts with one line of context, from the same
// bounded line diff fmt -diff uses (an LCS table would grow with the product of the lengths).
func lineDiff(b, a []string) []string {
	edits := diffLines(b, a)
	var out []string
	for k, e := range edits {
		near := e.op != ' ' || (k > 0 && edits[k-1].op != ' ') || (k+1 < len(edits) && edits[k+1].op != ' ')
		if near {
			out = append(out, string(e.op)+" "+e.line)
		}
	}
	return out
}

// The JSON forms of a plan (plan -json, show -json PLANFILE, saved plans).

type changeJSON struct {
	Address  string     `json:"address"`
	Kind     string     `json:"kind"`
	Provider string     `json:"provider,omitempty"`
	Model    string     `json:"model,omitempty"`
	Action   string     `json:"action"`
	Reasons  []string   `json:"reasons,omitempty"`
	Paid     bool       `json:"paid"`
	Cost     *float64   `json:"cost_usd"` // null: unknown
	Diff     []diffJSON `json:"diff,omitempty"`
	Before   *sideJSON  `json:"before"`
	After    *sideJSON  `json:"after"`
	Resume   string     `json:"resume_job,omitempty"`
}

type sideJSON struct {
	InputHash string         `json:"input_hash,omitempty"`
	Path      string         `json:"path,omitempty"`
	SHA256    string         `json:"sha256,omitempty"`
	Request   map[string]any `json:"request,omitempty"`
	Unknown   []string       `json:"unknown,omitempty"`
}

type diffJSON struct {
	Name    string `json:"name"`
	Before  any    `json:"before"`
	After   any    `json:"after"`
	Unknown bool   `json:"unknown,omitempty"`
}

func changeToJSON(ch *engine.Change) changeJSON {
	j := changeJSON{
		Address: ch.Addr, Kind: ch.Kind, Provider: ch.Provider, Model: ch.Model,
		Action: string(ch.Action), Reasons: ch.Reasons, Paid: ch.Action.Paid(), Resume: ch.ResumeJob,
	}
	if ch.Cost.Known {
		usd := ch.Cost.USD
		if !ch.Action.Paid() {
			usd = 0
		}
		j.Cost = &usd
	}
	for _, d := range ch.Diff {
		j.Diff = append(j.Diff, diffJSON{Name: d.Name, Before: d.Before, After: d.After, Unknown: d.Unknown})
	}
	if b := ch.Before; b != nil {
		j.Before = &sideJSON{InputHash: b.InputHash, Request: b.Request}
		if b.Output != nil {
			j.Before.Path, j.Before.SHA256 = b.Output.Path, b.Output.SHA256
		}
	}
	if ch.Action != engine.Delete {
		j.After = &sideJSON{InputHash: ch.InputHash, Path: ch.Path, Request: ch.Request, Unknown: ch.Unknown}
		if ch.From != nil && ch.From.Output != nil {
			j.After.SHA256 = ch.From.Output.SHA256
		}
	}
	return j
}

type planDoc struct {
	FormatVersion string       `json:"format_version"`
	Changes       []changeJSON `json:"changes"`
	Summary       summaryJSON  `json:"summary"`
}

type summaryJSON struct {
	Create      int     `json:"create"`
	Regenerate  int     `json:"regenerate"`
	Restore     int     `json:"restore"`
	Delete      int     `json:"delete"`
	NoOp        int     `json:"no_op"`
	CostUSD     float64 `json:"cost_usd"`
	CostUnknown int     `json:"cost_unknown"`
	Changes     bool    `json:"changes"`
}

func planJSON(plan *engine.Plan) planDoc {
	d := planDoc{FormatVersion: "1", Changes: []changeJSON{}}
	for _, ch := range plan.Changes {
		d.Changes = append(d.Changes, changeToJSON(ch))
	}
	n := plan.Counts()
	usd, unknown := plan.Cost()
	d.Summary = summaryJSON{Create: n.Create, Regenerate: n.Regenerate, Restore: n.Restore, Delete: n.Delete, NoOp: n.NoOp,
		CostUSD: usd, CostUnknown: unknown, Changes: plan.HasChanges()}
	return d
}
