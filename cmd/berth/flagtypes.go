package main

import (
	"strings"

	"github.com/spf13/pflag"
)

// stringArray is pflag's stringArray flag (each use adds one value, commas
// and all) without its cost at registration: pflag renders every default
// through a CSV writer, a few milliseconds of each berth start for the run
// and create flags alone.
type stringArray struct {
	p       *[]string
	changed bool
}

// stringArrayVarP defines a repeatable string flag that collects into p.
func stringArrayVarP(fl *pflag.FlagSet, p *[]string, name, short, usage string) {
	fl.VarP(&stringArray{p: p}, name, short, usage)
}

// Set adds v (the first use replaces what p held before).
func (s *stringArray) Set(v string) error {
	if !s.changed {
		*s.p, s.changed = nil, true
	}
	*s.p = append(*s.p, v)
	return nil
}

// Type is pflag's name for the type, shown in help.
func (s *stringArray) Type() string { return "stringArray" }

// String is the values as pflag shows a stringArray ("[a,b]"), "" for none
// (so that help shows no default, as for pflag's own).
func (s *stringArray) String() string {
	if len(*s.p) == 0 {
		return ""
	}
	return "[" + strings.Join(*s.p, ",") + "]"
}

// Append adds v (pflag.SliceValue).
func (s *stringArray) Append(v string) error {
	*s.p = append(*s.p, v)
	return nil
}

// Replace sets the values to vs (pflag.SliceValue).
func (s *stringArray) Replace(vs []string) error {
	*s.p = append([]string(nil), vs...)
	return nil
}

// GetSlice is the values (pflag.SliceValue).
func (s *stringArray) GetSlice() []string { return *s.p }
