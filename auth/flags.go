package auth

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"

	"luckbox/data"
)

// bucketContentFlags holds the user text accepted without a clean pass of the
// content safety check (the check failed, or it asked for a review), for the
// admin: key = flag seq (8) → ContentFlag JSON. Only the newest
// MaxContentFlags are kept.
var bucketContentFlags = []byte("content_flags")

// MaxContentFlags bounds the flagged items kept; older ones are dropped.
const MaxContentFlags = 1000

// maxFlagText bounds the text kept with a flag, in characters.
const maxFlagText = 200

// ContentFlag is one field of user text the admin should look at.
type ContentFlag struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`    // what holds the text: "lottery", "packet", "user"
	Ref       string    `json:"ref"`     // its id
	UserID    string    `json:"user_id"` // the author
	Field     string    `json:"field"`   // as the API names it ("title", "prizes[0].name")
	Reason    string    `json:"reason"`  // "check_failed" or "review"
	Label     int       `json:"label,omitempty"`
	Text      string    `json:"text"` // the text, shortened to 200 characters
	CreatedAt time.Time `json:"created_at"`
}

// FlagContent records flags (their ID and CreatedAt are set here), dropping
// the oldest beyond MaxContentFlags.
func (s *Service) FlagContent(ctx context.Context, flags []ContentFlag) error {
	if len(flags) == 0 {
		return nil
	}
	now := s.opts.Now().UTC()
	err := s.db.Update(ctx, func(tx data.Tx) error {
		b := data.MustBucket(tx, bucketContentFlags)
		var last uint64
		for _, f := range flags {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			f.ID, f.CreatedAt, f.Text = "", now, shorten(f.Text, maxFlagText)
			if err := data.PutJSON(b, data.U64(seq), f); err != nil {
				return err
			}
			last = seq
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil && last-binary.BigEndian.Uint64(k) >= MaxContentFlags; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("flag content: %w", err)
	}
	return nil
}

// ContentFlags lists flagged content, newest first, limit at a time; cursor is
// the next cursor of the previous page ("" for the first).
func (s *Service) ContentFlags(ctx context.Context, cursor string, limit int) (flags []ContentFlag, next string, err error) {
	flags, next, err = newestJSON(s.db, bucketContentFlags, nil, cursor, limit, func(f *ContentFlag, id string) { f.ID = id })
	if err != nil {
		return nil, "", fmt.Errorf("content flags: %w", err)
	}
	return flags, next, nil
}

// shorten cuts s to at most n characters, ending a cut value with "…".
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// Validate checks p as UpdateProfile does and returns it normalised (the
// nickname UpdateProfile would store), without saving anything.
func (p ProfileUpdate) Validate() (ProfileUpdate, error) {
	err := p.validate()
	return p, err
}
