package packet

import (
	"context"
	"fmt"
	"strings"
	"time"

	"luckbox/auth"
	"luckbox/data"
)

// Payment order kinds and statuses.
const (
	OrderTopup  = "topup"  // credits the payer's balance
	OrderPacket = "packet" // funds a packet

	OrderPending = "pending" // waiting for payment
	OrderPaid    = "paid"    // paid and applied
	OrderClosed  = "closed"  // not paid in time, or the prepay failed
)

// order is the stored payment order.
type order struct {
	Tag           uint64    `json:"tag"`
	Kind          string    `json:"kind"`
	User          uint64    `json:"user"`
	Amount        int64     `json:"amount"`
	OutTradeNo    string    `json:"out_trade_no"`
	AppID         string    `json:"app_id"`
	Status        string    `json:"status"`
	Packet        uint64    `json:"packet,omitempty"`
	PrepayID      string    `json:"prepay_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	Deadline      time.Time `json:"deadline"`
	PaidAt        time.Time `json:"paid_at,omitzero"`
	TransactionID string    `json:"transaction_id,omitempty"`
	Queries       int       `json:"queries,omitempty"`
	Refunded      int64     `json:"refunded,omitempty"` // fen of top-up refunds not credited back
}

// Order is a payment order as the API shows it to its payer.
type Order struct {
	ID         string     `json:"order_id"`
	OutTradeNo string     `json:"out_trade_no"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Amount     int64      `json:"amount"`
	PacketID   *string    `json:"packet_id"`
	CreatedAt  time.Time  `json:"created_at"`
	PaidAt     *time.Time `json:"paid_at"`
	PayParams  *PayParams `json:"pay_params"`
}

func loadOrder(tx data.Tx, seq uint64) (order, bool, error) {
	var o order
	found, err := data.GetJSON(data.MustBucket(tx, bucketOrders), data.U64(seq), &o)
	if err != nil {
		return o, found, fmt.Errorf("order %d: %w", seq, err)
	}
	return o, found, nil
}

func putOrder(tx data.Tx, seq uint64, o order) error {
	return data.PutJSON(data.MustBucket(tx, bucketOrders), data.U64(seq), o)
}

// outTradeNo derives the merchant order number from the order's public id:
// "LB" and 26 upper-case base32 characters (WeChat allows 6..32 of [0-9A-Za-z_-|*]).
func outTradeNo(seq, tag uint64) string { return "LB" + strings.ToUpper(data.EncodeID(seq, tag)) }

// newOrder creates a pending payment order inside tx and schedules its
// first query. It returns the order's sequence.
func (s *Service) newOrder(tx data.Tx, o order) (uint64, order, error) {
	b := data.MustBucket(tx, bucketOrders)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, o, fmt.Errorf("new order: %w", err)
	}
	o.OutTradeNo = outTradeNo(seq, o.Tag)
	o.Status = OrderPending
	o.AppID = s.opts.Payments.AppID()
	if err := putOrder(tx, seq, o); err != nil {
		return 0, o, err
	}
	if err := data.MustBucket(tx, bucketOrdersByNo).Put([]byte(o.OutTradeNo), data.U64(seq)); err != nil {
		return 0, o, fmt.Errorf("new order: index: %w", err)
	}
	return seq, o, s.db.Schedule(tx, o.CreatedAt.Add(s.opts.QueryAfter), duePayQuery, data.U64(seq))
}

// prepay places a created order with WeChat Pay and records its prepay_id.
// If WeChat Pay refuses, the order is closed.
func (s *Service) prepay(ctx context.Context, seq uint64, o order, payer auth.User, description, attach string) (PayParams, error) {
	id, err := s.opts.Payments.Prepay(ctx, PrepayRequest{
		OutTradeNo: o.OutTradeNo, Description: description, PayerOpenID: payer.OpenID, Attach: attach, Total: o.Amount,
	})
	if err != nil {
		if cerr := s.setOrderStatus(context.WithoutCancel(ctx), seq, OrderPending, OrderClosed, ""); cerr != nil {
			s.log.Error("payment: close order after failed prepay", "order", o.OutTradeNo, "err", cerr)
		}
		return PayParams{}, fmt.Errorf("prepay order %s: %w", o.OutTradeNo, err)
	}
	if err := s.setOrderStatus(ctx, seq, OrderPending, OrderPending, id); err != nil {
		return PayParams{}, err
	}
	pp, err := s.opts.Payments.PayParams(id)
	if err != nil {
		return PayParams{}, fmt.Errorf("payment params of order %s: %w", o.OutTradeNo, err)
	}
	return pp, nil
}

// setOrderStatus moves an order from status from to status to (and records a
// prepay_id if given); it does nothing if the order is in another status.
func (s *Service) setOrderStatus(ctx context.Context, seq uint64, from, to, prepayID string) error {
	err := s.db.Update(ctx, func(tx data.Tx) error {
		o, found, err := loadOrder(tx, seq)
		if err != nil || !found || o.Status != from {
			return err
		}
		o.Status = to
		if prepayID != "" {
			o.PrepayID = prepayID
		}
		return putOrder(tx, seq, o)
	})
	if err != nil {
		return fmt.Errorf("update order: %w", err)
	}
	return nil
}

func (s *Service) errNoPayments() error {
	return data.Errorf(data.EConflict, "WeChat Pay is not configured on this server")
}

// Topup creates a top-up order of amount fen for user and places it with
// WeChat Pay. The balance is credited when the payment notification arrives.
func (s *Service) Topup(ctx context.Context, user auth.User, amount int64) (Order, error) {
	if amount < 1 || amount > s.opts.MaxTopup {
		return Order{}, data.Invalid("amount", "must be 1..%d fen", s.opts.MaxTopup)
	}
	if s.opts.Payments == nil {
		return Order{}, s.errNoPayments()
	}
	tag, err := data.NewTag(s.opts.Rand)
	if err != nil {
		return Order{}, fmt.Errorf("top-up: %w", err)
	}
	now := s.now().UTC()
	var seq uint64
	var o order
	err = s.db.Update(ctx, func(tx data.Tx) error {
		var err error
		seq, o, err = s.newOrder(tx, order{Tag: tag, Kind: OrderTopup, User: user.Seq, Amount: amount,
			CreatedAt: now, Deadline: now.Add(s.opts.PayWindow)})
		return err
	})
	if err != nil {
		return Order{}, fmt.Errorf("top-up: %w", err)
	}
	pp, err := s.prepay(ctx, seq, o, user, "luckbox 钱包充值", "topup")
	if err != nil {
		return Order{}, err
	}
	out := orderView(seq, o, 0)
	out.PayParams = &pp
	return out, nil
}

func orderView(seq uint64, o order, packetTag uint64) Order {
	v := Order{ID: data.EncodeID(seq, o.Tag), OutTradeNo: o.OutTradeNo, Kind: o.Kind, Status: o.Status,
		Amount: o.Amount, CreatedAt: o.CreatedAt.UTC()}
	if o.Packet != 0 {
		id := data.EncodeID(o.Packet, packetTag)
		v.PacketID = &id
	}
	if !o.PaidAt.IsZero() {
		t := o.PaidAt.UTC()
		v.PaidAt = &t
	}
	return v
}

// TopupOrder returns the user's top-up order with public id; another user's order
// is not found. A pending order carries fresh payment parameters.
func (s *Service) TopupOrder(ctx context.Context, userSeq uint64, id string) (Order, error) {
	seq, tag, ok := data.DecodeID(id)
	var o order
	var found bool
	if ok {
		err := s.db.View(func(tx data.Tx) error {
			var err error
			o, found, err = loadOrder(tx, seq)
			return err
		})
		if err != nil {
			return Order{}, fmt.Errorf("top-up order: %w", err)
		}
	}
	if !found || o.Tag != tag || o.User != userSeq || o.Kind != OrderTopup {
		return Order{}, data.Errorf(data.ENotFound, "no such top-up order")
	}
	v := orderView(seq, o, 0)
	if o.Status == OrderPending && o.PrepayID != "" && s.opts.Payments != nil {
		pp, err := s.opts.Payments.PayParams(o.PrepayID)
		if err != nil {
			return Order{}, fmt.Errorf("top-up order: %w", err)
		}
		v.PayParams = &pp
	}
	return v, nil
}
