package logfile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
)

// DefaultMaxSize and DefaultMaxFiles bound a log whose options say nothing:
// three files of 10 MiB, so that a chatty container keeps at most 30 MiB of
// logs instead of filling the disk (Docker's json-file default is unbounded;
// "max-size=-1" asks for that).
const (
	DefaultMaxSize  = 10 << 20
	DefaultMaxFiles = 3
)

// ParseOpts converts json-file --log-opt values into WriterOptions. Known keys
// are "max-size" (bytes, with an optional k/m/g/t unit, binary multiples, as in
// "10m"; "-1" means unlimited) and "max-file" (>= 1, needs a max-size when > 1).
// Without max-size the size is DefaultMaxSize; with neither key the number of
// files is DefaultMaxFiles, and with max-size alone 1, as Docker's.
// An unknown key or a bad value is an errdefs.ErrInvalidArgument error.
func ParseOpts(opts map[string]string) (WriterOptions, error) {
	wo := WriterOptions{MaxSize: DefaultMaxSize, MaxFiles: DefaultMaxFiles}
	if _, ok := opts["max-size"]; ok {
		wo.MaxFiles = 1
	}
	for k, v := range opts {
		switch k {
		case "max-size":
			n, err := parseSize(v)
			if err != nil {
				return WriterOptions{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid log-opt max-size=%q: want a size such as 10m", v))
			}
			wo.MaxSize = n
		case "max-file":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return WriterOptions{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("log-opt max-file=%q: must be an integer >= 1", v))
			}
			wo.MaxFiles = n
		default:
			return WriterOptions{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown log-opt %q for json-file", k))
		}
	}
	if wo.MaxFiles > 1 && wo.MaxSize == 0 {
		return WriterOptions{}, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("log-opt max-file=%d needs max-size", wo.MaxFiles))
	}
	return wo, nil
}

// parseSize parses a size like "500", "1k", "10m", "1.5g", "10MB" or "2KiB"
// into bytes (binary multiples). "-1" means unlimited and returns 0.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "-1" {
		return 0, nil
	}
	lower := strings.ToLower(s)
	lower = strings.TrimSuffix(lower, "b")
	lower = strings.TrimSuffix(lower, "i")
	mult := int64(1)
	if n := len(lower); n > 0 {
		switch lower[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult > 1 {
			lower = lower[:n-1]
		}
	}
	lower = strings.TrimSpace(lower)
	if !isDecimal(lower) {
		return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid size %q", s))
	}
	f, err := strconv.ParseFloat(lower, 64)
	if err != nil || f < 0 || f*float64(mult) >= 1<<62 {
		return 0, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid size %q", s))
	}
	return int64(f * float64(mult)), nil
}

// isDecimal reports whether s is digits with at most one inner '.'.
func isDecimal(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return s != ""
}
