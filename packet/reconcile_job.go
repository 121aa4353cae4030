package packet

import (
	"context"
	"fmt"
	"time"

	"luckbox/data"
)

// dueReconcile is the daily reconciliation (ref: empty).
const dueReconcile = "packet.reconcile"

// nextReconcile is the first ReconcileAt (Beijing time) after now.
func (s *Service) nextReconcile(now time.Time) time.Time {
	y, m, d := now.In(payCST).Date()
	at := time.Date(y, m, d, 0, 0, 0, 0, payCST).Add(s.opts.ReconcileAt)
	if !at.After(now) {
		at = time.Date(y, m, d+1, 0, 0, 0, 0, payCST).Add(s.opts.ReconcileAt)
	}
	return at.UTC()
}

// StartReconcile schedules the daily reconciliation (call once at start,
// if Bills is set): at the next ReconcileAt, and at once too if today's has
// passed and the day before has no reconciliation yet. Every run schedules
// the next at the same time of day, so the due key is the same however
// often the server starts.
func (s *Service) StartReconcile(ctx context.Context) error {
	if s.opts.Bills == nil {
		return nil
	}
	now := s.now()
	next := s.nextReconcile(now)
	done, err := s.reconciled(yesterday(now))
	if err != nil {
		return err
	}
	err = s.db.Update(ctx, func(tx data.Tx) error {
		y, m, d := now.In(payCST).Date()
		if passed := !now.Before(time.Date(y, m, d, 0, 0, 0, 0, payCST).Add(s.opts.ReconcileAt)); !done && passed {
			if err := s.db.Schedule(tx, now, dueReconcile, nil); err != nil {
				return err
			}
		}
		return s.db.Schedule(tx, next, dueReconcile, nil)
	})
	if err != nil {
		return fmt.Errorf("schedule reconciliation: %w", err)
	}
	return nil
}

// yesterday is the bill day before now's.
func yesterday(now time.Time) string { return ourDay(now.In(payCST).AddDate(0, 0, -1)) }

// reconciled reports whether day has a stored reconciliation that got its bill.
func (s *Service) reconciled(day string) (bool, error) {
	var rec Reconciliation
	var found bool
	err := s.db.View(func(tx data.Tx) error {
		b := tx.Bucket(bucketReconcile)
		if b == nil {
			return nil
		}
		var err error
		found, err = data.GetJSON(b, []byte(day), &rec)
		return err
	})
	return found && rec.Error == "", err
}

// handleReconcile reconciles the day before (unless done already) and
// schedules the next run.
func (s *Service) handleReconcile(ctx context.Context, _ data.Due) error {
	now := s.now()
	day := yesterday(now)
	done, err := s.reconciled(day)
	if err != nil {
		return err
	}
	if !done {
		if _, err := s.Reconcile(ctx, day); err != nil {
			return err
		}
	}
	return s.db.Update(ctx, func(tx data.Tx) error { return s.db.Schedule(tx, s.nextReconcile(now), dueReconcile, nil) })
}
