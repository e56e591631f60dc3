package volumes

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/docker/go-units"
)

// ParseMount parses a --mount spec as Docker does: comma-separated (CSV-quoted)
// key=value fields type=volume|bind|tmpfs (default volume), src|source,
// dst|destination|target, readonly|ro[=bool], consistency, bind-propagation,
// volume-nocopy[=bool], volume-driver (local), volume-opt=KEY=VALUE (the local
// driver's type, device and o), tmpfs-size (64m), tmpfs-mode (octal). An unknown key, an
// option of another type, a missing target, a relative bind source or a bind
// without source is errdefs.ErrInvalidArgument naming the problem.
func ParseMount(spec string) (Mount, error) {
	fields, err := csv.NewReader(strings.NewReader(spec)).Read()
	if err != nil {
		return Mount{}, invalid(spec, "%v", err)
	}
	m := Mount{Type: TypeVolume, Spec: spec}
	seen := map[string]bool{}
	for _, f := range fields {
		key, val, hasVal := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if err := setMountField(&m, key, val, hasVal); err != nil {
			return Mount{}, invalid(spec, "%v", err)
		}
		seen[key] = true
	}
	if err := checkMountTypes(&m, seen); err != nil {
		return Mount{}, invalid(spec, "%v", err)
	}
	if m.Target, err = checkTarget(spec, m.Target); err != nil {
		return Mount{}, err
	}
	return m, nil
}

// setMountField applies one key of a --mount spec.
func setMountField(m *Mount, key, val string, hasVal bool) error {
	boolVal := func() (bool, error) {
		if !hasVal {
			return true, nil
		}
		b, err := strconv.ParseBool(val)
		if err != nil {
			return false, fmt.Errorf("invalid value for %s: %s", key, val)
		}
		return b, nil
	}
	var err error
	switch key {
	case "readonly", "ro":
		m.ReadOnly, err = boolVal()
		return err
	case "volume-nocopy":
		m.NoCopy, err = boolVal()
		return err
	}
	if !hasVal {
		return fmt.Errorf("invalid field '%s' must be a key=value pair", key)
	}
	switch key {
	case "type":
		if val != TypeVolume && val != TypeBind && val != TypeTmpfs {
			return fmt.Errorf("unsupported mount type '%s'", val)
		}
		m.Type = val
	case "source", "src":
		m.Source = val
	case "target", "dst", "destination":
		m.Target = val
	case "consistency":
		if !consistencies[val] {
			return fmt.Errorf("invalid consistency '%s'", val)
		}
		m.Consistency = val
	default:
		return setTypeField(m, key, val)
	}
	return nil
}

// setTypeField sets one of --mount's key=value options that belong to one
// mount type (bind-propagation, volume-driver, volume-opt, tmpfs-size,
// tmpfs-mode).
func setTypeField(m *Mount, key, val string) error {
	switch key {
	case "bind-propagation":
		if !propagations[val] {
			return fmt.Errorf("invalid propagation mode '%s'", val)
		}
		m.Propagation = val
	case "volume-driver":
		if val != DriverLocal {
			return fmt.Errorf("volume driver %q not found (berth has the local driver only)", val)
		}
	case "volume-opt":
		k, v, ok := strings.Cut(val, "=")
		if !ok || k == "" {
			return fmt.Errorf("invalid volume-opt %q: want KEY=VALUE", val)
		}
		if m.VolumeOptions == nil {
			m.VolumeOptions = map[string]string{}
		}
		m.VolumeOptions[k] = v
	case "tmpfs-size":
		size, err := units.RAMInBytes(val)
		if err != nil || size < 0 {
			return fmt.Errorf("invalid value for %s: %s", key, val)
		}
		m.TmpfsSize = size
	case "tmpfs-mode":
		mode, err := strconv.ParseUint(val, 8, 32)
		if err != nil || mode > 0o7777 {
			return fmt.Errorf("invalid value for %s: %s", key, val)
		}
		m.TmpfsMode = unixMode(uint32(mode))
	default:
		return fmt.Errorf("unexpected key '%s'", key)
	}
	return nil
}

// checkMountTypes refuses options of another mount type and fills the type's
// defaults and requirements.
func checkMountTypes(m *Mount, seen map[string]bool) error {
	for k := range seen {
		for _, prefix := range []string{"bind-", "volume-", "tmpfs-"} {
			if strings.HasPrefix(k, prefix) && prefix != m.Type+"-" {
				return fmt.Errorf("cannot mix '%s*' options with mount type '%s'", prefix, m.Type)
			}
		}
	}
	switch m.Type {
	case TypeBind:
		if m.Source == "" {
			return fmt.Errorf("source is required for type bind")
		}
		if !filepath.IsAbs(m.Source) {
			return fmt.Errorf("invalid mount path: '%s' bind source path must be absolute", m.Source)
		}
		m.Source = filepath.Clean(m.Source)
		if m.Propagation == "" {
			m.Propagation = DefaultPropagation
		}
	case TypeVolume:
		if m.Source != "" {
			if err := ValidateName(m.Source); err != nil {
				return err
			}
		}
		if err := ValidateOptions(m.VolumeOptions); err != nil {
			return err
		}
	case TypeTmpfs:
		if m.Source != "" {
			return fmt.Errorf("source is not allowed for type tmpfs")
		}
	}
	return nil
}

// unixMode turns permission bits (with setuid, setgid, sticky) into an os.FileMode.
func unixMode(mode uint32) os.FileMode {
	fm := os.FileMode(mode & 0o777)
	if mode&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if mode&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if mode&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}

// UnixMode returns the permission bits of m (including setuid, setgid, sticky) as
// the number chmod and tmpfs's mode= take.
func UnixMode(m os.FileMode) uint32 {
	mode := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&os.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&os.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

// tmpfsFlags are the mount flags --tmpfs accepts besides size= and mode=.
var tmpfsFlags = map[string]bool{"rw": true, "ro": true, "exec": true, "noexec": true, "suid": true,
	"nosuid": true, "dev": true, "nodev": true, "atime": true, "noatime": true, "relatime": true,
	"norelatime": true, "strictatime": true, "diratime": true, "nodiratime": true, "sync": true,
	"async": true, "dirsync": true, "mand": true, "nomand": true}

// ParseTmpfs parses a --tmpfs spec, "/dst[:opts]", opts comma separated: size=16m,
// mode=1777 and mount flags (ro, noexec, nosuid, nodev, …, kept in TmpfsOptions).
// An unknown option is errdefs.ErrInvalidArgument.
func ParseTmpfs(spec string) (Mount, error) {
	target, opts, _ := strings.Cut(spec, ":")
	m := Mount{Type: TypeTmpfs, Spec: spec}
	var err error
	if m.Target, err = checkTarget(spec, target); err != nil {
		return Mount{}, err
	}
	if opts == "" {
		return m, nil
	}
	for _, o := range strings.Split(opts, ",") {
		key, val, hasVal := strings.Cut(o, "=")
		switch {
		case key == "size" && hasVal:
			err = setMountField(&m, "tmpfs-size", val, true)
		case key == "mode" && hasVal:
			err = setMountField(&m, "tmpfs-mode", val, true)
		case tmpfsFlags[o]:
			m.ReadOnly = m.ReadOnly || o == "ro"
			if o == "rw" {
				m.ReadOnly = false
			}
			m.TmpfsOptions = append(m.TmpfsOptions, o)
		default:
			err = fmt.Errorf("unknown tmpfs option '%s'", o)
		}
		if err != nil {
			return Mount{}, invalid(spec, "%v", err)
		}
	}
	return m, nil
}
