package runform

import (
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/containerd/errdefs"

	"berth/engine/opts"
)

// SplitArgs splits a command line into words as a shell would for plain
// words, single and double quotes and backslash escapes (no expansions).
func SplitArgs(s string) ([]string, error) {
	if !utf8.ValidString(s) {
		return nil, errdefs.ErrInvalidArgument.WithMessage("command line is not valid UTF-8")
	}
	var args []string
	var cur strings.Builder
	inWord, escaped := false, false
	var quote rune
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("command line %q: unterminated quote or escape", s))
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

// ParseEnv reads the Env field: -e values separated by commas or blanks
// (quotes keep a value's blanks: A="x y"), each read as the CLI's -e reads
// it (engine/opts): KEY alone takes KEY's value from this process's
// environment, as docker run -e KEY does.
func ParseEnv(s string) ([]string, error) {
	words, err := SplitArgs(strings.ReplaceAll(s, ",", " "))
	if err != nil {
		return nil, err
	}
	return opts.ParseEnv(nil, words, os.LookupEnv)
}

// Quote quotes a word for a shell when it needs it.
func Quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>(){}*?[]#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
