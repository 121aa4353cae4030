package auth

import (
	"context"
	"crypto/rand"
	"io"
	"time"

	"luckbox/data"
)

// Buckets lists the buckets this package uses; pass them to data.Open.
var Buckets = [][]byte{bucketUsers, bucketUserOpenID, bucketUserPhone, bucketSessions, bucketInbox, bucketGrants, bucketGroupProofs, bucketContentFlags}

// Identity is what WeChat's code2session returns for a login code.
type Identity struct {
	OpenID, UnionID, SessionKey string
}

// WeChat is the part of the WeChat client auth needs. Code2Session must
// return an error for which BadCode reports true when the code is unknown,
// expired or used.
type WeChat interface {
	Code2Session(ctx context.Context, code string) (Identity, error)
	BadCode(err error) bool
}

// Options configure a Service.
type Options struct {
	// SessionTTL is how long a login lasts (default 7 days).
	SessionTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of tokens and ids (default crypto/rand.Reader).
	Rand io.Reader
	// DefaultNickname names a new user (default "微信用户", as WeChat does).
	DefaultNickname func(openid string) string
	// Pusher sends subscribe messages; nil keeps notifications in the inbox only.
	Pusher Pusher
	// Phones resolves getPhoneNumber results for BindPhone; nil: phone
	// binding is not configured.
	Phones PhoneResolver
	// Groups decrypts group share info for ProveGroup; nil: group proofs
	// are not configured.
	Groups GroupResolver
	// GroupProofTTL is how long a proof of group membership counts
	// (default DefaultGroupProofTTL).
	GroupProofTTL time.Duration
}

// Service manages users, sessions and notifications.
type Service struct {
	db    *data.DB
	wx    WeChat
	opts  Options
	admin adminToken
	// sessions caches decoded sessions for Authenticate.
	sessions *sessionCache
	// owned: only this process writes db (not a replicated copy), so the
	// session cache is the truth (session_cache.go).
	owned bool
}

// New returns a Service over db using wx for logins.
func New(db *data.DB, wx WeChat, opts Options) *Service {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 7 * 24 * time.Hour
	}
	if opts.GroupProofTTL <= 0 {
		opts.GroupProofTTL = DefaultGroupProofTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.DefaultNickname == nil {
		opts.DefaultNickname = func(string) string { return "微信用户" }
	}
	return &Service{db: db, wx: wx, opts: opts, sessions: newSessionCache(), owned: !db.Replicated()}
}

// RegisterBackground registers the scheduled and outbox work of this package.
func (s *Service) RegisterBackground(b *data.Background) {
	b.HandleDue(dueSessionExpiry, s.expireSession)
	b.HandleOutbox(outboxSubscribe, s.deliverSubscribe)
}
