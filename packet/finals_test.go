package packet

import (
	"sync"
	"testing"
	"time"

	"luckbox/data"
)

// readTxs is the number of read transactions db has begun.
func readTxs(e *env) int64 { return int64(e.db.Bolt().Stats().TxN) }

// TestRejectionsFromMemory: once a packet is final, the rejections of
// users who did not grab it (exhausted, expired, not for you, another tag)
// are answered without a read transaction, with the same errors as from the
// database; the users who grabbed get their grab.
func TestRejectionsFromMemory(t *testing.T) {
	e := newEnv(t, Options{})
	alice, bob, carol, dan := e.user("alice"), e.user("bob"), e.user("carol"), e.user("dan")
	e.fund(alice, 10000)
	lucky := e.create(alice, CreateInput{Kind: KindLucky, Count: 2, Amount: 300})
	personal := e.create(alice, CreateInput{Kind: KindPersonal, Amount: 100, ToUserID: bob.ID()})
	expiring := e.create(alice, CreateInput{Kind: KindEqual, Count: 3, AmountEach: 10})
	for _, u := range []uint64{bob.Seq, carol.Seq} {
		if _, err := e.svc.Grab(ctx, u, lucky.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Grab(ctx, bob.Seq, personal.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Grab(ctx, carol.Seq, expiring.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(DefaultTTL)
	seq, tag, _ := data.DecodeID(expiring.ID)
	if ok, err := e.svc.Expire(ctx, seq); err != nil || !ok {
		t.Fatalf("expire: %v %v", ok, err)
	}
	wrongTag := data.EncodeID(seq, tag^1)
	cases := []struct {
		user uint64
		id   string
		code string
	}{
		{dan.Seq, lucky.ID, data.EExhausted},
		{dan.Seq, personal.ID, data.EForbidden},
		{alice.Seq, personal.ID, data.EForbidden},
		{dan.Seq, expiring.ID, data.EExpired},
		{bob.Seq, expiring.ID, data.EExpired},
		{dan.Seq, wrongTag, data.ENotFound},
	}
	for _, c := range cases {
		_, fromDB := e.svc.Grab(ctx, c.user, c.id) // the first answer reads the database
		wantCode(t, fromDB, c.code)
	}
	if p, g := e.svc.finals.size(); p != 3 || g != 4 {
		t.Fatalf("finals hold %d packets, %d grabbers; want 3 and 4", p, g)
	}
	before := readTxs(e)
	for _, c := range cases {
		_, fromDB := e.svc.Grab(ctx, c.user, c.id) // same as the database said
		_, err := e.svc.Grab(ctx, c.user, c.id)
		wantCode(t, err, c.code)
		if err.Error() != fromDB.Error() {
			t.Errorf("from memory %q, from the database %q", err, fromDB)
		}
	}
	if n := readTxs(e) - before; n != 0 {
		t.Fatalf("%d read transactions for rejections known from memory", n)
	}
	// Those who grabbed are answered their grab (from the database).
	for _, c := range []struct {
		user uint64
		id   string
	}{{bob.Seq, lucky.ID}, {carol.Seq, lucky.ID}, {bob.Seq, personal.ID}, {carol.Seq, expiring.ID}} {
		r, err := e.svc.Grab(ctx, c.user, c.id)
		if err != nil || !r.Again || r.Amount < 1 || !r.Credited {
			t.Fatalf("grab again of a final packet: %+v %v", r, err)
		}
	}
	if n := readTxs(e) - before; n != 4 {
		t.Fatalf("%d read transactions for 4 repeated grabs, want 4", n)
	}
}

// TestUnfundedExpiredIsNotFinal: a WeChat packet that expired before its
// payment is not final (the payment funds it and may finish it), so its
// rejections are not remembered; once paid and finished they are.
func TestUnfundedExpiredIsNotFinal(t *testing.T) {
	e := newEnv(t, Options{})
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	p := e.create(alice, CreateInput{Kind: KindEqual, Count: 1, AmountEach: 50, PayWith: PayWeChat})
	if _, err := e.svc.MarkPaid(ctx, alice.Seq, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Grab(ctx, bob.Seq, p.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(DefaultTTL)
	seq, _, _ := data.DecodeID(p.ID)
	if ok, err := e.svc.Expire(ctx, seq); err != nil || !ok {
		t.Fatalf("expire: %v %v", ok, err)
	}
	_, err := e.svc.Grab(ctx, carol.Seq, p.ID)
	wantCode(t, err, data.EExhausted)
	if n, _ := e.svc.finals.size(); n != 0 {
		t.Fatal("an expired packet that is not funded was remembered as final")
	}
	for no := range e.pay.orders {
		if _, err := e.svc.ApplyPayment(ctx, e.pay.pay(t, no)); err != nil {
			t.Fatal(err)
		}
	}
	if q := e.get(alice, p.ID); q.Status != StatusFinished || !q.Grabs[0].Credited {
		t.Fatalf("after the late payment: %+v", q)
	}
	_, err = e.svc.Grab(ctx, carol.Seq, p.ID)
	wantCode(t, err, data.EExhausted)
	if n, _ := e.svc.finals.size(); n != 1 {
		t.Fatal("the finished packet was not remembered")
	}
	if r, err := e.svc.Grab(ctx, bob.Seq, p.ID); err != nil || !r.Again || !r.Credited || r.Amount != 50 {
		t.Fatalf("bob's grab after the payment: %+v %v", r, err)
	}
}

// TestGrabRacingTheLastShareIsNeverToldExhausted: many users grab a packet
// at once, round after round, while memory answers what it knows. Nobody
// is told "exhausted" before the transaction that took the last share began
// to commit (such an answer would be false), and exactly count grabs win.
func TestGrabRacingTheLastShareIsNeverToldExhausted(t *testing.T) {
	var mu sync.Mutex
	lastShare := map[uint64]time.Time{} // packet seq → when the transaction taking its last share began to commit
	hook := func(tx data.Tx) {
		committing := time.Now()
		var done []uint64
		_ = tx.Bucket(bucketPackets).ForEach(func(k, _ []byte) error {
			st, _, err := loadState(tx, data.ParseU64(k))
			if err == nil && st.Next == st.Count {
				done = append(done, data.ParseU64(k))
			}
			return nil
		})
		tx.OnCommit(func() {
			mu.Lock()
			defer mu.Unlock()
			for _, seq := range done {
				if _, ok := lastShare[seq]; !ok {
					lastShare[seq] = committing
				}
			}
		})
	}
	e := newEnvHooked(t, Options{}, false, hook)
	alice := e.user("alice")
	e.fund(alice, 1_000_000)
	const rounds, shares, grabbers = 20, 5, 40
	us := users(e, grabbers, "g")
	for round := range rounds {
		p := e.create(alice, CreateInput{Kind: KindLucky, Count: shares, Amount: 100})
		seq, _, _ := data.DecodeID(p.ID)
		type answer struct {
			err error
			at  time.Time
		}
		// Each user grabs three times in a row, 3 goroutines each: the
		// later attempts meet the answers memory has learnt meanwhile.
		answers := make([]answer, 9*grabbers)
		var wg sync.WaitGroup
		for g := range 3 * grabbers {
			wg.Go(func() {
				for k := range 3 {
					i := g + k*3*grabbers
					_, err := e.svc.Grab(ctx, us[i%grabbers].Seq, p.ID)
					answers[i] = answer{err, time.Now()}
				}
			})
		}
		wg.Wait()
		_, err := e.svc.Grab(ctx, alice.Seq, p.ID) // the sender never grabbed: remembered now
		wantCode(t, err, data.EExhausted)
		mu.Lock()
		last, ok := lastShare[seq]
		mu.Unlock()
		if !ok {
			t.Fatalf("round %d: the last share was never taken", round)
		}
		won := map[uint64]bool{}
		for i, a := range answers {
			switch code := data.ErrorCode(a.err); {
			case a.err == nil:
				won[us[i%grabbers].Seq] = true
			case code == data.EExhausted:
				if a.at.Before(last) {
					t.Fatalf("round %d: told exhausted %v before the last share's commit", round, last.Sub(a.at))
				}
			default:
				t.Fatalf("round %d: %v", round, a.err)
			}
		}
		if len(won) != shares {
			t.Fatalf("round %d: %d users won a share of %d", round, len(won), shares)
		}
	}
	if n, _ := e.svc.finals.size(); n != rounds {
		t.Fatalf("%d finished packets remembered, want %d", n, rounds)
	}
	e.audit()
}

// TestFinalsBounded: finals holds at most its budget of grabbers and drops
// the oldest packets first; a dropped packet is answered by the database.
func TestFinalsBounded(t *testing.T) {
	e := newEnv(t, Options{})
	e.svc.finals = newFinals(7)
	alice := e.user("alice")
	e.fund(alice, 1_000_000)
	us := users(e, 4, "u")
	var ids []string
	for range 4 {
		p := e.create(alice, CreateInput{Kind: KindEqual, Count: 3, AmountEach: 1})
		for _, u := range us[:3] {
			if _, err := e.svc.Grab(ctx, u.Seq, p.ID); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.svc.Grab(ctx, us[3].Seq, p.ID)
		wantCode(t, err, data.EExhausted)
		ids = append(ids, p.ID)
		if n, g := e.svc.finals.size(); g > 7 || n > 2 {
			t.Fatalf("finals hold %d packets and %d grabbers, over the budget of 7", n, g)
		}
	}
	before := readTxs(e)
	_, err := e.svc.Grab(ctx, us[3].Seq, ids[3])
	wantCode(t, err, data.EExhausted)
	if readTxs(e) != before {
		t.Fatal("the newest packet is not answered from memory")
	}
	_, err = e.svc.Grab(ctx, us[3].Seq, ids[0])
	wantCode(t, err, data.EExhausted)
	if readTxs(e) == before {
		t.Fatal("the oldest packet should have been dropped")
	}
}
