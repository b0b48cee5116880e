package schedule

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrStoreDown is returned in failure mode closed while the shared store is unreachable.
var ErrStoreDown = errors.New("shared store unreachable")

// Resilient serves selections from the shared store and, in failure mode
// open, from a per-replica local store while the shared one is unreachable.
// A probe brings the shared store back as soon as it answers again.
type Resilient struct {
	shared, local *Scheduler
	failOpen      bool
	ping          func(context.Context) error
	log           *slog.Logger
	down          atomic.Bool
	mirror        *Mirror
	// OnChange is told when the shared store goes down (true) or comes back (false).
	OnChange func(down bool)
}

// SetMirror connects the control state mirror: the fallback is seeded from
// it when an outage begins, the shared store is re-seeded from it (when it
// came back empty) before serving again, and the mirror pauses while the
// store is down.
func (r *Resilient) SetMirror(m *Mirror) {
	r.mirror = m
	m.degraded = r.Degraded
}

// NewResilient wraps shared with a fallback. local may be nil in failure mode closed.
func NewResilient(shared, local *Scheduler, failOpen bool, ping func(context.Context) error, log *slog.Logger) *Resilient {
	return &Resilient{shared: shared, local: local, failOpen: failOpen && local != nil, ping: ping, log: log}
}

// Degraded reports whether the shared store is considered down.
func (r *Resilient) Degraded() bool { return r.down.Load() }

func (r *Resilient) pick() (*Scheduler, error) {
	if !r.down.Load() {
		return r.shared, nil
	}
	if r.failOpen {
		return r.local, nil
	}
	return nil, ErrStoreDown
}

// outageReplies are the Redis error replies of a store that cannot serve
// right now (a cluster without a master for the slot, a replica promoted too
// late, a dataset still loading): an outage, not a bug in a script.
var outageReplies = []string{"CLUSTERDOWN", "READONLY", "MASTERDOWN", "LOADING", "TRYAGAIN"}

// storeFailure tells store outages (connection failures, timeouts and the
// replies above) from script errors (a bug, reported as is).
func storeFailure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, redis.ErrClosed) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range outageReplies {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
	}
	return false
}

// SharedCallTimeout caps one call to the shared store on the request path,
// retries and redirects included: a master that stops answering costs a
// request at most this long before the fallback serves it.
const SharedCallTimeout = 800 * time.Millisecond

// sharedCtx bounds a shared-store call by SharedCallTimeout, or by the
// caller's own deadline when that comes first.
func sharedCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= SharedCallTimeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, SharedCallTimeout)
}

func (r *Resilient) markDown(err error) {
	if r.down.CompareAndSwap(false, true) {
		r.log.Error("shared store unreachable; serving from local state", slog.Bool("fail_open", r.failOpen), slog.String("error", err.Error()))
		if r.mirror != nil && r.failOpen {
			// Usually a no-op: the fallback follows the mirror all along.
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			if err := r.mirror.SeedLocal(ctx); err != nil {
				r.log.Warn("seed the fallback from the control state mirror", slog.String("error", err.Error()))
			}
			cancel()
		}
		if r.OnChange != nil {
			r.OnChange(true)
		}
	}
}

// Acquire selects on the shared store, or the local one while it is down.
func (r *Resilient) Acquire(ctx context.Context, q Query) (Lease, error) {
	s, err := r.pick()
	if err != nil {
		return Lease{}, err
	}
	var l Lease
	if s == r.shared {
		sctx, cancel := sharedCtx(ctx)
		l, err = s.Acquire(sctx, q)
		cancel()
	} else {
		l, err = s.Acquire(ctx, q)
	}
	if s == r.shared && storeFailure(err) && ctx.Err() == nil {
		r.markDown(err)
		if r.failOpen {
			return r.localAcquire(ctx, q)
		}
		return Lease{}, ErrStoreDown
	}
	if s == r.local {
		l.Reserved.local = l.Reserved.Tokens > 0
	}
	return l, err
}

// localAcquire selects on the fallback store; a reservation made there is
// marked so that ReleaseKey reconciles it there.
func (r *Resilient) localAcquire(ctx context.Context, q Query) (Lease, error) {
	l, err := r.local.Acquire(ctx, q)
	l.Reserved.local = l.Reserved.Tokens > 0
	return l, err
}

// Report records an outcome where the selection was made.
func (r *Resilient) Report(ctx context.Context, o Outcome) (time.Time, error) {
	s, err := r.pick()
	if err != nil {
		return time.Time{}, err
	}
	var t time.Time
	if s == r.shared {
		sctx, cancel := sharedCtx(ctx)
		t, err = s.Report(sctx, o)
		cancel()
	} else {
		t, err = s.Report(ctx, o)
	}
	if s == r.shared && storeFailure(err) && ctx.Err() == nil {
		r.markDown(err)
		if r.failOpen {
			return r.local.Report(ctx, o)
		}
	}
	return t, err
}

// NoteSuccess forwards to the store selections are made on.
func (r *Resilient) NoteSuccess(account, group string) {
	if s, err := r.pick(); err == nil {
		s.NoteSuccess(account, group)
	}
}

// Settings reads the runtime settings from where selections are made: the
// mirror's copy when there is one (no round trip on the request path), else
// the store, within SharedCallTimeout.
func (r *Resilient) Settings(ctx context.Context) (Settings, error) {
	s, err := r.pick()
	if err != nil {
		return Settings{}, err
	}
	if r.mirror != nil {
		if st := r.mirror.State(); st != nil {
			return st.Settings, nil
		}
	}
	if s == r.shared {
		sctx, cancel := sharedCtx(ctx)
		defer cancel()
		return s.Settings(sctx)
	}
	return s.Settings(ctx)
}

// Run probes the shared store while it is down and restores it when it answers.
func (r *Resilient) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if !r.down.Load() {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, every)
		err := r.ping(pctx)
		cancel()
		if err != nil {
			continue
		}
		// A restarted Redis has no scripts; load them before serving again.
		if err := r.shared.Preload(ctx); err != nil {
			continue
		}
		if r.mirror != nil {
			// A Redis that restarted empty gets the control state back first.
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := r.mirror.EnsureSeeded(sctx)
			cancel()
			if err != nil {
				r.log.Warn("shared store answers but its control state is not restored yet", slog.String("error", err.Error()))
				continue
			}
			r.mirror.resync()
		}
		r.down.Store(false)
		r.log.Info("shared store reachable again")
		if r.OnChange != nil {
			r.OnChange(false)
		}
	}
}

// ReleaseKey gives back a client key's lease on both stores (it was taken on
// whichever one was serving at the time) and debits its tokens on the shared
// one. The reservation is reconciled on the store that made it: the tokens
// also count on the fallback when it reserved them there, and the shared
// store, which reserved nothing then, gets the tokens alone.
func (r *Resilient) ReleaseKey(name, lease string, tokens int64, res KeyReservation) {
	if res.local {
		r.shared.ReleaseKey(name, lease, tokens, KeyReservation{})
		r.local.ReleaseKey(name, lease, tokens, res)
		return
	}
	r.shared.ReleaseKey(name, lease, tokens, res)
	if r.local != nil && lease != "" {
		r.local.ReleaseKey(name, lease, 0, KeyReservation{})
	}
}

// KeyUsage reads client key usage where selections are made.
func (r *Resilient) KeyUsage(ctx context.Context, names []string) (map[string]KeyUsage, error) {
	s, err := r.pick()
	if err != nil {
		return nil, err
	}
	return s.KeyUsage(ctx, names)
}
