package event

import (
	"fmt"
	"slices"
	"strings"
)

// Types lists every event type, in the order documentation shows them.
var Types = []string{TypeAnomalies, TypeEmergency, TypeClear, TypeSource, TypeStats}

// SourceAll is the source of "stats" events: the whole run.
const SourceAll = "all"

// AllTypes is the word a type list uses for every type.
const AllTypes = "all"

// TypeSet is a set of event types a sink passes on.
type TypeSet map[string]bool

// ParseTypes reads a list of event type names ("all" for every type); an empty list, an
// unknown or misspelt name is an error that lists the valid names.
func ParseTypes(names []string) (TypeSet, error) {
	set := TypeSet{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == AllTypes:
			for _, t := range Types {
				set[t] = true
			}
		case slices.Contains(Types, n):
			set[n] = true
		default:
			return nil, fmt.Errorf("%w: %q; valid types: %s, or %s", ErrTypes, n, strings.Join(Types, ", "), AllTypes)
		}
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("%w: no type given; list some of %s, or %s", ErrTypes, strings.Join(Types, ", "), AllTypes)
	}
	return set, nil
}

// Has reports whether typ is in the set.
func (s TypeSet) Has(typ string) bool { return s[typ] }

// String lists the set's types in documentation order, comma-separated ("all" when complete).
func (s TypeSet) String() string {
	var names []string
	for _, t := range Types {
		if s[t] {
			names = append(names, t)
		}
	}
	if len(names) == len(Types) {
		return AllTypes
	}
	return strings.Join(names, ",")
}

// Critical reports whether an event of type typ must survive an outage of a network sink:
// emergencies and the clears that end them are retried and kept when a queue is full.
func Critical(typ string) bool { return typ == TypeEmergency || typ == TypeClear }
