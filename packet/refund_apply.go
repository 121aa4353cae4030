package packet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"luckbox/data"
)

// maxRefundQueryDelay bounds the backoff of refund queries.
const maxRefundQueryDelay = time.Hour

// handleRefundSend is the outbox handler of refund requests: it sends the
// current attempt of a requested refund to WeChat Pay (again, after a crash
// or an error: the same out_refund_no is the same refund) and applies the
// answer. A refund no longer requested, or a message of an older attempt,
// is done.
func (s *Service) handleRefundSend(ctx context.Context, m data.Message) error {
	var msg refundMsg
	if err := json.Unmarshal(m.Payload, &msg); err != nil {
		return data.Permanent(fmt.Errorf("refund message: %w", err))
	}
	r, found, err := s.viewRefund(msg.Seq)
	if err != nil {
		return err
	}
	if !found || r.Status != RefundRequested || r.OutRefundNo != msg.OutRefundNo || s.opts.Refunds == nil {
		return nil
	}
	st, err := s.opts.Refunds.Refund(ctx, RefundRequest{OutTradeNo: r.OutTradeNo, OutRefundNo: r.OutRefundNo,
		Reason: r.Reason, Refund: r.Amount, Total: r.OrderTotal})
	if errors.Is(err, ErrRefundRejected) {
		s.log.Warn("refund: request rejected by WeChat Pay; closed, for the admin to retry or credit",
			"out_refund_no", r.OutRefundNo, "err", err)
		_, err = s.applyRefund(ctx, RefundState{OutRefundNo: r.OutRefundNo, Status: WxRefundClosed}, "request", err.Error())
		return err
	}
	if err != nil {
		return fmt.Errorf("refund %s: %w", r.OutRefundNo, err)
	}
	_, err = s.applyRefund(ctx, st, "request", "")
	if data.IsRejection(err) {
		return data.Permanent(err)
	}
	return err
}

// viewRefund reads refund seq in a read view.
func (s *Service) viewRefund(seq uint64) (r refundRec, found bool, err error) {
	err = s.db.View(func(tx data.Tx) error {
		r, found, err = loadRefund(tx, seq)
		return err
	})
	return r, found, err
}

// ApplyRefund applies a verified refund state (a decrypted refund
// notification) to its refund, in one operation: a refund WeChat Pay
// accepted becomes processing; a successful one leaves refunds in flight
// and the system (money out); a closed or abnormal one waits for the admin
// (a top-up refund that closed returns to the balance at once). A refund
// state never moves back: a duplicate, a stale attempt's or an out-of-order
// notification changes nothing (applied is false). An unknown refund is
// not_found, an amount that differs is invalid_argument: both change
// nothing and are logged.
func (s *Service) ApplyRefund(ctx context.Context, st RefundState) (applied bool, err error) {
	return s.applyRefund(ctx, st, "notification", "")
}

// wxRefundStatus maps WeChat Pay's refund status to ours.
var wxRefundStatus = map[string]string{
	WxRefundProcessing: RefundProcessing, WxRefundSuccess: RefundSuccess,
	WxRefundClosed: RefundClosed, WxRefundAbnormal: RefundAbnormal,
}

func (s *Service) applyRefund(ctx context.Context, st RefundState, source, note string) (applied bool, err error) {
	to, ok := wxRefundStatus[st.Status]
	if !ok {
		return false, data.Errorf(data.EInvalid, "unknown refund status %q", st.Status)
	}
	now := s.now().UTC()
	err = s.db.Update(ctx, func(tx data.Tx) error {
		applied = false
		seq := data.ParseU64(data.MustBucket(tx, bucketRefundsByNo).Get([]byte(st.OutRefundNo)))
		r, found, err := loadRefund(tx, seq)
		switch {
		case err != nil:
			return err
		case seq == 0 || !found:
			return data.Errorf(data.ENotFound, "no refund %q", st.OutRefundNo)
		case st.Refund != 0 && st.Refund != r.Amount:
			return data.Errorf(data.EInvalid, "refund amount %d does not match the refund's %d", st.Refund, r.Amount)
		case r.OutRefundNo != st.OutRefundNo, !r.pending(), to == r.Status,
			to == RefundProcessing && r.Status != RefundRequested:
			return nil // an older attempt's, a duplicate, or behind what we know
		}
		if st.RefundID != "" {
			r.RefundID = st.RefundID
		}
		r.step(now, to, source, note)
		if err := s.settleRefund(tx, seq, &r, now); err != nil {
			return err
		}
		applied = true
		return putRefund(tx, seq, r)
	})
	if data.IsRejection(err) {
		s.log.Warn("refund: state rejected, nothing changed", "out_refund_no", st.OutRefundNo,
			"status", st.Status, "reason", err.Error())
	}
	if err != nil {
		return false, fmt.Errorf("apply refund %s: %w", st.OutRefundNo, err)
	}
	return applied, nil
}

// settleRefund moves the money of a refund that just reached r.Status: a
// success leaves refunds in flight and the system; a closed top-up refund
// returns to the balance (credited). Others keep their money in flight.
func (s *Service) settleRefund(tx data.Tx, seq uint64, r *refundRec, now time.Time) error {
	switch {
	case r.Status == RefundSuccess:
		for _, c := range []struct {
			name  []byte
			delta int64
		}{{counterRefundsHeld, -r.Amount}, {counterRefundedOut, r.Amount}, {counterMoneyOut, r.Amount}} {
			if err := addCounter(tx, c.name, c.delta); err != nil {
				return err
			}
		}
		return nil
	case r.Status == RefundClosed && r.Kind == RefundTopup:
		r.step(now, RefundCredited, "credit", "closed by WeChat Pay: returned to the balance")
		return s.creditRefund(tx, seq, r, now)
	}
	return nil
}

// creditRefund returns a refund's money from refunds in flight to its
// user's balance with a ledger row, inside tx (the caller sets the status
// and writes the refund). A top-up refund gives its amount back to the
// top-up, which can be refunded again.
func (s *Service) creditRefund(tx data.Tx, seq uint64, r *refundRec, now time.Time) error {
	if err := addCounter(tx, counterRefundsHeld, -r.Amount); err != nil {
		return err
	}
	if r.Kind == RefundTopup {
		o, found, err := loadOrder(tx, r.OrderSeq)
		if err != nil || !found {
			return fmt.Errorf("refund %d: order %d: found %v: %w", seq, r.OrderSeq, found, err)
		}
		o.Refunded -= r.Amount
		if err := putOrder(tx, r.OrderSeq, o); err != nil {
			return err
		}
	}
	return moveMoney(tx, r.User, r.Amount, LedgerRefundReturn, seq, r.Tag, now)
}

// handleRefundQuery runs when a refund's notification is overdue: it asks
// WeChat Pay for the refund's state and applies it as a notification would.
// A refund WeChat Pay does not know (the request never reached it) is sent
// again; one still processing is asked again later, backing off.
func (s *Service) handleRefundQuery(ctx context.Context, d data.Due) error {
	seq := data.ParseU64(d.Ref)
	r, found, err := s.viewRefund(seq)
	if err != nil {
		return fmt.Errorf("query refund: %w", err)
	}
	if !found || !r.pending() || s.opts.Refunds == nil {
		return nil
	}
	st, err := s.opts.Refunds.QueryRefund(ctx, r.OutRefundNo)
	switch {
	case errors.Is(err, ErrRefundNotExist):
		if err := s.handleRefundSend(ctx, data.Message{Payload: mustJSON(refundMsg{Seq: seq, OutRefundNo: r.OutRefundNo})}); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("query refund %s: %w", r.OutRefundNo, err)
	default:
		if _, err := s.applyRefund(ctx, st, "query", ""); err != nil {
			if data.IsRejection(err) {
				return nil // rejected (and logged): querying again would not change it
			}
			return err
		}
	}
	return s.scheduleRefundQuery(ctx, seq)
}

// mustJSON encodes a value that always encodes.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// scheduleRefundQuery schedules the next query of a refund still pending,
// backing off from QueryAfter to an hour.
func (s *Service) scheduleRefundQuery(ctx context.Context, seq uint64) error {
	now := s.now().UTC()
	err := s.db.Update(ctx, func(tx data.Tx) error {
		r, found, err := loadRefund(tx, seq)
		if err != nil || !found || !r.pending() {
			return err
		}
		r.Queries++
		if err := putRefund(tx, seq, r); err != nil {
			return err
		}
		at := now.Add(min(s.opts.QueryAfter<<min(r.Queries, 5), maxRefundQueryDelay))
		return s.db.Schedule(tx, at, dueRefundQuery, data.U64(seq))
	})
	if err != nil {
		return fmt.Errorf("schedule refund query: %w", err)
	}
	return nil
}

// QueryRefund runs the overdue-notification query of the refund with this
// out_refund_no now (tests and tools; the scheduler does it on its own).
func (s *Service) QueryRefund(ctx context.Context, outRefundNo string) error {
	var seq uint64
	err := s.db.View(func(tx data.Tx) error {
		seq = data.ParseU64(data.MustBucket(tx, bucketRefundsByNo).Get([]byte(outRefundNo)))
		return nil
	})
	if err != nil {
		return err
	}
	if seq == 0 {
		return data.Errorf(data.ENotFound, "no refund %q", outRefundNo)
	}
	return s.handleRefundQuery(ctx, data.Due{At: s.now(), Kind: dueRefundQuery, Ref: data.U64(seq)})
}
