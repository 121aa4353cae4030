package packet

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"luckbox/data"
)

// Refund is a refund as the admin API shows it.
type Refund struct {
	ID            string        `json:"refund_id"`
	Kind          string        `json:"kind"`
	Status        string        `json:"status"`
	Amount        int64         `json:"amount"`
	UserSeq       uint64        `json:"user_seq"`
	OrderID       string        `json:"order_id"`
	OutTradeNo    string        `json:"out_trade_no"`
	TransactionID string        `json:"transaction_id"`
	PacketID      *string       `json:"packet_id"`
	Reason        string        `json:"reason"`
	Attempt       int           `json:"attempt"`
	OutRefundNo   string        `json:"out_refund_no"`
	WxRefundID    string        `json:"wx_refund_id"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
	Retryable     bool          `json:"retryable"` // closed or abnormal: retry or credit it
	History       []RefundEvent `json:"history"`
}

// RefundEvent is one step of a refund's history.
type RefundEvent struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Source string    `json:"source"`
	Note   string    `json:"note"`
}

// MaxRefundReason is the longest reason of a top-up refund, in characters
// (WeChat Pay's limit).
const MaxRefundReason = 80

func (s *Service) refundView(tx data.Tx, seq uint64, r refundRec) Refund {
	v := Refund{ID: data.EncodeID(seq, r.Tag), Kind: r.Kind, Status: r.Status, Amount: r.Amount, UserSeq: r.User,
		OutTradeNo: r.OutTradeNo, TransactionID: r.TransactionID, Reason: r.Reason, Attempt: r.Attempt,
		OutRefundNo: r.OutRefundNo, WxRefundID: r.RefundID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Retryable: r.Status == RefundClosed || r.Status == RefundAbnormal, History: make([]RefundEvent, len(r.Events))}
	if o, found, err := loadOrder(tx, r.OrderSeq); err == nil && found {
		v.OrderID = data.EncodeID(r.OrderSeq, o.Tag)
	}
	if r.Packet != 0 {
		if st, found, err := loadState(tx, r.Packet); err == nil && found {
			id := data.EncodeID(r.Packet, st.Tag)
			v.PacketID = &id
		}
	}
	for i, e := range r.Events {
		v.History[i] = RefundEvent{At: e.At.UTC(), Status: e.Status, Source: e.Source, Note: e.Note}
	}
	return v
}

// RefundPage is the default and maximum page size of Refunds.
const RefundPage = 50

// Refunds lists refunds newest first, limit at a time, those in status only
// if status is not empty; cursor is the next cursor of the previous page.
func (s *Service) Refunds(ctx context.Context, status, cursor string, limit int) (items []Refund, next string, err error) {
	if limit <= 0 || limit > RefundPage {
		limit = RefundPage
	}
	switch status {
	case "", RefundRequested, RefundProcessing, RefundSuccess, RefundClosed, RefundAbnormal, RefundCredited:
	default:
		return nil, "", data.Invalid("status", "must be one of requested, processing, success, closed, abnormal, credited")
	}
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	items = []Refund{}
	err = s.db.View(func(tx data.Tx) error {
		next, err = data.NewestFirst(data.MustBucket(tx, bucketRefunds).Cursor(), nil, from, limit, func(seq uint64, v []byte) (bool, error) {
			var r refundRec
			if _, err := data.GetJSON(data.MustBucket(tx, bucketRefunds), data.U64(seq), &r); err != nil {
				return false, err
			}
			if status != "" && r.Status != status {
				return false, nil
			}
			items = append(items, s.refundView(tx, seq, r))
			return true, nil
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("refunds: %w", err)
	}
	return items, next, nil
}

// resolveRefund changes a closed or abnormal refund by its public id, in one
// operation, with change; anything else is a clear rejection.
func (s *Service) resolveRefund(ctx context.Context, id string, change func(tx data.Tx, seq uint64, r *refundRec, now time.Time) error) (Refund, error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return Refund{}, data.Errorf(data.ENotFound, "no such refund")
	}
	now := s.now().UTC()
	var out Refund
	err := s.db.Update(ctx, func(tx data.Tx) error {
		r, found, err := loadRefund(tx, seq)
		switch {
		case err != nil:
			return err
		case !found || r.Tag != tag:
			return data.Errorf(data.ENotFound, "no such refund")
		case r.Status != RefundClosed && r.Status != RefundAbnormal:
			return data.Errorf(data.EConflict, "the refund is %s: only a closed or abnormal refund can be retried or credited", r.Status)
		}
		if err := change(tx, seq, &r, now); err != nil {
			return err
		}
		out = s.refundView(tx, seq, r)
		return nil
	})
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", id, err)
	}
	return out, nil
}

// RetryRefund sends a closed or abnormal refund to WeChat Pay again, as a
// new attempt under a new out_refund_no (WeChat Pay does not reopen a
// closed refund number); its money stays in flight.
func (s *Service) RetryRefund(ctx context.Context, id string) (Refund, error) {
	if s.opts.Refunds == nil {
		return Refund{}, data.Errorf(data.EConflict, "WeChat Pay refunds are not configured on this server")
	}
	return s.resolveRefund(ctx, id, func(tx data.Tx, seq uint64, r *refundRec, now time.Time) error {
		r.Attempt++
		r.Queries = 0
		r.step(now, RefundRequested, "retry", fmt.Sprintf("attempt %d", r.Attempt))
		return s.sendRefund(tx, seq, *r)
	})
}

// CreditRefund gives up on a closed or abnormal refund and credits its
// money to its user's balance instead, with a ledger row.
func (s *Service) CreditRefund(ctx context.Context, id string) (Refund, error) {
	return s.resolveRefund(ctx, id, func(tx data.Tx, seq uint64, r *refundRec, now time.Time) error {
		r.step(now, RefundCredited, "credit", "credited to the balance by an admin")
		if err := s.creditRefund(tx, seq, r, now); err != nil {
			return err
		}
		return putRefund(tx, seq, *r)
	})
}

// RefundTopup refunds amount fen of a paid top-up order (its public id or
// out_trade_no) to the payer through WeChat Pay, for reason. Only the part
// not spent can go: the amount is taken from the user's balance (held in
// refunds in flight, returned if the refund closes), so a balance below it
// is a conflict, as is more than what is left of the top-up.
func (s *Service) RefundTopup(ctx context.Context, orderID string, amount int64, reason string) (Refund, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case amount < 1:
		return Refund{}, data.Invalid("amount", "must be at least 1 fen")
	case reason == "" || utf8.RuneCountInString(reason) > MaxRefundReason:
		return Refund{}, data.Invalid("reason", "must be 1..%d characters", MaxRefundReason)
	case s.opts.Refunds == nil:
		return Refund{}, data.Errorf(data.EConflict, "WeChat Pay refunds are not configured on this server")
	}
	seq, tag, ok := data.DecodeID(strings.ToLower(strings.TrimPrefix(orderID, "LB")))
	if !ok {
		return Refund{}, data.Errorf(data.ENotFound, "no such top-up order")
	}
	now := s.now().UTC()
	var out Refund
	err := s.db.Update(ctx, func(tx data.Tx) error {
		o, found, err := loadOrder(tx, seq)
		if err != nil {
			return err
		}
		if !found || o.Tag != tag || o.Kind != OrderTopup {
			return data.Errorf(data.ENotFound, "no such top-up order")
		}
		if o.Status != OrderPaid {
			return data.Errorf(data.EConflict, "the top-up is %s, not paid: nothing to refund", o.Status)
		}
		if left := o.Amount - o.Refunded; amount > left {
			return data.Errorf(data.EConflict, "only %d fen of this top-up of %d fen are left to refund", left, o.Amount)
		}
		bal, err := balanceIn(tx, o.User)
		if err != nil {
			return err
		}
		if bal < amount {
			return data.Errorf(data.EConflict, "the user's balance is %d fen, less than the %d fen to refund: only the unspent part of a top-up can be refunded",
				bal, amount)
		}
		o.Refunded += amount
		if err := putOrder(tx, seq, o); err != nil {
			return err
		}
		r := refundRec{Kind: RefundTopup, User: o.User, Amount: amount, OrderSeq: seq, OutTradeNo: o.OutTradeNo,
			TransactionID: o.TransactionID, OrderTotal: o.Amount, Reason: reason, UpdatedAt: now}
		rseq, err := s.startRefund(tx, r, "admin")
		if err != nil {
			return err
		}
		r, _, err = loadRefund(tx, rseq)
		if err != nil {
			return err
		}
		if err := moveMoney(tx, o.User, -amount, LedgerRefundHold, rseq, r.Tag, now); err != nil {
			return err
		}
		out = s.refundView(tx, rseq, r)
		return nil
	})
	if err != nil {
		return Refund{}, fmt.Errorf("refund top-up %s: %w", orderID, err)
	}
	return out, nil
}
