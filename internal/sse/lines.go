package sse

import (
	"bufio"
	"bytes"
	"io"
)

// readLine returns the next line without its terminator ("\n", "\r\n" or a
// bare "\r"). A final line cut off by EOF is returned as a line; after it,
// readLine returns io.EOF, or the read error that ended the stream.
//
// The line aliases either the bufio buffer or r.line and is valid until the
// next call. Lines that fit in the bufio buffer are not copied.
func (r *Reader) readLine() ([]byte, error) {
	r.line = r.line[:0]
	partial := false // r.line holds the beginning of the current line
	for {
		if len(r.pending) == 0 {
			if r.rerr != nil {
				if partial && r.rerr == io.EOF {
					return r.firstLine(r.line), nil
				}
				return nil, r.rerr
			}
			r.pending, r.rerr = r.br.ReadSlice('\n')
			if r.rerr == bufio.ErrBufferFull {
				r.rerr = nil
			}
			continue
		}

		p := r.pending
		if r.skipLF {
			// The previous line ended with '\r' at the end of a chunk.
			r.skipLF = false
			if p[0] == '\n' {
				r.pending = p[1:]
				continue
			}
		}

		// ReadSlice stops at the first '\n', so a '\n' can only be p's last
		// byte, and any '\r' before it ends the line.
		var line []byte
		if cr := bytes.IndexByte(p, '\r'); cr >= 0 {
			line, r.pending = p[:cr], p[cr+1:]
			switch {
			case len(r.pending) == 0:
				r.skipLF = true
			case r.pending[0] == '\n':
				r.pending = r.pending[1:]
			}
		} else if p[len(p)-1] == '\n' {
			line, r.pending = p[:len(p)-1], nil
		} else {
			// No terminator yet: keep the fragment and read on.
			if len(r.line)+len(p) > r.max {
				return nil, r.tooLarge()
			}
			r.line = append(r.line, p...)
			r.pending = nil
			partial = true
			continue
		}

		if partial {
			r.line = append(r.line, line...)
			line = r.line
		}
		if len(line) > r.max {
			return nil, r.tooLarge()
		}
		return r.firstLine(line), nil
	}
}

// firstLine strips a UTF-8 byte order mark from the first line of the stream.
func (r *Reader) firstLine(line []byte) []byte {
	if !r.started {
		r.started = true
		line = bytes.TrimPrefix(line, []byte(utf8BOM))
	}
	return line
}

// Buffered reports whether the input already read holds the blank line that
// ends another block, so that the next call to Next returns without waiting
// for the network (or the stream has already ended). A relay uses it to
// flush once for a burst of events instead of once per event. It may say
// false when a block is there (one flush too many), never true when the next
// Next would have to wait.
func (r *Reader) Buffered() bool {
	if r.err != nil {
		return false
	}
	if r.rerr != nil {
		return true // Next reports the end without reading
	}
	if hasBlankLine(r.pending) {
		return true
	}
	rest, _ := r.br.Peek(r.br.Buffered())
	if n := len(r.pending); n > 0 && r.pending[n-1] == '\n' && len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r') {
		return true
	}
	return hasBlankLine(rest)
}

func hasBlankLine(b []byte) bool {
	return bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\n\r\n")) || bytes.Contains(b, []byte("\r\r"))
}
