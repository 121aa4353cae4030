package packet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"luckbox/auth"
	"luckbox/data"
)

// Withdrawals take money out of a wallet to the user's WeChat change with
// WeChat Pay's merchant transfer (商家转账, the version the user confirms in
// the mini-program with wx.requestMerchantTransfer). A withdrawal moves the
// amount from the balance to "held for withdrawal" (a ledger row) in the
// operation that creates it; the transfer request goes out after commit
// through the outbox, with the withdrawal's out_bill_no, so a retry (or a
// restart) asks WeChat Pay for the same bill. The final state of the bill
// (notification or query) settles it: SUCCESS pays the held money out
// (money out), FAIL and CANCELLED return it to the balance. A bill the user
// does not confirm within ConfirmWindow is cancelled through the API.
//
// The money returns only when WeChat Pay will never pay the bill: a
// cancel while the transfer request has no answer (it may be on its way,
// or its answer lost) only records the request; the transfer's sender (the
// outbox handler) settles it when WeChat Pay has no bill, and any answer
// about a bill waiting for the user cancels that bill at WeChat Pay.

// Transfers is the part of WeChat Pay's merchant transfer this package
// needs; main adapts the wechat client to it.
type Transfers interface {
	// MchID and AppID are what wx.requestMerchantTransfer needs besides
	// the package.
	MchID() string
	AppID() string
	// Transfer creates the transfer bill (the same out_bill_no again
	// returns the same bill). ErrTransferRefused if WeChat Pay refused the
	// request itself (it will never create this bill).
	Transfer(ctx context.Context, r TransferRequest) (TransferBill, error)
	// QueryTransfer returns the bill; ErrTransferNotExist if there is none.
	QueryTransfer(ctx context.Context, outBillNo string) (TransferBill, error)
	// CancelTransfer cancels a bill the user has not confirmed (the answer
	// is CANCELING); ErrTransferNotCancelable if it is too late.
	CancelTransfer(ctx context.Context, outBillNo string) (TransferBill, error)
}

// TransferRequest is a transfer to send to WeChat Pay.
type TransferRequest struct {
	OutBillNo string
	OpenID    string
	Amount    int64 // fen
	Remark    string
}

// TransferBill is a verified state of a transfer bill: an answer to a
// transfer, query or cancel, or a decrypted notification.
type TransferBill struct {
	OutBillNo      string
	TransferBillNo string
	State          string // WeChat Pay's state: ACCEPTED ... SUCCESS, FAIL, CANCELLED
	Amount         int64  // fen; 0 when the answer does not say
	OpenID         string // "" when the answer does not say
	PackageInfo    string
	FailReason     string
}

// Errors of Transfers implementations.
var (
	// ErrTransferNotExist: WeChat Pay has no bill with that out_bill_no.
	ErrTransferNotExist = errors.New("transfer bill does not exist at WeChat Pay")
	// ErrTransferRefused: WeChat Pay refused the transfer request (a 4xx
	// other than a signature or rate problem): no bill exists or will.
	ErrTransferRefused = errors.New("transfer request refused by WeChat Pay")
	// ErrTransferNotCancelable: the bill can no longer be cancelled (the
	// user confirmed it, or it is final).
	ErrTransferNotCancelable = errors.New("transfer bill can no longer be cancelled")
)

// WeChat Pay's transfer bill states.
const (
	TransferSuccess         = "SUCCESS"
	TransferFail            = "FAIL"
	TransferCancelled       = "CANCELLED"
	TransferCanceling       = "CANCELING"
	TransferWaitUserConfirm = "WAIT_USER_CONFIRM"
)

// transferRank orders the states a bill passes through; a state is never
// replaced by one of lower rank (a late answer or notification), and a
// final state (rank 9) never changes.
var transferRank = map[string]int{"": 0, "ACCEPTED": 1, "PROCESSING": 2, TransferWaitUserConfirm: 3,
	"TRANSFERING": 4, TransferCanceling: 5, TransferSuccess: 9, TransferFail: 9, TransferCancelled: 9}

// Withdrawal statuses.
const (
	WithdrawPending   = "pending"   // held; the transfer is not final yet
	WithdrawSucceeded = "succeeded" // paid out to the user's WeChat change
	WithdrawFailed    = "failed"    // refused or failed; the money is back in the balance
	WithdrawCancelled = "cancelled" // cancelled, declined or expired; the money is back
)

// Default withdrawal limits (WithdrawOptions).
const (
	DefaultWithdrawMin           = 100   // fen per withdrawal at least (1 yuan)
	DefaultWithdrawMax           = 20000 // fen per withdrawal at most (200 yuan)
	DefaultWithdrawDailyMax      = 50000 // fen per user and day (Beijing time) at most
	DefaultWithdrawConfirmWindow = time.Hour
	withdrawRemark               = "luckbox 钱包提现"
)

// WithdrawOptions configure withdrawals (Options.Withdraw).
type WithdrawOptions struct {
	// Transfers is WeChat Pay's merchant transfer; nil disables withdrawals.
	Transfers Transfers
	// Min and Max bound one withdrawal, DailyMax what a user withdraws per
	// day (Beijing time; failed and cancelled withdrawals do not count), in
	// fen.
	Min, Max, DailyMax int64
	// ConfirmWindow is how long a transfer waits for the user's
	// confirmation before it is cancelled (default 1 h).
	ConfirmWindow time.Duration
}

func (o *WithdrawOptions) defaults() {
	if o.Min <= 0 {
		o.Min = DefaultWithdrawMin
	}
	if o.Max <= 0 {
		o.Max = DefaultWithdrawMax
	}
	if o.DailyMax <= 0 {
		o.DailyMax = DefaultWithdrawDailyMax
	}
	if o.ConfirmWindow <= 0 {
		o.ConfirmWindow = DefaultWithdrawConfirmWindow
	}
}

// Buckets, due and outbox kinds of withdrawals.
var (
	// bucketWithdrawals: withdrawal seq → withdrawal JSON.
	bucketWithdrawals = []byte("withdrawals")
	// bucketWithdrawalsByNo: out_bill_no → withdrawal seq.
	bucketWithdrawalsByNo = []byte("withdrawals_by_no")
	// bucketWithdrawalsByUser: user ‖ withdrawal seq → nothing.
	bucketWithdrawalsByUser = []byte("withdrawals_by_user")
)

const (
	outboxTransfer   = "packet.withdraw_transfer" // payload: transferMessage
	dueWithdrawQuery = "packet.withdraw_query"    // ref: withdrawal seq
)

// transferMessage is the outbox payload of a transfer request.
type transferMessage struct {
	Seq uint64 `json:"seq"`
}

// withdrawal is the stored withdrawal.
type withdrawal struct {
	Tag            uint64    `json:"tag"`
	User           uint64    `json:"user"`
	Amount         int64     `json:"amount"`
	OutBillNo      string    `json:"out_bill_no"`
	OpenID         string    `json:"openid"`
	Status         string    `json:"status"`
	State          string    `json:"state,omitempty"` // WeChat Pay's, "" before its first answer
	TransferBillNo string    `json:"transfer_bill_no,omitempty"`
	PackageInfo    string    `json:"package_info,omitempty"`
	FailReason     string    `json:"fail_reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	ConfirmBy      time.Time `json:"confirm_by"`
	FinishedAt     time.Time `json:"finished_at,omitzero"`
	Queries        int       `json:"queries,omitempty"`
	// CancelRequested: the user (or the confirm window's expiry) asked to
	// cancel. The money stays held until WeChat Pay's bill is CANCELLED or
	// FAIL, or the transfer's sender knows the bill never existed.
	CancelRequested bool `json:"cancel_requested,omitempty"`
}

func (w *withdrawal) final() bool { return w.Status != WithdrawPending }

// TransferParams are what the mini-program passes to
// wx.requestMerchantTransfer.
type TransferParams struct {
	MchID   string `json:"mchId"`
	AppID   string `json:"appId"`
	Package string `json:"package"`
}

// Withdrawal is a withdrawal as the API shows it.
type Withdrawal struct {
	ID         string     `json:"withdrawal_id"`
	User       string     `json:"user_id,omitempty"`       // admin lists only
	Nickname   string     `json:"user_nickname,omitempty"` // admin lists only
	OutBillNo  string     `json:"out_bill_no"`
	Status     string     `json:"status"`
	State      string     `json:"state"`
	Amount     int64      `json:"amount"`
	FailReason string     `json:"fail_reason,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ConfirmBy  time.Time  `json:"confirm_by"`
	FinishedAt *time.Time `json:"finished_at"`
	// CancelRequested is true once a cancel was asked for while the
	// transfer was not answered yet: the money stays held until WeChat Pay
	// cancels the bill (or it turns out it never existed).
	CancelRequested bool `json:"cancel_requested"`
	// TransferParams is set while the transfer waits for the user's
	// confirmation: pass it to wx.requestMerchantTransfer.
	TransferParams *TransferParams `json:"transfer_params"`
}

func loadWithdrawal(tx data.Tx, seq uint64) (withdrawal, bool, error) {
	var w withdrawal
	found, err := data.GetJSON(data.MustBucket(tx, bucketWithdrawals), data.U64(seq), &w)
	if err != nil {
		return w, found, fmt.Errorf("withdrawal %d: %w", seq, err)
	}
	return w, found, nil
}

func putWithdrawal(tx data.Tx, seq uint64, w withdrawal) error {
	if err := data.PutJSON(data.MustBucket(tx, bucketWithdrawals), data.U64(seq), w); err != nil {
		return fmt.Errorf("withdrawal %d: %w", seq, err)
	}
	return nil
}

// outBillNo derives the transfer's merchant bill number from the
// withdrawal's public id: "WD" and 26 upper-case base32 characters (WeChat
// allows 5..32 letters and digits).
func outBillNo(seq, tag uint64) string { return "WD" + strings.ToUpper(data.EncodeID(seq, tag)) }

// beijingDay is the start of t's day in Beijing time.
func beijingDay(t time.Time) time.Time {
	y, m, d := t.In(payCST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, payCST)
}

// withdrawnToday sums user's withdrawals since the start of now's Beijing
// day that did not fail or get cancelled.
func withdrawnToday(tx data.Tx, user uint64, now time.Time) (int64, error) {
	since := beijingDay(now)
	var sum int64
	c := data.MustBucket(tx, bucketWithdrawalsByUser).Cursor()
	_, err := data.NewestFirst(c, data.U64(user), data.FirstPage, 1<<30, func(seq uint64, _ []byte) (bool, error) {
		w, found, err := loadWithdrawal(tx, seq)
		if err != nil || !found {
			return false, err
		}
		if w.CreatedAt.Before(since) {
			return false, errStopWalk
		}
		if w.Status == WithdrawPending || w.Status == WithdrawSucceeded {
			sum += w.Amount
		}
		return true, nil
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		return 0, err
	}
	return sum, nil
}

var errStopWalk = errors.New("stop")

// Withdraw withdraws amount fen of user's balance to their WeChat change:
// in one operation it checks the limits (invalid_argument outside
// Min..Max, conflict past DailyMax or the balance), moves the amount to
// "held for withdrawal" with a ledger row, records the withdrawal, and
// queues the transfer request (sent after commit) and its first query.
// The answer has no transfer_params yet; the client polls the withdrawal
// until WeChat Pay's package_info is there.
func (s *Service) Withdraw(ctx context.Context, user auth.User, amount int64) (Withdrawal, error) {
	o := s.opts.Withdraw
	if amount < o.Min || amount > o.Max {
		return Withdrawal{}, data.Invalid("amount", "must be %d..%d fen", o.Min, o.Max)
	}
	if o.Transfers == nil {
		return Withdrawal{}, data.Errorf(data.EConflict, "withdrawals are not configured on this server")
	}
	if user.OpenID == "" {
		return Withdrawal{}, data.Errorf(data.EConflict, "withdrawals need a WeChat account")
	}
	tag, err := data.NewTag(s.opts.Rand)
	if err != nil {
		return Withdrawal{}, fmt.Errorf("withdraw: %w", err)
	}
	now := s.now().UTC()
	var seq uint64
	var w withdrawal
	err = s.db.Update(ctx, func(tx data.Tx) error {
		bal, err := balanceIn(tx, user.Seq)
		if err != nil {
			return err
		}
		if bal < amount {
			return data.Errorf(data.EConflict, "insufficient balance: %d fen, the withdrawal needs %d", bal, amount)
		}
		today, err := withdrawnToday(tx, user.Seq, now)
		if err != nil {
			return err
		}
		if today+amount > o.DailyMax {
			return data.Errorf(data.EConflict, "daily withdrawal limit: %d of %d fen withdrawn today", today, o.DailyMax)
		}
		b := data.MustBucket(tx, bucketWithdrawals)
		if seq, err = b.NextSequence(); err != nil {
			return fmt.Errorf("new withdrawal: %w", err)
		}
		w = withdrawal{Tag: tag, User: user.Seq, Amount: amount, OutBillNo: outBillNo(seq, tag), OpenID: user.OpenID,
			Status: WithdrawPending, CreatedAt: now, ConfirmBy: now.Add(o.ConfirmWindow)}
		if err := moveMoney(tx, user.Seq, -amount, LedgerWithdraw, seq, tag, now); err != nil {
			return err
		}
		if err := putWithdrawal(tx, seq, w); err != nil {
			return err
		}
		if err := data.MustBucket(tx, bucketWithdrawalsByNo).Put([]byte(w.OutBillNo), data.U64(seq)); err != nil {
			return fmt.Errorf("new withdrawal: index: %w", err)
		}
		if err := data.MustBucket(tx, bucketWithdrawalsByUser).Put(data.Key(data.U64(user.Seq), data.U64(seq)), nil); err != nil {
			return fmt.Errorf("new withdrawal: user index: %w", err)
		}
		if _, err := s.db.Enqueue(tx, outboxTransfer, transferMessage{Seq: seq}); err != nil {
			return err
		}
		return s.db.Schedule(tx, now.Add(s.opts.QueryAfter), dueWithdrawQuery, data.U64(seq))
	})
	if err != nil {
		return Withdrawal{}, fmt.Errorf("withdraw: %w", err)
	}
	return s.withdrawalView(seq, w), nil
}

// withdrawalView renders w (admin lists name the user: withAdminUser).
func (s *Service) withdrawalView(seq uint64, w withdrawal) Withdrawal {
	v := Withdrawal{ID: data.EncodeID(seq, w.Tag), OutBillNo: w.OutBillNo, Status: w.Status, State: w.State,
		Amount: w.Amount, FailReason: w.FailReason, CreatedAt: w.CreatedAt.UTC(), ConfirmBy: w.ConfirmBy.UTC(),
		CancelRequested: w.CancelRequested}
	if !w.FinishedAt.IsZero() {
		t := w.FinishedAt.UTC()
		v.FinishedAt = &t
	}
	if t := s.opts.Withdraw.Transfers; t != nil && !w.final() && !w.CancelRequested &&
		w.State == TransferWaitUserConfirm && w.PackageInfo != "" {
		v.TransferParams = &TransferParams{MchID: t.MchID(), AppID: t.AppID(), Package: w.PackageInfo}
	}
	return v
}

// lookupWithdrawal reads the withdrawal with public id id of user userSeq
// (any user's for userSeq 0); another user's is not found.
func (s *Service) lookupWithdrawal(userSeq uint64, id string) (uint64, withdrawal, error) {
	seq, tag, ok := data.DecodeID(id)
	var w withdrawal
	var found bool
	if ok {
		err := s.db.View(func(tx data.Tx) error {
			var err error
			w, found, err = loadWithdrawal(tx, seq)
			return err
		})
		if err != nil {
			return 0, w, fmt.Errorf("withdrawal: %w", err)
		}
	}
	if !found || w.Tag != tag || (userSeq != 0 && w.User != userSeq) {
		return 0, w, data.Errorf(data.ENotFound, "no such withdrawal")
	}
	return seq, w, nil
}

// GetWithdrawal returns the user's withdrawal with public id id.
func (s *Service) GetWithdrawal(ctx context.Context, userSeq uint64, id string) (Withdrawal, error) {
	seq, w, err := s.lookupWithdrawal(userSeq, id)
	if err != nil {
		return Withdrawal{}, err
	}
	return s.withdrawalView(seq, w), nil
}

// WithdrawalPage is the page size of withdrawal lists.
const WithdrawalPage = 50

// Withdrawals lists the user's withdrawals, newest first.
func (s *Service) Withdrawals(ctx context.Context, userSeq uint64, cursor string) ([]Withdrawal, string, error) {
	return s.listWithdrawals(bucketWithdrawalsByUser, data.U64(userSeq), cursor, false)
}

// AdminWithdrawals lists every withdrawal, newest first, naming the users.
func (s *Service) AdminWithdrawals(ctx context.Context, cursor string) ([]Withdrawal, string, error) {
	return s.listWithdrawals(bucketWithdrawals, nil, cursor, true)
}

func (s *Service) listWithdrawals(bucket, prefix []byte, cursor string, admin bool) ([]Withdrawal, string, error) {
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	items := []Withdrawal{}
	var next string
	err = s.db.View(func(tx data.Tx) error {
		c := data.MustBucket(tx, bucket).Cursor()
		next, err = data.NewestFirst(c, prefix, from, WithdrawalPage, func(seq uint64, _ []byte) (bool, error) {
			w, found, err := loadWithdrawal(tx, seq)
			if err != nil || !found {
				return false, err
			}
			v := s.withdrawalView(seq, w)
			if admin {
				u, _, err := auth.UserBySeqInTx(tx, w.User)
				if err != nil {
					return false, err
				}
				v.User, v.Nickname = u.ID(), u.Nickname
			}
			items = append(items, v)
			return true, nil
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list withdrawals: %w", err)
	}
	return items, next, nil
}
