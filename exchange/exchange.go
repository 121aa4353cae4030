package exchange

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/internal/text"
)

// Gift-exchange statuses.
const (
	StatusDraft   = "draft"   // participants may be imported, edited, deleted
	StatusStarted = "started" // the assignment is fixed; participants draw
)

// Limits of gift exchanges.
const (
	MaxTitle           = 64  // characters of a title
	MaxParticipantName = 32  // characters of a participant's name
	MaxGroupName       = 32  // characters of a group name
	MaxExcludes        = 100 // phones one participant may exclude
	// DefaultMaxParticipants is the default cap on one exchange's list.
	DefaultMaxParticipants = 20000
)

// Notifier records a notification for a user inside the caller's
// write transaction (auth.Service does).
type Notifier interface {
	Notify(tx data.Tx, userSeq uint64, n auth.Notification) error
}

// Options configure an Service.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of public-id tags and matching seeds (default crypto/rand.Reader).
	Rand io.Reader
	// ReminderTemplate is the subscribe-message template of reminders
	// (default "luckbox_exchange_reminder"; its fields: thing1 exchange title,
	// thing2 text).
	ReminderTemplate string
	// ReminderPage is the mini-program page a reminder opens ("" = none);
	// "{id}" in it is replaced by the exchange id.
	ReminderPage string
	// ReminderInterval is the least time between two reminders to one
	// participant (default 1 h).
	ReminderInterval time.Duration
	// MaxParticipants caps one exchange's list (default DefaultMaxParticipants).
	MaxParticipants int
}

// Service runs gift exchanges (secret santa): an admin imports the
// list, starts the exchange (which fixes the assignment once), and each
// participant, identified by the phone bound to their account, draws to learn
// whom to give a gift to.
type Service struct {
	db     *data.DB
	notify Notifier
	opts   Options
	// matchHook, when set by a test, runs after Start's matching and before
	// its write, to simulate a concurrent edit.
	matchHook func()
}

// NewService returns a service over db; notify receives reminders
// (nil: reminders only count).
func NewService(db *data.DB, notify Notifier, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.ReminderTemplate == "" {
		opts.ReminderTemplate = "luckbox_exchange_reminder"
	}
	if opts.ReminderInterval <= 0 {
		opts.ReminderInterval = time.Hour
	}
	if opts.MaxParticipants <= 0 {
		opts.MaxParticipants = DefaultMaxParticipants
	}
	return &Service{db: db, notify: notify, opts: opts}
}

// Exchange is the admin's view of a gift exchange.
type Exchange struct {
	ID               string
	Title            string
	Status           string // StatusDraft or StatusStarted
	ParticipantCount int
	DrawnCount       int
	CreatedAt        time.Time
	StartedAt        *time.Time
	// AssignmentHash commits to the assignment made at start ("" before):
	// see AssignmentHash.
	AssignmentHash string
}

// record is an exchange as stored.
type record struct {
	Tag          uint64     `json:"tag"`
	Title        string     `json:"title"`
	Status       string     `json:"status"`
	Participants int        `json:"participants"`
	Drawn        int        `json:"drawn"`
	Version      uint64     `json:"version"` // bumped by every change to the list
	CreatedAt    time.Time  `json:"created_at"`
	StartedAt    *time.Time `json:"started_at,omitempty"`
	Hash         string     `json:"hash,omitempty"`
}

func (r record) public(seq uint64) Exchange {
	return Exchange{ID: data.EncodeID(seq, r.Tag), Title: r.Title, Status: r.Status,
		ParticipantCount: r.Participants, DrawnCount: r.Drawn, CreatedAt: r.CreatedAt,
		StartedAt: r.StartedAt, AssignmentHash: r.Hash}
}

// participantRec is a participant as stored. Exclusions are kept as
// participant sequences, so editing someone's phone keeps them excluded;
// sequences of deleted participants are ignored.
type participantRec struct {
	Tag        uint64     `json:"tag"`
	Name       string     `json:"name"`
	Phone      string     `json:"phone"`
	Group      string     `json:"group,omitempty"`
	Exclude    []uint64   `json:"exclude,omitempty"`
	Recipient  uint64     `json:"recipient,omitempty"` // participant seq, set at start
	DrawnAt    *time.Time `json:"drawn_at,omitempty"`
	RemindedAt *time.Time `json:"reminded_at,omitempty"`
}

// errNoExchange is the one answer for an unknown, malformed or mistagged id.
func errNoExchange() error { return data.Errorf(data.ENotFound, "no such gift exchange") }

// getExchange loads the exchange with public id inside tx.
func getExchange(tx data.Tx, id string) (uint64, record, bool, error) {
	seq, tag, ok := data.DecodeID(id)
	if !ok {
		return 0, record{}, false, nil
	}
	var r record
	found, err := data.GetJSON(data.MustBucket(tx, bucketExchanges), data.U64(seq), &r)
	if err != nil {
		return 0, record{}, false, fmt.Errorf("load exchange: %w", err)
	}
	if !found || r.Tag != tag {
		return 0, record{}, false, nil
	}
	return seq, r, true, nil
}

// call is what an exchange operation loaded inside its transaction: the
// exchange and the participant record for participant operations.
type call struct {
	exSeq uint64
	ex    record
	pseq  uint64
	p     participantRec
}

// load loads the exchange with public id inside tx for an operation that
// needs it in status want ("" accepts any). The rejection is not_found for
// an unknown id, else wrong() when the status is not want.
func load(tx data.Tx, id, want string, wrong func() error) (call, error) {
	var c call
	var ok bool
	var err error
	c.exSeq, c.ex, ok, err = getExchange(tx, id)
	switch {
	case err != nil:
		return c, err
	case !ok:
		return c, errNoExchange()
	case want != "" && c.ex.Status != want:
		return c, wrong()
	}
	return c, nil
}

func putExchange(tx data.Tx, seq uint64, r record) error {
	return data.PutJSON(data.MustBucket(tx, bucketExchanges), data.U64(seq), r)
}

func partKey(ex, p uint64) []byte { return data.Key(data.U64(ex), data.U64(p)) }

func phoneKey(ex uint64, phone string) []byte { return data.Key(data.U64(ex), []byte(phone)) }

// participantByPhone returns the participant of exchange ex with phone.
func participantByPhone(tx data.Tx, ex uint64, phone string) (uint64, participantRec, bool, error) {
	pseq := data.ParseU64(data.MustBucket(tx, bucketPhones).Get(phoneKey(ex, phone)))
	if pseq == 0 {
		return 0, participantRec{}, false, nil
	}
	var p participantRec
	found, err := data.GetJSON(data.MustBucket(tx, bucketParticipants), partKey(ex, pseq), &p)
	if err != nil {
		return 0, participantRec{}, false, fmt.Errorf("load participant: %w", err)
	}
	return pseq, p, found, nil
}

// forEachParticipant calls fn for every participant of exchange ex in
// import order. fn must not write to the participants bucket.
func forEachParticipant(tx data.Tx, ex uint64, fn func(seq uint64, p participantRec) error) error {
	prefix := data.U64(ex)
	c := data.MustBucket(tx, bucketParticipants).Cursor()
	for k, v := c.Seek(prefix); k != nil && len(k) == 16 && string(k[:8]) == string(prefix); k, v = c.Next() {
		var p participantRec
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("decode participant: %w", err)
		}
		if err := fn(data.ParseU64(k[8:]), p); err != nil {
			return err
		}
	}
	return nil
}

// validTitle normalises and checks an exchange title (see package text).
func validTitle(title string) (string, error) {
	return text.Field("title", title, text.Rule{Min: 1, Max: MaxTitle})
}

// CreateExchange creates a draft gift exchange.
func (s *Service) CreateExchange(ctx context.Context, title string) (Exchange, error) {
	t, err := validTitle(title)
	if err != nil {
		return Exchange{}, err
	}
	tag, err := data.NewTag(s.opts.Rand)
	if err != nil {
		return Exchange{}, fmt.Errorf("create exchange: id: %w", err)
	}
	now := s.opts.Now().UTC()
	var out Exchange
	err = s.db.Update(ctx, func(tx data.Tx) error {
		seq, err := data.MustBucket(tx, bucketExchanges).NextSequence()
		if err != nil {
			return err
		}
		r := record{Tag: tag, Title: t, Status: StatusDraft, CreatedAt: now}
		out = r.public(seq)
		return putExchange(tx, seq, r)
	})
	if err != nil {
		return Exchange{}, fmt.Errorf("create exchange: %w", err)
	}
	return out, nil
}

// GetExchange returns the exchange with id, or not_found.
func (s *Service) GetExchange(ctx context.Context, id string) (Exchange, error) {
	var out Exchange
	var ok bool
	err := s.db.View(func(tx data.Tx) error {
		seq, r, found, err := getExchange(tx, id)
		out, ok = r.public(seq), found
		return err
	})
	if err != nil {
		return Exchange{}, fmt.Errorf("get exchange: %w", err)
	}
	if !ok {
		return Exchange{}, errNoExchange()
	}
	return out, nil
}

// ListExchanges returns every exchange, newest first.
func (s *Service) ListExchanges(ctx context.Context) ([]Exchange, error) {
	var out []Exchange
	err := s.db.View(func(tx data.Tx) error {
		c := data.MustBucket(tx, bucketExchanges).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode exchange: %w", err)
			}
			out = append(out, r.public(data.ParseU64(k)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list exchanges: %w", err)
	}
	return out, nil
}
