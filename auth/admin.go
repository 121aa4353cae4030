package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"sync"

	"luckbox/data"
)

const metaAdminTokenHash = "admin_token_sha256"

// MinAdminToken is the shortest admin token accepted when it is set by hand
// (a generated one is "adm_" and 32 base64url characters: 192 random bits).
const MinAdminToken = 32

type adminToken struct {
	mu   sync.RWMutex
	hash []byte
}

// SetupAdminToken decides the admin token at start-up. A configured token is
// used as given. Otherwise the hash stored by an earlier start is used, and on
// the very first start a token is generated, its hash stored, and the token
// returned so the caller can print it once. Only hashes are ever stored.
func (s *Service) SetupAdminToken(ctx context.Context, configured string) (generated string, err error) {
	if configured != "" {
		if len(configured) < MinAdminToken {
			return "", fmt.Errorf("admin token: must be at least %d characters", MinAdminToken)
		}
		h := sha256.Sum256([]byte(configured))
		s.admin.set(h[:])
		return "", nil
	}
	stored, err := s.db.Meta(metaAdminTokenHash)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if len(stored) == sha256.Size {
		s.admin.set(stored)
		return "", nil
	}
	var raw [24]byte
	if _, err := io.ReadFull(s.opts.Rand, raw[:]); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	token := "adm_" + base64.RawURLEncoding.EncodeToString(raw[:])
	h := sha256.Sum256([]byte(token))
	err = s.db.Update(ctx, func(tx data.Tx) error { return data.PutMeta(tx, metaAdminTokenHash, h[:]) })
	if err != nil {
		return "", fmt.Errorf("admin token: store: %w", err)
	}
	s.admin.set(h[:])
	return token, nil
}

func (a *adminToken) set(h []byte) {
	a.mu.Lock()
	a.hash = append([]byte(nil), h...)
	a.mu.Unlock()
}

// IsAdminToken reports whether token is the admin token (constant time).
func (s *Service) IsAdminToken(token string) bool {
	h := sha256.Sum256([]byte(token))
	s.admin.mu.RLock()
	defer s.admin.mu.RUnlock()
	return len(s.admin.hash) == sha256.Size && subtle.ConstantTimeCompare(h[:], s.admin.hash) == 1
}
