package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"luckbox/data"
)

// bucketInbox holds every user's notifications:
// key = user seq (8) ‖ item seq (8) → item JSON, so a user's items are
// contiguous and in order.
var bucketInbox = []byte("inbox")

// InboxItem is one notification kept for a user.
type InboxItem struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Ref       string    `json:"ref"`
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
	// Data holds machine-readable facts of the item (a lottery result: the
	// lottery_id, seed_hash and entries_hash to check its proof against);
	// null when it has none.
	Data map[string]string `json:"data"`
}

// Notification is what a domain operation tells a user. The inbox always gets
// a copy; when Template is set and the user holds a one-time grant for it, a
// WeChat subscribe message with Data is also sent after commit.
type Notification struct {
	Kind, Title, Body, Ref string
	Template               string            // subscribe-message template id ("" = inbox only)
	Page                   string            // mini-program page the message opens
	Data                   map[string]string // template fields
	Details                map[string]string // kept as the inbox item's data
}

// Notify records n for the user with sequence userSeq inside the caller's
// write transaction: the inbox item is written there, a grant is used up and a
// push is queued in the outbox if the user has one. Call it once per
// notification the operation decides on; it writes, so call it only after
// the operation has decided not to reject.
func (s *Service) Notify(tx data.Tx, userSeq uint64, n Notification) error {
	b := data.MustBucket(tx, bucketInbox)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	item := InboxItem{Kind: n.Kind, Title: n.Title, Body: n.Body, Ref: n.Ref, CreatedAt: s.opts.Now().UTC(), Data: n.Details}
	if err := data.PutJSON(b, data.Key(data.U64(userSeq), data.U64(seq)), item); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if n.Template == "" || s.opts.Pusher == nil {
		return nil
	}
	used, err := useGrant(tx, userSeq, n.Template)
	if err != nil || !used {
		return err
	}
	u, ok, err := getUser(tx, userSeq)
	if err != nil || !ok {
		return err
	}
	_, err = s.db.Enqueue(tx, outboxSubscribe, pushMessage{OpenID: u.OpenID, Template: n.Template, Page: n.Page, Data: n.Data})
	return err
}

// Inbox lists the user's notifications, newest first, limit at a time; cursor
// is the next cursor of the previous page ("" for the first page).
func (s *Service) Inbox(ctx context.Context, userSeq uint64, cursor string, limit int) (items []InboxItem, next string, err error) {
	items, next, err = newestJSON(s.db, bucketInbox, data.U64(userSeq), cursor, limit, func(it *InboxItem, id string) { it.ID = id })
	if err != nil {
		return nil, "", fmt.Errorf("inbox: %w", err)
	}
	return items, next, nil
}

// newestJSON reads a page of the JSON list under prefix in bucket, newest
// first, limit items (1..100, else 50) from cursor, naming each item by its
// sequence with setID.
func newestJSON[T any](db *data.DB, bucket, prefix []byte, cursor string, limit int, setID func(*T, string)) (items []T, next string, err error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	from, err := data.ParseCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	err = db.View(func(tx data.Tx) error {
		c := data.MustBucket(tx, bucket).Cursor()
		next, err = data.NewestFirst(c, prefix, from, limit, func(seq uint64, v []byte) (bool, error) {
			var it T
			if err := jsonUnmarshal(v, &it); err != nil {
				return false, err
			}
			setID(&it, strconv.FormatUint(seq, 10))
			items = append(items, it)
			return true, nil
		})
		return err
	})
	return items, next, err
}

// MarkRead marks one inbox item (or all, for id "all") as read.
func (s *Service) MarkRead(ctx context.Context, userSeq uint64, id string) error {
	var itemSeq uint64
	if id != "all" {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil || n == 0 {
			return data.Errorf(data.ENotFound, "no such inbox item")
		}
		itemSeq = n
	}
	errNotFound := errors.New("not found")
	err := s.db.Update(ctx, func(tx data.Tx) error {
		b := data.MustBucket(tx, bucketInbox)
		prefix := data.U64(userSeq)
		if itemSeq != 0 {
			k := data.Key(prefix, data.U64(itemSeq))
			var it InboxItem
			found, err := data.GetJSON(b, k, &it)
			if err != nil {
				return err
			}
			if !found {
				return errNotFound
			}
			it.Read = true
			return data.PutJSON(b, k, it)
		}
		type kv struct {
			k  []byte
			it InboxItem
		}
		var unread []kv
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && string(k[:8]) == string(prefix); k, v = c.Next() {
			var it InboxItem
			if err := jsonUnmarshal(v, &it); err != nil {
				return err
			}
			if !it.Read {
				it.Read = true
				unread = append(unread, kv{append([]byte(nil), k...), it})
			}
		}
		for _, e := range unread {
			if err := data.PutJSON(b, e.k, e.it); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errNotFound) {
		return data.Errorf(data.ENotFound, "no such inbox item")
	}
	if err != nil {
		return fmt.Errorf("mark read: %w", err)
	}
	return nil
}
