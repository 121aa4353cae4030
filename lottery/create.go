package lottery

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/internal/text"
)

// CreateInput is a new lottery as the creator describes it.
type CreateInput struct {
	Title       string
	Description string
	Prizes      []Prize
	Draw        DrawInput
	// MaxParticipants caps the entries; 0 means no limit (beyond MaxParticipants).
	MaxParticipants int
	// LockBeforeSeconds is how long before Draw.At a time lottery stops
	// taking entries; nil means DefaultLockBefore.
	LockBeforeSeconds *int
	// Group is the openGId of the WeChat group the creator proved
	// (auth.ProveGroup) to restrict the lottery to; "" means open to all.
	Group string
	// ClaimWindowSeconds is how long winners have to leave their delivery
	// details after the draw (0: no window, claims never lapse);
	// MinClaimWindow..MaxClaimWindow otherwise.
	ClaimWindowSeconds int
	// RedrawRounds is how many times prizes that lapse are redrawn among
	// the entrants who have not won (0..MaxRedrawRounds; nil: 1 with a claim
	// window, 0 without). It needs a claim window.
	RedrawRounds *int
}

// DrawInput says when to draw: At (time mode; the zero time means absent)
// or Participants (count mode).
type DrawInput struct {
	Mode         string
	At           time.Time
	Participants *int
}

// fieldErrors collects the invalid fields of an input.
type fieldErrors []data.FieldError

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, data.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// err returns the invalid_argument error naming every invalid field (the
// message names the first), or nil.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	msg := f[0].Field + ": " + f[0].Reason
	if len(f) > 1 {
		msg += fmt.Sprintf(" (and %d more invalid fields)", len(f)-1)
	}
	return &data.Error{Code: data.EInvalid, Message: msg, Details: []data.FieldError(f)}
}

// text normalises *s (see package text) and records why it breaks r, if it
// does; it reports whether *s is good.
func (f *fieldErrors) text(field string, s *string, r text.Rule) bool {
	var why string
	*s, why = text.Clean(*s, r)
	if why != "" {
		f.add(field, "%s", why)
	}
	return why == ""
}

// validate checks the input against now and normalizes it (trims names,
// applies defaults, converts times to UTC).
func (in *CreateInput) validate(now time.Time) error {
	var bad fieldErrors
	bad.text("title", &in.Title, text.Rule{Min: 1, Max: MaxTitle})
	bad.text("description", &in.Description, text.Rule{Max: MaxDescription, Multiline: true})
	if len(in.Prizes) < 1 || len(in.Prizes) > MaxPrizeLines {
		bad.add("prizes", "must list 1..%d prizes", MaxPrizeLines)
	}
	seen := map[string]int{}
	for i := range in.Prizes {
		if i >= MaxPrizeLines {
			break
		}
		p := &in.Prizes[i]
		field := fmt.Sprintf("prizes[%d]", i)
		// Names are compared in NFC (text normalises them), so "é" typed
		// either way is one name.
		if bad.text(field+".name", &p.Name, text.Rule{Min: 1, Max: MaxPrizeName}) {
			if j, dup := seen[p.Name]; dup {
				bad.add(field+".name", "%q is already the name of prizes[%d]; prize names must be unique", p.Name, j)
			} else {
				seen[p.Name] = i
			}
		}
		if p.Quantity < 1 || p.Quantity > MaxPrizeQuantity {
			bad.add(field+".quantity", "must be 1..%d", MaxPrizeQuantity)
		}
	}
	lockBefore := DefaultLockBefore
	if in.LockBeforeSeconds != nil {
		lockBefore = *in.LockBeforeSeconds
		if lockBefore < 0 || lockBefore > MaxLockBefore {
			bad.add("lock_before_seconds", "must be 0..%d", MaxLockBefore)
			lockBefore = DefaultLockBefore
		}
	}
	in.LockBeforeSeconds = &lockBefore
	d := &in.Draw
	switch d.Mode {
	case ModeTime:
		switch {
		case d.At.IsZero():
			bad.add("draw.at", "is required for a time lottery")
		case !d.At.After(now.Add(time.Duration(lockBefore) * time.Second)):
			bad.add("draw.at", "must be later than now + lock_before_seconds (%d s)", lockBefore)
		case d.At.After(now.Add(MaxScheduleAhead)):
			bad.add("draw.at", "must be within a year from now")
		}
		d.At = d.At.UTC()
		if d.Participants != nil {
			bad.add("draw.participants", "is only for count lotteries")
		}
	case ModeCount:
		if d.Participants == nil || *d.Participants < MinCountDraw || *d.Participants > MaxParticipants {
			bad.add("draw.participants", "must be %d..%d for a count lottery", MinCountDraw, MaxParticipants)
		}
		if !d.At.IsZero() {
			bad.add("draw.at", "is only for time lotteries")
		}
	case ModeManual:
		if !d.At.IsZero() {
			bad.add("draw.at", "is only for time lotteries")
		}
		if d.Participants != nil {
			bad.add("draw.participants", "is only for count lotteries")
		}
	default:
		bad.add("draw.mode", "must be time, count or manual")
	}
	switch m := in.MaxParticipants; {
	case m < 0 || m > MaxParticipants:
		bad.add("max_participants", "must be 0 (no limit) or 1..%d", MaxParticipants)
	case m > 0 && d.Mode == ModeCount && d.Participants != nil && m < *d.Participants:
		bad.add("max_participants", "must be 0 or at least draw.participants (%d)", *d.Participants)
	}
	in.validateClaims(&bad)
	return bad.err()
}

// validateClaims checks the claim window and the redraw rounds.
func (in *CreateInput) validateClaims(bad *fieldErrors) {
	if w := in.ClaimWindowSeconds; w != 0 && (w < MinClaimWindow || w > MaxClaimWindow) {
		bad.add("claim_window_seconds", "must be 0 (no window) or %d..%d", MinClaimWindow, MaxClaimWindow)
	}
	rounds := 0
	if in.ClaimWindowSeconds > 0 {
		rounds = 1
	}
	if in.RedrawRounds != nil {
		rounds = *in.RedrawRounds
		switch {
		case rounds < 0 || rounds > MaxRedrawRounds:
			bad.add("redraw_rounds", "must be 0..%d", MaxRedrawRounds)
			rounds = 0
		case rounds > 0 && in.ClaimWindowSeconds == 0:
			bad.add("redraw_rounds", "needs a claim_window_seconds: prizes are redrawn when the claim window closes")
		}
	}
	in.RedrawRounds = &rounds
}

// Create validates in and creates a lottery by creator. A fresh 32-byte
// seed is drawn now and only its SHA-256 is published until the draw. A time
// lottery is scheduled to lock at draw.at − lock_before_seconds and to draw at
// draw.at.
func (s *Service) Create(ctx context.Context, creator auth.User, in CreateInput) (Lottery, error) {
	now := s.opts.Now().UTC()
	in.Prizes = append([]Prize(nil), in.Prizes...)
	if err := in.validate(now); err != nil {
		return Lottery{}, err
	}
	seed, err := s.newSeed()
	if err != nil {
		return Lottery{}, fmt.Errorf("create lottery: %w", err)
	}
	tag, err := data.NewTag(s.opts.Rand)
	if err != nil {
		return Lottery{}, fmt.Errorf("create lottery: id: %w", err)
	}
	sh := SeedHash(seed)
	r := record{
		Tag: tag, Title: in.Title, Description: in.Description,
		CreatorSeq: creator.Seq, CreatorTag: creator.Tag,
		Status: StatusOpen, Prizes: in.Prizes, Mode: in.Draw.Mode,
		MaxParticipants: in.MaxParticipants, CreatedAt: now, Group: in.Group,
		Seed: hex.EncodeToString(seed[:]), SeedHash: hex.EncodeToString(sh[:]),
		ClaimWindow: in.ClaimWindowSeconds, RedrawRounds: *in.RedrawRounds,
	}
	switch r.Mode {
	case ModeTime:
		at := in.Draw.At
		r.At = &at
		r.LockBeforeSeconds = *in.LockBeforeSeconds
	case ModeCount:
		r.Participants = *in.Draw.Participants
	}
	var out Lottery
	err = s.db.Update(ctx, func(tx data.Tx) error {
		rec := r // the op may run twice: start from the input each time
		seq, err := data.MustBucket(tx, bucketLotteries).NextSequence()
		if err != nil {
			return err
		}
		if err := putRecord(tx, seq, &rec); err != nil {
			return err
		}
		if err := data.MustBucket(tx, bucketCreated).Put(pairKey(creator.Seq, seq), nil); err != nil {
			return err
		}
		if rec.Mode == ModeTime {
			if err := s.db.Schedule(tx, *rec.lockAt(), dueLock, lkey(seq)); err != nil {
				return err
			}
			if err := s.db.Schedule(tx, *rec.At, dueDraw, lkey(seq)); err != nil {
				return err
			}
		}
		out = view(tx, seq, &rec, creator.Seq, now)
		return nil
	})
	if err != nil {
		return Lottery{}, fmt.Errorf("create lottery: %w", err)
	}
	return out, nil
}
