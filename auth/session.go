package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"luckbox/data"
)

var bucketSessions = []byte("sessions") // sha256(token) → session JSON

const dueSessionExpiry = "auth.session_expiry"

type session struct {
	UserSeq   uint64    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Login is the result of a successful login.
type Login struct {
	Token     string
	ExpiresAt time.Time
	User      User
}

// maxCode bounds the login code length accepted (WeChat's are 32 characters).
const maxCode = 128

// Login exchanges a wx.login code for a session: the user is created on first
// login, the latest WeChat session key is kept server-side, and a new random
// token is returned (only its hash is stored).
func (s *Service) Login(ctx context.Context, code string) (Login, error) {
	if code == "" || len(code) > maxCode || !utf8.ValidString(code) {
		return Login{}, data.Invalid("code", "must be the code from wx.login")
	}
	id, err := s.wx.Code2Session(ctx, code)
	if err != nil {
		if s.wx.BadCode(err) {
			return Login{}, data.Errorf(data.EUnauthenticated, "login code is invalid, expired or already used")
		}
		return Login{}, fmt.Errorf("login: code2session: %w", err)
	}
	if id.OpenID == "" {
		return Login{}, fmt.Errorf("login: code2session returned no openid")
	}
	var raw [32]byte
	if _, err := io.ReadFull(s.opts.Rand, raw[:]); err != nil {
		return Login{}, fmt.Errorf("login: token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	tag, err := data.NewTag(s.opts.Rand)
	if err != nil {
		return Login{}, fmt.Errorf("login: id: %w", err)
	}
	now := s.opts.Now().UTC()
	exp := now.Add(s.opts.SessionTTL)
	var u User
	err = s.db.Update(ctx, func(tx data.Tx) error {
		idx := data.MustBucket(tx, bucketUserOpenID)
		if seq := data.ParseU64(idx.Get([]byte(id.OpenID))); seq != 0 {
			var err error
			if u, _, err = getUser(tx, seq); err != nil {
				return err
			}
		} else {
			seq, err := data.MustBucket(tx, bucketUsers).NextSequence()
			if err != nil {
				return err
			}
			u = User{Seq: seq, Tag: tag, OpenID: id.OpenID, Nickname: s.opts.DefaultNickname(id.OpenID), CreatedAt: now}
			if err := idx.Put([]byte(id.OpenID), data.U64(seq)); err != nil {
				return err
			}
		}
		u.SessionKey = id.SessionKey
		if id.UnionID != "" {
			u.UnionID = id.UnionID
		}
		if err := s.putUser(tx, u); err != nil {
			return err
		}
		h := tokenHash(token)
		if err := data.PutJSON(data.MustBucket(tx, bucketSessions), h[:], session{UserSeq: u.Seq, CreatedAt: now, ExpiresAt: exp}); err != nil {
			return err
		}
		return s.db.Schedule(tx, exp, dueSessionExpiry, h[:])
	})
	if err != nil {
		return Login{}, fmt.Errorf("login: %w", err)
	}
	return Login{Token: token, ExpiresAt: exp, User: u}, nil
}

// tokenHash is the key of token's session: only the hash is stored.
func tokenHash(token string) [32]byte {
	return sha256.Sum256([]byte(token))
}

// errUnauthenticated is the one answer for every bad token, so a caller
// learns nothing about why.
func errUnauthenticated() error {
	return data.Errorf(data.EUnauthenticated, "missing, invalid or expired token")
}

// Authenticate returns the user a session token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	if token == "" || len(token) > 256 {
		return User{}, errUnauthenticated()
	}
	now := s.opts.Now()
	h := tokenHash(token)
	if s.owned {
		// Only this process writes: a cached decoding is current (see
		// sessionCache).
		if e := s.sessions.get(h); e != nil {
			if !now.Before(e.expires) {
				return User{}, errUnauthenticated()
			}
			return e.u, nil
		}
	}
	gen := s.sessions.generation()
	var u User
	var ok bool
	err := s.db.View(func(tx data.Tx) error {
		sv := data.MustBucket(tx, bucketSessions).Get(h[:])
		if sv == nil {
			return nil
		}
		users := data.MustBucket(tx, bucketUsers)
		// Fast path: the stored session and user are the bytes decoded before.
		if e := s.sessions.get(h); e != nil && bytes.Equal(e.session, sv) {
			if uv := users.Get(data.U64(e.u.Seq)); uv != nil && bytes.Equal(e.user, uv) {
				u, ok = e.u, now.Before(e.expires)
				return nil
			}
		}
		var ss session
		if err := json.Unmarshal(sv, &ss); err != nil {
			return fmt.Errorf("decode session: %w", err)
		}
		uv := users.Get(data.U64(ss.UserSeq))
		if uv == nil {
			return nil
		}
		if err := json.Unmarshal(uv, &u); err != nil {
			return fmt.Errorf("decode user %d: %w", ss.UserSeq, err)
		}
		u.Seq = ss.UserSeq
		s.sessions.store(gen, h, sv, uv, ss.ExpiresAt, u)
		ok = now.Before(ss.ExpiresAt)
		return nil
	})
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if !ok {
		return User{}, errUnauthenticated()
	}
	return u, nil
}

// Logout revokes the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	h := tokenHash(token)
	err := s.db.Update(ctx, func(tx data.Tx) error {
		tx.OnCommit(func() { s.sessions.forget(h) })
		return data.MustBucket(tx, bucketSessions).Delete(h[:])
	})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// expireSession deletes a session whose time has come (idempotent).
func (s *Service) expireSession(ctx context.Context, d data.Due) error {
	now := s.opts.Now()
	return s.db.Update(ctx, func(tx data.Tx) error {
		b := data.MustBucket(tx, bucketSessions)
		var ss session
		found, err := data.GetJSON(b, d.Ref, &ss)
		if err != nil || !found || now.Before(ss.ExpiresAt) {
			return err
		}
		if len(d.Ref) == 32 {
			var h [32]byte
			copy(h[:], d.Ref)
			tx.OnCommit(func() { s.sessions.forget(h) })
		}
		return b.Delete(d.Ref)
	})
}

// BearerToken extracts the token of an "Authorization: Bearer <token>" header.
func BearerToken(header string) string {
	const p = "bearer "
	if len(header) > len(p) && strings.EqualFold(header[:len(p)], p) {
		return strings.TrimSpace(header[len(p):])
	}
	return ""
}
