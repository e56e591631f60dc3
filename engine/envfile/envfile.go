// Package envfile parses the files of --env-file (Docker's key/value file
// format): one KEY[=VALUE] a line, of any length.
//
// The format is Docker's: the file is UTF-8 (a leading byte-order mark is
// dropped); leading white space of a line is removed; empty lines and lines
// starting with "#" are skipped; KEY must not be empty nor contain a blank;
// VALUE is kept exactly, trailing white space included; a line with only KEY
// takes its value from a lookup function, and is left out when the lookup
// finds nothing. No line may hold a NUL byte (no environment can). Unlike
// Docker's reader, whose 64 KiB line limit refuses longer lines, lines of
// any length are read whole.
package envfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/containerd/errdefs"
)

// Lookup finds the value of a variable named alone on a line (os.LookupEnv).
type Lookup func(key string) (string, bool)

// ParseFile reads the env file at path. A file that cannot be read or a bad
// line is an errdefs.ErrInvalidArgument error naming the file and line.
func ParseFile(path string, lookup Lookup) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("cannot read env file %s: %v", path, unwrapPath(err)))
	}
	defer fh.Close()
	out, err := Parse(fh, lookup)
	if err != nil {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("env file %s: %v", path, err))
	}
	return out, nil
}

// unwrapPath drops the operation and path of an *os.PathError, which the
// caller names itself.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse reads KEY=VALUE lines from r and returns them in order. A bad line
// is an errdefs.ErrInvalidArgument error naming the line number.
func Parse(r io.Reader, lookup Lookup) ([]string, error) {
	br := bufio.NewReader(r)
	var out []string
	for n := 1; ; n++ {
		raw, readErr := br.ReadBytes('\n')
		if readErr != nil && readErr != io.EOF {
			return nil, fmt.Errorf("read line %d: %w", n, readErr)
		}
		if len(raw) == 0 && readErr == io.EOF {
			return out, nil
		}
		kv, ok, err := parseLine(trimEOL(raw), n, lookup)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, kv)
		}
		if readErr == io.EOF {
			return out, nil
		}
	}
}

// trimEOL drops the line's "\n" or "\r\n", as bufio.ScanLines does.
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// parseLine turns line n into KEY=VALUE; ok is false for a line that adds
// nothing (blank, comment, or a KEY the lookup does not know).
func parseLine(b []byte, n int, lookup Lookup) (kv string, ok bool, err error) {
	if n == 1 {
		b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	}
	if !utf8.Valid(b) {
		return "", false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("line %d is not valid UTF-8", n))
	}
	line := strings.TrimLeftFunc(string(b), unicode.IsSpace)
	if line == "" || line[0] == '#' {
		return "", false, nil
	}
	if strings.IndexByte(line, 0) >= 0 {
		return "", false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("line %d contains a NUL byte", n))
	}
	key, _, hasValue := strings.Cut(line, "=")
	switch {
	case key == "":
		return "", false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("line %d has no variable name", n))
	case strings.ContainsAny(key, " \t"):
		return "", false, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("line %d: variable name %q contains white space", n, key))
	case hasValue:
		return line, true, nil
	case lookup == nil:
		return "", false, nil
	}
	v, found := lookup(key)
	if !found {
		return "", false, nil
	}
	return key + "=" + v, true, nil
}
