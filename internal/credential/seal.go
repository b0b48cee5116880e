package credential

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// sealPrefix starts every encrypted value: the format version. The key id
// and the sealed bytes follow: "enc:v1:<key id>:<base64url(nonce|ciphertext)>".
const sealPrefix = "enc:v1:"

// errUnreadable is a stored value no configured key opens (another key, a
// corrupted value, an encrypted value on a replica without keys). Callers
// treat the value as absent.
var errUnreadable = errors.New("stored secret cannot be decrypted with the configured keys")

// Keyring encrypts the secrets the token store keeps in Redis (access
// tokens, rotated refresh tokens) with AES-256-GCM: a random 12-byte nonce
// per value, the key id and a version prefix stored with it, and the account
// id and the kind of secret as additional data, so a value copied to another
// account's key does not open. New values use the current key; previous keys
// only open values written before a key rotation. A nil *Keyring stores
// plain text.
type Keyring struct {
	keys []sealKey // keys[0] is the current key
}

type sealKey struct {
	id   string
	aead cipher.AEAD
}

// NewKeyring builds a keyring from the standard base64 of 32-byte keys:
// current encrypts and decrypts, previous only decrypt. An empty current key
// gives a nil keyring (plain text). Errors never quote a key.
func NewKeyring(current string, previous []string) (*Keyring, error) {
	current = strings.TrimSpace(current)
	if current == "" {
		if len(previous) > 0 {
			return nil, errors.New("previous secrets keys given without a current key")
		}
		return nil, nil
	}
	k := &Keyring{}
	for i, s := range append([]string{current}, previous...) {
		sk, err := newSealKey(strings.TrimSpace(s))
		if err != nil {
			if i == 0 {
				return nil, fmt.Errorf("secrets key: %w", err)
			}
			return nil, fmt.Errorf("previous secrets key %d: %w", i, err)
		}
		k.keys = append(k.keys, sk)
	}
	return k, nil
}

func newSealKey(b64 string) (sealKey, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return sealKey{}, errors.New("want the standard base64 encoding of 32 bytes")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return sealKey{}, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealKey{}, fmt.Errorf("gcm: %w", err)
	}
	// The id names the key without revealing it: a short hash under a
	// label of its own.
	sum := sha256.Sum256(append([]byte("switchyard secrets key id\x00"), raw...))
	return sealKey{id: hex.EncodeToString(sum[:4]), aead: aead}, nil
}

// ID is the current key's id, as stored with each value (for logs and
// operators: it identifies the key, never reveals it).
func (k *Keyring) ID() string {
	if k == nil {
		return ""
	}
	return k.keys[0].id
}

// seal encrypts plain for the slot named by aad; "" stays "" (nothing to
// store) and a nil keyring returns plain as is.
func (k *Keyring) seal(plain, aad string) (string, error) {
	if k == nil || plain == "" {
		return plain, nil
	}
	cur := k.keys[0]
	nonce := make([]byte, cur.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	out := cur.aead.Seal(nonce, nonce, []byte(plain), []byte(aad))
	return sealPrefix + cur.id + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// open decrypts a stored value. stale reports that a previous key opened it
// (the caller may write it again under the current key). Without a keyring,
// plain values are returned as they are and encrypted ones are unreadable;
// with one, a value without the prefix (plain text written before
// encryption was turned on, or planted) is unreadable too. Errors never
// carry the value.
func (k *Keyring) open(stored, aad string) (plain string, stale bool, err error) {
	if stored == "" {
		return "", false, nil
	}
	if !strings.HasPrefix(stored, sealPrefix) {
		if k == nil {
			return stored, false, nil
		}
		return "", false, errUnreadable
	}
	if k == nil {
		return "", false, errUnreadable
	}
	id, body, ok := strings.Cut(stored[len(sealPrefix):], ":")
	if !ok {
		return "", false, errUnreadable
	}
	sealed, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", false, errUnreadable
	}
	for i, sk := range k.keys {
		if sk.id != id || len(sealed) < sk.aead.NonceSize() {
			continue
		}
		ns := sk.aead.NonceSize()
		p, err := sk.aead.Open(nil, sealed[:ns], sealed[ns:], []byte(aad))
		if err == nil {
			return string(p), i > 0, nil
		}
	}
	return "", false, errUnreadable
}

// Additional data binding a sealed value to its account and kind.
func aadAccess(id string) string  { return "switchyard oauth access token\x00" + id }
func aadRefresh(id string) string { return "switchyard oauth refresh token\x00" + id }
