package packet

import (
	"context"
	"fmt"
	"time"

	"luckbox/data"
)

// ApplyPayment applies a verified transaction (a payment notification or an
// order query) to its payment order, in one operation, exactly once: a top-up
// credits the payer's balance; a packet order funds the packet, credits the
// grabs made while it was pending and makes it active (finished if every
// share is taken; expired with the remainder refunded to the sender's
// balance if it expired meanwhile). A transaction that is not paid, or an
// order already paid, changes nothing (applied is false). An unknown order is
// not_found; an amount or app id that differs from the order's is
// invalid_argument; both change nothing and are logged.
func (s *Service) ApplyPayment(ctx context.Context, t Transaction) (applied bool, err error) {
	if t.TradeState != TradeSuccess {
		return false, nil
	}
	now := s.now().UTC()
	err = s.db.Update(ctx, func(tx data.Tx) error {
		applied = false
		seq := data.ParseU64(data.MustBucket(tx, bucketOrdersByNo).Get([]byte(t.OutTradeNo)))
		o, found, err := loadOrder(tx, seq)
		switch {
		case err != nil:
			return err
		case seq == 0 || !found:
			return data.Errorf(data.ENotFound, "no payment order %q", t.OutTradeNo)
		case o.Status == OrderPaid:
			return nil // a duplicate: WeChat Pay retries, or a query raced the notification
		case t.Total != o.Amount:
			return data.Errorf(data.EInvalid, "amount %d does not match the order's %d", t.Total, o.Amount)
		case t.AppID != o.AppID:
			return data.Errorf(data.EInvalid, "app id does not match the order's")
		}
		o.Status, o.PaidAt, o.TransactionID = OrderPaid, now, t.TransactionID
		if err := putOrder(tx, seq, o); err != nil {
			return err
		}
		if err := addCounter(tx, counterMoneyIn, o.Amount); err != nil {
			return err
		}
		switch o.Kind {
		case OrderTopup:
			if err := moveMoney(tx, o.User, o.Amount, LedgerTopup, seq, o.Tag, now); err != nil {
				return err
			}
			s.db.Activity(tx, ActivityTopups, 1)
		case OrderPacket:
			if err := s.fund(tx, o.Packet, o.Amount, now); err != nil {
				return err
			}
		default:
			return fmt.Errorf("order %d has unknown kind %q", seq, o.Kind)
		}
		applied = true
		return nil
	})
	if data.IsRejection(err) {
		s.log.Warn("payment: transaction rejected, nothing changed", "out_trade_no", t.OutTradeNo,
			"transaction_id", t.TransactionID, "reason", err.Error())
	}
	if err != nil {
		return false, fmt.Errorf("apply payment %s: %w", t.OutTradeNo, err)
	}
	return applied, nil
}

// fund puts a WeChat-paid packet's money in escrow inside tx: the grabs made
// while it was not funded are credited (in grab order), then it becomes
// finished (every share taken), expired (remainder refunded to the sender's
// balance) or active.
func (s *Service) fund(tx data.Tx, seq uint64, amount int64, now time.Time) error {
	st, found, err := loadState(tx, seq)
	if err != nil {
		return err
	}
	if !found || st.Funded || st.Amount != amount {
		return fmt.Errorf("fund packet %d: found %v, funded %v, amount %d for a payment of %d", seq, found, st.Funded, st.Amount, amount)
	}
	st.Funded = true
	// The grabs not credited yet, in grab order: the chain runs from the
	// latest back, so collect them first.
	type pendingGrab struct {
		user uint64
		g    grabRec
	}
	pending := make([]pendingGrab, st.Next-st.Credited)
	err = grabChain(tx, seq, &st, st.Credited, func(user uint64, g grabRec) error {
		pending[g.Index-st.Credited] = pendingGrab{user, g}
		return nil
	})
	if err != nil {
		return err
	}
	shares := loadShares(tx, seq)
	for _, p := range pending {
		if err := moveMoney(tx, p.user, shares[p.g.Index], LedgerPacketGrab, seq, st.Tag, now); err != nil {
			return err
		}
	}
	var last grabRec // the latest grab (for the finish time)
	if st.Next > 0 {
		if last, _, err = grabOf(tx, st.Last, seq); err != nil {
			return err
		}
	}
	st.Credited = st.Next
	switch {
	case st.Next == st.Count:
		if err := s.finish(tx, seq, &st, time.Unix(0, last.At)); err != nil {
			return err
		}
	case st.expired(now):
		if err := s.refund(tx, seq, &st, now); err != nil {
			return err
		}
	default:
		st.Status = StatusActive
	}
	return putState(tx, seq, &st)
}

// finish marks a funded packet whose last share was taken at at as finished
// and tells its sender (the caller writes the state).
func (s *Service) finish(tx data.Tx, seq uint64, st *state, at time.Time) error {
	st.Status = StatusFinished
	st.FinishedAt = at.UnixNano()
	if st.Kind == KindLucky {
		st.Best = uint32(bestIndex(loadShares(tx, seq))) + 1
	}
	return s.notifySender(tx, seq, st)
}

// refund expires a packet: a funded remainder goes back to the payer of a
// WeChat-paid packet as a WeChat Pay refund (refundToPayer), or else to the
// sender's balance with a ledger row, and the sender is told (the caller
// writes the state).
func (s *Service) refund(tx data.Tx, seq uint64, st *state, now time.Time) error {
	if st.Funded && st.RemainingAmount > 0 {
		toPayer, err := s.refundToPayer(tx, seq, st, now)
		if err != nil {
			return err
		}
		if !toPayer {
			if err := moveMoney(tx, st.Sender, st.RemainingAmount, LedgerPacketRefund, seq, st.Tag, now); err != nil {
				return err
			}
		}
		st.Refunded = st.RemainingAmount
		st.RemainingAmount = 0
		s.db.Count(tx, CountRefunds, 1)
	}
	st.Status = StatusExpired
	return s.notifySender(tx, seq, st)
}

// CountRefunds is the data.DB.Count counter of committed expiry refunds (the
// luckbox_packet_refunds_total metric).
const CountRefunds = "packet_refunds"

// ActivityGrabs and ActivityTopups are the data.DB.Activity series of
// committed grabs and paid top-ups (the admin activity chart).
const (
	ActivityGrabs  = "packet_grabs"
	ActivityTopups = "wallet_topups"
)
