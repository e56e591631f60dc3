package opts

import (
	"errors"
	"strconv"
	"strings"
)

// maxGID is the largest GID a container's process may join (moby/sys/user's
// range, which dockerd refuses beyond at start).
const maxGID = 2147483647

// ParseGroupAdd checks --group-add values as far as they can be without the
// image: each is a GID in 0-2147483647 or a group name, which /etc/group's
// format cannot hold with a colon, comma or blank in it (refused as "not a
// group name or GID"). Names are looked up
// in the container's /etc/group when it starts, as dockerd does. It returns
// the values as given.
func ParseGroupAdd(values []string) ([]string, error) {
	for _, v := range values {
		if err := checkGroup(v); err != nil {
			return nil, err
		}
	}
	return values, nil
}

// SplitGroupAdd is ParseGroupAdd of one field of comma or blank separated
// groups (the TUI's form): "wheel, 123 mail".
func SplitGroupAdd(field string) ([]string, error) {
	groups := strings.FieldsFunc(field, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	return ParseGroupAdd(groups)
}

func checkGroup(v string) error {
	switch {
	case v == "":
		return invalid("invalid --group-add \"\": want a group name or GID")
	case strings.ContainsAny(v, ":, \t\n"):
		return invalid("invalid --group-add %q: not a group name or GID", v)
	}
	if n, err := strconv.Atoi(v); errors.Is(err, strconv.ErrRange) || err == nil && (n < 0 || n > maxGID) {
		return invalid("invalid --group-add %q: a GID is in the range 0-%d", v, maxGID)
	}
	return nil
}
