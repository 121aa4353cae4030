package packet

import (
	"encoding/json"
	"fmt"

	"luckbox/data"
)

// checkRefunds: the refunds not finished add up to the refunds-in-flight
// counter and the successful ones to the refunded-out counter; no refund
// is for more than its order, and the top-up refunds of an order not
// credited back add up to what the order records as refunded. It sums the
// refunds in flight for the conservation check.
func (a *auditor) checkRefunds() (Check, error) {
	c := Check{Name: "refunds in flight and refunded add up to their counters, within their orders", OK: true}
	topups := map[uint64]int64{} // order seq → top-up refunds not credited
	err := forEach(a.tx, bucketRefunds, func(k, v []byte) error {
		var r refundRec
		seq := data.ParseU64(k)
		if err := json.Unmarshal(v, &r); err != nil {
			c.fail("refund %d: %v", seq, err)
			return nil
		}
		a.tot.Refunds++
		c.Checked++
		switch {
		case r.Status == RefundSuccess:
			a.tot.RefundedOut += r.Amount
		case r.inFlight():
			a.tot.RefundsInFlight += r.Amount
		}
		if r.Amount < 1 || r.Amount > r.OrderTotal {
			c.fail("refund %d: amount %d for an order of %d", seq, r.Amount, r.OrderTotal)
		}
		if r.Kind == RefundTopup && r.Status != RefundCredited {
			topups[r.OrderSeq] += r.Amount
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("audit refunds: %w", err)
	}
	var held, out int64
	if b := a.tx.Bucket(bucketCounters); b != nil {
		held, out = getInt(b, counterRefundsHeld), getInt(b, counterRefundedOut)
	}
	if a.tot.RefundsInFlight != held {
		c.fail("refunds in flight sum to %d, the counter says %d", a.tot.RefundsInFlight, held)
	}
	if a.tot.RefundedOut != out {
		c.fail("successful refunds sum to %d, the counter says %d", a.tot.RefundedOut, out)
	}
	err = forEach(a.tx, bucketOrders, func(k, v []byte) error {
		var o order
		if json.Unmarshal(v, &o) != nil || o.Kind != OrderTopup {
			return nil // checkOrders reports malformed orders
		}
		seq := data.ParseU64(k)
		if o.Refunded != topups[seq] || o.Refunded > o.Amount {
			c.fail("top-up order %d of %d: records %d refunded, its refunds sum to %d", seq, o.Amount, o.Refunded, topups[seq])
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("audit refunds: %w", err)
	}
	return c, nil
}
