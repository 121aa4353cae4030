package lottery

import (
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"luckbox/auth"
	"luckbox/data"
)

// Statuses of a lottery: open → locked → drawn for time lotteries, open →
// drawn for count and manual ones, open → canceled.
const (
	StatusOpen     = "open"
	StatusLocked   = "locked"
	StatusDrawn    = "drawn"
	StatusCanceled = "canceled"
)

// Draw modes.
const (
	ModeTime   = "time"   // drawn at Draw.At, locked LockBeforeSeconds before
	ModeCount  = "count"  // drawn by the join that reaches Draw.Participants
	ModeManual = "manual" // drawn by the creator
)

// Limits of lotteries.
const (
	MaxTitle            = 64
	MaxDescription      = 1000
	MaxPrizeLines       = 20
	MaxPrizeName        = 32
	MaxPrizeQuantity    = 10000
	MaxLockBefore       = 3600
	DefaultLockBefore   = 60
	MinCountDraw        = 2
	MaxParticipants     = 1_000_000 // also the most entries any lottery takes
	MaxScheduleAhead    = 365 * 24 * time.Hour
	DefaultResultsPage  = "pages/lottery/detail"
	DefaultNotifyChunk  = 500
	DefaultListLimit    = 20
	MaxListLimit        = 100
	DefaultWinnersLimit = 500
	MaxWinnersLimit     = 1000
)

// Kinds of the background work of lotteries.
const (
	dueLock       = "lottery.lock"
	dueDraw       = "lottery.draw"
	outboxResults = "lottery.results"
)

// Lottery is the public view of a lottery, as the API returns it. Seed is
// set only once the lottery is drawn.
type Lottery struct {
	ID                string     `json:"id"`
	Title             string     `json:"title"`
	Description       string     `json:"description"`
	CreatorID         string     `json:"creator_id"`
	Status            string     `json:"status"`
	Prizes            []Prize    `json:"prizes"`
	Draw              DrawSpec   `json:"draw"`
	LockAt            *time.Time `json:"lock_at"`
	LockBeforeSeconds int        `json:"lock_before_seconds"`
	ParticipantCount  int        `json:"participant_count"`
	MaxParticipants   int        `json:"max_participants"`
	WinnerCount       int        `json:"winner_count"`
	CreatedAt         time.Time  `json:"created_at"`
	LockedAt          *time.Time `json:"locked_at"`
	DrawnAt           *time.Time `json:"drawn_at"`
	CanceledAt        *time.Time `json:"canceled_at"`
	Fairness          Fairness   `json:"fairness"`
	// GroupOnly is true when only the members of one WeChat group (proven
	// with POST /groups/proof) may join; the group itself is not shown.
	GroupOnly bool `json:"group_only"`
	// ClaimWindow is the claim window and its redraw rounds; nil when the
	// lottery has none (its winners' claims never lapse).
	ClaimWindow *ClaimWindowView `json:"claim_window"`
	// Me is the viewer's own state; nil when there is no viewer.
	Me *Me `json:"me"`
}

// DrawSpec says when a lottery is drawn. At is set for time lotteries,
// Participants for count lotteries.
type DrawSpec struct {
	Mode         string     `json:"mode"`
	At           *time.Time `json:"at"`
	Participants *int       `json:"participants"`
}

// Fairness holds the lottery's commitments: SeedHash from creation,
// EntriesHash from the lock (time lotteries) or the draw, Seed after the draw.
type Fairness struct {
	Algorithm   string  `json:"algorithm"`
	SeedHash    string  `json:"seed_hash"`
	EntriesHash *string `json:"entries_hash"`
	Seed        *string `json:"seed"`
}

// Me is the viewer's part in a lottery.
type Me struct {
	Joined bool    `json:"joined"`
	Prize  *string `json:"prize"`
	// For a winner: the round they won in (0: the main draw), their claim
	// status (claimed, pending or lapsed) and the deadline of their claim
	// window (null without one).
	Round         *int       `json:"round,omitempty"`
	ClaimStatus   *string    `json:"claim_status,omitempty"`
	ClaimDeadline *time.Time `json:"claim_deadline,omitempty"`
}

// Entry is a user's entry in a lottery. It names the lottery and the
// seed_hash it committed to at creation, so a participant holds what a proof
// published after the draw must match (luckbox verify --seed-hash).
type Entry struct {
	LotteryID        string    `json:"lottery_id"`
	SeedHash         string    `json:"seed_hash"`
	JoinedAt         time.Time `json:"joined_at"`
	Status           string    `json:"status"`
	ParticipantCount int       `json:"participant_count"`
}

// WinnerView is one line of the public winners list.
type WinnerView struct {
	UserID   string `json:"user_id"`
	Nickname string `json:"nickname"`
	Prize    string `json:"prize"`
	// Round is the round the prize was won in (0: the main draw; r: redraw
	// round r); Status its claim: claimed, pending or lapsed.
	Round  int    `json:"round"`
	Status string `json:"status"`
}

// Notifier records a notification for a user inside the caller's write
// transaction (auth.Service does: inbox item plus a subscribe message when
// the user granted one).
type Notifier interface {
	Notify(tx data.Tx, userSeq uint64, n auth.Notification) error
}

// Options configure a Service.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of seeds and ids (default crypto/rand.Reader).
	Rand io.Reader
	// Template is the subscribe-message template of draw results ("" keeps
	// results in the inbox only). Its fields: thing1 title, phrase2 result,
	// thing3 prize, time4 draw time.
	Template string
	// CancelTemplate is the subscribe-message template of cancellations
	// ("" keeps them in the inbox only). Its fields: thing1 title, thing2
	// note.
	CancelTemplate string
	// Page is the mini-program page a result message opens (default
	// DefaultResultsPage); "?id=<lottery id>" is appended.
	Page string
	// NotifyChunk is how many participants one fan-out operation notifies
	// (default DefaultNotifyChunk).
	NotifyChunk int
	// Logger receives warnings (default slog.Default()).
	Logger *slog.Logger
}

// Service runs lotteries over a database.
type Service struct {
	db     *data.DB
	notify Notifier
	opts   Options
	events *Events
	log    *slog.Logger
}

// New returns a Service over db that tells participants their results
// through n.
func New(db *data.DB, n Notifier, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Page == "" {
		opts.Page = DefaultResultsPage
	}
	if opts.NotifyChunk <= 0 {
		opts.NotifyChunk = DefaultNotifyChunk
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{db: db, notify: n, opts: opts, events: NewEvents(), log: opts.Logger}
}

// Events returns the live-update broker of the service's lotteries.
func (s *Service) Events() *Events { return s.events }

// RegisterBackground registers the scheduled lock and draw of time lotteries
// and the delivery of results.
func (s *Service) RegisterBackground(b *data.Background) {
	b.HandleDue(dueLock, s.dueLock)
	b.HandleDue(dueDraw, s.dueDraw)
	b.HandleDue(dueClaimClose, s.dueClaimEnd)
	b.HandleOutbox(outboxResults, s.deliverResults)
}
