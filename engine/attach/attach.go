// Package attach is the wire format between a container's monitor and the berth
// processes attached to it over a unix socket. Every message is a frame with an
// 8-byte header — kind, three zero bytes, big-endian payload length — the same
// header Docker uses for multiplexed stdout/stderr, plus kinds for stdin, window
// resizes and the exit code.
package attach

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
)

// Kind says what a frame carries.
type Kind byte

// Frame kinds. Stdout and Stderr match Docker's stream numbers.
const (
	Stdin      Kind = 0 // client → monitor: bytes for the container's stdin
	Stdout     Kind = 1 // monitor → client
	Stderr     Kind = 2 // monitor → client
	Exit       Kind = 3 // monitor → client: decimal exit code; the last frame
	Resize     Kind = 4 // client → monitor: width and height, two big-endian uint16
	CloseStdin Kind = 5 // client → monitor: stdin reached EOF
	Ready      Kind = 6 // client → monitor: attached, the process may start
	Started    Kind = 7 // monitor → client: the process runs; send stdin and resizes from now on
)

// MaxPayload bounds one frame so that a bad peer cannot make us allocate wildly.
const MaxPayload = 1 << 20

// WriteFrame writes one frame to w.
func WriteFrame(w io.Writer, k Kind, p []byte) error {
	if len(p) > MaxPayload {
		return fmt.Errorf("attach frame of %d bytes: over the %d limit", len(p), MaxPayload)
	}
	buf := make([]byte, 8+len(p))
	buf[0] = byte(k)
	binary.BigEndian.PutUint32(buf[4:], uint32(len(p)))
	copy(buf[8:], p)
	_, err := w.Write(buf)
	return err
}

// ReadFrame reads one frame from r.
func ReadFrame(r io.Reader) (Kind, []byte, error) {
	var h [8]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[4:])
	if n > MaxPayload {
		return 0, nil, fmt.Errorf("attach frame of %d bytes: over the %d limit", n, MaxPayload)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, fmt.Errorf("attach frame body: %w", err)
	}
	return Kind(h[0]), p, nil
}

// ResizePayload encodes a window size for a Resize frame.
func ResizePayload(width, height uint16) []byte {
	var b [4]byte
	binary.BigEndian.PutUint16(b[:], width)
	binary.BigEndian.PutUint16(b[2:], height)
	return b[:]
}

// ParseResize decodes a Resize frame's payload.
func ParseResize(p []byte) (width, height uint16, err error) {
	if len(p) != 4 {
		return 0, 0, fmt.Errorf("resize frame of %d bytes, want 4", len(p))
	}
	return binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:]), nil
}

// ExitPayload encodes an exit code.
func ExitPayload(code int) []byte { return []byte(strconv.Itoa(code)) }

// ParseExit decodes an Exit frame's payload.
func ParseExit(p []byte) (int, error) {
	code, err := strconv.Atoi(string(p))
	if err != nil {
		return 0, fmt.Errorf("exit frame %q: %w", p, err)
	}
	return code, nil
}
