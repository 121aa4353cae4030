package web

import (
	"context"
	"sync"
	"testing"
)

// fakeReplica is a local copy at a fixed revision that records the
// revisions it was asked to wait for.
type fakeReplica struct {
	rev    int64
	mu     sync.Mutex
	waited []int64
}

func (f *fakeReplica) CommittedRevision() int64 { return f.rev }

func (f *fakeReplica) WaitRevision(_ context.Context, rev int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waited = append(f.waited, rev)
	return nil
}

func (f *fakeReplica) waits() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.waited...)
}

// TestForwardedWriteWaitsForTheFollowersCopy: the writer stamps its answer
// to a forwarded write with its copy's revision; the follower waits for
// its own copy to reach that revision before answering, and the client
// never sees the stamp. Direct writes and reads are not stamped.
func TestForwardedWriteWaitsForTheFollowersCopy(t *testing.T) {
	writerCopy, followerCopy := &fakeReplica{rev: 4242}, &fakeReplica{}
	writer := newHarness(t, withLotteries, withLeadership(fakeLeadership{leader: true}),
		withWebOptions(func(o *Options) { o.Replica = writerCopy }))
	follower := newHarness(t, withLotteries, withLeadership(fakeLeadership{url: writer.ts.URL}),
		withWebOptions(func(o *Options) { o.Replica = followerCopy }))

	token, _ := follower.login("alice") // login code and login: two forwarded writes
	r := follower.postLottery(token, "read your writes")
	wantStatus(t, r, 201, "")
	if v := r.Header.Get(RevisionHeader); v != "" {
		t.Fatalf("the client saw %s: %s", RevisionHeader, v)
	}
	waits := followerCopy.waits()
	if len(waits) != 3 {
		t.Fatalf("the follower waited %d times (%v), want once per forwarded write (3)", len(waits), waits)
	}
	for _, rev := range waits {
		if rev != 4242 {
			t.Fatalf("the follower waited for revision %d, want the writer's 4242", rev)
		}
	}
	// A write sent to the writer itself carries no stamp.
	wtoken, _ := writer.login("bob")
	r = writer.postLottery(wtoken, "direct")
	wantStatus(t, r, 201, "")
	if v := r.Header.Get(RevisionHeader); v != "" {
		t.Fatalf("a direct write was stamped: %s", v)
	}
	if n := len(writerCopy.waits()); n != 0 {
		t.Fatalf("the writer waited for its own copy %d times", n)
	}
}
