package clientkey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard-gw/switchyard/internal/filewatch"
)

// APIStore keeps the keys created through the admin API, shared by every
// replica. It stores digests only.
type APIStore interface {
	// List returns the keys; ErrUnseeded while the store lost its state.
	List(ctx context.Context) ([]*Key, error)
	// Create stores a new key; ErrExists when the store holds the name.
	Create(ctx context.Context, k *Key) error
	// Put replaces an existing key; ErrNotFound when there is none.
	Put(ctx context.Context, k *Key) error
	// Restore writes the keys the store lacks and reports how many.
	Restore(ctx context.Context, keys []*Key) (int, error)
	Delete(ctx context.Context, name string) (bool, error)
}

// Registry is the live set of client keys: environment keys, the keys file
// (re-read on change; a bad file is refused and the last good one serves)
// and the API keys of the shared store (re-read every RefreshEvery, so a
// revoke or limit change reaches every replica within that time). On a name
// given by several sources the environment wins, then the file, then the API.
type Registry struct {
	env       []*Key
	path      string
	lookupEnv func(string) (string, bool)
	api       APIStore
	log       *slog.Logger

	watch *filewatch.File

	// guard runs before every change of an API key: it returns once the
	// shared store holds the control state (re-seeded if it lost it).
	guard func(context.Context) error
	// refuse rejects a reloaded keys file holding a secret it returns true
	// for (a shipped placeholder); nil accepts every secret.
	refuse func(secret string) bool

	mu       sync.Mutex
	file     []*Key
	apiKeys  []*Key
	adopted  bool // apiKeys came from the store (the last good set, for re-seeding)
	unseeded bool // the store lost its state: the last good API keys keep serving
	// hadAPIKeys: API keys were in service once. A gateway without
	// environment or file keys that an operator locked by creating API
	// keys stays locked when the last one is revoked, instead of going
	// back to serving anyone.
	hadAPIKeys bool

	set      atomic.Pointer[Set]
	shadowed atomic.Pointer[[]*Key]
}

// RefreshEvery is how often the file and the shared store are re-read.
const RefreshEvery = 500 * time.Millisecond

// NewRegistry reads the environment keys and the keys file (path may be "").
func NewRegistry(envKeys []string, path string, lookupEnv func(string) (string, bool), api APIStore, log *slog.Logger) (*Registry, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{path: path, lookupEnv: lookupEnv, api: api, log: log}
	if path != "" {
		r.watch = filewatch.New(path)
	}
	for i, s := range envKeys {
		r.env = append(r.env, &Key{Name: fmt.Sprintf("env-%d", i+1), Digest: Digest(s), Source: SourceEnv})
	}
	if path != "" {
		if _, err := r.reloadFile(); err != nil {
			return nil, err
		}
	}
	r.rebuild()
	return r, nil
}

// Current is the key set in service.
func (r *Registry) Current() *Set { return r.set.Load() }

// Shadowed lists API keys hidden by an environment or file key of the same
// name (or digest).
func (r *Registry) Shadowed() []*Key {
	if p := r.shadowed.Load(); p != nil {
		return *p
	}
	return nil
}

// Run re-reads the file and the shared store until ctx ends.
func (r *Registry) Run(ctx context.Context) error {
	t := time.NewTicker(RefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.Refresh(ctx)
		}
	}
}

// Refresh re-reads the keys file (when changed) and the API keys now.
func (r *Registry) Refresh(ctx context.Context) {
	changed := false
	if r.path != "" {
		c, err := r.reloadFile()
		if err != nil {
			r.log.Warn("keys file refused; the last good keys keep serving", slog.String("file", r.path), slog.String("error", err.Error()))
		}
		changed = changed || c
	}
	if r.api != nil {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		keys, err := r.api.List(rctx)
		cancel()
		r.mu.Lock()
		switch {
		case err == nil:
			if !sameKeys(r.apiKeys, keys) {
				r.apiKeys, changed = keys, true
			}
			r.adopted, r.unseeded = true, false
		case errors.Is(err, ErrUnseeded) && !r.unseeded:
			// An emptied store is not every key revoked: the last good
			// keys serve until the store is re-seeded (Reseed).
			r.unseeded = true
			r.log.Warn("the shared store lost the API keys; the last good ones keep serving until it is re-seeded",
				slog.Int("api_keys", len(r.apiKeys)))
		}
		r.mu.Unlock()
	}
	if changed {
		r.rebuild()
	}
}

// GuardChanges makes every change of an API key wait first for guard (the
// control state mirror's BeforeChange): a change never lands on a store that
// restarted empty and is about to be re-seeded (a revoke would be undone).
func (r *Registry) GuardChanges(guard func(context.Context) error) { r.guard = guard }

// RefuseSecrets makes a reload of the keys file refuse (the last good keys
// keep serving) a file holding a secret refuse returns true for: the start-up
// check for placeholder keys, applied to every later version of the file.
// Like GuardChanges it is wiring, set before the registry is refreshed.
func (r *Registry) RefuseSecrets(refuse func(secret string) bool) { r.refuse = refuse }

// Reseed writes the last good API keys this replica read from the shared
// store into it, where missing: the control state mirror calls it when it
// re-seeds a store that restarted empty. A replica that never read the keys
// writes nothing.
func (r *Registry) Reseed(ctx context.Context) error {
	if r.api == nil {
		return nil
	}
	r.mu.Lock()
	keys, adopted := r.apiKeys, r.adopted
	r.mu.Unlock()
	if !adopted || len(keys) == 0 {
		return nil
	}
	n, err := r.api.Restore(ctx, keys)
	if err != nil {
		return err
	}
	r.log.Warn("re-seeded the API keys of a shared store that restarted empty", slog.Int("api_keys", n))
	return nil
}

func (r *Registry) guarded(ctx context.Context) error {
	if r.guard == nil {
		return nil
	}
	return r.guard(ctx)
}

// reloadFile parses the keys file when its content changed; a bad file is
// refused (reported once) and the last good keys stay.
func (r *Registry) reloadFile() (bool, error) {
	data, changed, err := r.watch.Changed()
	if err != nil || !changed {
		return false, err
	}
	keys, secrets, err := ParseFile(data, r.lookupEnv)
	if err != nil {
		return false, fmt.Errorf("keys file %s: %w", r.path, err)
	}
	for i, s := range secrets {
		if r.refuse != nil && r.refuse(s) {
			return false, fmt.Errorf("keys file %s: key %d is a known placeholder; replace it with a random value", r.path, i+1)
		}
	}
	r.mu.Lock()
	first := r.file == nil
	r.file = keys
	r.mu.Unlock()
	if !first {
		r.log.Info("keys file reloaded", slog.String("file", r.path), slog.Int("keys", len(keys)))
	}
	return true, nil
}

func (r *Registry) rebuild() {
	r.mu.Lock()
	all := make([]*Key, 0, len(r.env)+len(r.file)+len(r.apiKeys))
	all = append(all, r.env...)
	all = append(all, r.file...)
	all = append(all, r.apiKeys...)
	if len(r.apiKeys) > 0 {
		r.hadAPIKeys = true
	}
	closed := len(r.env) > 0 || r.path != "" || r.hadAPIKeys
	r.mu.Unlock()
	s, shadowed := NewSet(all)
	s.closed = closed
	r.set.Store(s)
	r.shadowed.Store(&shadowed)
}

func sameKeys(a, b []*Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || x.Digest != y.Digest || x.Limits != y.Limits || x.Disabled != y.Disabled || !sameStrings(x.Models, y.Models) {
			return false
		}
	}
	return true
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
