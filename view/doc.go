// Package view holds everything a person or a pipe reads from genform: the plan as text and
// JSON, the progress of an apply (terminal, plain lines, JSON), summaries, state records and
// diagnostics. A command chooses its view once, from its flags and its terminal, and then
// only calls it; the engine never prints (it reports through engine.Hook).
package view
