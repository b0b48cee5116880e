// Package filewatch tells when a configuration file has changed, so the
// gateway can re-read its keys and routes files while it runs: a cheap stat
// on every poll, a read and a checksum only when the size or time moved, and
// a report only when the content differs from the last one seen and has
// settled (read twice, the same, a short while apart), so that a poll landing
// in the middle of an in-place rewrite never adopts a truncated file.
package filewatch

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"time"
)

// File watches one path. It is safe for concurrent use.
type File struct {
	path string
	// Settle is how long a new content must stay the same before it is
	// reported [DefaultSettle].
	Settle time.Duration

	mu      sync.Mutex
	info    os.FileInfo
	sum     [32]byte
	seen    bool
	polls   int
	pending []byte // a new content read once, not yet seen to have settled
	sleep   func(time.Duration)
}

// DefaultSettle is the wait between the two reads of a new content. An
// editor or a config writer that truncates and rewrites in place finishes
// well within it; one that pauses longer is caught by the next poll's read.
const DefaultSettle = 100 * time.Millisecond

// forceReadEvery makes every n-th call read the file even when its stat looks
// unchanged: an in-place edit may keep both size and modification time.
const forceReadEvery = 10

// New watches path; nothing is read until the first Changed.
func New(path string) *File { return &File{path: path, Settle: DefaultSettle, sleep: time.Sleep} }

// Path is the watched path.
func (f *File) Path() string { return f.path }

// Changed returns the file's content when it differs from the last content
// returned (always on the first call) and reads the same again after Settle
// (or on the next call). A content returned once is not returned again,
// valid or not, so a bad file is reported once.
func (f *File) Changed() (data []byte, changed bool, err error) {
	info, err := os.Stat(f.path)
	if err != nil {
		return nil, false, fmt.Errorf("stat %s: %w", f.path, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	if f.seen && f.pending == nil && info.Size() == f.info.Size() && info.ModTime().Equal(f.info.ModTime()) && f.polls%forceReadEvery != 0 {
		return nil, false, nil
	}
	data, err = os.ReadFile(f.path)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", f.path, err)
	}
	f.info = info
	if f.seen && sha256.Sum256(data) == f.sum {
		f.pending = nil
		return nil, false, nil
	}
	if f.seen && (f.pending == nil || !bytes.Equal(f.pending, data)) {
		// New content: read it again after a short while; the same
		// bytes then mean the writer is done. (The first read, at start,
		// is taken as it is: a bad file then stops the process.)
		if f.Settle > 0 {
			f.sleep(f.Settle)
		}
		again, err := os.ReadFile(f.path)
		if err != nil {
			return nil, false, fmt.Errorf("read %s: %w", f.path, err)
		}
		if !bytes.Equal(again, data) {
			f.pending = again
			return nil, false, nil
		}
	}
	f.pending = nil
	f.sum, f.seen = sha256.Sum256(data), true
	return data, true, nil
}
