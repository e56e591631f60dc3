package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The names runc's seccomp setup knows (libcontainer/seccomp/config.go);
// a profile naming another would be refused only when the container starts.
var (
	seccompActions = names("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
		"SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
		"SCMP_ACT_NOTIFY")
	seccompOperators = names("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
		"SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ")
	seccompArches = names("SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
		"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
		"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
		"SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",
		"SCMP_ARCH_S390X", "SCMP_ARCH_LOONGARCH64")
)

func names(n ...string) map[string]bool {
	m := make(map[string]bool, len(n))
	for _, s := range n {
		m[s] = true
	}
	return m
}

// CheckSeccompProfile checks a seccomp profile in Docker's JSON format (the
// format of github.com/moby/profiles/seccomp): JSON of the right shape, a
// default action, known actions, operators and architectures, and what the
// profile loader itself refuses. The error says what is wrong in one line.
func CheckSeccompProfile(body []byte) error {
	var p seccomp.Seccomp
	if err := json.Unmarshal(body, &p); err != nil {
		return jsonError(body, err)
	}
	if p.DefaultAction == "" {
		return errors.New(`it has no "defaultAction"`)
	}
	if err := checkSeccompNames(&p); err != nil {
		return err
	}
	// The loader refuses "name" with "names", "architectures" with "archMap".
	probe := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}}
	if _, err := seccomp.LoadProfile(string(body), probe); err != nil {
		return err
	}
	return nil
}

// checkSeccompNames checks every action, operator and architecture name.
func checkSeccompNames(p *seccomp.Seccomp) error {
	unknown := func(what string, v any) error { return fmt.Errorf("unknown %s %q", what, v) }
	if !seccompActions[string(p.DefaultAction)] {
		return unknown("defaultAction", p.DefaultAction)
	}
	for _, a := range p.Architectures {
		if !seccompArches[string(a)] {
			return unknown("architecture", a)
		}
	}
	for _, m := range p.ArchMap {
		for _, a := range append([]specs.Arch{m.Arch}, m.SubArches...) {
			if !seccompArches[string(a)] {
				return unknown("architecture", a)
			}
		}
	}
	for i, sc := range p.Syscalls {
		if sc == nil {
			return fmt.Errorf("syscalls[%d] is null", i)
		}
		if !seccompActions[string(sc.Action)] {
			return fmt.Errorf("unknown action %q in syscalls[%d]", sc.Action, i)
		}
		for _, arg := range sc.Args {
			if !seccompOperators[string(arg.Op)] {
				return fmt.Errorf("unknown operator %q in syscalls[%d]", arg.Op, i)
			}
		}
	}
	return nil
}

// jsonError says where a JSON text is wrong, by line and column, or which
// field has the wrong type.
func jsonError(body []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := position(body, se.Offset)
		msg := strings.TrimPrefix(se.Error(), "json: ")
		return fmt.Errorf("%s at line %d, column %d", msg, line, col)
	case errors.As(err, &te):
		field := "the profile"
		if f := jsonField(te.Field); f != "" {
			field = fmt.Sprintf("%q", f)
		}
		return fmt.Errorf("%s must be %s, not %s", field, jsonKind(te.Type), article(te.Value))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

// jsonField drops the Go names of embedded structs from a decoder's field
// path ("LinuxSeccomp.defaultAction" is the profile's "defaultAction").
func jsonField(path string) string {
	var keep []string
	for _, p := range strings.Split(path, ".") {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ".")
}

// position turns a byte offset (just past the error) into a line and column.
func position(body []byte, off int64) (int, int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	if off < 1 {
		off = 1
	}
	before := body[:off-1]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n') - 1
	return line, col
}

// jsonKind names what JSON value a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number of 0 or more"
	}
	return "a number"
}

func article(v string) string {
	switch {
	case v == "array" || v == "object":
		return "an " + v
	case v == "bool":
		return "true or false"
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ")
	}
	return "a " + v
}
