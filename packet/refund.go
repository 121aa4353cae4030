package packet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"luckbox/data"
)

// Refunds is the part of WeChat Pay that refunds payments to their payer
// (main adapts the wechat client). Without it, the remainder of an expired
// WeChat-paid packet goes to the sender's balance.
type Refunds interface {
	// Refund asks WeChat Pay to refund (part of) a paid order and returns the
	// refund as accepted. The same OutRefundNo is the same refund.
	// ErrRefundRejected if WeChat Pay refused the request for good.
	Refund(ctx context.Context, r RefundRequest) (RefundState, error)
	// QueryRefund returns a refund's state; ErrRefundNotExist if WeChat Pay
	// has none with that number.
	QueryRefund(ctx context.Context, outRefundNo string) (RefundState, error)
}

// RefundRequest is a refund to ask WeChat Pay for.
type RefundRequest struct {
	OutTradeNo    string
	TransactionID string
	OutRefundNo   string
	Reason        string
	Refund, Total int64 // fen
}

// RefundState is a verified refund state from WeChat Pay: the answer to a
// refund request or query, or a decrypted refund notification.
type RefundState struct {
	OutRefundNo string
	RefundID    string
	Status      string // PROCESSING, SUCCESS, CLOSED or ABNORMAL
	Refund      int64  // fen (0 if unknown)
	SuccessTime time.Time
}

// WeChat Pay refund statuses.
const (
	WxRefundProcessing = "PROCESSING"
	WxRefundSuccess    = "SUCCESS"
	WxRefundClosed     = "CLOSED"
	WxRefundAbnormal   = "ABNORMAL"
)

// Errors of Refunds implementations.
var (
	// ErrRefundNotExist: WeChat Pay knows no refund with that out_refund_no.
	ErrRefundNotExist = errors.New("refund does not exist at WeChat Pay")
	// ErrRefundRejected: WeChat Pay refused the refund request (not worth
	// sending again as it is).
	ErrRefundRejected = errors.New("refund request rejected by WeChat Pay")
)

// Refund kinds and statuses. A refund is requested in the write
// transaction that takes its money (out of escrow or the balance) into
// "refunds in flight"; the request goes to WeChat Pay after commit, through
// the outbox. It is processing once WeChat Pay accepted it, success once the
// money reached the payer (it leaves the system: money out), closed or
// abnormal if WeChat Pay gave up (the money stays in flight, shown to the
// admin, who retries it under a new out_refund_no or credits it to the
// user's balance: credited). success and credited are final.
const (
	RefundPacket = "packet" // the remainder of an expired WeChat-paid packet
	RefundTopup  = "topup"  // an admin's refund of an unspent top-up

	RefundRequested  = "requested"
	RefundProcessing = "processing"
	RefundSuccess    = "success"
	RefundClosed     = "closed"
	RefundAbnormal   = "abnormal"
	RefundCredited   = "credited"
)

// Ledger row kinds of refunds. Their codes start at 16, apart from the
// codes of other money paths (see init).
const (
	LedgerRefundHold   = "refund_hold"   // a top-up refund takes the amount from the balance
	LedgerRefundReturn = "refund_return" // a refund that did not go out comes back to the balance
)

func init() {
	const first = 16
	for len(ledgerKinds) < first+2 {
		ledgerKinds = append(ledgerKinds, "")
	}
	ledgerKinds[first], ledgerKinds[first+1] = LedgerRefundHold, LedgerRefundReturn
}

// The refund buckets: refund seq → refund JSON; out_refund_no of every
// attempt → refund seq.
var (
	bucketRefunds      = []byte("pay_refunds")
	bucketRefundsByNo  = []byte("pay_refunds_by_no")
	counterRefundsHeld = []byte("refunds_in_flight") // money of refunds not finished
	counterRefundedOut = []byte("refunded_out")      // money of successful refunds
)

// Due and outbox kinds of refunds.
const (
	outboxRefund   = "packet.refund"       // payload: refundMsg
	dueRefundQuery = "packet.refund_query" // ref: refund seq
)

// refundMsg is the outbox payload of a refund request.
type refundMsg struct {
	Seq         uint64 `json:"seq"`
	OutRefundNo string `json:"out_refund_no"`
}

// refundEvent is one step of a refund's history.
type refundEvent struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Source string    `json:"source"` // expiry, admin, request, notification, query, retry, credit
	Note   string    `json:"note,omitempty"`
}

// refundRec is the stored refund.
type refundRec struct {
	Tag           uint64        `json:"tag"`
	Kind          string        `json:"kind"`
	User          uint64        `json:"user"`
	Amount        int64         `json:"amount"`
	OrderSeq      uint64        `json:"order"`
	OutTradeNo    string        `json:"out_trade_no"`
	TransactionID string        `json:"transaction_id,omitempty"`
	OrderTotal    int64         `json:"order_total"`
	Packet        uint64        `json:"packet,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	Attempt       int           `json:"attempt"`
	OutRefundNo   string        `json:"out_refund_no"`
	Status        string        `json:"status"`
	RefundID      string        `json:"refund_id,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
	Queries       int           `json:"queries,omitempty"`
	Events        []refundEvent `json:"events"`
}

// inFlight reports whether the refund's money is in "refunds in flight".
func (r *refundRec) inFlight() bool { return r.Status != RefundSuccess && r.Status != RefundCredited }

// pending reports whether WeChat Pay has the current attempt in hand.
func (r *refundRec) pending() bool {
	return r.Status == RefundRequested || r.Status == RefundProcessing
}

func (r *refundRec) step(at time.Time, status, source, note string) {
	r.Status, r.UpdatedAt = status, at
	r.Events = append(r.Events, refundEvent{At: at, Status: status, Source: source, Note: note})
}

// outRefundNo is the merchant refund number of attempt n of a refund: "RF",
// the refund's public id, and "-n" after the first attempt.
func outRefundNo(seq, tag uint64, attempt int) string {
	no := "RF" + strings.ToUpper(data.EncodeID(seq, tag))
	if attempt > 1 {
		no += "-" + strconv.Itoa(attempt)
	}
	return no
}

func loadRefund(tx data.Tx, seq uint64) (refundRec, bool, error) {
	var r refundRec
	found, err := data.GetJSON(data.MustBucket(tx, bucketRefunds), data.U64(seq), &r)
	if err != nil {
		return r, found, fmt.Errorf("refund %d: %w", seq, err)
	}
	return r, found, nil
}

func putRefund(tx data.Tx, seq uint64, r refundRec) error {
	return data.PutJSON(data.MustBucket(tx, bucketRefunds), data.U64(seq), r)
}

// startRefund records a new refund inside the caller's write transaction:
// its money (already taken from escrow or the balance by the caller) goes
// into refunds in flight, and the request to WeChat Pay is enqueued (sent
// after commit) with a query scheduled in case no notification arrives.
func (s *Service) startRefund(tx data.Tx, r refundRec, source string) (uint64, error) {
	seq, err := data.MustBucket(tx, bucketRefunds).NextSequence()
	if err != nil {
		return 0, fmt.Errorf("new refund: %w", err)
	}
	if r.Tag, err = data.NewTag(s.opts.Rand); err != nil {
		return 0, fmt.Errorf("new refund: %w", err)
	}
	r.Attempt, r.CreatedAt = 1, r.UpdatedAt
	r.step(r.UpdatedAt, RefundRequested, source, r.Reason)
	if err := addCounter(tx, counterRefundsHeld, r.Amount); err != nil {
		return 0, err
	}
	s.db.Count(tx, CountWxRefunds, 1)
	return seq, s.sendRefund(tx, seq, r)
}

// sendRefund names the current attempt of a requested refund, stores it and
// enqueues its request, inside the caller's write transaction.
func (s *Service) sendRefund(tx data.Tx, seq uint64, r refundRec) error {
	r.OutRefundNo = outRefundNo(seq, r.Tag, r.Attempt)
	if err := putRefund(tx, seq, r); err != nil {
		return err
	}
	if err := data.MustBucket(tx, bucketRefundsByNo).Put([]byte(r.OutRefundNo), data.U64(seq)); err != nil {
		return fmt.Errorf("refund %d: index: %w", seq, err)
	}
	if _, err := s.db.Enqueue(tx, outboxRefund, refundMsg{Seq: seq, OutRefundNo: r.OutRefundNo}); err != nil {
		return err
	}
	return s.db.Schedule(tx, r.UpdatedAt.Add(s.opts.QueryAfter), dueRefundQuery, data.U64(seq))
}

// refundToPayer expires a WeChat-paid packet's remainder back to its payer
// through WeChat Pay, inside tx, if it can: the packet was paid by an order
// WeChat Pay confirmed and refunds are configured. It reports whether it did.
func (s *Service) refundToPayer(tx data.Tx, seq uint64, st *state, now time.Time) (bool, error) {
	if s.opts.Refunds == nil || st.OrderSeq == 0 {
		return false, nil
	}
	o, found, err := loadOrder(tx, st.OrderSeq)
	if err != nil || !found || o.Status != OrderPaid || o.Kind != OrderPacket {
		return false, err
	}
	_, err = s.startRefund(tx, refundRec{Kind: RefundPacket, User: st.Sender, Amount: st.RemainingAmount,
		OrderSeq: st.OrderSeq, OutTradeNo: o.OutTradeNo, TransactionID: o.TransactionID, OrderTotal: o.Amount,
		Packet: seq, Reason: "红包过期未领取部分退回", UpdatedAt: now}, "expiry")
	return err == nil, err
}

// CountWxRefunds is the data.DB.Count counter of refunds requested from
// WeChat Pay (the luckbox_packet_wechat_refunds_total metric).
const CountWxRefunds = "packet_wechat_refunds"
