package lottery

import (
	"context"
	"fmt"
	"testing"

	"luckbox/auth"
	"luckbox/data"
)

// kindCount counts a user's inbox items of kind with ref, and returns the
// last one seen.
func (f *fixture) kindCount(u auth.User, kind, ref string) (int, auth.InboxItem) {
	f.t.Helper()
	items, _, err := f.auth.Inbox(context.Background(), u.Seq, "", 100)
	if err != nil {
		f.t.Fatal(err)
	}
	n, last := 0, auth.InboxItem{}
	for _, it := range items {
		if it.Ref == ref && it.Kind == kind {
			n++
			last = it
		}
	}
	return n, last
}

// TestCancelNoticesExactlyOnceInChunks: canceling tells every participant
// once, in operations of NotifyChunk participants, even when the fan-out
// stopped after one chunk (a crash) and its message is delivered twice.
func TestCancelNoticesExactlyOnceInChunks(t *testing.T) {
	f := newFixture(t, Options{NotifyChunk: 4})
	ctx := context.Background()
	creator := f.user("creator")
	l := f.create(creator, manual(Prize{"一等奖", 1}))
	var users []auth.User
	for i := range 11 {
		u := f.user(fmt.Sprintf("u%d", i))
		users = append(users, u)
		f.join(l.ID, u)
	}
	if err := f.svc.Leave(ctx, l.ID, users[10].Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Cancel(ctx, l.ID, creator.Seq); err != nil {
		t.Fatal(err)
	}
	seq, _, _ := data.DecodeID(l.ID)
	if err := f.db.Update(ctx, func(tx data.Tx) error { _, err := f.svc.notifyChunk(tx, seq); return err }); err != nil {
		t.Fatal(err)
	}
	told := 0
	for _, u := range users {
		n, _ := f.kindCount(u, KindCanceled, l.ID)
		told += n
	}
	if told != 4 {
		t.Fatalf("one chunk told %d participants, want 4", told)
	}
	msg := data.Message{ID: 1, Kind: outboxResults, Payload: []byte(fmt.Sprintf(`{"lottery":%d}`, seq))}
	for range 2 {
		if err := f.svc.deliverResults(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range users[:10] {
		n, it := f.kindCount(u, KindCanceled, l.ID)
		if n != 1 {
			t.Fatalf("%s has %d cancellation notices, want 1", u.OpenID, n)
		}
		if it.Data["lottery_id"] != l.ID || it.Data["title"] != "年会抽奖" || it.Body != "你参加的「年会抽奖」已被发起人取消" {
			t.Fatalf("notice %+v", it)
		}
		if n, _ := f.kindCount(u, KindResult, l.ID); n != 0 {
			t.Fatalf("%s got a result of a canceled lottery", u.OpenID)
		}
	}
	if n, _ := f.kindCount(users[10], KindCanceled, l.ID); n != 0 {
		t.Fatal("a user who left was told")
	}
	if n, _ := f.kindCount(creator, KindCanceled, l.ID); n != 0 {
		t.Fatal("the creator (not a participant) was told")
	}
}

// TestCancelWithoutEntrantsQueuesNothing: nobody to tell, no fan-out.
func TestCancelWithoutEntrantsQueuesNothing(t *testing.T) {
	f := newFixture(t, Options{})
	creator := f.user("creator")
	l := f.create(creator, manual(Prize{"P", 1}))
	before := f.db.OutboxStats()
	if _, err := f.svc.Cancel(context.Background(), l.ID, creator.Seq); err != nil {
		t.Fatal(err)
	}
	if after := f.db.OutboxStats(); after != before {
		t.Fatalf("outbox %+v → %+v", before, after)
	}
}

// TestResultNoticeCarriesNeutralData: a result item has what a client needs
// to word it in its reader's language.
func TestResultNoticeCarriesNeutralData(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	creator := f.user("creator")
	l := f.create(creator, manual(Prize{"一等奖", 1}))
	a, b := f.user("a"), f.user("b")
	f.join(l.ID, a)
	f.join(l.ID, b)
	if _, err := f.svc.Draw(ctx, l.ID, creator.Seq); err != nil {
		t.Fatal(err)
	}
	seq, _, _ := data.DecodeID(l.ID)
	if err := f.svc.deliverResults(ctx, data.Message{Payload: []byte(fmt.Sprintf(`{"lottery":%d}`, seq))}); err != nil {
		t.Fatal(err)
	}
	won := 0
	for _, u := range []auth.User{a, b} {
		_, it := f.kindCount(u, KindResult, l.ID)
		if it.Data["title"] != "年会抽奖" {
			t.Fatalf("data %v", it.Data)
		}
		switch it.Data["won"] {
		case "true":
			won++
			if it.Data["prize"] != "一等奖" {
				t.Fatalf("winner data %v", it.Data)
			}
		case "false":
			if _, ok := it.Data["prize"]; ok {
				t.Fatalf("loser data %v", it.Data)
			}
		default:
			t.Fatalf("data %v", it.Data)
		}
	}
	if won != 1 {
		t.Fatalf("%d winners", won)
	}
}
