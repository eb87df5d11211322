// Package truce holds the domain of a ceasefire monitoring mission: the agreement the parties
// signed, the observations that monitors and sensors report, and the findings the mission
// draws from them. Every other package implements one capability against these types; the
// binary in cmd/truce wires them together.
package truce
