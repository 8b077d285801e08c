// Package engine turns a configuration and a state into a plan, and a plan into files: the
// dependency graph, content hashing, cost, the planner and the executor. It never prints:
// progress reaches the CLI through the Hook interface. It sees providers only through the
// providers.Provider interface.
package engine
