package config

import (
	"bytes"
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// durationKeys are the YAML keys of the duration settings.
var durationKeys = func() map[string]bool {
	keys := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(Run{})) { // with the inline structs' fields
		if f.Type == reflect.TypeOf(time.Duration(0)) {
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			keys[key] = true
		}
	}
	return keys
}()

// bareDurations lets a bare 0 in a duration setting mean 0s, as it does for the flags (YAML's
// decoder refuses any number there), by rewriting it to 0s in place (lines stay where they
// were, so later errors name the right line). Any other bare number is refused: its unit is
// anyone's guess.
func bareDurations(data []byte) ([]byte, error) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data, nil // the typed decode reports what is wrong
	}
	m := doc.Content[0].Content
	var zeros []*yaml.Node
	for i := 0; i+1 < len(m); i += 2 {
		key, v := m[i].Value, m[i+1]
		if !durationKeys[key] || v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
			continue
		}
		if n, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64); err == nil && n == 0 {
			zeros = append(zeros, v)
			continue
		}
		return nil, fmt.Errorf("%w: %s (--%s): line %d: %s has no unit; write a duration with one, e.g. %ss, or 0 (units: ms, s, m, h)",
			ErrConfig, key, strings.ReplaceAll(key, "_", "-"), v.Line, v.Value, v.Value)
	}
	if len(zeros) == 0 {
		return data, nil
	}
	// From the end, so that a rewrite does not move the ones before it on its line.
	slices.SortFunc(zeros, func(a, b *yaml.Node) int { return cmp.Or(b.Line-a.Line, b.Column-a.Column) })
	lines := bytes.SplitAfter(data, []byte("\n"))
	for _, v := range zeros {
		if v.Line < 1 || v.Line > len(lines) {
			continue
		}
		line := []rune(string(lines[v.Line-1]))
		at, val := v.Column-1, []rune(v.Value)
		if at < 0 || at+len(val) > len(line) || string(line[at:at+len(val)]) != v.Value {
			continue // not where it was written (a tag before it): the typed decode reports it
		}
		lines[v.Line-1] = []byte(string(line[:at]) + "0s" + string(line[at+len(val):]))
	}
	return bytes.Join(lines, nil), nil
}
