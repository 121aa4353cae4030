package data

import (
	"context"
	"sync"
	"time"
)

// Background runs the scheduler and the outbox dispatcher. Register every
// handler before Run.
type Background struct {
	db      *DB
	due     map[string]DueHandler
	outbox  map[string]OutboxHandler
	Workers int // concurrent handlers per loop (default 16)
}

// NewBackground returns an empty Background for db.
func (db *DB) NewBackground() *Background {
	return &Background{db: db, due: map[string]DueHandler{}, outbox: map[string]OutboxHandler{}}
}

// HandleDue registers the handler for scheduled work of kind.
func (b *Background) HandleDue(kind string, h DueHandler) { b.due[kind] = h }

// HandleOutbox registers the handler for outbox messages of kind.
func (b *Background) HandleOutbox(kind string, h OutboxHandler) { b.outbox[kind] = h }

// Run catches up on everything overdue, then keeps running scheduled work and
// delivering the outbox until ctx ends; it returns when both loops stopped.
func (b *Background) Run(ctx context.Context) {
	w := b.Workers
	if w <= 0 {
		w = 16
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); b.db.runScheduler(ctx, b.due, w) }()
	go func() { defer wg.Done(); b.db.runOutbox(ctx, b.outbox, w) }()
	go func() { defer wg.Done(); b.db.sweepIdempotency(ctx, time.Hour) }()
	wg.Wait()
}
