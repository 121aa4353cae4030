package packet

import (
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"luckbox/data"
)

// Default limits of Options.
const (
	DefaultMaxCount  = 100
	DefaultMaxAmount = 20000 // fen per packet
	DefaultTTL       = 24 * time.Hour
	DefaultMaxTopup  = 1_000_000 // fen per top-up
	MaxGreeting      = 40        // characters
	DefaultGreeting  = "恭喜发财，大吉大利"
)

// Options configure a Service.
type Options struct {
	MaxCount  int           // shares per packet at most (default 100)
	MaxAmount int64         // fen per packet at most (default 20000)
	TTL       time.Duration // how long a packet lives (default 24 h)
	MaxTopup  int64         // fen per top-up at most (default 1,000,000)
	// Payments is WeChat Pay; nil disables top-ups and pay_with "wechat".
	Payments Payments
	// Refunds refunds WeChat-paid packets to their payer and top-ups on an
	// admin's request; nil refunds expired packets to the balance.
	Refunds Refunds
	// Bills downloads WeChat Pay's trade bills for reconciliation; nil
	// disables it.
	Bills Bills
	// ReconcileAt is the time of day (Beijing time, when WeChat Pay's bills
	// of the day before are ready: after 10:00) the daily reconciliation of
	// the day before runs (default 10:30).
	ReconcileAt time.Duration
	// ReconcileKeep is how many days of reconciliations are kept (default 90).
	ReconcileKeep int
	// QueryAfter is how long an order waits for its notification before the
	// scheduler queries WeChat Pay (default 2 min; later queries back off).
	QueryAfter time.Duration
	// PayWindow is how long an order may be paid; after it the order is
	// closed (default 2 h, the life of a prepay_id).
	PayWindow time.Duration
	// Withdraw configures withdrawals to WeChat change (withdraw.go).
	Withdraw WithdrawOptions
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of ids, split seeds and salts (default crypto/rand).
	Rand io.Reader
	// Logger receives payment warnings (default slog.Default()).
	Logger *slog.Logger
	// Notifier tells senders when their packet finishes or expires
	// (notify.go); nil tells nobody.
	Notifier Notifier
	// Template is the subscribe-message template of those notices ("" keeps
	// them in the inbox only). Its fields: thing1 what happened, amount2 the
	// refunded amount, thing3 shares taken.
	Template string
	// Page is the mini-program page the message opens (default
	// DefaultPacketPage); "?id=<packet id>" is appended.
	Page string
}

// DefaultPacketPage is the mini-program page of a packet.
const DefaultPacketPage = "pages/packet/detail"

// Service runs wallets, the ledger, red packets and payment orders.
type Service struct {
	db   *data.DB
	opts Options
	log  *slog.Logger
	now  func() time.Time
	// finals answers the rejections of final packets from memory.
	finals *finals
	// hints name the packets whose grabs look at a read view first.
	hints grabHints
}

// New returns a Service over db.
func New(db *data.DB, opts Options) *Service {
	if opts.MaxCount <= 0 {
		opts.MaxCount = DefaultMaxCount
	}
	if opts.MaxAmount <= 0 {
		opts.MaxAmount = DefaultMaxAmount
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.MaxTopup <= 0 {
		opts.MaxTopup = DefaultMaxTopup
	}
	if opts.QueryAfter <= 0 {
		opts.QueryAfter = 2 * time.Minute
	}
	if opts.PayWindow <= 0 {
		opts.PayWindow = 2 * time.Hour
	}
	if opts.ReconcileAt <= 0 {
		opts.ReconcileAt = 10*time.Hour + 30*time.Minute
	}
	if opts.ReconcileKeep <= 0 {
		opts.ReconcileKeep = DefaultReconcileKeep
	}
	opts.Withdraw.defaults()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Page == "" {
		opts.Page = DefaultPacketPage
	}
	return &Service{db: db, opts: opts, log: opts.Logger, now: opts.Now, finals: newFinals(maxFinalGrabbers)}
}

// RegisterBackground registers the scheduled work of this package: packet
// expiry (refunds) and queries of orders whose notification did not arrive.
func (s *Service) RegisterBackground(b *data.Background) {
	b.HandleDue(dueExpire, s.handleExpire)
	b.HandleDue(duePayQuery, s.handlePayQuery)
	b.HandleDue(dueRefundQuery, s.handleRefundQuery)
	b.HandleOutbox(outboxRefund, s.handleRefundSend)
	b.HandleDue(dueReconcile, s.handleReconcile)
	b.HandleDue(dueWithdrawQuery, s.handleWithdrawQuery)
	b.HandleOutbox(outboxTransfer, s.deliverTransfer)
}
