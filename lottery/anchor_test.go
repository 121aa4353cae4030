package lottery

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"luckbox/auth"
	"luckbox/data"
)

// TestParticipantsHoldTheCommitment: the join answer (first and repeated)
// names the lottery and its seed_hash, the proof after the draw holds against
// exactly that, and each result's inbox item carries the same facts.
func TestParticipantsHoldTheCommitment(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	creator := f.user("creator")
	l := f.create(creator, manual(Prize{"Gold", 1}))
	alice, bob := f.user("alice"), f.user("bob")
	e := f.join(l.ID, alice)
	again := f.join(l.ID, alice) // answered from the read view
	f.join(l.ID, bob)
	for _, got := range []Entry{e, again} {
		if got.LotteryID != l.ID || got.SeedHash != l.Fairness.SeedHash || len(got.SeedHash) != 64 {
			t.Fatalf("join answer %+v, want lottery %s, seed_hash %s", got, l.ID, l.Fairness.SeedHash)
		}
	}
	if _, err := f.svc.Draw(ctx, l.ID, creator.Seq); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Proof(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.VerifyAgainst(Commitment{LotteryID: e.LotteryID, SeedHash: e.SeedHash}); err != nil {
		t.Fatalf("the proof against the join answer: %v", err)
	}
	seq, _, _ := data.DecodeID(l.ID)
	msg := data.Message{ID: 1, Kind: outboxResults, Payload: []byte(fmt.Sprintf(`{"lottery":%d}`, seq))}
	if err := f.svc.deliverResults(ctx, msg); err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.User{alice, bob} {
		items, _, err := f.auth.Inbox(ctx, u.Seq, "", 10)
		if err != nil || len(items) != 1 {
			t.Fatalf("%s's inbox: %+v, %v", u.OpenID, items, err)
		}
		want := map[string]string{"lottery_id": l.ID, "seed_hash": p.SeedHash, "entries_hash": p.EntriesHash}
		got := map[string]string{}
		for k := range want {
			got[k] = items[0].Data[k]
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s's result item data %v, want %v", u.OpenID, items[0].Data, want)
		}
	}
}

// TestEntryOrder: entries are in the order of the current entries' joins; a
// user who leaves and joins again is at the end.
func TestEntryOrder(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	creator := f.user("creator")
	l := f.create(creator, manual(Prize{"Gold", 1}))
	a, b, c := f.user("a"), f.user("b"), f.user("c")
	f.join(l.ID, a)
	f.join(l.ID, b)
	f.join(l.ID, c)
	if err := f.svc.Leave(ctx, l.ID, a.Seq); err != nil {
		t.Fatal(err)
	}
	f.join(l.ID, a)
	if _, err := f.svc.Draw(ctx, l.ID, creator.Seq); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Proof(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{b.ID(), c.ID(), a.ID()}; !slices.Equal(p.Entries, want) {
		t.Errorf("entries %v, want %v (b, c, then a who left and joined again)", p.Entries, want)
	}
}
