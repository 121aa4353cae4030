package lottery

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"luckbox/auth"
	"luckbox/data"
	"luckbox/internal/stattest"
)

// TestRedrawFixedSeed pins one redraw: the eligible entries leave out every
// earlier winner, the lapsed prizes are grouped by the prize list, and the
// same inputs give the same winners.
func TestRedrawFixedSeed(t *testing.T) {
	seed := sha256.Sum256([]byte("redraw"))
	entries := users(10)
	earlier := map[string]bool{"u2": true, "u5": true, "u9": true}
	eligible := Eligible(entries, earlier)
	if want := []string{"u1", "u3", "u4", "u6", "u7", "u8", "u10"}; !slices.Equal(eligible, want) {
		t.Fatalf("eligible = %v, want %v", eligible, want)
	}
	prizes := LapsedPrizes([]Prize{{"Gold", 1}, {"Silver", 2}, {"Bronze", 3}}, []string{"Bronze", "Gold", "Bronze"})
	if want := []Prize{{"Gold", 1}, {"Bronze", 2}}; !slices.Equal(prizes, want) {
		t.Fatalf("lapsed prizes = %v, want %v", prizes, want)
	}
	eh, got := Redraw(seed, eligible, prizes)
	if eh != EntriesHash(eligible) {
		t.Fatal("eligible hash is not the entries hash of the eligible entries")
	}
	want := []Winner{{"u8", "Gold"}, {"u1", "Bronze"}, {"u6", "Bronze"}}
	if !slices.Equal(got, want) {
		t.Fatalf("redraw = %v, want %v", got, want)
	}
	if _, again := Redraw(seed, eligible, prizes); !slices.Equal(again, got) {
		t.Fatalf("the redraw is not deterministic: %v then %v", got, again)
	}
}

func users(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "u" + strconv.Itoa(i+1)
	}
	return out
}

// TestRedrawUniform: over many seeds every eligible entry wins a redraw
// equally often (chi-square at p = 0.001) and an earlier winner never does.
func TestRedrawUniform(t *testing.T) {
	const n, draws = 20, 20000
	entries := users(n)
	earlier := map[string]bool{"u1": true, "u7": true, "u8": true, "u20": true}
	eligible := Eligible(entries, earlier)
	counts := map[string]float64{}
	for i := range draws {
		seed := sha256.Sum256([]byte("uniform " + strconv.Itoa(i)))
		_, ws := Redraw(seed, eligible, []Prize{{"P", 1}})
		counts[ws[0].UserID]++
	}
	obs := make([]float64, 0, len(eligible))
	for _, e := range entries {
		if earlier[e] && counts[e] > 0 {
			t.Fatalf("earlier winner %s won a redraw %v times", e, counts[e])
		}
		if !earlier[e] {
			obs = append(obs, counts[e])
		}
	}
	if x, lim := stattest.ChiSquare(obs, draws/float64(len(eligible))), stattest.Chi999(len(eligible)-1); x > lim {
		t.Fatalf("redraw winners are not uniform: chi2 = %.1f > %.1f (%v)", x, lim, obs)
	}
}

// claimFixture is a drawn manual lottery with a claim window.
type claimFixture struct {
	*fixture
	creator auth.User
	users   map[string]auth.User // by id
	l       Lottery
}

func newClaimFixture(t *testing.T, entrants, window, rounds int, prizes ...Prize) *claimFixture {
	f := &claimFixture{fixture: newFixture(t, Options{Template: "tmpl"}), users: map[string]auth.User{}}
	f.creator = f.user("creator")
	in := manual(prizes...)
	in.ClaimWindowSeconds, in.RedrawRounds = window, intp(rounds)
	f.l = f.create(f.creator, in)
	for i := range entrants {
		u := f.user(fmt.Sprintf("e%d", i))
		f.users[u.ID()] = u
		f.join(f.l.ID, u)
	}
	if _, err := f.svc.Draw(context.Background(), f.l.ID, f.creator.Seq); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *claimFixture) proof() Proof {
	f.t.Helper()
	p, err := f.svc.Proof(context.Background(), f.l.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *claimFixture) claim(u auth.User) error {
	_, _, err := f.svc.Claim(context.Background(), f.l.ID, u, ClaimInput{Name: "张三", Phone: "13800000000", Address: "上海"})
	return err
}

// closeRound runs the scheduled close of round's window (as the scheduler
// does, possibly twice).
func (f *claimFixture) closeRound(round int) {
	f.t.Helper()
	seq, _, _ := data.DecodeID(f.l.ID)
	if err := f.svc.dueClaimEnd(context.Background(), data.Due{Ref: data.Key(lkey(seq), data.U64(uint64(round)))}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *claimFixture) kinds(u auth.User, kind string) int { return f.inboxKind(u, f.l.ID, kind) }

// TestClaimWindowRedrawChain: a claim within the window is accepted, one
// after it refused (expired); the close redraws the lapsed prizes among
// those who never won, twice over two rounds, each once even when the close
// runs again; the proof of the whole chain holds and a tampered redraw
// does not; lapsed and redraw winners are told once.
func TestClaimWindowRedrawChain(t *testing.T) {
	f := newClaimFixture(t, 12, 3600, 2, Prize{"Gold", 1}, Prize{"Silver", 2})
	ctx := context.Background()
	p := f.proof()
	if len(p.Winners) != 3 || p.Redraws != nil {
		t.Fatalf("after the draw: %d winners, redraws %v", len(p.Winners), p.Redraws)
	}
	l := f.get(f.l.ID)
	if l.ClaimWindow == nil || l.ClaimWindow.Deadline == nil || len(l.ClaimWindow.Redraws) != 1 || l.ClaimWindow.Redraws[0].Seed != nil {
		t.Fatalf("claim window after the draw: %+v", l.ClaimWindow)
	}
	committed := l.ClaimWindow.Redraws[0].SeedHash
	first := f.users[p.Winners[0].UserID]
	if err := f.claim(first); err != nil {
		t.Fatalf("claim within the window: %v", err)
	}
	f.clock.Add(3600 * time.Second)
	late := f.users[p.Winners[1].UserID]
	if err := f.claim(late); data.ErrorCode(err) != data.EExpired {
		t.Fatalf("claim at the deadline: %v, want expired", err)
	}
	_, events, cancel, err := f.svc.Watch(ctx, f.l.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	f.closeRound(0)
	f.closeRound(0) // the scheduler ran it again after a restart: nothing changes
	if ev := <-events; ev.Name != EventRedrawn || !strings.Contains(string(ev.Data), `"round":1`) {
		t.Fatalf("live event %s %s, want redrawn round 1", ev.Name, ev.Data)
	}
	select {
	case ev := <-events:
		t.Fatalf("a second live event %s: the close ran twice", ev.Name)
	default:
	}
	p = f.proof()
	if err := p.Verify(); err != nil {
		t.Fatalf("proof with one redraw: %v", err)
	}
	if len(p.Redraws) != 1 || p.Redraws[0].SeedHash != committed || len(p.Redraws[0].Lapsed) != 2 || len(p.Redraws[0].Winners) != 2 {
		t.Fatalf("redraw 1 = %+v", p.Redraws)
	}
	main := map[string]bool{}
	for _, w := range p.Winners {
		main[w.UserID] = true
	}
	for _, w := range p.Redraws[0].Winners {
		if main[w.UserID] {
			t.Fatalf("earlier winner %s redrawn", w.UserID)
		}
		u := f.users[w.UserID]
		if n := f.kinds(u, KindRedrawWon); n != 1 {
			t.Fatalf("redraw winner told %d times", n)
		}
	}
	for _, id := range p.Redraws[0].Lapsed {
		if n := f.kinds(f.users[id], KindClaimLapsed); n != 1 {
			t.Fatalf("lapsed winner told %d times", n)
		}
	}
	if n := f.kinds(first, KindClaimLapsed); n != 0 {
		t.Fatal("the winner who claimed was told of a lapse")
	}
	// Round 2: nobody claims again; the second redraw excludes all earlier winners.
	f.clock.Add(3600 * time.Second)
	f.closeRound(1)
	f.closeRound(1)
	p = f.proof()
	if err := p.Verify(); err != nil {
		t.Fatalf("proof with two redraws: %v", err)
	}
	if len(p.Redraws) != 2 || len(p.Redraws[1].Winners) != 2 {
		t.Fatalf("redraws = %+v", p.Redraws)
	}
	for _, w := range p.Redraws[1].Winners {
		if main[w.UserID] || slices.ContainsFunc(p.Redraws[0].Winners, func(x Winner) bool { return x.UserID == w.UserID }) {
			t.Fatalf("earlier winner %s redrawn in round 2", w.UserID)
		}
	}
	ws, _, err := f.svc.Winners(ctx, f.l.ID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]int{}
	for _, w := range ws {
		st[fmt.Sprintf("%d/%s", w.Round, w.Status)]++
	}
	if want := map[string]int{"0/claimed": 1, "0/lapsed": 2, "1/lapsed": 2, "2/pending": 2}; fmt.Sprint(st) != fmt.Sprint(want) {
		t.Fatalf("winner statuses %v, want %v", st, want)
	}
	// No round 3 was allowed: the last window closes without a redraw.
	f.clock.Add(3600 * time.Second)
	f.closeRound(2)
	if p = f.proof(); len(p.Redraws) != 2 {
		t.Fatalf("%d redraws, at most 2 allowed", len(p.Redraws))
	}
	// A tampered redraw fails its rule.
	bad := p
	bad.Redraws = slices.Clone(p.Redraws)
	bad.Redraws[1].Winners = slices.Clone(p.Redraws[1].Winners)
	bad.Redraws[1].Winners[0].UserID = p.Winners[0].UserID
	if err := bad.Verify(); data.RuleOf(err) != RuleRedrawWinners {
		t.Fatalf("tampered redraw winner: %v", err)
	}
	bad.Redraws = slices.Clone(p.Redraws)
	bad.Redraws[0].Seed = p.Seed
	if err := bad.Verify(); data.RuleOf(err) != RuleRedrawSeedHash {
		t.Fatalf("redraw seed swapped: %v", err)
	}
}

// TestClaimWindowInput: the window and the rounds are bounded, and rounds
// need a window.
func TestClaimWindowInput(t *testing.T) {
	f := newFixture(t, Options{})
	creator := f.user("c")
	for _, c := range []struct {
		window int
		rounds *int
		field  string
	}{
		{59, nil, "claim_window_seconds"}, {MaxClaimWindow + 1, nil, "claim_window_seconds"}, {-1, nil, "claim_window_seconds"},
		{3600, intp(MaxRedrawRounds + 1), "redraw_rounds"}, {3600, intp(-1), "redraw_rounds"}, {0, intp(1), "redraw_rounds"},
	} {
		in := manual(Prize{"P", 1})
		in.ClaimWindowSeconds, in.RedrawRounds = c.window, c.rounds
		_, err := f.svc.Create(context.Background(), creator, in)
		var de *data.Error
		if !errors.As(err, &de) || de.Code != data.EInvalid || !slices.ContainsFunc(de.Details.([]data.FieldError), func(fe data.FieldError) bool { return fe.Field == c.field }) {
			t.Errorf("window %d rounds %v: %v, want invalid %s", c.window, c.rounds, err, c.field)
		}
	}
}

// TestClaimAfterCloseRefused: a claim whose clock reading is still before
// the deadline but which reaches the writer after the close ran is refused.
func TestClaimAfterCloseRefused(t *testing.T) {
	f := newClaimFixture(t, 4, 600, 1, Prize{"P", 1})
	winner := f.users[f.proof().Winners[0].UserID]
	f.closeRound(0) // the close ran (as if the scheduler's clock were ahead of the claim's)
	if err := f.claim(winner); data.ErrorCode(err) != data.EExpired {
		t.Fatalf("claim after the close: %v, want expired", err)
	}
}
