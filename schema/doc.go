// Package schema owns genform's configuration language: it loads the *.gen.hcl and *.gen.json
// files of a project folder, decodes every block (genform, variable, locals, provider, chat,
// image, video, output), evaluates variables and locals, expands count and for_each into
// instances, finds the references between assets, and evaluates an instance's attributes once
// the values of the assets it references are given. It reports every mistake as an
// hcl.Diagnostic with a source range. It knows nothing of state, plans or providers' insides.
package schema
