// Package filewatch tells when a configuration file has changed, so the
// gateway can re-read its keys and routes files while it runs: a cheap stat
// on every poll, a read and a checksum only when the size or time moved, and
// a report only when the content differs from the last one seen.
package filewatch

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
)

// File watches one path. It is safe for concurrent use.
type File struct {
	path string

	mu    sync.Mutex
	info  os.FileInfo
	sum   [32]byte
	seen  bool
	polls int
}

// forceReadEvery makes every n-th call read the file even when its stat looks
// unchanged: an in-place edit may keep both size and modification time.
const forceReadEvery = 10

// New watches path; nothing is read until the first Changed.
func New(path string) *File { return &File{path: path} }

// Path is the watched path.
func (f *File) Path() string { return f.path }

// Changed returns the file's content when it differs from the last content
// returned (always on the first call). A content returned once is not
// returned again, valid or not, so a bad file is reported once.
func (f *File) Changed() (data []byte, changed bool, err error) {
	info, err := os.Stat(f.path)
	if err != nil {
		return nil, false, fmt.Errorf("stat %s: %w", f.path, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	if f.seen && info.Size() == f.info.Size() && info.ModTime().Equal(f.info.ModTime()) && f.polls%forceReadEvery != 0 {
		return nil, false, nil
	}
	data, err = os.ReadFile(f.path)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", f.path, err)
	}
	sum := sha256.Sum256(data)
	f.info = info
	if f.seen && sum == f.sum {
		return nil, false, nil
	}
	f.sum, f.seen = sum, true
	return data, true, nil
}
