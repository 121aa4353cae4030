package cluster

import (
	"context"
	"log/slog"
	"time"
)

// Leader is what WhileLeader needs of a Node.
type Leader interface {
	// Fence names the writer's term: createRevision changes at every new term.
	Fence() (key string, createRevision int64, ok bool)
	// Changed is closed at the next change of leadership.
	Changed() <-chan struct{}
}

// retryPause is how long WhileLeader waits before starting a term's work
// again after prepare failed or the work ended on its own.
const retryPause = time.Second

// WhileLeader runs work for each term in which this node is the writer,
// until ctx ends: when the node becomes the writer it calls prepare (e.g.
// catching the local copy up to etcd's current revision; nil: none), then
// work, with a context that ends as soon as the node stops being the writer
// (or a new term begins), and waits for work to return before anything
// else starts. It is how the scheduler, the outbox and order queries run
// once cluster-wide: only on the writer.
func WhileLeader(ctx context.Context, l Leader, log *slog.Logger, prepare func(ctx context.Context, term int64) error, work func(context.Context)) {
	for ctx.Err() == nil {
		changed := l.Changed()
		_, term, ok := l.Fence()
		if !ok {
			select {
			case <-changed:
			case <-ctx.Done():
			}
			continue
		}
		runTerm(ctx, l, term, changed, log, prepare, work)
	}
}

// runTerm runs prepare and work for one term and returns when the term
// ended (work has returned by then).
func runTerm(ctx context.Context, l Leader, term int64, changed <-chan struct{}, log *slog.Logger, prepare func(ctx context.Context, term int64) error, work func(context.Context)) {
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		if prepare != nil {
			if err := prepare(tctx, term); err != nil {
				done <- err
				return
			}
		}
		work(tctx)
		done <- nil
	}()
	stop := func() { cancel(); <-done }
	for {
		select {
		case <-ctx.Done():
			stop()
			return
		case err := <-done:
			cancel()
			if err != nil && tctx.Err() == nil {
				log.Warn("writer: preparing to act as the writer failed; retrying", "err", err)
			}
			select { // still the writer: start again after a pause
			case <-time.After(retryPause):
			case <-ctx.Done():
			}
			return
		case <-changed:
			changed = l.Changed()
			if _, t, ok := l.Fence(); ok && t == term {
				continue
			}
			stop()
			return
		}
	}
}
