package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"time"
)

// The floor is the cheapest thing a gateway could be: a bare
// net/http/httputil.ReverseProxy in its own process (cmd/floorproxy) in front
// of the same fake upstream. It reads nothing of the request, picks no
// account, keeps no state; the harness drives it with the same load steps as
// the gateways and reports the gateways' costs as multiples of its costs.

// NewFloorProxy is the floor's handler: httputil.NewSingleHostReverseProxy to
// upstream with FlushInterval -1 (every write of a stream is flushed at
// once, as the gateway relays SSE) and the same connection pooling as the
// gateway's upstream transport (internal/upstream.NewTransport: 512 idle
// connections, 256 per host; net/http's default of 2 per host would make a
// proxy at 1,000 req/s dial most of its upstream connections afresh).
func NewFloorProxy(upstream *url.URL) *httputil.ReverseProxy {
	p := httputil.NewSingleHostReverseProxy(upstream)
	p.FlushInterval = -1
	p.Transport = &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	p.ErrorLog = log.New(os.Stderr, "floorproxy: ", log.LstdFlags)
	return p
}

// floorMetrics serves the one metric the harness reads from the floor, in
// the Prometheus text format under the gateway's name for it: the count of
// heap objects allocated so far (runtime.MemStats.Mallocs).
func floorMetrics(w http.ResponseWriter, _ *http.Request) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE go_memstats_mallocs_total counter\ngo_memstats_mallocs_total %d\n", ms.Mallocs)
}

// FloorEnv configures ServeFloor.
type FloorEnv struct {
	Upstream  string // base URL of the upstream, e.g. http://127.0.0.1:8090
	Addr      string // proxy listen address ("" = 127.0.0.1:0)
	AdminAddr string // /metrics listen address ("" = 127.0.0.1:0)
}

// ServeFloor runs the floor proxy until ctx ends. Once both listeners are
// up it prints "LISTENING <addr>" and "ADMIN <addr>" on stdout, as the
// gateway does, so the harness starts it the same way.
func ServeFloor(ctx context.Context, env FloorEnv, stdout io.Writer) error {
	u, err := url.Parse(env.Upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("upstream %q is not an absolute URL", env.Upstream)
	}
	listen := func(addr string) (net.Listener, error) {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		return net.Listen("tcp", addr)
	}
	ln, err := listen(env.Addr)
	if err != nil {
		return err
	}
	aln, err := listen(env.AdminAddr)
	if err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", floorMetrics)
	srv := &http.Server{Handler: NewFloorProxy(u), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	adm := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- adm.Serve(aln) }()
	if _, err := fmt.Fprintf(stdout, "LISTENING %s\nADMIN %s\n", ln.Addr(), aln.Addr()); err != nil {
		srv.Close()
		adm.Close()
		return err
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = adm.Close()
	if serr := srv.Shutdown(sctx); serr != nil {
		_ = srv.Close()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
