package logfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/containerd/errdefs"
)

// Entry is one decoded log entry.
type Entry struct {
	// Stream is "stdout" or "stderr".
	Stream string
	// Line is the payload as stored, including its trailing newline if any.
	Line []byte
	// Time is when the writer received the line.
	Time time.Time
	// Partial is true when Line has no trailing newline (a piece of a long line,
	// or an unterminated last line).
	Partial bool
}

const hexDigits = "0123456789abcdef"

// appendEntry appends the json-file encoding of one entry, newline included.
func appendEntry(buf []byte, stream string, line []byte, t time.Time) []byte {
	buf = append(buf, `{"log":`...)
	buf = appendJSONString(buf, line)
	buf = append(buf, `,"stream":`...)
	buf = appendJSONString(buf, []byte(stream))
	buf = append(buf, `,"time":"`...)
	buf = t.UTC().AppendFormat(buf, time.RFC3339Nano)
	return append(buf, "\"}\n"...)
}

// appendJSONString appends s as a JSON string, escaping like encoding/json
// (HTML-safe, invalid UTF-8 replaced by U+FFFD).
func appendJSONString(buf, s []byte) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

type jsonLine struct {
	Log    *string   `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// ParseLine decodes one json-file line (with or without its trailing newline).
// A line that is not a JSON object with a "log" field is an
// errdefs.ErrInvalidArgument error.
func ParseLine(line []byte) (Entry, error) {
	line = bytes.TrimRight(line, "\r\n")
	var jl jsonLine
	if err := json.Unmarshal(line, &jl); err != nil {
		return Entry{}, fmt.Errorf("parse log line: %w: %w", errdefs.ErrInvalidArgument, err)
	}
	if jl.Log == nil {
		return Entry{}, errdefs.ErrInvalidArgument.WithMessage("parse log line: no \"log\" field")
	}
	payload := []byte(*jl.Log)
	return Entry{
		Stream:  jl.Stream,
		Line:    payload,
		Time:    jl.Time,
		Partial: len(payload) == 0 || payload[len(payload)-1] != '\n',
	}, nil
}
