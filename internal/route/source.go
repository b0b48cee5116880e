package route

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/switchyard-gw/switchyard/internal/filewatch"
)

// Source serves the routes table of a file and re-reads it when it changes.
// A bad new file is refused (logged once) and the last good table keeps
// serving.
type Source struct {
	watch *filewatch.File
	log   *slog.Logger
	cur   atomic.Pointer[Table]
}

// NewSource reads the routes file; path "" serves an empty table forever.
func NewSource(path string, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{log: log}
	if path == "" {
		s.cur.Store(&Table{})
		return s, nil
	}
	s.watch = filewatch.New(path)
	if _, err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// StaticSource serves t forever.
func StaticSource(t *Table) *Source {
	s := &Source{log: slog.New(slog.DiscardHandler)}
	s.cur.Store(t)
	return s
}

// Current is the table in service.
func (s *Source) Current() *Table { return s.cur.Load() }

// Run re-reads the file every interval until ctx ends.
func (s *Source) Run(ctx context.Context, every time.Duration) error {
	if s.watch == nil {
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
			changed, err := s.reload()
			if err != nil {
				s.log.Warn("routes file refused; the last good routes keep serving", slog.String("file", s.watch.Path()), slog.String("error", err.Error()))
			} else if changed {
				s.log.Info("routes file reloaded", slog.String("file", s.watch.Path()), slog.Int("routes", len(s.Current().Patterns())))
			}
		}
	}
}

func (s *Source) reload() (bool, error) {
	data, changed, err := s.watch.Changed()
	if err != nil || !changed {
		return false, err
	}
	t, err := ParseTable(data)
	if err != nil {
		return false, fmt.Errorf("routes file %s: %w", s.watch.Path(), err)
	}
	s.cur.Store(t)
	return true, nil
}
