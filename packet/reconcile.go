package packet

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"luckbox/data"
)

// Bills downloads WeChat Pay's bills (main adapts the wechat client).
type Bills interface {
	// TradeBill returns the records of the trade bill of date (yyyy-MM-dd,
	// Beijing time), downloaded and checked against its hash.
	TradeBill(ctx context.Context, date string) ([]BillRecord, error)
}

// BillRecord is one record of a trade bill: a payment (OutRefundNo empty)
// or a successful refund.
type BillRecord struct {
	OutTradeNo  string
	OutRefundNo string
	Amount      int64  // fen: the payment's, or the refund's
	State       string // SUCCESS (payment) or REFUND; for refunds the refund status
}

// Kinds of reconciliation mismatches (the label of the
// luckbox_reconcile_mismatches metric).
const (
	MismatchMissingInLuckbox = "missing_in_luckbox" // in the bill, unknown to luckbox
	MismatchMissingInBill    = "missing_in_bill"    // paid or refunded in luckbox that day, not in the bill
	MismatchAmount           = "amount"             // both know it, with different amounts
	MismatchState            = "state"              // the bill says paid / refunded, luckbox does not
)

// MismatchKinds lists every kind of mismatch.
var MismatchKinds = []string{MismatchMissingInLuckbox, MismatchMissingInBill, MismatchAmount, MismatchState}

// Mismatch is one difference between a bill and luckbox's records.
type Mismatch struct {
	Kind   string `json:"kind"`
	Ref    string `json:"ref"` // out_trade_no or out_refund_no
	Bill   int64  `json:"bill_amount"`
	Ours   int64  `json:"luckbox_amount"`
	Detail string `json:"detail"`
}

// Reconciliation is the result of comparing one day's trade bill with
// luckbox's orders and refunds.
type Reconciliation struct {
	Date       string     `json:"date"`
	RanAt      time.Time  `json:"ran_at"`
	BillRows   int        `json:"bill_rows"`
	Payments   int        `json:"payments"` // luckbox orders paid that day
	Refunds    int        `json:"refunds"`  // luckbox refunds that succeeded that day
	Mismatches []Mismatch `json:"mismatches"`
	Error      string     `json:"error"` // the bill could not be had (nothing compared)
}

// bucketReconcile: date (yyyy-MM-dd) → Reconciliation JSON, the newest
// DefaultReconcileKeep days.
var bucketReconcile = []byte("pay_reconciliations")

// DefaultReconcileKeep is how many days of reconciliations are kept.
const DefaultReconcileKeep = 90

// payCST is Beijing time, the time zone of WeChat Pay's bill days.
var payCST = time.FixedZone("CST", 8*60*60)

// ourDay is the bill day of t.
func ourDay(t time.Time) string { return t.In(payCST).Format(time.DateOnly) }

// Reconcile downloads the trade bill of date and compares it with the
// orders paid and the refunds succeeded that day: a record on one side
// only, a different amount, or a bill record of a payment or refund that
// luckbox does not count as done. The result is stored (the newest keep
// days) and returned; a bill that cannot be had is stored as an error.
func (s *Service) Reconcile(ctx context.Context, date string) (Reconciliation, error) {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return Reconciliation{}, data.Invalid("date", "must be yyyy-MM-dd")
	}
	if s.opts.Bills == nil {
		return Reconciliation{}, data.Errorf(data.EConflict, "WeChat Pay bills are not configured on this server")
	}
	rec := Reconciliation{Date: date, RanAt: s.now().UTC(), Mismatches: []Mismatch{}}
	bill, err := s.opts.Bills.TradeBill(ctx, date)
	if err != nil {
		s.log.Warn("reconcile: no bill", "date", date, "err", err)
		rec.Error = err.Error()
	} else if err := s.db.View(func(tx data.Tx) error { return compareBill(tx, date, bill, &rec) }); err != nil {
		return Reconciliation{}, fmt.Errorf("reconcile %s: %w", date, err)
	}
	if err := s.storeReconciliation(ctx, rec); err != nil {
		return Reconciliation{}, err
	}
	return rec, nil
}

// compareBill fills rec with the differences between bill and what tx holds.
func compareBill(tx data.Tx, date string, bill []BillRecord, rec *Reconciliation) error {
	rec.BillRows = len(bill)
	byNo := data.MustBucket(tx, bucketOrdersByNo)
	refundsByNo := data.MustBucket(tx, bucketRefundsByNo)
	seen := map[string]bool{}
	add := func(kind, ref string, billAmt, ours int64, detail string) {
		rec.Mismatches = append(rec.Mismatches, Mismatch{Kind: kind, Ref: ref, Bill: billAmt, Ours: ours, Detail: detail})
	}
	for _, r := range bill {
		if r.OutRefundNo == "" {
			seen[r.OutTradeNo] = true
			o, found, err := loadOrder(tx, data.ParseU64(byNo.Get([]byte(r.OutTradeNo))))
			switch {
			case err != nil:
				return err
			case !found:
				add(MismatchMissingInLuckbox, r.OutTradeNo, r.Amount, 0, "a payment luckbox has no order for")
			case o.Status != OrderPaid:
				add(MismatchState, r.OutTradeNo, r.Amount, o.Amount, "paid at WeChat Pay, "+o.Status+" in luckbox")
			case o.Amount != r.Amount:
				add(MismatchAmount, r.OutTradeNo, r.Amount, o.Amount, "the amounts differ")
			}
			continue
		}
		seen[r.OutRefundNo] = true
		rf, found, err := loadRefund(tx, data.ParseU64(refundsByNo.Get([]byte(r.OutRefundNo))))
		switch {
		case err != nil:
			return err
		case !found:
			add(MismatchMissingInLuckbox, r.OutRefundNo, r.Amount, 0, "a refund luckbox has no record of")
		case r.State == WxRefundSuccess && (rf.Status != RefundSuccess || rf.OutRefundNo != r.OutRefundNo):
			add(MismatchState, r.OutRefundNo, r.Amount, rf.Amount, "refunded at WeChat Pay, "+rf.Status+" in luckbox")
		case rf.Amount != r.Amount:
			add(MismatchAmount, r.OutRefundNo, r.Amount, rf.Amount, "the amounts differ")
		}
	}
	err := forEach(tx, bucketOrders, func(k, v []byte) error {
		var o order
		if err := json.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("order %d: %w", data.ParseU64(k), err)
		}
		if o.Status != OrderPaid || ourDay(o.PaidAt) != date {
			return nil
		}
		rec.Payments++
		if !seen[o.OutTradeNo] {
			add(MismatchMissingInBill, o.OutTradeNo, 0, o.Amount, "paid in luckbox, not in the bill")
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = forEach(tx, bucketRefunds, func(k, v []byte) error {
		var r refundRec
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("refund %d: %w", data.ParseU64(k), err)
		}
		if r.Status != RefundSuccess || ourDay(r.UpdatedAt) != date {
			return nil
		}
		rec.Refunds++
		if !seen[r.OutRefundNo] {
			add(MismatchMissingInBill, r.OutRefundNo, 0, r.Amount, "refunded in luckbox, not in the bill")
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(rec.Mismatches, func(i, j int) bool { return rec.Mismatches[i].Ref < rec.Mismatches[j].Ref })
	return nil
}

// storeReconciliation keeps rec (replacing that day's) and drops the
// oldest beyond ReconcileKeep days.
func (s *Service) storeReconciliation(ctx context.Context, rec Reconciliation) error {
	err := s.db.Update(ctx, func(tx data.Tx) error {
		b := data.MustBucket(tx, bucketReconcile)
		if err := data.PutJSON(b, []byte(rec.Date), rec); err != nil {
			return err
		}
		var old [][]byte
		c := b.Cursor()
		n := 0
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			if n++; n > s.opts.ReconcileKeep {
				old = append(old, k)
			}
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store reconciliation %s: %w", rec.Date, err)
	}
	return nil
}

// LatestReconciliation returns the stored reconciliation of the latest day
// (found is false before the first).
func (s *Service) LatestReconciliation(ctx context.Context) (rec Reconciliation, found bool, err error) {
	err = s.db.View(func(tx data.Tx) error {
		b := tx.Bucket(bucketReconcile)
		if b == nil {
			return nil
		}
		k, _ := b.Cursor().Last()
		if k == nil {
			return nil
		}
		found, err = data.GetJSON(b, k, &rec)
		return err
	})
	if err != nil {
		return rec, false, fmt.Errorf("latest reconciliation: %w", err)
	}
	return rec, found, nil
}

// Reconciliations returns the stored reconciliations, newest day first.
func (s *Service) Reconciliations(ctx context.Context) ([]Reconciliation, error) {
	out := []Reconciliation{}
	err := s.db.View(func(tx data.Tx) error {
		b := tx.Bucket(bucketReconcile)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			var r Reconciliation
			if _, err := data.GetJSON(b, k, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reconciliations: %w", err)
	}
	return out, nil
}
