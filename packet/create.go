package packet

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/internal/text"
)

// How a packet is paid.
const (
	PayBalance = "balance" // from the sender's wallet, at once
	PayWeChat  = "wechat"  // with WeChat Pay; the packet is unpaid until the notification
)

// CreateInput is a packet to send. Zero numbers mean "absent".
type CreateInput struct {
	Kind       string
	Count      int64
	Amount     int64
	AmountEach int64
	ToUserID   string
	Greeting   string
	PayWith    string
	// Group is the openGId of the WeChat group the sender proved
	// (auth.ProveGroup) to restrict the packet to; "" means open to all.
	Group string
}

// validate checks everything that does not need the database and returns the
// packet's total and share count.
func (s *Service) validate(in *CreateInput, sender auth.User) (total int64, count int, err error) {
	maxCount, maxAmount := int64(s.opts.MaxCount), s.opts.MaxAmount
	switch in.PayWith {
	case "":
		in.PayWith = PayBalance
	case PayBalance, PayWeChat:
	default:
		return 0, 0, data.Invalid("pay_with", "must be balance or wechat")
	}
	if in.Greeting, err = text.Field("greeting", in.Greeting, text.Rule{Max: MaxGreeting}); err != nil {
		return 0, 0, err
	}
	if in.Group != "" && in.Kind == KindPersonal {
		return 0, 0, data.Invalid("group", "a personal packet is for one user: it cannot be restricted to a group")
	}
	if in.Greeting == "" {
		in.Greeting = DefaultGreeting
	}
	amountRange := func(field string, v int64) error {
		if v < 1 || v > maxAmount {
			return data.Invalid(field, "must be 1..%d fen", maxAmount)
		}
		return nil
	}
	countRange := func() error {
		if in.Count < 1 || in.Count > maxCount {
			return data.Invalid("count", "must be 1..%d", maxCount)
		}
		return nil
	}
	switch in.Kind {
	case KindPersonal:
		switch {
		case in.Count != 0 && in.Count != 1:
			return 0, 0, data.Invalid("count", "must be absent or 1 for a personal packet")
		case in.AmountEach != 0:
			return 0, 0, data.Invalid("amount_each", "is only for equal packets")
		case in.ToUserID == "":
			return 0, 0, data.Invalid("to_user_id", "is required for a personal packet")
		case in.ToUserID == sender.ID():
			return 0, 0, data.Invalid("to_user_id", "must not be yourself")
		}
		if err := amountRange("amount", in.Amount); err != nil {
			return 0, 0, err
		}
		return in.Amount, 1, nil
	case KindEqual:
		if err := countRange(); err != nil {
			return 0, 0, err
		}
		if err := amountRange("amount_each", in.AmountEach); err != nil {
			return 0, 0, err
		}
		if in.AmountEach > maxAmount/in.Count { // amount_each × count > max, without overflow
			return 0, 0, data.Invalid("amount_each", "× count must be at most %d fen", maxAmount)
		}
		total = in.AmountEach * in.Count
		if in.Amount != 0 && in.Amount != total {
			return 0, 0, data.Invalid("amount", "must be absent or amount_each × count (%d)", total)
		}
	case KindLucky:
		if err := countRange(); err != nil {
			return 0, 0, err
		}
		if in.AmountEach != 0 {
			return 0, 0, data.Invalid("amount_each", "is only for equal packets")
		}
		if err := amountRange("amount", in.Amount); err != nil {
			return 0, 0, err
		}
		if in.Amount < in.Count {
			return 0, 0, data.Invalid("amount", "must be at least 1 fen per share (%d)", in.Count)
		}
		total = in.Amount
	default:
		return 0, 0, data.Invalid("kind", "must be personal, equal or lucky")
	}
	if in.ToUserID != "" {
		return 0, 0, data.Invalid("to_user_id", "is only for personal packets")
	}
	return total, int(in.Count), nil
}

// split computes the share list (and for a lucky packet the salt and
// commitment), reading randomness before the write operation.
func (s *Service) split(kind string, total int64, count int) (shares []int64, salt [32]byte, commit [32]byte, err error) {
	switch kind {
	case KindPersonal:
		return []int64{total}, salt, commit, nil
	case KindEqual:
		return slices.Repeat([]int64{total / int64(count)}, count), salt, commit, nil
	}
	var seed [32]byte
	if _, err := io.ReadFull(s.opts.Rand, seed[:]); err != nil {
		return nil, salt, commit, fmt.Errorf("split seed: %w", err)
	}
	if _, err := io.ReadFull(s.opts.Rand, salt[:]); err != nil {
		return nil, salt, commit, fmt.Errorf("split salt: %w", err)
	}
	shares, err = SplitLucky(total, count, rand.New(rand.NewChaCha8(seed)))
	if err != nil {
		return nil, salt, commit, err
	}
	return shares, salt, SplitCommit(salt, shares), nil
}

// Create sends a packet. Input errors (invalid_argument) are checked before
// the balance (conflict when it is short); a rejection writes nothing. Paid
// from the balance, the sender is debited and the packet is active at once;
// paid with WeChat, a payment order is placed and the packet is unpaid, with
// pay_params for wx.requestPayment.
func (s *Service) Create(ctx context.Context, sender auth.User, in CreateInput) (Packet, error) {
	total, count, err := s.validate(&in, sender)
	if err != nil {
		return Packet{}, err
	}
	wechat := in.PayWith == PayWeChat
	if wechat && s.opts.Payments == nil {
		return Packet{}, data.Invalid("pay_with", "WeChat Pay is not configured on this server")
	}
	tag, err := data.NewTag(s.opts.Rand)
	if err != nil {
		return Packet{}, fmt.Errorf("create packet: %w", err)
	}
	orderTag, err := data.NewTag(s.opts.Rand)
	if err != nil {
		return Packet{}, fmt.Errorf("create packet: %w", err)
	}
	shares, salt, commit, err := s.split(in.Kind, total, count)
	if err != nil {
		return Packet{}, fmt.Errorf("create packet: %w", err)
	}
	inf := info{Greeting: in.Greeting, PayWith: in.PayWith}
	if in.Kind == KindEqual {
		inf.AmountEach = in.AmountEach
	}
	if in.Kind == KindLucky {
		inf.Commit, inf.Salt = hex.EncodeToString(commit[:]), hex.EncodeToString(salt[:])
	}
	now := s.now().UTC()
	expires := now.Add(s.opts.TTL)

	var seq, orderSeq uint64
	var o order
	err = s.db.Update(ctx, func(tx data.Tx) error {
		seq, orderSeq = 0, 0
		var to uint64
		if in.Kind == KindPersonal {
			u, ok, err := auth.UserInTx(tx, in.ToUserID)
			if err != nil {
				return err
			}
			if !ok {
				return data.Invalid("to_user_id", "no such user")
			}
			to = u.Seq
		}
		if !wechat {
			bal, err := balanceIn(tx, sender.Seq)
			if err != nil {
				return err
			}
			if bal < total {
				return data.Errorf(data.EConflict, "insufficient balance: %d fen, the packet needs %d", bal, total)
			}
		}
		var err error
		if seq, err = data.AppendBucket(tx, bucketPackets).NextSequence(); err != nil {
			return err
		}
		st := state{Tag: tag, Kind: in.Kind, Status: StatusUnpaid, Sender: sender.Seq, ToUser: to,
			Count: uint32(count), Amount: total, CreatedAt: now.UnixNano(), ExpiresAt: expires.UnixNano(),
			RemainingAmount: total}
		if wechat {
			deadline := now.Add(s.opts.PayWindow)
			if expires.Before(deadline) {
				deadline = expires
			}
			orderSeq, o, err = s.newOrder(tx, order{Tag: orderTag, Kind: OrderPacket, User: sender.Seq, Amount: total,
				Packet: seq, CreatedAt: now, Deadline: deadline})
			if err != nil {
				return err
			}
			st.OrderSeq = orderSeq
		} else {
			if err := moveMoney(tx, sender.Seq, -total, LedgerPacketSend, seq, tag, now); err != nil {
				return err
			}
			st.Status, st.Funded = StatusActive, true
		}
		if err := newState(tx, seq, &st); err != nil {
			return err
		}
		if err := data.PutJSON(data.MustBucket(tx, bucketPacketInfo), data.U64(seq), inf); err != nil {
			return err
		}
		if err := data.MustBucket(tx, bucketShares).Put(data.U64(seq), encodeShares(shares)); err != nil {
			return err
		}
		if in.Group != "" {
			if err := data.MustBucket(tx, bucketPacketGroups).Put(data.U64(seq), []byte(in.Group)); err != nil {
				return err
			}
		}
		if err := data.MustBucket(tx, bucketAccounts).Put(sentKey(sender.Seq, seq), nil); err != nil {
			return err
		}
		return s.db.Schedule(tx, expires, dueExpire, data.U64(seq))
	})
	if err != nil {
		return Packet{}, fmt.Errorf("create packet: %w", err)
	}
	id := data.EncodeID(seq, tag)
	if wechat {
		if _, err := s.prepay(ctx, orderSeq, o, sender, "luckbox 红包", "packet"); err != nil {
			return Packet{}, fmt.Errorf("create packet: %w", err)
		}
	}
	return s.Get(ctx, sender.Seq, id)
}
