package volumes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
)

// Mount types.
const (
	TypeVolume = "volume"
	TypeBind   = "bind"
	TypeTmpfs  = "tmpfs"
)

// DefaultPropagation is the propagation of bind mounts that name none, as Docker.
const DefaultPropagation = "rprivate"

// Mount is one parsed mount spec. For a volume, an empty Source means a new
// anonymous volume.
type Mount struct {
	Type        string // volume, bind or tmpfs
	Source      string // volume name or absolute host path; "" for tmpfs and anonymous volumes
	Target      string // absolute path in the container
	ReadOnly    bool
	Propagation string // bind only: rprivate (default), private, rshared, shared, rslave, slave
	TmpfsSize   int64  // bytes; 0 = kernel default (half of RAM)
	TmpfsMode   os.FileMode
	NoCopy      bool // volume only: no copy-up
	// VolumeOptions are the local driver's options (volume-opt=type=tmpfs)
	// a volume this mount creates is made with; an existing one keeps its own.
	VolumeOptions map[string]string
	Consistency   string // accepted and ignored on Linux, as Docker
	// Relabel is the SELinux label option of -v ("z" or "Z"); berth records it only.
	Relabel string
	// Mode is -v's option list as given ("ro", "rw,z"); inspect shows it.
	Mode string
	// CreateSource says a missing bind source is created as a directory (-v);
	// --mount leaves it false: a missing source is an error (see PrepareBind).
	CreateSource bool
	// TmpfsOptions are the other mount flags given to --tmpfs (noexec, nosuid, …).
	TmpfsOptions []string
	// Spec is the text the mount was parsed from.
	Spec string
}

var propagations = map[string]bool{"private": true, "rprivate": true, "shared": true,
	"rshared": true, "slave": true, "rslave": true}

var consistencies = map[string]bool{"consistent": true, "cached": true, "delegated": true, "default": true}

func invalid(spec, format string, args ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid spec: %s: %s", spec, fmt.Sprintf(format, args...)))
}

// checkTarget checks a container path: absolute, not "/".
func checkTarget(spec, target string) (string, error) {
	if target == "" {
		return "", invalid(spec, "target is required")
	}
	if !filepath.IsAbs(target) {
		return "", invalid(spec, "invalid mount path: '%s' mount path must be absolute", target)
	}
	target = filepath.Clean(target)
	if target == "/" {
		return "", invalid(spec, "destination can't be '/'")
	}
	return target, nil
}

// ParseVolume parses a -v spec as Docker does: "name:/dst[:opts]" (named volume),
// "/host:/dst[:opts]" (bind), "/dst" (anonymous volume). Options, comma separated:
// ro|rw, z|Z, nocopy|copy (volumes), a propagation (binds), a consistency.
// Binds default to rw and rprivate and their missing source is created.
func ParseVolume(spec string) (Mount, error) {
	if strings.TrimSpace(spec) == "" {
		return Mount{}, invalid(spec, "invalid empty volume spec")
	}
	parts := strings.Split(spec, ":")
	for _, p := range parts {
		if p == "" {
			return Mount{}, invalid(spec, "empty section between colons")
		}
	}
	m := Mount{Type: TypeVolume, Spec: spec}
	mode := ""
	switch len(parts) {
	case 1:
		m.Target = parts[0]
	case 2:
		if validMode(parts[1]) == nil {
			return Mount{}, invalid(spec, "a volume needs a source and a destination before its mode")
		}
		m.Source, m.Target = parts[0], parts[1]
	case 3:
		m.Source, m.Target, mode = parts[0], parts[1], parts[2]
	default:
		return Mount{}, invalid(spec, "too many colons")
	}
	var err error
	if m.Target, err = checkTarget(spec, m.Target); err != nil {
		return Mount{}, err
	}
	if filepath.IsAbs(m.Source) {
		m.Type, m.Source, m.CreateSource = TypeBind, filepath.Clean(m.Source), true
	} else if m.Source != "" {
		if err := ValidateName(m.Source); err != nil {
			return Mount{}, invalid(spec, "%v", err)
		}
	}
	if err := validMode(mode); err != nil {
		return Mount{}, invalid(spec, "%v", err)
	}
	if err := applyMode(&m, mode); err != nil {
		return Mount{}, invalid(spec, "%v", err)
	}
	m.Mode = mode
	return m, nil
}

// validMode checks the option list of a -v spec: each known, at most one of a kind.
func validMode(mode string) error {
	if mode == "" {
		return nil
	}
	counts := map[string]int{}
	for _, o := range strings.Split(mode, ",") {
		kind := ""
		switch {
		case o == "ro" || o == "rw":
			kind = "rw"
		case o == "z" || o == "Z":
			kind = "label"
		case propagations[o]:
			kind = "propagation"
		case o == "nocopy" || o == "copy":
			kind = "copy"
		case consistencies[o]:
			kind = "consistency"
		default:
			return fmt.Errorf("invalid mode: %s", o)
		}
		if counts[kind]++; counts[kind] > 1 {
			return fmt.Errorf("invalid mode: %s (more than one %s option)", mode, kind)
		}
	}
	return nil
}

// applyMode sets the fields a valid mode list names and the type's defaults.
func applyMode(m *Mount, mode string) error {
	for _, o := range strings.Split(mode, ",") {
		switch {
		case o == "ro":
			m.ReadOnly = true
		case o == "z" || o == "Z":
			m.Relabel = o
		case propagations[o]:
			if m.Type != TypeBind {
				return fmt.Errorf("propagation mode %s applies to bind mounts only", o)
			}
			m.Propagation = o
		case o == "nocopy" || o == "copy":
			if m.Type != TypeVolume {
				return fmt.Errorf("%s applies to volumes only", o)
			}
			m.NoCopy = o == "nocopy"
		case consistencies[o]:
			m.Consistency = o
		}
	}
	if m.Type == TypeBind && m.Propagation == "" {
		m.Propagation = DefaultPropagation
	}
	return nil
}

// PrepareBind checks a bind mount's source on the host: it must exist, except for a
// -v bind (CreateSource), whose missing source is created as a directory, as
// Docker does. A missing --mount source is errdefs.ErrInvalidArgument.
func PrepareBind(m Mount) error {
	if m.Type != TypeBind {
		return nil
	}
	_, err := os.Stat(m.Source)
	switch {
	case err == nil:
		return nil
	case os.IsNotExist(err) && m.CreateSource:
		if err := os.MkdirAll(m.Source, 0o755); err != nil {
			return fmt.Errorf("create bind source %s: %w", m.Source, err)
		}
		return nil
	case os.IsNotExist(err):
		return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("invalid mount config for type \"bind\": bind source path does not exist: %s", m.Source))
	default:
		return fmt.Errorf("bind source %s: %w", m.Source, err)
	}
}
