package opts

import units "github.com/docker/go-units"

// ParseShmSize reads --shm-size as docker does (RAMInBytes: 64m, 1g, a
// plain number of bytes); empty and 0 leave /dev/shm at its default size.
func ParseShmSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(s)
	if err != nil || n < 0 {
		return 0, invalid("invalid --shm-size %q: want a size such as 256m", s)
	}
	return n, nil
}
