package account

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// forceReadEvery makes every n-th poll read the file even when its stat looks
// unchanged, in case an in-place edit kept size and modification time.
const forceReadEvery = 10

// Source holds the current pool and reloads it when the accounts file
// changes. Current is lock-free and safe for concurrent use.
type Source struct {
	path      string
	lookupEnv func(string) (string, bool)
	logger    *slog.Logger
	current   atomic.Pointer[Pool]

	subMu sync.Mutex
	subs  []chan *Pool

	pollMu  sync.Mutex // guards the poll state below
	info    os.FileInfo
	goodSum [sha256.Size]byte
	badSum  [sha256.Size]byte
	lastErr string
	polls   int
}

// NewSource loads the pool from path. It fails when that first load fails;
// later reloads never do (see Run). lookupEnv expands ${VAR} references
// (os.LookupEnv when nil); logger may be nil.
func NewSource(path string, lookupEnv func(string) (string, bool), logger *slog.Logger) (*Source, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Source{path: path, lookupEnv: lookupEnv, logger: logger}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read accounts file: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read accounts file: %w", err)
	}
	p, err := Parse(data, lookupEnv)
	if err != nil {
		return nil, fmt.Errorf("accounts file %s: %w", path, err)
	}
	s.info, s.goodSum = info, sha256.Sum256(data)
	s.current.Store(p)
	return s, nil
}

// StaticSource serves p forever; Run only waits for its context to end.
func StaticSource(p *Pool) *Source {
	s := &Source{logger: slog.New(slog.DiscardHandler)}
	s.current.Store(p)
	return s
}

// Current returns the pool in service.
func (s *Source) Current() *Pool { return s.current.Load() }

// Subscribe returns a channel that receives each new pool after a successful
// reload. It holds at most one pool: a slow reader gets the latest. The
// channel is never closed.
func (s *Source) Subscribe() <-chan *Pool {
	ch := make(chan *Pool, 1)
	s.subMu.Lock()
	s.subs = append(s.subs, ch)
	s.subMu.Unlock()
	return ch
}

// Run polls the file every interval until ctx ends, then returns nil.
//
// Polling (stat, then a content hash when the stat changed) follows symlinks,
// so the atomic ..data symlink swap of a Kubernetes Secret volume is seen like
// any other change. A new content that parses replaces the pool; one that
// does not is logged once (the error only, never the file's contents) and the
// last good pool keeps serving.
func (s *Source) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return errors.New("accounts file poll interval must be positive")
	}
	if s.path == "" {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.poll()
		}
	}
}

// poll checks the file once and swaps the pool when its content changed and
// is valid.
func (s *Source) poll() {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()

	info, err := os.Stat(s.path)
	if err != nil {
		s.reportReadError(err)
		return
	}
	s.polls++
	if s.info != nil && unchanged(s.info, info) && s.polls%forceReadEvery != 0 {
		return
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		s.reportReadError(err)
		return
	}
	s.info, s.lastErr = info, ""
	sum := sha256.Sum256(data)
	if sum == s.goodSum || sum == s.badSum {
		return
	}
	p, err := Parse(data, s.lookupEnv)
	if err != nil {
		s.badSum = sum
		s.logger.Error("accounts file rejected; the last good pool keeps serving",
			"path", s.path, "error", err.Error(), "serving_version", s.Current().Version())
		return
	}
	s.goodSum, s.badSum = sum, [sha256.Size]byte{}
	old := s.current.Swap(p)
	s.logger.Info("accounts reloaded", "path", s.path, "accounts", p.Len(),
		"version", p.Version(), "previous_version", old.Version())
	s.notify(p)
}

// reportReadError logs a failure to read the file once until it changes or
// the file becomes readable again.
func (s *Source) reportReadError(err error) {
	if msg := err.Error(); msg != s.lastErr {
		s.lastErr = msg
		s.logger.Error("accounts file unreadable; the last good pool keeps serving",
			"path", s.path, "error", msg)
	}
}

// notify hands p to every subscriber, replacing a pool not yet taken.
func (s *Source) notify(p *Pool) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for _, ch := range s.subs {
		select {
		case <-ch:
		default:
		}
		select {
		case ch <- p:
		default:
		}
	}
}

// unchanged reports whether two stats of the path describe the same file
// with the same size and modification time.
func unchanged(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
