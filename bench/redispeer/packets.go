package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Packet is the packet object of the API (the fields a lucky packet has).
type Packet struct {
	ID              string  `json:"id"`
	Kind            string  `json:"kind"`
	SenderID        string  `json:"sender_id"`
	Greeting        string  `json:"greeting"`
	Count           int     `json:"count"`
	Amount          int64   `json:"amount"`
	AmountEach      *int64  `json:"amount_each"`
	ToUserID        *string `json:"to_user_id"`
	Status          string  `json:"status"`
	RemainingCount  int     `json:"remaining_count"`
	RemainingAmount int64   `json:"remaining_amount"`
	CreatedAt       string  `json:"created_at"`
	ExpiresAt       *string `json:"expires_at"`
	FinishedAt      *string `json:"finished_at"`
	RefundedAmount  int64   `json:"refunded_amount"`
	Grabs           []Grab  `json:"grabs"`
	Me              *MyGrab `json:"me"`
}

// Grab is one grab of a packet. The claims hash keeps no time nor order:
// grabs are listed by user id and at is null (the settlement list has both).
type Grab struct {
	UserID   string  `json:"user_id"`
	Amount   int64   `json:"amount"`
	At       *string `json:"at"`
	BestLuck bool    `json:"best_luck"`
}

// MyGrab is the caller's grab of a packet.
type MyGrab struct {
	Amount int64 `json:"amount"`
}

// maxTxRetries bounds the retries of a creation whose WATCHed wallet changed.
const maxTxRetries = 100

// CreatePacket debits sender's wallet by amount and creates a lucky packet of
// count shares: the split is made here and pushed to the packet's share list
// in the same MULTI/EXEC as the debit and the packet's hash, WATCHing the
// wallet so that a concurrent change (a top-up, a grab credit, another
// process) retries. A sender's creations take turns in this process.
func (s *Store) CreatePacket(ctx context.Context, sender, greeting string, count int, amount int64) (string, error) {
	switch {
	case count < 1 || count > s.lim.MaxCount:
		return "", fmt.Errorf("%w: count must be 1..%d", errInvalid, s.lim.MaxCount)
	case amount < int64(count) || amount > s.lim.MaxAmount:
		return "", fmt.Errorf("%w: amount must be %d..%d fen (each share at least 1 fen)", errInvalid, count, s.lim.MaxAmount)
	case len([]rune(greeting)) > 40:
		return "", fmt.Errorf("%w: greeting longer than 40 characters", errInvalid)
	}
	shares := splitLucky(amount, count)
	list := make([]any, len(shares))
	for i, v := range shares {
		list[i] = v
	}
	id := randomID()
	wallet := keyWallet + sender
	now := time.Now().UTC().Format(time.RFC3339Nano)
	txf := func(tx *redis.Tx) error {
		bal, err := tx.Get(ctx, wallet).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if bal < amount {
			return errInsufficient
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.DecrBy(ctx, wallet, amount)
			p.HSet(ctx, keyPacket+id, "sender", sender, "greeting", greeting, "count", count, "amount", amount, "created_at", now)
			p.RPush(ctx, keyShares+id, list...)
			p.SAdd(ctx, keyPackets, id)
			return nil
		})
		return err
	}
	mu := s.senderLock(sender)
	mu.Lock()
	defer mu.Unlock()
	for range maxTxRetries {
		err := s.rdb.Watch(ctx, txf, wallet)
		if errors.Is(err, redis.TxFailedErr) {
			s.conflicts.Add(1)
			continue
		}
		if err != nil && !errors.Is(err, errInsufficient) {
			return "", fmt.Errorf("create packet: %w", err)
		}
		return id, err
	}
	return "", fmt.Errorf("create packet: the wallet kept changing (%d tries)", maxTxRetries)
}

// grabScript is a grab: KEYS claims, shares, packet hash, settlement list,
// grabber's wallet; ARGV user id, packet id, now (unix ms). It returns
// {1, amount} for a new grab, {0, amount} for a user who had already grabbed,
// {-1, 0} when no share is left and {-2, 0} when there is no such packet.
var grabScript = redis.NewScript(`
local got = redis.call('HGET', KEYS[1], ARGV[1])
if got then return {0, tonumber(got)} end
local share = redis.call('LPOP', KEYS[2])
if not share then
  if redis.call('EXISTS', KEYS[3]) == 0 then return {-2, 0} end
  return {-1, 0}
end
redis.call('HSET', KEYS[1], ARGV[1], share)
redis.call('RPUSH', KEYS[4], ARGV[2] .. ' ' .. ARGV[1] .. ' ' .. share .. ' ' .. ARGV[3])
redis.call('INCRBY', KEYS[5], share)
if redis.call('LLEN', KEYS[2]) == 0 then redis.call('HSET', KEYS[3], 'finished_at', ARGV[3]) end
return {1, tonumber(share)}
`)

// Grab has user grab a share of the packet. fresh is false when the user
// had grabbed it before (amount is then that earlier grab). It returns
// errExhausted when no share is left and errNotFound for an unknown packet.
func (s *Store) Grab(ctx context.Context, packet, user string) (amount int64, fresh bool, err error) {
	keys := []string{keyClaims + packet, keyShares + packet, keyPacket + packet, keySettle, keyWallet + user}
	r, err := grabScript.Run(ctx, s.rdb, keys, user, packet, time.Now().UnixMilli()).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("grab: %w", err)
	}
	if len(r) != 2 {
		return 0, false, fmt.Errorf("grab: script answered %v", r)
	}
	switch r[0] {
	case 1, 0:
		return r[1], r[0] == 1, nil
	case -1:
		return 0, false, errExhausted
	default:
		return 0, false, errNotFound
	}
}

// packetState is a packet as Redis holds it, read in one MULTI/EXEC.
type packetState struct {
	meta   map[string]string
	claims map[string]string
	shares []string
}

// readPacket reads a packet's hash, claims and remaining shares atomically.
func (s *Store) readPacket(ctx context.Context, id string) (packetState, error) {
	var meta, claims *redis.MapStringStringCmd
	var shares *redis.StringSliceCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HGetAll(ctx, keyPacket+id)
		claims = p.HGetAll(ctx, keyClaims+id)
		shares = p.LRange(ctx, keyShares+id, 0, -1)
		return nil
	})
	if err != nil {
		return packetState{}, fmt.Errorf("read packet %s: %w", id, err)
	}
	if len(meta.Val()) == 0 {
		return packetState{}, errNotFound
	}
	return packetState{meta: meta.Val(), claims: claims.Val(), shares: shares.Val()}, nil
}

// sum adds decimal amounts; a malformed one is an error.
func sum(values []string) (int64, error) {
	var t int64
	for _, v := range values {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("amount %q: %w", v, err)
		}
		t += n
	}
	return t, nil
}

// unixMilliRFC3339 turns a unix-ms string into an RFC 3339 time (nil if empty).
func unixMilliRFC3339(v string) *string {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	s := time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
	return &s
}

// Packet reads the packet as the API shows it to viewer.
func (s *Store) Packet(ctx context.Context, id, viewer string) (Packet, error) {
	st, err := s.readPacket(ctx, id)
	if err != nil {
		return Packet{}, err
	}
	count, _ := strconv.Atoi(st.meta["count"])
	amount, _ := strconv.ParseInt(st.meta["amount"], 10, 64)
	remaining, err := sum(st.shares)
	if err != nil {
		return Packet{}, fmt.Errorf("packet %s: %w", id, err)
	}
	p := Packet{ID: id, Kind: "lucky", SenderID: st.meta["sender"], Greeting: st.meta["greeting"], Count: count, Amount: amount,
		Status: "active", RemainingCount: len(st.shares), RemainingAmount: remaining, CreatedAt: st.meta["created_at"],
		FinishedAt: unixMilliRFC3339(st.meta["finished_at"]), Grabs: []Grab{}}
	if len(st.shares) == 0 {
		p.Status = "finished"
	}
	for u, v := range st.claims {
		a, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Packet{}, fmt.Errorf("packet %s: claim of %s: %w", id, u, err)
		}
		p.Grabs = append(p.Grabs, Grab{UserID: u, Amount: a})
		if u == viewer {
			p.Me = &MyGrab{Amount: a}
		}
	}
	slices.SortFunc(p.Grabs, func(a, b Grab) int { return cmp.Compare(a.UserID, b.UserID) })
	if p.Status == "finished" && len(p.Grabs) > 0 {
		best := 0
		for i, g := range p.Grabs {
			if g.Amount > p.Grabs[best].Amount {
				best = i
			}
		}
		p.Grabs[best].BestLuck = true
	}
	return p, nil
}
