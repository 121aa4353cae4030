package packet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"luckbox/data"
)

// ApplyTransfer applies a verified transfer bill state (a notification, or
// an answer to a transfer, query or cancel) to its withdrawal, in one
// operation, exactly once: SUCCESS pays the held amount out (a ledger row,
// money out), FAIL and CANCELLED return it to the balance (a ledger row);
// a state that is not final records WeChat Pay's state, bill number and
// package_info. A final withdrawal never changes again, and a state never
// goes back to an earlier one (a late answer or a replayed notification):
// applied is false then. An unknown bill is not_found; an amount or openid
// that differs from the withdrawal's is invalid_argument; both change
// nothing and are logged.
func (s *Service) ApplyTransfer(ctx context.Context, b TransferBill) (applied bool, err error) {
	now := s.now().UTC()
	err = s.db.Update(ctx, func(tx data.Tx) error {
		applied = false
		seq := data.ParseU64(data.MustBucket(tx, bucketWithdrawalsByNo).Get([]byte(b.OutBillNo)))
		w, found, err := loadWithdrawal(tx, seq)
		switch {
		case err != nil:
			return err
		case seq == 0 || !found:
			return data.Errorf(data.ENotFound, "no withdrawal with out_bill_no %q", b.OutBillNo)
		case b.Amount != 0 && b.Amount != w.Amount:
			return data.Errorf(data.EInvalid, "amount %d does not match the withdrawal's %d", b.Amount, w.Amount)
		case b.OpenID != "" && b.OpenID != w.OpenID:
			return data.Errorf(data.EInvalid, "openid does not match the withdrawal's")
		case w.final():
			if rank, ok := transferRank[b.State]; ok && rank == 9 && b.State != w.State {
				s.log.Error("withdrawal: a final transfer reported another final state; kept the first",
					"out_bill_no", w.OutBillNo, "kept", w.State, "reported", b.State)
			}
			return nil
		}
		rank, known := transferRank[b.State]
		if !known {
			return data.Errorf(data.EInvalid, "unknown transfer state %q", b.State)
		}
		if rank < transferRank[w.State] {
			return nil // out of order: an earlier state reported late
		}
		if b.TransferBillNo != "" {
			w.TransferBillNo = b.TransferBillNo
		}
		if b.PackageInfo != "" {
			w.PackageInfo = b.PackageInfo
		}
		if b.FailReason != "" {
			w.FailReason = b.FailReason
		}
		w.State = b.State
		if err := s.settle(tx, seq, &w, now); err != nil {
			return err
		}
		applied = true
		return putWithdrawal(tx, seq, w)
	})
	if data.IsRejection(err) {
		s.log.Warn("withdrawal: transfer state rejected, nothing changed", "out_bill_no", b.OutBillNo,
			"state", b.State, "reason", err.Error())
	}
	if err != nil {
		return false, fmt.Errorf("apply transfer %s: %w", b.OutBillNo, err)
	}
	return applied, nil
}

// settle finishes a withdrawal whose state w.State became final, inside
// tx (the caller writes w): the held money leaves (SUCCESS) or returns to
// the balance (FAIL, CANCELLED).
func (s *Service) settle(tx data.Tx, seq uint64, w *withdrawal, now time.Time) error {
	switch w.State {
	case TransferSuccess:
		w.Status = WithdrawSucceeded
		if err := moveMoney(tx, w.User, 0, LedgerWithdrawPaid, seq, w.Tag, now); err != nil {
			return err
		}
		if err := addCounter(tx, counterMoneyOut, w.Amount); err != nil {
			return err
		}
	case TransferFail, TransferCancelled:
		w.Status = WithdrawFailed
		if w.State == TransferCancelled {
			w.Status = WithdrawCancelled
		}
		if err := moveMoney(tx, w.User, w.Amount, LedgerWithdrawReturn, seq, w.Tag, now); err != nil {
			return err
		}
	default:
		return nil
	}
	w.FinishedAt = now
	w.PackageInfo = ""
	return nil
}

// deliverTransfer is the outbox handler of a transfer request, the only
// sender of transfers: it sends the withdrawal's transfer to WeChat Pay
// (again, after a crash or a failed attempt: the out_bill_no makes it the
// same bill) and applies the answer. A refused request fails the withdrawal
// (the money returns). A withdrawal with a cancel request is not sent: its
// bill is queried instead (an earlier attempt may have created it).
func (s *Service) deliverTransfer(ctx context.Context, m data.Message) error {
	var msg transferMessage
	if err := json.Unmarshal(m.Payload, &msg); err != nil {
		return data.Permanent(fmt.Errorf("transfer message: %w", err))
	}
	var w withdrawal
	var found bool
	err := s.db.View(func(tx data.Tx) error {
		var err error
		w, found, err = loadWithdrawal(tx, msg.Seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	t := s.opts.Withdraw.Transfers
	if !found || w.final() || w.State != "" || t == nil {
		return nil // answered already, or settled
	}
	if w.CancelRequested {
		// Cancelled before an answer: an earlier attempt may have reached
		// WeChat Pay. No bill there: this handler, the only sender, will not
		// send it, so the money returns; a bill: its state applies and it
		// is cancelled if it waits for the user.
		b, err := t.QueryTransfer(ctx, w.OutBillNo)
		if errors.Is(err, ErrTransferNotExist) {
			return s.cancelUnsent(ctx, msg.Seq)
		}
		if err != nil {
			return fmt.Errorf("query transfer %s of a cancel request: %w", w.OutBillNo, err)
		}
		return s.applyAnswer(ctx, msg.Seq, b)
	}
	b, err := t.Transfer(ctx, TransferRequest{OutBillNo: w.OutBillNo, OpenID: w.OpenID, Amount: w.Amount, Remark: withdrawRemark})
	if errors.Is(err, ErrTransferRefused) {
		s.log.Warn("withdrawal: transfer refused; the money returns", "out_bill_no", w.OutBillNo, "err", err)
		_, err = s.ApplyTransfer(ctx, TransferBill{OutBillNo: w.OutBillNo, State: TransferFail, FailReason: "refused by WeChat Pay"})
		return err
	}
	if err != nil {
		return fmt.Errorf("transfer %s: %w", w.OutBillNo, err)
	}
	return s.applyAnswer(ctx, msg.Seq, b)
}

// applyAnswer applies an answer of WeChat Pay about a bill. A bill that
// waits for the user while its withdrawal has a cancel request is cancelled
// at WeChat Pay (cancelBill); so is one whose withdrawal was settled
// cancelled meanwhile (a sender's request still on its way when the bill
// was found missing), so nobody can confirm it.
func (s *Service) applyAnswer(ctx context.Context, seq uint64, b TransferBill) error {
	if _, err := s.ApplyTransfer(ctx, b); err != nil {
		return err
	}
	w, err := s.withdrawalAt(seq)
	if err != nil {
		return err
	}
	switch {
	case !w.final() && w.CancelRequested && w.State == TransferWaitUserConfirm:
		return s.cancelBill(ctx, w.OutBillNo)
	case w.final() && w.State == TransferCancelled && b.State == TransferWaitUserConfirm:
		if _, err := s.opts.Withdraw.Transfers.CancelTransfer(ctx, b.OutBillNo); err != nil && !errors.Is(err, ErrTransferNotCancelable) {
			return fmt.Errorf("cancel transfer %s of a cancelled withdrawal: %w", b.OutBillNo, err)
		}
	}
	return nil
}

// cancelBill cancels a bill waiting for the user at WeChat Pay and applies
// the answer (CANCELING: the money returns when the bill is CANCELLED). If
// the user confirmed first (not cancelable), the bill's state is queried
// and applied: the transfer goes on and the money leaves once.
func (s *Service) cancelBill(ctx context.Context, outBillNo string) error {
	t := s.opts.Withdraw.Transfers
	b, err := t.CancelTransfer(ctx, outBillNo)
	if errors.Is(err, ErrTransferNotCancelable) {
		b, err = t.QueryTransfer(ctx, outBillNo)
	}
	if err != nil {
		return fmt.Errorf("cancel transfer %s: %w", outBillNo, err)
	}
	if _, err := s.ApplyTransfer(ctx, b); err != nil {
		return err
	}
	return nil
}

// withdrawalAt reads withdrawal seq.
func (s *Service) withdrawalAt(seq uint64) (withdrawal, error) {
	var w withdrawal
	err := s.db.View(func(tx data.Tx) error {
		var err error
		w, _, err = loadWithdrawal(tx, seq)
		return err
	})
	return w, err
}

// handleWithdrawQuery runs when a withdrawal is not final QueryAfter after
// its creation (and again, backing off): it queries the bill and applies
// its state (applyAnswer: a bill waiting for the user with a cancel request
// is cancelled). Past ConfirmBy it records a cancel request first, as a
// user's cancel does. A bill WeChat Pay does not know is left to the
// outbox, the only sender: the request may still be on its way, and only
// the sender knows it will not send it (it settles a cancel request).
func (s *Service) handleWithdrawQuery(ctx context.Context, d data.Due) error {
	seq := data.ParseU64(d.Ref)
	w, err := s.withdrawalAt(seq)
	t := s.opts.Withdraw.Transfers
	if err != nil || w.OutBillNo == "" || w.final() || t == nil {
		return err
	}
	now := s.now().UTC()
	if !now.Before(w.ConfirmBy) && !w.CancelRequested {
		if _, err := s.requestCancel(ctx, seq, false); err != nil {
			if data.IsRejection(err) {
				return nil // settled meanwhile
			}
			return err
		}
	}
	b, err := t.QueryTransfer(ctx, w.OutBillNo)
	switch {
	case errors.Is(err, ErrTransferNotExist):
		return s.scheduleWithdrawQuery(ctx, seq, now)
	case err != nil:
		return fmt.Errorf("query transfer %s: %w", w.OutBillNo, err)
	}
	if err := s.applyAnswer(ctx, seq, b); err != nil {
		if data.IsRejection(err) {
			// Rejected and logged (an answer that does not match, a state this
			// server does not know): ask again later, backing off, rather than
			// leave the money held with nobody asking.
			return s.scheduleWithdrawQuery(ctx, seq, now)
		}
		return err
	}
	if b.Final() {
		return nil
	}
	return s.scheduleWithdrawQuery(ctx, seq, now)
}

// Final reports whether the bill's state is final.
func (b TransferBill) Final() bool { return transferRank[b.State] == 9 }

// cancelUnsent cancels a withdrawal whose transfer WeChat Pay does not have
// and never will (only the sender, deliverTransfer, knows that): its money
// returns; a withdrawal answered meanwhile is left.
func (s *Service) cancelUnsent(ctx context.Context, seq uint64) error {
	now := s.now().UTC()
	err := s.db.Update(ctx, func(tx data.Tx) error {
		w, found, err := loadWithdrawal(tx, seq)
		if err != nil || !found || w.final() || w.State != "" {
			return err
		}
		w.State, w.FailReason = TransferCancelled, "cancelled before WeChat Pay received it"
		if err := s.settle(tx, seq, &w, now); err != nil {
			return err
		}
		return putWithdrawal(tx, seq, w)
	})
	if err != nil {
		return fmt.Errorf("cancel unsent withdrawal %d: %w", seq, err)
	}
	return nil
}

// scheduleWithdrawQuery schedules the next query of a pending withdrawal,
// backing off from QueryAfter to maxQueryDelay, and not after its ConfirmBy
// while that is ahead.
func (s *Service) scheduleWithdrawQuery(ctx context.Context, seq uint64, now time.Time) error {
	err := s.db.Update(ctx, func(tx data.Tx) error {
		w, found, err := loadWithdrawal(tx, seq)
		if err != nil || !found || w.final() {
			return err
		}
		w.Queries++
		at := now.Add(min(s.opts.QueryAfter<<min(w.Queries, 5), maxQueryDelay))
		if now.Before(w.ConfirmBy) && at.After(w.ConfirmBy) {
			at = w.ConfirmBy
		}
		if err := putWithdrawal(tx, seq, w); err != nil {
			return err
		}
		return s.db.Schedule(tx, at, dueWithdrawQuery, data.U64(seq))
	})
	if err != nil {
		return fmt.Errorf("schedule withdrawal query: %w", err)
	}
	return nil
}

// CheckWithdrawal runs the query of the withdrawal with public id id now
// (tests and tools; the scheduler does it on its own).
func (s *Service) CheckWithdrawal(ctx context.Context, id string) error {
	seq, _, err := s.lookupWithdrawal(0, id)
	if err != nil {
		return err
	}
	return s.handleWithdrawQuery(ctx, data.Due{At: s.now(), Kind: dueWithdrawQuery, Ref: data.U64(seq)})
}

// requestCancel records a cancel request on pending withdrawal seq in one
// operation (a final one is a conflict, before any write); with
// onlyUnanswered, one answered meanwhile is left as it is. It returns the
// withdrawal as stored.
func (s *Service) requestCancel(ctx context.Context, seq uint64, onlyUnanswered bool) (withdrawal, error) {
	var w withdrawal
	err := s.db.Update(ctx, func(tx data.Tx) error {
		var found bool
		var err error
		w, found, err = loadWithdrawal(tx, seq)
		switch {
		case err != nil:
			return err
		case !found:
			return data.Errorf(data.ENotFound, "no such withdrawal")
		case w.final():
			return data.Errorf(data.EConflict, "the withdrawal is already %s", w.Status)
		case w.CancelRequested || (onlyUnanswered && w.State != ""):
			return nil
		}
		w.CancelRequested = true
		return putWithdrawal(tx, seq, w)
	})
	if err != nil {
		return w, fmt.Errorf("cancel request of withdrawal %d: %w", seq, err)
	}
	return w, nil
}

// CancelWithdrawal cancels the user's pending withdrawal. One whose
// transfer request has no answer yet (it may be on its way to WeChat Pay)
// only gets a cancel request: the answer shows it pending with
// cancel_requested, the money stays held, and it returns once WeChat Pay
// cannot pay the bill (see deliverTransfer and applyAnswer). A bill waiting
// for the user's confirmation is cancelled at WeChat Pay (the answer says
// CANCELING; the money returns when the bill is CANCELLED). A final
// withdrawal, or one the user already confirmed, is a conflict.
func (s *Service) CancelWithdrawal(ctx context.Context, userSeq uint64, id string) (Withdrawal, error) {
	seq, w, err := s.lookupWithdrawal(userSeq, id)
	if err != nil {
		return Withdrawal{}, err
	}
	if w.final() {
		return Withdrawal{}, data.Errorf(data.EConflict, "the withdrawal is already %s", w.Status)
	}
	if s.opts.Withdraw.Transfers == nil {
		return Withdrawal{}, data.Errorf(data.EConflict, "withdrawals are not configured on this server")
	}
	if w.State == "" {
		if w, err = s.requestCancel(ctx, seq, true); err != nil {
			return Withdrawal{}, err
		}
		if w.State == "" {
			return s.withdrawalView(seq, w), nil
		}
	}
	b, err := s.opts.Withdraw.Transfers.CancelTransfer(ctx, w.OutBillNo)
	if errors.Is(err, ErrTransferNotCancelable) {
		return Withdrawal{}, data.Errorf(data.EConflict, "the transfer can no longer be cancelled")
	}
	if err != nil {
		return Withdrawal{}, fmt.Errorf("cancel withdrawal: %w", err)
	}
	if _, err := s.ApplyTransfer(ctx, b); err != nil {
		return Withdrawal{}, fmt.Errorf("cancel withdrawal: %w", err)
	}
	if w, err = s.withdrawalAt(seq); err != nil {
		return Withdrawal{}, fmt.Errorf("cancel withdrawal: %w", err)
	}
	return s.withdrawalView(seq, w), nil
}
