package schema

import (
	"strings"
	"sync"

	"github.com/genform/genform/asset"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
)

// LoadOptions is what Load needs besides the folder.
type LoadOptions struct {
	// Vars are the -var and -var-file arguments, in command-line order.
	Vars []VarValue
	// Env is the environment as os.Environ gives it: GENFORM_VAR_name=value sets variables,
	// and env(name) reads it.
	Env []string
	// UnsetUnknown gives a variable without a default or a value an unknown value instead of
	// an error, as terraform validate does: the configuration is checked without values. A
	// block whose count or for_each is then unknown has no instances to check.
	UnsetUnknown bool
	// ProviderTypes lists the provider types that exist ("wisdomgate", "offline"). A provider
	// block of another type is an error. When empty, every type is accepted.
	ProviderTypes []string
	// Select, when not nil, stands for the folder's configuration files: Load reads no file
	// but these (native syntax, by name) and parses only the pieces each one names. It is
	// for a plan that knows the other pieces did not change (see TopLevelPieces); the
	// result is only to be used when Load reports no diagnostic at all.
	Select map[string]SelectedFile
}

// SelectedFile is one configuration file given to Load whole, of which only Pieces are
// parsed.
type SelectedFile struct {
	Src    []byte
	Pieces []PieceRange
}

// VarValue is one -var (Name and Value) or -var-file (File) argument.
type VarValue struct {
	Name, Value string
	File        string
}

// Config is a loaded project: every block decoded, variables and locals evaluated, and every
// asset expanded into its instances. A Config is read-only once Load returns; Eval and
// EvalOutput may be called from many goroutines at once.
type Config struct {
	Dir       string               // absolute project folder
	Files     map[string]*hcl.File // parsed files by the name diagnostics use (for snippets)
	Settings  Settings
	Cache     *Cache // the shared output cache; nil when none is declared
	Variables map[string]*Variable
	Vars      map[string]cty.Value // resolved variable values
	Locals    map[string]cty.Value // evaluated locals
	Providers []*Provider          // declaration order
	Assets    []*Asset             // declaration order (files in name order)
	Instances []*Instance          // every expanded instance, grouped by asset in Assets order
	Outputs   []*Output
	Moved     []*Moved // moved blocks, declaration order

	providerTypes []string
	unsetUnknown  bool // LoadOptions.UnsetUnknown
	localNames    map[string]bool
	secretLocals  map[string]bool   // locals computed from a sensitive variable or credential
	assets        map[string]*Asset // by address
	env           map[string]string
	realDir       string           // Dir with symlinks resolved
	base          *hcl.EvalContext // var, local, path and every function (file functions unrecorded)
	tmplBase      *hcl.EvalContext // functions a template may call (no templatefile)
	files         *fileCache
	reads         *readLog
}

// Settings are the genform block's values.
type Settings struct {
	StatePath   string    // default "genform.state.json", relative to Dir
	Parallelism int       // default 8
	Budget      *float64  // nil: no budget
	BudgetRange hcl.Range // where budget is set, for the diagnostic that refuses a plan
	Backend     *Backend  // nil: the state file and a file lock
	DeclRange   hcl.Range
}

// Variable is a variable block.
type Variable struct {
	Name        string
	Type        cty.Type  // cty.DynamicPseudoType when no type is given
	Default     cty.Value // cty.NilVal when the variable has no default (a value is required)
	Description string
	Sensitive   bool
	DeclRange   hcl.Range

	defaults    *typeexpr.Defaults
	validations []*validation
}

type validation struct {
	Condition, ErrorMessage hcl.Expression
	DeclRange               hcl.Range
}

// Provider is a provider block.
type Provider struct {
	Type, Alias string
	Body        hcl.Body // the remaining arguments (everything but alias), for the provider to decode
	DeclRange   hcl.Range
}

// Addr is the provider's address as assets name it: "wisdomgate" or "wisdomgate.fast".
func (p *Provider) Addr() string {
	if p.Alias == "" {
		return p.Type
	}
	return p.Type + "." + p.Alias
}

// Asset is a chat, image or video block.
type Asset struct {
	Kind, Name     string         // "image", "hero"
	Count, ForEach hcl.Expression // nil when absent
	Provider       string         // "" (default resolution), "wisdomgate", "wisdomgate.fast", "offline"
	ProviderRange  hcl.Range
	IgnoreChanges  []string // attribute names; IgnoreAll for `ignore_changes = all`
	IgnoreAll      bool
	// Attrs holds every request attribute written (model, prompt, path, size, options, ...),
	// not the meta-arguments.
	Attrs map[string]*hcl.Attribute
	Shots []*Shot // video storyboard
	// Refs lists every reference to another asset (attributes, shots, options, depends_on),
	// de-duplicated, in source order.
	Refs      []Ref
	DeclRange hcl.Range
	// Instances are the block's expanded instances, a sub-slice of Config.Instances.
	Instances []*Instance

	attrOrder   []string        // Attrs' names in source order
	dependsOn   hcl.Expression  // nil when absent
	readsFiles  bool            // an expression may call a file function: Eval records what it reads
	count       int             // with Count: the number of instances
	keys        map[string]bool // with ForEach: the instance keys
	unknownKeys bool            // count or for_each depends on a variable without a value (LoadOptions.UnsetUnknown)
}

// Addr is the block's address: "image.hero".
func (a *Asset) Addr() string { return a.Kind + "." + a.Name }

// Shot is one storyboard shot block of a video.
type Shot struct {
	Duration, Scene hcl.Expression
	DeclRange       hcl.Range
}

// Ref is one reference from an asset to another asset, found from expression traversals.
type Ref struct {
	Kind, Name string // "image", "hero"
	// Key is the instance key when the traversal names one statically (image.hero["dawn"],
	// image.hero[0]); cty.NilVal when the reference is to the whole block, or its index is
	// dynamic (image.hero[each.key]).
	Key   cty.Value
	Range hcl.Range
}

// Addr is the address the reference names: "image.hero" or "image.hero[0]".
func (r Ref) Addr() string {
	if r.Key == cty.NilVal {
		return r.Kind + "." + r.Name
	}
	return instanceAddr(r.Kind, r.Name, r.Key)
}

// Instance is one expanded instance of an asset.
type Instance struct {
	Asset *Asset
	Key   cty.Value // cty.NilVal (no count/for_each), a cty.Number (count.index) or cty.String (each.key)
	Each  cty.Value // each.value for for_each, else cty.NilVal
	Addr  string    // `image.hero`, `image.hero[0]`, `image.hero["dawn"]`
}

// Output is an output block.
type Output struct {
	Name        string
	Value       hcl.Expression
	Description string
	Sensitive   bool
	Refs        []Ref
	DeclRange   hcl.Range
}

// Resolved is one instance's evaluated attributes.
type Resolved struct {
	// Attrs holds every attribute the user set (and did not set to null), converted to its
	// declared type. A value may be unknown when it depends on an unknown asset value. The
	// path is cleaned and slash-separated.
	Attrs map[string]cty.Value
	Shots []ResolvedShot // in order
	// Files lists the project-relative paths (slash-separated, cleaned) of every file read
	// while evaluating this instance through file, templatefile, filesha256, and fileexists's
	// target if it exists (not fileset listings), sorted and de-duplicated.
	Files []string
}

// ResolvedShot is one evaluated storyboard shot.
type ResolvedShot struct{ Duration, Scene cty.Value }

// Kinds lists the asset kinds, in the order genform shows them.
var Kinds = asset.Names()

func isKind(s string) bool { return asset.Known(s) }

var instanceTypes = func() map[string]cty.Type {
	out := map[string]cty.Type{}
	for _, k := range asset.Kinds() {
		spec, _ := asset.Lookup(string(k))
		out[string(k)] = cty.Object(spec.Outputs)
	}
	return out
}()

// InstanceType is the cty object type of one instance's value as other blocks see it: every
// kind has path, sha256, model (strings); chat adds text; image adds mime_type, width, height
// (numbers for the last two); video adds seconds (number). It panics on an unknown kind.
func InstanceType(kind string) cty.Type {
	ty, ok := instanceTypes[kind]
	if !ok {
		panic("schema: InstanceType of unknown kind " + kind)
	}
	return ty
}

// Asset returns the asset block at addr ("image.hero"), or nil.
func (c *Config) Asset(addr string) *Asset { return c.assets[addr] }

// ProviderFor returns the address of the provider that generates a's instances, by SPEC's
// "Which provider" rule: the asset's provider argument; else the only declared provider;
// else the unaliased wisdomgate provider, declared or not. An address that names no declared
// block is an unaliased type used with its defaults (an empty body): with no provider block
// at all, that is the default gateway reading WISDOM_GATE_KEY.
func (c *Config) ProviderFor(a *Asset) string {
	if a.Provider != "" {
		return a.Provider
	}
	if len(c.Providers) == 1 {
		return c.Providers[0].Addr()
	}
	return "wisdomgate"
}

// instanceAddr formats an instance address: image.hero[0], image.hero["dawn"].
func instanceAddr(kind, name string, key cty.Value) string {
	var b strings.Builder
	b.Grow(len(kind) + len(name) + 8)
	b.WriteString(kind)
	b.WriteByte('.')
	b.WriteString(name)
	writeKey(&b, key)
	return b.String()
}

func writeKey(b *strings.Builder, key cty.Value) {
	switch {
	case key == cty.NilVal:
	case key.Type() == cty.Number:
		b.WriteByte('[')
		b.WriteString(key.AsBigFloat().Text('f', -1))
		b.WriteByte(']')
	default:
		b.WriteByte('[')
		b.WriteString(quoteString(key.AsString()))
		b.WriteByte(']')
	}
}

// quoteString quotes s as an HCL string literal.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			b.WriteString(`\"`)
		case ch == '\\':
			b.WriteString(`\\`)
		case ch == '\n':
			b.WriteString(`\n`)
		case ch == '\r':
			b.WriteString(`\r`)
		case ch == '\t':
			b.WriteString(`\t`)
		case (ch == '$' || ch == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(ch)
			b.WriteByte(ch)
		case ch < 0x20:
			const hex = "0123456789abcdef"
			b.WriteString(`\u00`)
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&0xf])
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// keyString is a map key for a Ref's instance key: "" for none.
func keyString(k cty.Value) string {
	var b strings.Builder
	writeKey(&b, k)
	return b.String()
}

// fileCache holds the files read during one Load, shared by every evaluation.
type fileCache struct {
	mu      sync.Mutex
	entries map[string]*fileEntry // by absolute path
	dirs    sync.Map              // absolute directory -> struct{}: known to resolve inside the project
}
