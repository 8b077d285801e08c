package view

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/genform/genform/engine"
	"github.com/genform/genform/planfile"
	"github.com/genform/genform/textdiff"
)

// colours, used only on a terminal without NO_COLOR.
type palette struct{ green, yellow, cyan, red, bold, dim, reset string }

func colors(on bool) palette {
	if !on {
		return palette{}
	}
	return palette{green: "\x1b[32m", yellow: "\x1b[33m", cyan: "\x1b[36m", red: "\x1b[31m", bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m"}
}

// Plan shows a plan: as text for a person, or as one JSON document for a pipe (plan -json).
type Plan interface {
	// Plan shows the changes, from engine.NewPlan or a saved plan.
	Plan(cs engine.Changes)
	// Saved says the plan was saved to path.
	Saved(path string)
}

// NewPlan is the plan view a command chose: JSON or text.
func NewPlan(v *View, asJSON bool) Plan {
	if asJSON {
		return planJSONView{v}
	}
	return planText{v}
}

type planText struct{ v *View }

func (p planText) Plan(cs engine.Changes) { renderPlan(p.v.Stdout, cs, p.v.color) }

func (p planText) Saved(path string) {
	fmt.Fprintf(p.v.Stdout, "\nSaved the plan to %s. Apply exactly this plan with: genform apply %s\n", path, path)
}

type planJSONView struct{ v *View }

func (p planJSONView) Plan(cs engine.Changes) { p.v.JSON(PlanJSON(cs)) }
func (p planJSONView) Saved(string)           {}

// renderPlan prints a plan the way a Terraform user expects: one block per change with its
// reasons and attribute diff, then the summary line.
func renderPlan(out io.Writer, plan engine.Changes, color bool) {
	// buffered: a change is a dozen small prints, each a system call on an unbuffered stdout
	w := bufio.NewWriterSize(out, 64<<10)
	defer w.Flush()
	pal := colors(color)
	if !plan.HasChanges() {
		fmt.Fprintln(w, "No changes. Everything is up to date.")
		return
	}
	fmt.Fprintln(w, "genform will perform these actions:")
	for _, ch := range plan {
		if ch.Action == engine.NoOp {
			if ch.MovedFrom != "" {
				fmt.Fprintf(w, "\n  %s# %s has moved to %s%s (free)\n", pal.bold, ch.MovedFrom, ch.Addr, pal.reset)
			}
			continue
		}
		fmt.Fprintln(w)
		renderChange(w, ch, pal)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, pal.bold+summaryLine(plan)+pal.reset)
	if note := cacheNote(plan); note != "" {
		fmt.Fprintln(w, note)
	}
}

func summaryLine(plan engine.Changes) string {
	n := plan.Counts()
	return fmt.Sprintf("Plan: %d to create, %d to regenerate, %d to restore, %s%d to delete. Estimated cost: %s.",
		n.Create, n.Regenerate, n.Restore, MovesText(n.Move, "to move"), n.Delete, CostText(plan.Cost()))
}

// MovesText is "N what, " when there are moves, and nothing otherwise: the summaries of runs
// without moved blocks read as they always did.
func MovesText(n int, what string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d %s, ", n, what)
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
	verb := aw.verb
	if ch.FromShared {
		verb = "restored from the shared cache"
	}
	fmt.Fprintf(w, "  %s# %s will be %s (%s)%s\n", pal.bold, ch.Addr, verb, priceText(ch), pal.reset)
	if ch.MovedFrom != "" {
		fmt.Fprintf(w, "  %s#   (moved from %s)%s\n", pal.dim, ch.MovedFrom, pal.reset)
	}
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
			v = ValueText(ch.Request[n])
		}
		fmt.Fprintf(w, "      %s %-*s = %s\n", sym, width, n, v)
	}
}

// renderDiff shows one changed attribute; long strings show only what changed.
func renderDiff(w io.Writer, d engine.AttrDiff, pal palette) {
	switch {
	case d.Unknown:
		fmt.Fprintf(w, "      %s~%s %s = %s -> (known after apply)\n", pal.yellow, pal.reset, d.Name, ValueText(d.Before))
	case d.Before == nil:
		fmt.Fprintf(w, "      %s+%s %s = %s\n", pal.green, pal.reset, d.Name, ValueText(d.After))
	case d.After == nil:
		fmt.Fprintf(w, "      %s-%s %s = %s\n", pal.red, pal.reset, d.Name, ValueText(d.Before))
	default:
		if bl, ok := d.Before.([]any); ok {
			if al, ok := d.After.([]any); ok && (isObjectList(bl) || isObjectList(al)) {
				renderListDiff(w, d.Name, bl, al, pal)
				return
			}
		}
		b, bok := d.Before.(string)
		a, aok := d.After.(string)
		if bok && aok && (len(a) > 60 || len(b) > 60 || strings.Contains(a+b, "\n")) {
			fmt.Fprintf(w, "      %s~%s %s:\n", pal.yellow, pal.reset, d.Name)
			for _, line := range textdiff.Short(b, a) {
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
		fmt.Fprintf(w, "      %s~%s %s = %s -> %s\n", pal.yellow, pal.reset, d.Name, ValueText(d.Before), ValueText(d.After))
	}
}

// The JSON forms of a plan (plan -json, show -json PLANFILE, saved plans).

// PlanDoc is a plan as JSON: its changes and a summary.
type PlanDoc struct {
	FormatVersion string            `json:"format_version"`
	Changes       []planfile.Change `json:"changes"`
	Summary       SummaryJSON       `json:"summary"`
}

// SummaryJSON is the summary of a plan as JSON.
type SummaryJSON struct {
	Create      int     `json:"create"`
	Regenerate  int     `json:"regenerate"`
	Restore     int     `json:"restore"`
	Delete      int     `json:"delete"`
	NoOp        int     `json:"no_op"`
	Move        int     `json:"move"` // changes renamed by a moved block (also counted by action)
	CostUSD     float64 `json:"cost_usd"`
	CostUnknown int     `json:"cost_unknown"`
	Changes     bool    `json:"changes"`
}

// PlanJSON is the document plan -json and show -json PLANFILE print.
func PlanJSON(plan engine.Changes) PlanDoc {
	d := PlanDoc{FormatVersion: "1", Changes: []planfile.Change{}}
	for _, ch := range plan {
		d.Changes = append(d.Changes, planfile.FromEngine(ch))
	}
	n := plan.Counts()
	usd, unknown := plan.Cost()
	d.Summary = SummaryJSON{Create: n.Create, Regenerate: n.Regenerate, Restore: n.Restore, Delete: n.Delete, NoOp: n.NoOp, Move: n.Move,
		CostUSD: usd, CostUnknown: unknown, Changes: plan.HasChanges()}
	return d
}
