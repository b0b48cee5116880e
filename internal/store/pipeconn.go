package store

import (
	"net"
	"sync"
	"time"
)

// pipeConn is the client's end of an in-memory pipe to the embedded store,
// with writes that never block: they are queued and a goroutine feeds them
// to the store. net.Pipe is synchronous, so a pipelined batch bigger than
// the client's write buffer would otherwise deadlock: the client blocks
// writing the rest of the batch while the store blocks writing the replies
// to the first commands, which nobody reads yet.
type pipeConn struct {
	net.Conn

	mu     sync.Mutex
	wake   *sync.Cond
	queued []byte
	err    error // the store's side is gone
	closed bool
}

func newPipeConn(c net.Conn) *pipeConn {
	p := &pipeConn{Conn: c}
	p.wake = sync.NewCond(&p.mu)
	go p.feed()
	return p
}

// Write queues b for the store.
func (p *pipeConn) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return 0, p.err
	}
	if p.closed {
		return 0, net.ErrClosed
	}
	p.queued = append(p.queued, b...)
	p.wake.Signal()
	return len(b), nil
}

// feed writes what is queued to the store until the connection closes.
func (p *pipeConn) feed() {
	var out []byte
	for {
		p.mu.Lock()
		for len(p.queued) == 0 && !p.closed {
			p.wake.Wait()
		}
		if len(p.queued) == 0 {
			p.mu.Unlock()
			return
		}
		out, p.queued = p.queued, out[:0]
		p.mu.Unlock()
		if _, err := p.Conn.Write(out); err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			return
		}
	}
}

// Close ends the feed and the pipe.
func (p *pipeConn) Close() error {
	p.mu.Lock()
	p.closed = true
	p.wake.Signal()
	p.mu.Unlock()
	return p.Conn.Close()
}

// SetDeadline bounds reads only: writes do not block.
func (p *pipeConn) SetDeadline(t time.Time) error { return p.SetReadDeadline(t) }

// SetWriteDeadline is a no-op: writes do not block.
func (p *pipeConn) SetWriteDeadline(time.Time) error { return nil }
