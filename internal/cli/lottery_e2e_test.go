package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/lottery"
)

// openOffline opens the database of a stopped server, with the services
// but no background work (nothing is delivered while it is open).
func openOffline(t *testing.T, file string) (*data.DB, *auth.Service, *lottery.Service) {
	t.Helper()
	db, err := data.Open(file, data.Options{Buckets: buckets(), Migrations: migrations(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(db, nil, auth.Options{})
	return db, a, lottery.New(db, a, lottery.Options{Template: "luckbox_lottery_result"})
}

// TestLotteryRestart: a time lottery due while the server was down is
// drawn on start-up; a draw whose result fan-out was written to the outbox
// before the server stopped is delivered after the restart; every
// participant ends with exactly one result per lottery in the inbox.
func TestLotteryRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "luckbox.db")
	s := startServer(t, file)
	api := s.URL + "/api/v1"
	creator, creatorID := demoLogin(t, s.URL, "r-creator")
	type user struct{ token, id string }
	var users []user
	for i := range 3 {
		tok, id := demoLogin(t, s.URL, fmt.Sprintf("r-%d", i))
		users = append(users, user{tok, id})
	}
	prizes := []map[string]any{{"name": "一等奖", "quantity": 1}}
	at := time.Now().Add(3 * time.Second).UTC()
	var timed, manual lottery.Lottery
	if st := call(t, "POST", api+"/lotteries", creator, map[string]any{"title": "停机时开奖", "prizes": prizes,
		"draw": map[string]any{"mode": "time", "at": at.Format(time.RFC3339Nano)}, "lock_before_seconds": 0}, &timed); st != 201 {
		t.Fatalf("create time lottery: %d", st)
	}
	if st := call(t, "POST", api+"/lotteries", creator, map[string]any{"title": "手动开奖", "prizes": prizes,
		"draw": map[string]any{"mode": "manual"}}, &manual); st != 201 {
		t.Fatalf("create manual lottery: %d", st)
	}
	for _, u := range users {
		for _, id := range []string{timed.ID, manual.ID} {
			if st := call(t, "POST", api+"/lotteries/"+id+"/entries", u.token, nil, nil); st != 201 {
				t.Fatalf("join %s: %d", id, st)
			}
		}
	}
	s.stop(t)

	// While the server is down: the manual lottery is drawn and its result
	// fan-out is left in the outbox (nothing runs to deliver it), as if the
	// server had died right after the draw committed.
	db, _, svc := openOffline(t, file)
	seq, _, _ := data.DecodeID(creatorID)
	if _, err := svc.Draw(context.Background(), manual.ID, seq); err != nil {
		t.Fatal(err)
	}
	if st := db.OutboxStats(); st.Pending != 1 {
		t.Fatalf("outbox after the offline draw: %+v, want 1 pending", st)
	}
	db.Close()
	time.Sleep(time.Until(at) + 50*time.Millisecond) // the time lottery falls due while the server is down

	s2 := startServer(t, file)
	api = s2.URL + "/api/v1"
	deadline := time.Now().Add(20 * time.Second)
	for {
		var l lottery.Lottery
		call(t, "GET", api+"/lotteries/"+timed.ID, creator, nil, &l)
		if l.Status == "drawn" {
			if l.WinnerCount != 1 || l.LockedAt == nil || l.Fairness.Seed == nil {
				t.Fatalf("drawn on start-up: %+v", l)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("time lottery not drawn after the restart: %+v", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var p lottery.Proof
	if st := call(t, "GET", api+"/lotteries/"+timed.ID+"/proof", creator, nil, &p); st != 200 || len(p.Entries) != 3 || p.Verify() != nil {
		t.Fatalf("proof of the time lottery: %d %+v", st, p)
	}
	// Wait for both fan-outs to reach every participant's inbox.
	for _, u := range users {
		for {
			var inbox struct{ Items []struct{ Kind, Ref string } }
			call(t, "GET", api+"/me/inbox", u.token, nil, &inbox)
			if len(inbox.Items) >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("inbox of %s: %+v", u.id, inbox.Items)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The inbox items commit before the delivery itself is recorded (the
	// outbox is at-least-once): wait for the backlog to be empty, or the stop
	// below may leave a delivered message pending, to be re-run (harmlessly)
	// at the next start.
	for scrape(t, s2.URL)["luckbox_outbox_pending"] != 0 {
		if time.Now().After(deadline) {
			t.Fatal("outbox not drained after the restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s2.stop(t)

	// Offline again: the outbox is empty and every participant holds exactly
	// one result per lottery.
	db, a, _ := openOffline(t, file)
	defer db.Close()
	if st := db.OutboxStats(); st.Pending != 0 || st.Dead != 0 {
		t.Fatalf("outbox after delivery: %+v", st)
	}
	for _, u := range users {
		seq, _, _ := data.DecodeID(u.id)
		items, _, err := a.Inbox(context.Background(), seq, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, it := range items {
			if it.Kind == lottery.KindResult {
				got[it.Ref]++
			}
		}
		if len(items) != 2 || got[timed.ID] != 1 || got[manual.ID] != 1 {
			t.Fatalf("inbox of %s: %+v", u.id, items)
		}
	}
}
