package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data/datatest"
	"luckbox/lottery"
)

// openidLogin logs in the openid given as the code.
type openidLogin struct{}

func (openidLogin) Code2Session(_ context.Context, code string) (auth.Identity, error) {
	return auth.Identity{OpenID: code, SessionKey: "k"}, nil
}
func (openidLogin) BadCode(error) bool { return false }

// TestVerifyRedrawChain: a lottery whose claim window closed with a redraw,
// run by the real services and scheduler on an injected clock; `luckbox
// verify` accepts the proof of the whole chain, anchored to the seed_hash
// published at creation, and names the rule a tampered redraw breaks.
func TestVerifyRedrawChain(t *testing.T) {
	ctx := context.Background()
	clock := datatest.NewClock(time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC))
	db := datatest.OpenTemp(t, buckets(), clock)
	a := auth.New(db, openidLogin{}, auth.Options{Now: clock.Now})
	svc := lottery.New(db, a, lottery.Options{Now: clock.Now})
	bg := db.NewBackground()
	a.RegisterBackground(bg)
	svc.RegisterBackground(bg)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); bg.Run(runCtx) }()
	defer func() { stop(); <-done }()

	login := func(openid string) auth.User {
		l, err := a.Login(ctx, openid)
		if err != nil {
			t.Fatal(err)
		}
		return l.User
	}
	creator := login("creator")
	l, err := svc.Create(ctx, creator, lottery.CreateInput{Title: "补抽", Prizes: []lottery.Prize{{Name: "P", Quantity: 2}},
		Draw: lottery.DrawInput{Mode: lottery.ModeManual}, ClaimWindowSeconds: 600})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if _, _, err := svc.Join(ctx, l.ID, login(fmt.Sprintf("u%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Draw(ctx, l.ID, creator.Seq); err != nil {
		t.Fatal(err)
	}
	clock.Add(600 * time.Second)
	var p lottery.Proof
	for deadline := time.Now().Add(20 * time.Second); len(p.Redraws) == 0; time.Sleep(5 * time.Millisecond) {
		db.Poke()
		if p, err = svc.Proof(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting for the redraw")
		}
	}
	dir := t.TempDir()
	good := writeJSON(t, dir, "chain.json", p)
	out, err := verifyRun("--lottery", l.ID, "--seed-hash", l.Fairness.SeedHash, good)
	if err != nil || !strings.Contains(out, "OK: winners match (2 winners recomputed from 6 entries), and the 1 redraw rounds") ||
		!strings.Contains(out, "redraw 1:     seed_hash "+p.Redraws[0].SeedHash) {
		t.Fatalf("verify the chain: %v\n%s", err, out)
	}
	var m map[string]any
	raw, _ := json.Marshal(p)
	_ = json.Unmarshal(raw, &m)
	w := m["redraws"].([]any)[0].(map[string]any)["winners"].([]any)[0].(map[string]any)
	w["user_id"] = p.Winners[1].UserID // an earlier winner drawn again
	bad := writeJSON(t, dir, "tampered.json", m)
	out, err = verifyRun("--lottery", l.ID, "--seed-hash", l.Fairness.SeedHash, bad)
	if err == nil || !strings.Contains(out, "MISMATCH") || !strings.Contains(out, "redraw 1 winner 0") {
		t.Fatalf("verify a tampered redraw: %v\n%s", err, out)
	}
}
