package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keys. Every value of money is integer fen.
const (
	keyCode      = "code:"     // + login code → openid (expires in 5 minutes)
	keyUser      = "user:"     // + openid → user id
	keyWallet    = "wallet:"   // + user id → balance
	keyOrder     = "order:"    // + out_trade_no → hash user, amount, status
	keyToppedUp  = "topped_up" // total credited by paid top-ups (the audit's conservation)
	keyPacket    = "packet:"   // + packet id → hash sender, count, amount, greeting, created_at, finished_at
	keyShares    = "shares:"   // + packet id → list of the shares not grabbed yet
	keyClaims    = "claims:"   // + packet id → hash user id → amount grabbed
	keyPackets   = "packets"   // set of every packet id
	keySettle    = "settle"    // list of settlement records "packet user amount unix-ms", one per grab
	loginCodeTTL = 5 * time.Minute
)

// Limits are the input limits of the API.
type Limits struct {
	MaxCount  int
	MaxAmount int64
	TopupMax  int64
}

// Store is the red-packet service's state in Redis.
type Store struct {
	rdb *redis.Client
	lim Limits
	// senders serializes the packet creations of a sender in this process
	// (striped by user id), so that its optimistic WATCH of the wallet is
	// not lost over and over to its own concurrent creations.
	senders [64]sync.Mutex
	// conflicts counts the creations retried because the WATCHed wallet changed.
	conflicts atomic.Int64
}

// NewStore returns a store on rdb.
func NewStore(rdb *redis.Client, lim Limits) *Store { return &Store{rdb: rdb, lim: lim} }

// senderLock is the mutex of user's packet creations.
func (s *Store) senderLock(user string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(user))
	return &s.senders[h.Sum32()%uint32(len(s.senders))]
}

// Errors the handlers map to statuses.
var (
	errInvalid      = errors.New("invalid argument")
	errNotFound     = errors.New("not found")
	errExhausted    = errors.New("no shares left")
	errInsufficient = errors.New("insufficient balance")
	errBadCode      = errors.New("unknown or used login code")
)

// randomID is 16 random hex digits.
func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// LoginCode issues a single-use login code for openid, as wx.login would.
func (s *Store) LoginCode(ctx context.Context, openid string) (string, error) {
	if openid == "" || len(openid) > 128 {
		return "", fmt.Errorf("%w: openid must be 1..128 characters", errInvalid)
	}
	code := randomID() + randomID()
	if err := s.rdb.Set(ctx, keyCode+code, openid, loginCodeTTL).Err(); err != nil {
		return "", fmt.Errorf("store login code: %w", err)
	}
	return code, nil
}

// Login consumes a login code and returns the user id of its openid,
// creating the user on first login.
func (s *Store) Login(ctx context.Context, code string) (string, error) {
	openid, err := s.rdb.GetDel(ctx, keyCode+code).Result()
	if errors.Is(err, redis.Nil) {
		return "", errBadCode
	}
	if err != nil {
		return "", fmt.Errorf("read login code: %w", err)
	}
	if err := s.rdb.SetNX(ctx, keyUser+openid, randomID(), 0).Err(); err != nil {
		return "", fmt.Errorf("create user: %w", err)
	}
	id, err := s.rdb.Get(ctx, keyUser+openid).Result()
	if err != nil {
		return "", fmt.Errorf("read user: %w", err)
	}
	return id, nil
}

// Balance is the user's wallet balance.
func (s *Store) Balance(ctx context.Context, user string) (int64, error) {
	b, err := s.rdb.Get(ctx, keyWallet+user).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read wallet: %w", err)
	}
	return b, nil
}

// CreateTopup opens a pending top-up order of amount fen for user and
// returns its out_trade_no (also its order id).
func (s *Store) CreateTopup(ctx context.Context, user string, amount int64) (string, error) {
	if amount < 1 || amount > s.lim.TopupMax {
		return "", fmt.Errorf("%w: amount must be 1..%d fen", errInvalid, s.lim.TopupMax)
	}
	no := randomID() + randomID()
	if err := s.rdb.HSet(ctx, keyOrder+no, "user", user, "amount", amount, "status", "pending").Err(); err != nil {
		return "", fmt.Errorf("store top-up order: %w", err)
	}
	return no, nil
}

// payScript marks an order paid and credits its amount once.
// KEYS: order, wallet of its user, topped_up. Returns 1 (credited now),
// 0 (already paid) or -1 (no such order).
var payScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return -1 end
if st == 'paid' then return 0 end
local a = tonumber(redis.call('HGET', KEYS[1], 'amount'))
redis.call('HSET', KEYS[1], 'status', 'paid')
redis.call('INCRBY', KEYS[2], a)
redis.call('INCRBY', KEYS[3], a)
return 1
`)

// Pay marks the order paid and credits the wallet exactly once, as the
// payment notification of WeChat Pay would.
func (s *Store) Pay(ctx context.Context, outTradeNo string) error {
	user, err := s.rdb.HGet(ctx, keyOrder+outTradeNo, "user").Result()
	if errors.Is(err, redis.Nil) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("read order: %w", err)
	}
	r, err := payScript.Run(ctx, s.rdb, []string{keyOrder + outTradeNo, keyWallet + user, keyToppedUp}).Int64()
	if err != nil {
		return fmt.Errorf("pay order: %w", err)
	}
	if r < 0 {
		return errNotFound
	}
	return nil
}
