package codeassist

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/switchyard-gw/switchyard/internal/account"
)

// Tokens supplies OAuth access tokens (credential.Store).
type Tokens interface {
	AccessToken(ctx context.Context, a *account.Account) (string, error)
}

// QuotaSink receives the remaining quota fraction of an account for a model
// group (schedule.Scheduler.SetQuota).
type QuotaSink interface {
	SetQuota(ctx context.Context, accountID, group string, fraction float64, reset time.Time) error
}

// Disabler takes an account out of the pool on every replica
// (schedule.Scheduler.Disable).
type Disabler interface {
	Disable(ctx context.Context, accountID, reason string) error
}

// Options configure a Service. Zero values get the defaults in brackets.
type Options struct {
	// Namespace must equal the scheduler's, so the keys share its hash tag.
	Namespace string
	HTTP      *http.Client // [http.DefaultClient]
	Tokens    Tokens
	UserAgent string
	// Quota and Disabler receive what the quota poller learns; nil: not fed.
	Quota    QuotaSink
	Disabler Disabler
	// InfoTTL is how long a discovered project and tier are kept before they
	// are read again (an upgraded account gets its new tier) [24h].
	InfoTTL time.Duration
	// DiscoverWait bounds how long a caller waits for another replica's
	// discovery [20s]; CallTimeout bounds each Code Assist call [30s].
	DiscoverWait, CallTimeout time.Duration
	// OnboardPoll is the first pause between two polls of the onboarding
	// operation; it doubles up to 5s [500ms]. OnboardMax bounds the whole
	// onboarding [60s].
	OnboardPoll, OnboardMax time.Duration
	// VerifyCooldown is how long an account Code Assist asks to verify is
	// left alone [6h].
	VerifyCooldown time.Duration
	Log            *slog.Logger // [discard]
}

// Service sends Code Assist calls for codeassist accounts and keeps their
// discovered state. Build one per process; it is safe for concurrent use.
type Service struct {
	opts   Options
	rdb    redis.UniversalClient // nil: every replica on its own
	keys   keyspace
	flight singleflight.Group

	mu    sync.Mutex
	infos map[string]cachedInfo // account id -> discovered state
	gen   atomic.Uint64         // bumped when a discovered tier changes
	// Without a shared store, the operator view reads these instead.
	reads    map[string]QuotaRead
	verifies map[string]localVerification
}

type localVerification struct {
	v     Verification
	until time.Time
}

type cachedInfo struct {
	info    Info
	fp      string
	expires time.Time
}

// New builds a Service on the shared store; rdb nil keeps discovered state
// per replica.
func New(rdb redis.UniversalClient, o Options) *Service {
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	if o.InfoTTL <= 0 {
		o.InfoTTL = 24 * time.Hour
	}
	if o.DiscoverWait <= 0 {
		o.DiscoverWait = 20 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.OnboardPoll <= 0 {
		o.OnboardPoll = 500 * time.Millisecond
	}
	if o.OnboardMax <= 0 {
		o.OnboardMax = 60 * time.Second
	}
	if o.VerifyCooldown <= 0 {
		o.VerifyCooldown = 6 * time.Hour
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{opts: o, rdb: rdb, keys: newKeyspace(o.Namespace), infos: map[string]cachedInfo{},
		reads: map[string]QuotaRead{}, verifies: map[string]localVerification{}}
}

// Tier is the tier to schedule a by: the discovered one when the file names
// none and this replica knows it, else the file's. With Generation it
// implements dispatch.Tiers.
func (s *Service) Tier(a *account.Account) account.Tier {
	if !a.TierAuto {
		return a.Tier
	}
	if info, ok := s.cached(a); ok && info.Tier.Valid() {
		return info.Tier
	}
	return a.Tier
}

// Generation changes whenever a discovered tier does.
func (s *Service) Generation() uint64 { return s.gen.Load() }
