package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// RouteClientLogs sends go-redis's own diagnostics (connection pool and
// dial failures, which it prints to stderr by default) to the structured
// log at warn level. go-redis keeps its logger in a package variable, so
// this is process-wide; the composition root calls it once.
func RouteClientLogs(l *slog.Logger) { redis.SetLogger(clientLog{l: l}) }

type clientLog struct{ l *slog.Logger }

func (c clientLog) Printf(ctx context.Context, format string, v ...any) {
	c.l.LogAttrs(ctx, slog.LevelWarn, "redis client", slog.String("detail", fmt.Sprintf(format, v...)))
}
