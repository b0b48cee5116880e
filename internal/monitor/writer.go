package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	sykeys "github.com/switchyard-gw/switchyard/internal/keyspace"
)

// Options tune the request log.
type Options struct {
	Key     string        // Redis stream key; when empty "reqlog" under Namespace's hash tag
	MaxLen  int64         // cap of the stream (on Redis approximate: XADD MAXLEN ~); default 10000
	Queue   int           // records waiting for the writer; default 4096
	Batch   int           // records per write (one script call); default 256
	Timeout time.Duration // bound on one batch write; default 2s
	// Every is the shortest time between two writes (default 50ms): a
	// record queued on an idle log is written at once, a busy log writes
	// what queued meanwhile in one batch, so a replica costs the store at
	// most one call per period rather than one per request. Close writes
	// what is queued without waiting.
	Every   time.Duration
	Replica string       // written into every record (host name)
	Log     *slog.Logger // write failures, once per failure streak; nil: discard
	// OnDrop is told how many records were lost (queue full, or a failed write).
	OnDrop func(n int)
	// OnError is told about each failed batch write.
	OnError func(err error)
	// Namespace is the scheduler's: the stream carries its hash tag, so the
	// whole shared state lives in one Redis Cluster slot.
	Namespace string
}

func (o *Options) defaults() {
	if o.Key == "" {
		o.Key = sykeys.New(o.Namespace).RequestLog()
	}
	if o.MaxLen <= 0 {
		o.MaxLen = 10000
	}
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Every <= 0 {
		o.Every = 50 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.OnDrop == nil {
		o.OnDrop = func(int) {}
	}
	if o.OnError == nil {
		o.OnError = func(error) {}
	}
}

// Log is the request log of one replica: the writer of its records and a
// reader of every replica's.
type Log struct {
	s        Stream
	o        Options
	queue    chan *Entry
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// New opens the request log on the shared Redis and starts its writer;
// Close stops it.
func New(rdb redis.UniversalClient, o Options) *Log {
	o.defaults()
	return NewOn(redisStream{rdb: rdb, key: o.Key}, o)
}

// NewEmbedded opens the request log in this process's memory (no shared
// store); m nil makes a MemStream of its own.
func NewEmbedded(m *MemStream, o Options) *Log {
	if m == nil {
		m = NewMemStream()
	}
	return NewOn(m, o)
}

// NewOn opens the request log on a stream and starts its writer; Close
// stops it.
func NewOn(s Stream, o Options) *Log {
	o.defaults()
	l := &Log{s: s, o: o, queue: make(chan *Entry, o.Queue), stop: make(chan struct{}), done: make(chan struct{})}
	go l.write()
	return l
}

// Add queues a record without waiting; when the queue is full the record is
// dropped and counted. The log owns e afterwards.
func (l *Log) Add(e *Entry) {
	if e.Replica == "" {
		e.Replica = l.o.Replica
	}
	select {
	case l.queue <- e:
	default:
		l.o.OnDrop(1)
	}
}

// Close lets the writer write what is queued, then stops it; it waits until
// ctx ends at most. Call it after the listeners have drained.
func (l *Log) Close(ctx context.Context) error {
	l.stopOnce.Do(func() { close(l.stop) })
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return errors.New("request log: queue not flushed before the deadline")
	}
}

// write is the one background writer: it takes whatever is queued (up to a
// batch) and writes it in one call, at most once per Options.Every.
func (l *Log) write() {
	defer close(l.done)
	batch := make([]*Entry, 0, l.o.Batch)
	failing := false
	var last time.Time
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		var first *Entry
		select {
		case first = <-l.queue:
		case <-l.stop:
			l.drain(batch[:0], &failing)
			return
		}
		if d := l.o.Every - time.Since(last); d > 0 {
			// Written lately: let the records of this period gather.
			wait.Reset(d)
			select {
			case <-wait.C:
			case <-l.stop:
				wait.Stop()
				l.drain(append(batch[:0], first), &failing)
				return
			}
		}
		batch = l.fill(append(batch[:0], first))
		last = time.Now()
		l.flush(batch, &failing)
	}
}

// fill adds queued records to the batch without waiting.
func (l *Log) fill(batch []*Entry) []*Entry {
	for len(batch) < l.o.Batch {
		select {
		case e := <-l.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// drain writes everything still queued at Close (batch holds records
// already taken from the queue).
func (l *Log) drain(batch []*Entry, failing *bool) {
	for {
		batch = l.fill(batch)
		if len(batch) == 0 {
			return
		}
		l.flush(batch, failing)
		batch = batch[:0]
	}
}

func (l *Log) flush(batch []*Entry, failing *bool) {
	ctx, cancel := context.WithTimeout(context.Background(), l.o.Timeout)
	defer cancel()
	recs := make([][]byte, 0, len(batch))
	for _, e := range batch {
		e.trim()
		b, err := json.Marshal(e)
		if err != nil {
			continue
		}
		recs = append(recs, b)
	}
	clear(batch) // let the records go
	n := len(recs)
	if n == 0 {
		return
	}
	if err := l.s.Append(ctx, l.o.MaxLen, recs); err != nil {
		l.o.OnError(err)
		l.o.OnDrop(n)
		if !*failing {
			*failing = true
			l.o.Log.Warn("request log write failed; records are dropped until the store answers", slog.String("error", err.Error()))
		}
		return
	}
	if *failing {
		*failing = false
		l.o.Log.Info("request log writes recovered")
	}
}
