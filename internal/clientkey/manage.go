package clientkey

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// Errors of key management, for the admin API to map to statuses.
var (
	ErrNotFound = errors.New("no such key")
	ErrExists   = errors.New("a key with this name exists")
	// ErrFileName and ErrEnvName refuse an API key named as a key of the
	// keys file or of the environment (which would shadow it).
	ErrFileName = fmt.Errorf("%w: the keys file holds a key with that name (the file wins over the API); choose another name", ErrExists)
	ErrEnvName  = fmt.Errorf("%w: SWITCHYARD_API_KEYS holds a key with that name (the environment wins over the API); choose another name", ErrExists)
	ErrNotAPI   = errors.New("the key is defined in the environment or the keys file; change it there")
	ErrNoStore  = errors.New("keys cannot be managed without a store")
	ErrInvalid  = errors.New("invalid key settings")
)

// Patch changes some settings of an API key; nil fields stay.
type Patch struct {
	Models      *[]string `json:"models"`
	RPM         *int64    `json:"rpm"`
	TPM         *int64    `json:"tpm"`
	MaxInFlight *int64    `json:"max_in_flight"`
	DailyTokens *int64    `json:"daily_tokens"`
	Disabled    *bool     `json:"disabled"`
}

// Create makes an API key and returns it with its secret, which is never
// stored or shown again.
func (r *Registry) Create(ctx context.Context, name string, models []string, l Limits) (*Key, string, error) {
	if r.api == nil {
		return nil, "", ErrNoStore
	}
	if !ValidName(name) {
		return nil, "", fmt.Errorf("%w: name: 1-64 letters, digits, '.', '_' or '-'", ErrInvalid)
	}
	if err := checkLimits(l); err != nil {
		return nil, "", err
	}
	if err := checkModels(models); err != nil {
		return nil, "", err
	}
	if k, ok := r.Current().Named(name); ok {
		switch k.Source {
		case SourceFile:
			return nil, "", ErrFileName
		case SourceEnv:
			return nil, "", ErrEnvName
		}
		return nil, "", ErrExists
	}
	if err := r.guarded(ctx); err != nil {
		return nil, "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", fmt.Errorf("generate key: %w", err)
	}
	secret := "sy-" + base64.RawURLEncoding.EncodeToString(b[:])
	k := &Key{Name: name, Digest: Digest(secret), Models: models, Limits: l, Source: SourceAPI}
	// The store refuses a name it holds (created on another replica since
	// this one last read the keys): the first key stays.
	if err := r.api.Create(ctx, k); err != nil {
		if errors.Is(err, ErrExists) {
			r.Refresh(ctx)
		}
		return nil, "", err
	}
	r.Refresh(ctx)
	return k, secret, nil
}

// Update applies a patch to an API key.
func (r *Registry) Update(ctx context.Context, name string, p Patch) (*Key, error) {
	k, err := r.apiKey(name)
	if err != nil {
		return nil, err
	}
	n := *k
	if p.Models != nil {
		n.Models = *p.Models
	}
	set := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&n.Limits.RPM, p.RPM)
	set(&n.Limits.TPM, p.TPM)
	set(&n.Limits.MaxInFlight, p.MaxInFlight)
	set(&n.Limits.DailyTokens, p.DailyTokens)
	if p.Disabled != nil {
		n.Disabled = *p.Disabled
	}
	if err := checkLimits(n.Limits); err != nil {
		return nil, err
	}
	if err := checkModels(n.Models); err != nil {
		return nil, err
	}
	if err := r.guarded(ctx); err != nil {
		return nil, err
	}
	if err := r.api.Put(ctx, &n); err != nil {
		if errors.Is(err, ErrNotFound) {
			r.Refresh(ctx)
		}
		return nil, err
	}
	r.Refresh(ctx)
	return &n, nil
}

// Delete revokes an API key.
func (r *Registry) Delete(ctx context.Context, name string) error {
	if _, err := r.apiKey(name); err != nil {
		return err
	}
	if err := r.guarded(ctx); err != nil {
		return err
	}
	if _, err := r.api.Delete(ctx, name); err != nil {
		return err
	}
	r.Refresh(ctx)
	return nil
}

// apiKey finds a key that the API may change.
func (r *Registry) apiKey(name string) (*Key, error) {
	if r.api == nil {
		return nil, ErrNoStore
	}
	k, ok := r.Current().Named(name)
	if !ok {
		return nil, ErrNotFound
	}
	if k.Source != SourceAPI {
		return nil, ErrNotAPI
	}
	return k, nil
}

func checkLimits(l Limits) error {
	if l.RPM < 0 || l.TPM < 0 || l.MaxInFlight < 0 || l.DailyTokens < 0 {
		return fmt.Errorf("%w: limits must not be negative (0 is no limit)", ErrInvalid)
	}
	return nil
}

func checkModels(models []string) error {
	for _, m := range models {
		if m == "" || len(m) > 256 {
			return fmt.Errorf("%w: models: each pattern is 1-256 characters", ErrInvalid)
		}
	}
	return nil
}
