package packet

import (
	"context"
	"fmt"
	"time"

	"luckbox/auth"
	"luckbox/data"
)

// Packet is a red packet as the API shows it.
type Packet struct {
	ID              string     `json:"id"`
	Kind            string     `json:"kind"`
	SenderID        string     `json:"sender_id"`
	SenderNickname  string     `json:"sender_nickname"`
	Greeting        string     `json:"greeting"`
	Count           int        `json:"count"`
	Amount          int64      `json:"amount"`
	AmountEach      *int64     `json:"amount_each"` // equal packets
	ToUserID        *string    `json:"to_user_id"`  // personal packets
	Status          string     `json:"status"`
	RemainingCount  int        `json:"remaining_count"`
	RemainingAmount int64      `json:"remaining_amount"`
	CreatedAt       time.Time  `json:"created_at"`
	ExpiresAt       time.Time  `json:"expires_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	RefundedAmount  int64      `json:"refunded_amount"`
	Grabs           []Grab     `json:"grabs"`
	Me              *Me        `json:"me"` // null for the admin
	PayWith         string     `json:"pay_with"`
	// PayParams are the wx.requestPayment parameters of an unpaid packet,
	// shown to its sender only.
	PayParams *PayParams `json:"pay_params"`
	// OutTradeNo is the WeChat Pay merchant order number of a WeChat-paid
	// packet, shown to its sender and the admin only (null otherwise).
	OutTradeNo *string `json:"out_trade_no"`
	// GroupOnly is true when only the members of one WeChat group (proven
	// with POST /groups/proof) may grab; the group itself is not shown.
	GroupOnly bool `json:"group_only"`
	// Split is the commitment of a lucky packet's share list; the salt and
	// the list are revealed once the packet is finished or expired.
	Split *Split `json:"split"`
}

// Grab is one grab of a packet, in grab order.
type Grab struct {
	UserID   string    `json:"user_id"`
	Nickname string    `json:"nickname"`
	Amount   int64     `json:"amount"`
	At       time.Time `json:"at"`
	BestLuck bool      `json:"best_luck"`
	Credited bool      `json:"credited"` // false while the packet waits for its payment
}

// Me is the caller's part in a packet.
type Me struct {
	Amount   *int64 `json:"amount"` // null if the caller has not grabbed it
	BestLuck bool   `json:"best_luck"`
}

// Split is a lucky packet's commitment: Commit = hex SHA-256(salt ‖ "s0,s1,…")
// (see SplitCommit). Salt (hex) and Shares (in grab order) are null until the
// packet is finished or expired.
type Split struct {
	Commit string  `json:"commit"`
	Salt   *string `json:"salt"`
	Shares []int64 `json:"shares"`
}

// viewer is who looks at a packet: a user (seq) or the admin.
type viewer struct {
	user  uint64
	admin bool
}

// render builds the API view of packet seq inside tx. It returns the
// prepay_id to sign when the sender looks at an unpaid packet.
func render(tx data.Tx, seq uint64, st state, v viewer) (Packet, string, error) {
	var inf info
	if _, err := data.GetJSON(data.MustBucket(tx, bucketPacketInfo), data.U64(seq), &inf); err != nil {
		return Packet{}, "", err
	}
	sender, _, err := auth.UserBySeqInTx(tx, st.Sender)
	if err != nil {
		return Packet{}, "", err
	}
	p := Packet{
		ID: data.EncodeID(seq, st.Tag), Kind: st.Kind, SenderID: sender.ID(), SenderNickname: sender.Nickname, Greeting: inf.Greeting,
		Count: int(st.Count), Amount: st.Amount, Status: st.Status,
		RemainingCount: st.RemainingCount(), RemainingAmount: st.RemainingAmount,
		CreatedAt: time.Unix(0, st.CreatedAt).UTC(), ExpiresAt: time.Unix(0, st.ExpiresAt).UTC(),
		RefundedAmount: st.Refunded, PayWith: inf.PayWith, Grabs: make([]Grab, 0, st.Next),
		GroupOnly: data.MustBucket(tx, bucketPacketGroups).Get(data.U64(seq)) != nil,
	}
	if st.Kind == KindEqual {
		each := inf.AmountEach
		p.AmountEach = &each
	}
	if st.Kind == KindPersonal {
		to, _, err := auth.UserBySeqInTx(tx, st.ToUser)
		if err != nil {
			return Packet{}, "", err
		}
		id := to.ID()
		p.ToUserID = &id
	}
	if st.FinishedAt != 0 {
		t := time.Unix(0, st.FinishedAt).UTC()
		p.FinishedAt = &t
	}
	if !v.admin {
		p.Me = &Me{}
	}
	p.Grabs = p.Grabs[:st.Next]
	shares := loadShares(tx, seq)
	err = grabChain(tx, seq, &st, 0, func(user uint64, g grabRec) error {
		u, _, err := auth.UserBySeqInTx(tx, user)
		if err != nil {
			return err
		}
		i := g.Index
		if int(i) >= len(shares) {
			return fmt.Errorf("packet %d: grab %d has no share", seq, i)
		}
		gj := Grab{UserID: u.ID(), Nickname: u.Nickname, Amount: shares[i], At: time.Unix(0, g.At).UTC(),
			BestLuck: st.Status == StatusFinished && st.Best == i+1, Credited: i < st.Credited}
		p.Grabs[i] = gj
		if p.Me != nil && user == v.user {
			amount := gj.Amount
			p.Me.Amount, p.Me.BestLuck = &amount, gj.BestLuck
		}
		return nil
	})
	if err != nil {
		return Packet{}, "", err
	}
	if inf.Commit != "" {
		p.Split = &Split{Commit: inf.Commit}
		if st.Status == StatusFinished || st.Status == StatusExpired {
			salt := inf.Salt
			p.Split.Salt, p.Split.Shares = &salt, shares
		}
	}
	var prepayID string
	if st.OrderSeq != 0 && (v.admin || v.user == st.Sender) {
		o, _, err := loadOrder(tx, st.OrderSeq)
		if err != nil {
			return Packet{}, "", err
		}
		p.OutTradeNo = &o.OutTradeNo
		if st.Status == StatusUnpaid && o.Status == OrderPending && !v.admin {
			prepayID = o.PrepayID
		}
	}
	return p, prepayID, nil
}

// visible reports whether v may see a packet: a personal packet is only for
// its sender, its recipient and the admin.
func visible(st state, v viewer) bool {
	return v.admin || st.Kind != KindPersonal || v.user == st.Sender || v.user == st.ToUser
}

// signPayParams adds the payment parameters for a prepay_id.
func (s *Service) signPayParams(p *Packet, prepayID string) error {
	if prepayID == "" || s.opts.Payments == nil {
		return nil
	}
	pp, err := s.opts.Payments.PayParams(prepayID)
	if err != nil {
		return fmt.Errorf("payment params: %w", err)
	}
	p.PayParams = &pp
	return nil
}

// Get returns packet id as user sees it. A personal packet is forbidden to
// anyone but its sender and recipient.
func (s *Service) Get(ctx context.Context, user uint64, id string) (Packet, error) {
	return s.get(ctx, viewer{user: user}, id)
}

// AdminGet returns packet id as the admin sees it.
func (s *Service) AdminGet(ctx context.Context, id string) (Packet, error) {
	return s.get(ctx, viewer{admin: true}, id)
}

func (s *Service) get(ctx context.Context, v viewer, id string) (Packet, error) {
	var p Packet
	var prepayID string
	err := s.db.View(func(tx data.Tx) error {
		seq, st, found, err := lookup(tx, id)
		switch {
		case err != nil:
			return err
		case !found:
			return data.Errorf(data.ENotFound, "no such packet")
		case !visible(st, v):
			return data.Errorf(data.EForbidden, "this packet is for someone else")
		}
		p, prepayID, err = render(tx, seq, st, v)
		return err
	})
	if err != nil {
		return Packet{}, fmt.Errorf("get packet: %w", err)
	}
	return p, s.signPayParams(&p, prepayID)
}

// MarkPaid records that the sender's client finished wx.requestPayment:
// an unpaid packet becomes pending, so it can be shared and grabbed before the
// payment notification arrives. Only the sender may call it; for a packet in
// any other status it changes nothing. If the payment order was closed
// (not paid in time) it is a conflict.
func (s *Service) MarkPaid(ctx context.Context, user uint64, id string) (Packet, error) {
	err := s.db.Update(ctx, func(tx data.Tx) error {
		seq, st, found, err := lookup(tx, id)
		switch {
		case err != nil:
			return err
		case !found:
			return data.Errorf(data.ENotFound, "no such packet")
		case st.Sender != user:
			return data.Errorf(data.EForbidden, "only the sender may report the payment")
		case st.Status != StatusUnpaid:
			return nil
		}
		o, _, err := loadOrder(tx, st.OrderSeq)
		if err != nil {
			return err
		}
		if o.Status == OrderClosed {
			return data.Errorf(data.EConflict, "the payment order was closed; the packet can no longer be paid")
		}
		st.Status = StatusPending
		return putState(tx, seq, &st)
	})
	if err != nil {
		return Packet{}, fmt.Errorf("mark packet paid: %w", err)
	}
	return s.Get(ctx, user, id)
}

// Roles of ListMine.
const (
	RoleSent     = "sent"
	RoleReceived = "received"
)

// PacketPage is the page size of packet lists.
const PacketPage = 20

// ListMine lists the packets user sent or received (role), newest first.
func (s *Service) ListMine(ctx context.Context, user uint64, role, cursor string) ([]Packet, string, error) {
	var r byte
	switch role {
	case RoleSent, "":
		r = roleSent
	case RoleReceived:
		r = roleReceived
	default:
		return nil, "", data.Invalid("role", "must be sent or received")
	}
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	v := viewer{user: user}
	var items []Packet
	var next string
	var prepay []string
	err = s.db.View(func(tx data.Tx) error {
		c := data.MustBucket(tx, bucketAccounts).Cursor()
		next, err = data.NewestFirst(c, data.Key(data.U64(user), []byte{r}), from, PacketPage, func(seq uint64, _ []byte) (bool, error) {
			st, found, err := loadState(tx, seq)
			if err != nil || !found {
				return false, err
			}
			p, pid, err := render(tx, seq, st, v)
			items, prepay = append(items, p), append(prepay, pid)
			return true, err
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list packets: %w", err)
	}
	for i := range items {
		if err := s.signPayParams(&items[i], prepay[i]); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

// AdminList lists every packet, newest first (the admin console's overview).
func (s *Service) AdminList(ctx context.Context, cursor string) ([]Packet, string, error) {
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	var items []Packet
	var next string
	err = s.db.View(func(tx data.Tx) error {
		c := data.MustBucket(tx, bucketPackets).Cursor()
		next, err = data.NewestFirst(c, nil, from, PacketPage, func(seq uint64, _ []byte) (bool, error) {
			st, _, err := loadState(tx, seq)
			if err != nil {
				return false, err
			}
			p, _, err := render(tx, seq, st, viewer{admin: true})
			items = append(items, p)
			return true, err
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list packets: %w", err)
	}
	return items, next, nil
}
