// Command floorproxy is the floor of Switchyard's load harness: a bare
// net/http/httputil.ReverseProxy (FlushInterval -1, so SSE is flushed at
// once) in front of one upstream, run as its own process so that
// cmd/switchyard-bench measures its CPU and memory from /proc exactly as it
// measures the gateway's. The harness reports the gateway's costs as
// multiples of the floor's.
//
// Environment:
//
//	FLOORPROXY_UPSTREAM    base URL of the upstream (required), e.g. http://127.0.0.1:8090
//	FLOORPROXY_ADDR        proxy listen address (default 127.0.0.1:0)
//	FLOORPROXY_ADMIN_ADDR  listen address of GET /metrics (go_memstats_mallocs_total only; default 127.0.0.1:0)
//
// Once listening it prints "LISTENING <host:port>" and "ADMIN <host:port>"
// on stdout. SIGINT or SIGTERM stop it. The logic is loadtest.ServeFloor.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/switchyard-gw/switchyard/internal/loadtest"
)

func main() {
	env := loadtest.FloorEnv{
		Upstream:  os.Getenv("FLOORPROXY_UPSTREAM"),
		Addr:      os.Getenv("FLOORPROXY_ADDR"),
		AdminAddr: os.Getenv("FLOORPROXY_ADMIN_ADDR"),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := loadtest.ServeFloor(ctx, env, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "floorproxy: %v\n", err)
		os.Exit(1)
	}
}
