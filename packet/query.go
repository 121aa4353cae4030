package packet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"luckbox/data"
)

// maxQueryDelay caps the backoff between queries of one order.
const maxQueryDelay = 30 * time.Minute

// handlePayQuery runs when an order's notification is overdue: it asks
// WeChat Pay for the order's state and applies a payment exactly as a
// notification would; an unpaid order is asked again later (backing off) and
// closed once its pay window is over.
func (s *Service) handlePayQuery(ctx context.Context, d data.Due) error {
	seq := data.ParseU64(d.Ref)
	var o order
	var found bool
	err := s.db.View(func(tx data.Tx) error {
		var err error
		o, found, err = loadOrder(tx, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("query order: %w", err)
	}
	if !found || o.Status != OrderPending || s.opts.Payments == nil {
		return nil
	}
	now := s.now().UTC()
	t, err := s.opts.Payments.Query(ctx, o.OutTradeNo)
	switch {
	case errors.Is(err, ErrOrderNotExist):
		// The prepay never reached WeChat Pay (it failed, or we crashed first):
		// nobody can pay this order.
		return s.setOrderStatus(ctx, seq, OrderPending, OrderClosed, "")
	case err != nil:
		return fmt.Errorf("query order %s: %w", o.OutTradeNo, err)
	}
	switch t.TradeState {
	case TradeSuccess:
		_, err := s.ApplyPayment(ctx, t)
		if err != nil && data.IsRejection(err) {
			return nil // rejected (and logged): querying again would not change it
		}
		return err
	case "NOTPAY", "USERPAYING":
		if now.Before(o.Deadline) {
			return s.scheduleQuery(ctx, seq, now)
		}
		if err := s.opts.Payments.Close(ctx, o.OutTradeNo); err != nil {
			// ErrOrderPaid: paid at the last moment; the retry applies it.
			return fmt.Errorf("close order %s: %w", o.OutTradeNo, err)
		}
		return s.setOrderStatus(ctx, seq, OrderPending, OrderClosed, "")
	case "CLOSED", "REVOKED", "PAYERROR":
		return s.setOrderStatus(ctx, seq, OrderPending, OrderClosed, "")
	default:
		s.log.Warn("payment: order in an unexpected state; not querying it again",
			"out_trade_no", o.OutTradeNo, "trade_state", t.TradeState)
		return nil
	}
}

// scheduleQuery schedules the next query of a pending order, backing off
// from QueryAfter to maxQueryDelay, and never later than its deadline.
func (s *Service) scheduleQuery(ctx context.Context, seq uint64, now time.Time) error {
	err := s.db.Update(ctx, func(tx data.Tx) error {
		o, found, err := loadOrder(tx, seq)
		if err != nil || !found || o.Status != OrderPending {
			return err
		}
		o.Queries++
		delay := s.opts.QueryAfter << min(o.Queries, 5)
		at := now.Add(min(delay, maxQueryDelay))
		if at.After(o.Deadline) {
			at = o.Deadline
		}
		if err := putOrder(tx, seq, o); err != nil {
			return err
		}
		return s.db.Schedule(tx, at, duePayQuery, data.U64(seq))
	})
	if err != nil {
		return fmt.Errorf("schedule order query: %w", err)
	}
	return nil
}

// QueryOrder runs the overdue-notification query of the order with this
// out_trade_no now (tests and tools; the scheduler does it on its own).
func (s *Service) QueryOrder(ctx context.Context, outTradeNo string) error {
	var seq uint64
	err := s.db.View(func(tx data.Tx) error {
		seq = data.ParseU64(tx.Bucket(bucketOrdersByNo).Get([]byte(outTradeNo)))
		return nil
	})
	if err != nil {
		return err
	}
	if seq == 0 {
		return data.Errorf(data.ENotFound, "no payment order %q", outTradeNo)
	}
	return s.handlePayQuery(ctx, data.Due{At: s.now(), Kind: duePayQuery, Ref: data.U64(seq)})
}
