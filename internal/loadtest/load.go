package loadtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// target is where one setup's requests go.
type target struct {
	urls   []string // the client round-robins over them
	key    string   // x-api-key
	json   [][]byte // non-streaming bodies, one per session
	stream [][]byte // streaming bodies, one per session
}

func (t *target) pick(i int, stream bool) (url string, body []byte) {
	bodies := t.json
	if stream {
		bodies = t.stream
	}
	return t.urls[i%len(t.urls)], bodies[i%len(bodies)]
}

// sample is one scheduled request.
type sample struct {
	lat  time.Duration // scheduled time → last byte (successful requests)
	ttfb time.Duration // scheduled time → first body byte (streams)
	lag  time.Duration // scheduled time → actually sent
	err  string        // "" when the request succeeded
	// events is the SSE events of a stream (blank-line terminated).
	events int
}

// newLoadClient is the generator's HTTP client: keep-alive, no compression,
// enough idle connections for every rate of the ladder.
func newLoadClient(idle int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        idle * 4,
		MaxIdleConnsPerHost: idle,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// doRequest sends one request scheduled at at and reads the whole answer.
func doRequest(client *http.Client, url, key string, body []byte, stream bool, at time.Time, timeout time.Duration) sample {
	ctx, cancel := context.WithDeadline(context.Background(), at.Add(timeout))
	defer cancel()
	s := sample{lag: time.Since(at)}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		s.err = "request"
		return s
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("x-api-key", key)
	resp, err := client.Do(req)
	if err != nil {
		s.err = errClass(ctx, err)
		return s
	}
	defer resp.Body.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	if resp.StatusCode != http.StatusOK {
		_, _ = io.CopyBuffer(io.Discard, resp.Body, buf)
		s.err = "status_" + strconv.Itoa(resp.StatusCode)
		return s
	}
	var total int
	var tail []byte
	var prev byte
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if total == 0 {
				s.ttfb = time.Since(at)
			}
			total += n
			if stream {
				tail = appendTail(tail, buf[:n])
				s.events, prev = countEvents(buf[:n], prev, s.events)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.err = errClass(ctx, err)
			return s
		}
	}
	s.lat = time.Since(at)
	switch {
	case total == 0:
		s.err = "empty"
	case stream && !bytes.Contains(tail, []byte("message_stop")):
		s.err = "stream_unfinished"
	}
	return s
}

// countEvents counts the SSE event ends ("\n\n") in p, which follows a
// byte prev of the same stream, onto n.
func countEvents(p []byte, prev byte, n int) (int, byte) {
	for _, c := range p {
		if c == '\n' && prev == '\n' {
			n++
		}
		prev = c
	}
	return n, prev
}

// appendTail keeps the last 256 bytes seen.
func appendTail(tail, p []byte) []byte {
	tail = append(tail, p...)
	if len(tail) > 512 {
		tail = append(tail[:0], tail[len(tail)-256:]...)
	}
	return tail
}

func errClass(ctx context.Context, err error) string {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "transport"
}

// stepSpec is one open-loop step.
type stepSpec struct {
	rate          int
	warm, measure time.Duration
	timeout       time.Duration
	stream        bool
	maxInFlight   int
}

// stepRaw is what the generator saw in one step.
type stepRaw struct {
	samples  []sample
	warmN    int // samples before this index are the warm-up
	elapsed  time.Duration
	aborted  bool
	inFlight int // peak
}

// openLoop starts spec.rate requests per second on a fixed schedule,
// whether or not earlier ones have finished, and measures each from its
// scheduled time, so a slow system cannot slow the generator down and hide
// its own queueing (coordinated omission). A request that would exceed
// maxInFlight is not sent and counts as dropped.
func openLoop(ctx context.Context, client *http.Client, t *target, spec stepSpec) stepRaw {
	total := int(float64(spec.rate) * (spec.warm + spec.measure).Seconds())
	raw := stepRaw{samples: make([]sample, total), warmN: int(float64(spec.rate) * spec.warm.Seconds())}
	interval := float64(time.Second) / float64(spec.rate)
	var wg sync.WaitGroup
	var inflight, peak atomic.Int64
	start := time.Now().Add(5 * time.Millisecond)
	for i := 0; i < total; i++ {
		at := start.Add(time.Duration(float64(i) * interval))
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			for j := i; j < total; j++ {
				raw.samples[j].err = "aborted"
			}
			raw.aborted = true
			break
		}
		if inflight.Load() >= int64(spec.maxInFlight) {
			raw.samples[i].err = "dropped"
			continue
		}
		if n := inflight.Add(1); n > peak.Load() {
			peak.Store(n)
		}
		wg.Add(1)
		url, body := t.pick(i, spec.stream)
		go func(i int, at time.Time) {
			defer wg.Done()
			defer inflight.Add(-1)
			raw.samples[i] = doRequest(client, url, t.key, body, spec.stream, at, spec.timeout)
		}(i, at)
	}
	wg.Wait()
	raw.elapsed = time.Since(start)
	raw.inFlight = int(peak.Load())
	return raw
}

// heldStreams is a set of open streams kept open until release.
type heldStreams struct {
	opened, failed atomic.Int64
	closedEarly    atomic.Int64 // opened, then ended before release
	cancel         context.CancelFunc
	wg             sync.WaitGroup
	errs           sync.Map // class -> *atomic.Int64
}

// holdStreams opens n streams at openRate per second and waits until each
// has delivered its first byte or failed (at most readyTimeout). The streams
// stay open, reading whatever arrives, until release.
func holdStreams(ctx context.Context, client *http.Client, t *target, n, openRate int, readyTimeout time.Duration) *heldStreams {
	ctx, cancel := context.WithCancel(ctx)
	h := &heldStreams{cancel: cancel}
	var ready sync.WaitGroup
	ready.Add(n)
	interval := time.Second / time.Duration(max(openRate, 1))
	start := time.Now()
	for i := 0; i < n; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		url, body := t.pick(i, true)
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			var once sync.Once
			done := func(ok bool, class string) {
				once.Do(func() {
					if ok {
						h.opened.Add(1)
					} else {
						h.failed.Add(1)
						v, _ := h.errs.LoadOrStore(class, new(atomic.Int64))
						v.(*atomic.Int64).Add(1)
					}
					ready.Done()
				})
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				done(false, "request")
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("anthropic-version", "2023-06-01")
			req.Header.Set("x-api-key", t.key)
			resp, err := client.Do(req)
			if err != nil {
				done(false, errClass(ctx, err))
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				done(false, "status_"+strconv.Itoa(resp.StatusCode))
				return
			}
			buf := make([]byte, 1024)
			got := false
			for {
				k, err := resp.Body.Read(buf)
				if k > 0 && !got {
					got = true
					done(true, "")
				}
				if err != nil {
					if got && ctx.Err() == nil {
						h.closedEarly.Add(1)
					}
					done(false, errClass(ctx, err))
					return
				}
			}
		}()
	}
	wait := make(chan struct{})
	go func() { ready.Wait(); close(wait) }()
	select {
	case <-wait:
	case <-time.After(readyTimeout):
	case <-ctx.Done():
	}
	return h
}

// errors returns the failure classes and their counts.
func (h *heldStreams) errors() map[string]int64 {
	out := map[string]int64{}
	h.errs.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// release closes every stream and waits (at most timeout) for them to end.
func (h *heldStreams) release(timeout time.Duration) {
	h.cancel()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}
